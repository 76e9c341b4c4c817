"""The customer's orders from the mirror: lines, the three statuses, one display status,
localPrice (never USD), history, freshness, and background refreshes that never make the
request wait on Dr Green."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integration.models import BreakerState, Order

from .conftest import Api, make_client, make_order, make_user

pytestmark = pytest.mark.django_db


def test_list_newest_first_with_lines_and_no_usd(as_customer, customer):
    client = customer.drgreen_clients.get()
    old = make_order(client, created_ago=7200)
    new = make_order(client, created_ago=60, statuses=("PENDING", "VERIFIED", "PENDING"))
    body = as_customer.get("/api/v1/orders").json()
    assert [o["id"] for o in body["results"]] == [str(new.drgreen_id), str(old.drgreen_id)]
    first = body["results"][0]
    assert first["orderStatus"] == "PENDING" and first["adminApproval"] == "VERIFIED"
    assert first["displayStatus"]["code"] == "awaiting_payment"
    assert first["localPrice"] == {"currency": "GBP", "totalAmount": "16.00"}
    assert len(first["lines"]) == 2 and set(first["lines"][0]) == {"strainId", "strainName", "quantity"}
    text = str(body)
    assert "totalAmountUsd" not in text and "20.00" not in text  # the USD total stays staff-only


def test_detail_has_history_and_freshness(as_customer, customer):
    order = make_order(customer.drgreen_clients.get(), statuses=("SHIPPED", "VERIFIED", "PAID"), history=2)
    body = as_customer.get(f"/api/v1/orders/{order.drgreen_id}").json()
    assert body["displayStatus"] == {"code": "shipped", "label": "Dispatched."}
    assert [h["sequence"] for h in body["history"]] == [1, 2]
    assert body["history"][0]["changed"] == ["adminApproval"]
    assert body["freshness"]["stale"] is False
    assert body["freshness"]["refresh"] == "not_needed"
    assert body["freshness"]["ttlSeconds"] == 30.0


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        (("PENDING", "PENDING", "PENDING"), "in_review"),
        (("PENDING", "REJECTED", "PAID"), "rejected"),
        (("DELIVERED", "VERIFIED", "PENDING"), "delivered"),
        (("PROCESSING", "VERIFIED", "PAID"), "processing"),
        (("PENDING", "VERIFIED", "COMPLETED"), "paid"),
        (("PENDING", "VERIFIED", "FAILED"), "payment_failed"),
        (("CANCELLED", "VERIFIED", "PENDING"), "cancelled"),
        (("", "", ""), "unknown"),
        (("WEIRD_NEW", "", "ALSO_NEW"), "unknown"),
    ],
)
def test_display_status(as_customer, customer, statuses, code):
    order = make_order(customer.drgreen_clients.get(), statuses=statuses)
    body = as_customer.get(f"/api/v1/orders/{order.drgreen_id}/status").json()
    assert body["displayStatus"]["code"] == code
    # Unknown vendor values are shown as they are, never a crash.
    assert (body["orderStatus"], body["adminApproval"], body["paymentStatus"]) == statuses


def test_stale_active_order_is_refreshed_in_the_background_once(as_customer, customer, memory_broker):
    order = make_order(customer.drgreen_clients.get(), synced_ago=31)
    first = as_customer.get(f"/api/v1/orders/{order.drgreen_id}/status").json()["freshness"]
    second = as_customer.get(f"/api/v1/orders/{order.drgreen_id}").json()["freshness"]
    assert first["stale"] is True and first["refresh"] == "queued"
    assert second["stale"] is True and second["refresh"] == "already_queued"
    assert memory_broker() == [("integration.order_refresh", {"order_id": str(order.drgreen_id)})]


def test_terminal_orders_have_a_five_minute_ttl(as_customer, customer, memory_broker):
    client = customer.drgreen_clients.get()
    recent = make_order(client, statuses=("DELIVERED", "VERIFIED", "PAID"), synced_ago=200)
    old = make_order(client, statuses=("PENDING", "REJECTED", "PENDING"), synced_ago=301)
    a = as_customer.get(f"/api/v1/orders/{recent.drgreen_id}/status").json()["freshness"]
    b = as_customer.get(f"/api/v1/orders/{old.drgreen_id}/status").json()["freshness"]
    assert (a["ttlSeconds"], a["stale"], a["refresh"]) == (300.0, False, "not_needed")
    assert (b["ttlSeconds"], b["stale"], b["refresh"]) == (300.0, True, "queued")
    assert [kw["order_id"] for _, kw in memory_broker()] == [str(old.drgreen_id)]


def test_refresh_flag_is_rate_limited_but_the_read_still_answers(
    settings, as_customer, customer, memory_broker
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "refresh": "1/min"},
    }
    settings.DRGREEN_API = {**settings.DRGREEN_API, "REFRESH_DEDUPE_S": 0.001}
    order = make_order(customer.drgreen_clients.get())  # fresh: no automatic refresh
    url = f"/api/v1/orders/{order.drgreen_id}/status"
    assert as_customer.get(url).json()["freshness"]["refresh"] == "not_needed"
    assert as_customer.get(url, {"refresh": 1}).json()["freshness"]["refresh"] == "queued"
    r = as_customer.get(url, {"refresh": 1})
    assert r.status_code == 200
    assert r.json()["freshness"]["refresh"] == "rate_limited"
    assert len(memory_broker()) == 1


def test_open_breaker_means_no_refresh_and_the_mirror_keeps_serving(as_customer, customer, memory_broker):
    BreakerState.objects.create(name="drgreen", state="open", opened_until=timezone.now())
    order = make_order(customer.drgreen_clients.get(), synced_ago=3600)
    r = as_customer.get(f"/api/v1/orders/{order.drgreen_id}")
    assert r.status_code == 200
    assert r.json()["freshness"]["stale"] is True
    assert r.json()["freshness"]["refresh"] == "unavailable"
    assert memory_broker() == []


def test_a_list_page_queues_a_bounded_number_of_refreshes(as_customer, customer, memory_broker):
    client = customer.drgreen_clients.get()
    for _ in range(15):
        make_order(client, synced_ago=100)
    body = as_customer.get("/api/v1/orders", {"pageSize": 15}).json()
    states = [o["freshness"]["refresh"] for o in body["results"]]
    assert states.count("queued") == 10
    assert len(memory_broker()) == 10


def test_orders_of_every_client_linked_to_the_customer_only(storefront_token):
    user, stranger = make_user(), make_user()
    mine = make_order(make_client(user))
    make_order(make_client(stranger))
    make_order(make_client(None))  # an adopted client no customer is linked to
    ids = [
        o["id"]
        for o in Api(token=storefront_token, customer_id=user.pk).get("/api/v1/orders").json()["results"]
    ]
    assert ids == [str(mine.drgreen_id)]
    assert Order.objects.count() == 3


def test_pagination_is_stable_across_orders_with_equal_timestamps(as_customer, customer):
    client = customer.drgreen_clients.get()
    orders = [make_order(client) for _ in range(5)]
    Order.objects.update(created_at=orders[0].created_at)  # all tied on the first key
    seen, cursor = [], None
    while True:
        body = as_customer.get(
            "/api/v1/orders", {"pageSize": 2, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [o["id"] for o in body["results"]]
        cursor = body["nextCursor"]
        if not cursor:
            break
    assert seen == [str(o.drgreen_id) for o in sorted(orders, key=lambda o: -o.pk)]
