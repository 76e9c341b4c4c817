"""List endpoints run a constant number of queries whatever the page size (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import Api, make_order, make_sale, make_strain

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
    assert large <= 5  # auth (token, customer) + page (+ one prefetch)


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
