"""List endpoints run a constant number of queries whatever the page size (no N+1)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integration.models import ApiToken

from .conftest import Api, make_order, make_sale, make_strain

ME = "/api/v1/me"

pytestmark = pytest.mark.django_db


def count_queries(api: Api, url: str, params: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(url, params)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries), len(r.json()["results"])


@pytest.fixture
def many(customer):
    client = customer.drgreen_clients.get()
    strains = [make_strain(f"Strain {i:02d}") for i in range(25)]
    orders = [make_order(client, strain=strains[i], lines=3, history=2) for i in range(25)]
    for i, order in enumerate(orders):
        make_sale(client, stage="CLOSED" if i % 2 else "ONGOING", order=order)
    return orders


@pytest.mark.parametrize(
    ("url", "params", "who"),
    [
        ("/api/v1/strains", {"country": "GBR"}, "customer"),
        ("/api/v1/orders", {}, "customer"),
        ("/api/v1/staff/sales", {}, "staff"),
    ],
)
def test_constant_queries_at_two_page_sizes(many, as_customer, as_staff, url, params, who):
    api = as_customer if who == "customer" else as_staff
    # Warm-up: the first request of a token writes last_used_at once a minute.
    api.get(url, params)
    small, small_rows = count_queries(api, url, {**params, "pageSize": 2})
    large, large_rows = count_queries(api, url, {**params, "pageSize": 20})
    assert (small_rows, large_rows) == (2, 20)
    assert small == large
    assert large <= 4  # auth (token and customer: one statement) + page (+ one prefetch)


@pytest.mark.parametrize("kind", ["storefront", "customer", "staff"])
def test_a_token_and_the_user_it_acts_for_are_one_statement(customer, staff_user, kind):
    if kind == "storefront":
        api = Api(token=ApiToken.issue(name="shop", kind=kind)[1], customer_id=customer.pk)
    else:
        user = staff_user if kind == "staff" else customer
        api = Api(token=ApiToken.issue(name="app", kind=kind, user=user)[1])
    url = "/api/v1/staff/orders/counts" if kind == "staff" else ME
    api.get(url)  # the first request of a token writes last_used_at once a minute
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    statements = [q["sql"] for q in ctx.captured_queries]
    tokens, users = ApiToken._meta.db_table, get_user_model()._meta.db_table
    assert [tokens in sql for sql in statements].count(True) == 1
    # The user is read by the token's statement, never on its own.
    assert all(tokens in sql for sql in statements if users in sql)
    assert not any(sql.lstrip().upper().startswith(("UPDATE", "INSERT")) for sql in statements)


def test_the_order_status_read_is_two_statements(customer, as_customer):
    order = make_order(customer.drgreen_clients.get())
    url = f"/api/v1/orders/{order.drgreen_id}/status"
    as_customer.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert as_customer.get(url).status_code == 200
    assert len(ctx.captured_queries) == 2, [q["sql"] for q in ctx.captured_queries]


def test_stale_orders_do_not_add_queries_per_row(customer, as_customer, memory_broker):
    client = customer.drgreen_clients.get()
    for _ in range(12):
        make_order(client, synced_ago=3600)
    as_customer.get("/api/v1/orders", {"pageSize": 1})
    memory_broker()
    small, _ = count_queries(as_customer, "/api/v1/orders", {"pageSize": 2})
    large, _ = count_queries(as_customer, "/api/v1/orders", {"pageSize": 12})
    # Stale rows read the breaker state once per request, whatever the page size.
    assert small == large
