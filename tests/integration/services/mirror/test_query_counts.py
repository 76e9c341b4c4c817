"""A page costs the same number of queries whether it holds 10 items or 200."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integration.services.mirror import (
    clients_upsert_from_list,
    order_upsert_from_detail,
    orders_upsert_from_list,
    orders_upsert_from_recent,
    sales_upsert_from_list,
    strains_upsert_from_list,
)

from . import payloads as p

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_sqlite_param_limit")]
MAX_QUERIES_PER_PAGE = 14


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _order_sweep_costs(n: int, later) -> dict[str, int]:
    items = [p.order_list_item() for _ in range(n)]  # n orders of n different (stub) clients
    costs = {"adopt": _count(lambda: orders_upsert_from_list(items=items, observed_at=later(1)))}
    costs["unchanged"] = _count(lambda: orders_upsert_from_list(items=items, observed_at=later(2)))
    changed = [dict(i, adminApproval="VERIFIED", invoiceNumber=i["invoiceNumber"] + "x") for i in items]
    costs["changed"] = _count(lambda: orders_upsert_from_list(items=changed, observed_at=later(3)))
    recent = [
        p.order_recent_item(order_id=i["id"], client_id=i["client"]["id"], orderStatus="PROCESSING")
        for i in items
    ]
    costs["recent"] = _count(lambda: orders_upsert_from_recent(items=recent, observed_at=later(4)))
    return costs


def test_order_pages(later):
    small, large = _order_sweep_costs(10, later), _order_sweep_costs(200, later)
    assert small == large
    assert max(large.values()) <= MAX_QUERIES_PER_PAGE, large


def test_order_detail_cost_does_not_grow_with_lines(later):
    def cost(n_lines):
        payload = p.order_detail(lines=[p.order_line() for _ in range(n_lines)])
        return _count(lambda: order_upsert_from_detail(payload=payload, observed_at=later(1)))

    one, thirty = cost(1), cost(30)
    # Adopting an order from its detail also creates the stub client and its shipping row.
    assert one == thirty <= MAX_QUERIES_PER_PAGE + 4


@pytest.mark.parametrize(
    ("upsert", "build"),
    [
        (
            lambda items, at: clients_upsert_from_list(items=items, observed_at=at),
            lambda: p.client_list_item(),
        ),
        (lambda items, at: sales_upsert_from_list(items=items, observed_at=at), lambda: p.sale_item()),
        (
            lambda items, at: strains_upsert_from_list(items=items, country_code="ZAF", observed_at=at),
            lambda: p.strain_item(),
        ),
    ],
    ids=["clients", "sales", "strains"],
)
def test_other_pages(upsert, build, later):
    def costs(n):
        items = [build() for _ in range(n)]
        first = _count(lambda: upsert(items, later(1)))
        again = _count(lambda: upsert(items, later(2)))
        return first, again

    small, large = costs(10), costs(200)
    assert small == large
    assert max(large) <= MAX_QUERIES_PER_PAGE
