"""Staff endpoints: sales pipeline with won/lost, revenue per strain, counts by status, and
an order with its USD figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integration.models import OrderLine, OrderPlacement, PlacementState

from .conftest import make_client, make_order, make_sale, make_strain

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(customer):
    client = customer.drgreen_clients.get()
    lead_client = make_client(None)
    delivered = make_order(client, statuses=("DELIVERED", "VERIFIED", "PAID"))
    ongoing = make_order(client, statuses=("SHIPPED", "VERIFIED", "PAID"))
    sales = {
        "won": make_sale(client, stage="CLOSED", order=delivered),
        "lost": make_sale(lead_client, stage="CLOSED"),
        "open": make_sale(client, stage="ONGOING", order=ongoing),
        "lead": make_sale(lead_client, stage="LEADS"),
    }
    return sales


def test_sales_pipeline_with_won_and_lost(as_staff, pipeline):
    body = as_staff.get("/api/v1/staff/sales").json()
    outcomes = {s["id"]: s["outcome"] for s in body["results"]}
    assert outcomes[str(pipeline["won"].drgreen_id)] == "won"
    assert outcomes[str(pipeline["lost"].drgreen_id)] == "lost"
    assert outcomes[str(pipeline["open"].drgreen_id)] == "open"
    won = as_staff.get("/api/v1/staff/sales", {"outcome": "won"}).json()["results"]
    assert [s["id"] for s in won] == [str(pipeline["won"].drgreen_id)]
    assert [
        s["stage"] for s in as_staff.get("/api/v1/staff/sales", {"stage": "LEADS"}).json()["results"]
    ] == ["LEADS"]
    assert as_staff.get("/api/v1/staff/sales/summary").json() == {
        "byStage": {"CLOSED": 2, "ONGOING": 1, "LEADS": 1},
        "won": 1,
        "lost": 1,
        "total": 4,
    }


def test_revenue_per_strain_counts_paid_and_delivered_by_default(as_staff, customer):
    client = customer.drgreen_clients.get()
    kush, haze = make_strain("Kush"), make_strain("Haze")
    make_order(client, statuses=("DELIVERED", "VERIFIED", "PAID"), strain=kush, lines=2)
    make_order(client, statuses=("DELIVERED", "VERIFIED", "COMPLETED"), strain=kush, lines=1)
    make_order(client, statuses=("SHIPPED", "VERIFIED", "PAID"), strain=haze, lines=1)
    make_order(client, statuses=("DELIVERED", "VERIFIED", "PENDING"), strain=haze, lines=5)
    no_amount = make_order(client, statuses=("DELIVERED", "VERIFIED", "PAID"), strain=haze, lines=1)
    # A line without its amount is priced from unit price × quantity.
    OrderLine.objects.filter(order=no_amount).update(
        line_amount=None, unit_retail_price=Decimal("7.50"), quantity=Decimal("2")
    )
    rows = as_staff.get("/api/v1/staff/revenue/strains").json()["strains"]
    assert [(r["strainName"], r["totalRevenueUsd"], r["totalQuantity"], r["orders"]) for r in rows] == [
        ("Kush", "30.00", "3.000", 2),
        ("Haze", "15.00", "2.000", 1),
    ]
    paid = as_staff.get("/api/v1/staff/revenue/strains", {"basis": "paid"}).json()["strains"]
    assert {r["strainName"]: r["totalRevenueUsd"] for r in paid} == {"Kush": "30.00", "Haze": "25.00"}
    r = as_staff.get("/api/v1/staff/revenue/strains", {"startDate": "2030-01-02", "endDate": "2030-01-01"})
    assert r.status_code == 400
    assert set(r.json()["error"]["details"]) == {"endDate"}


def test_counts_by_status(as_staff, customer):
    client = customer.drgreen_clients.get()
    order = make_order(client, statuses=("PENDING", "VERIFIED", "PENDING"))
    make_order(client, statuses=("DELIVERED", "VERIFIED", "PAID"))
    OrderPlacement.objects.create(
        client=client, idempotency_key="k", request_hash="0" * 64, state=PlacementState.PLACED, order=order
    )
    body = as_staff.get("/api/v1/staff/orders/counts").json()
    assert body == {
        "total": 2,
        "orderStatus": {"DELIVERED": 1, "PENDING": 1},
        "adminApproval": {"VERIFIED": 2},
        "paymentStatus": {"PAID": 1, "PENDING": 1},
        "placements": {"placed": 1},
    }


def test_staff_order_detail_shows_usd(as_staff, customer):
    order = make_order(customer.drgreen_clients.get(), total_usd="123.45")
    body = as_staff.get(f"/api/v1/staff/orders/{order.drgreen_id}").json()
    assert body["totalAmountUsd"] == "123.45"
    assert body["localPrice"] == {"currency": "GBP", "totalAmount": "16.00"}
    assert body["lines"][0]["lineAmountUsd"] == "10.00"
