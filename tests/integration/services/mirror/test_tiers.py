import random
from datetime import UTC, datetime, timedelta

import pytest

from integration.models import Client, Order
from integration.services.mirror import (
    client_next_kyc_poll_at,
    order_next_poll_at,
    order_poll_tier,
    order_upsert_from_detail,
    orders_upsert_from_list,
)

from . import payloads as p

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("order_status", "admin_approval", "payment_status", "tier", "minutes"),
    [
        ("PENDING", "PENDING", "PENDING", "review", 5),
        ("PENDING", "", "PENDING", "review", 5),  # approval unknown
        ("PENDING", "VERIFIED", "PENDING", "payment", 5),
        ("PROCESSING", "VERIFIED", "PAID", "fulfilment", 30),
        ("PENDING", "VERIFIED", "COMPLETED", "fulfilment", 30),
        ("SHIPPED", "VERIFIED", "PAID", "delivery", 60),
        ("DELIVERED", "VERIFIED", "PAID", "terminal", None),
        ("PENDING", "REJECTED", "PENDING", "terminal", None),
        ("ON_HOLD", "VERIFIED", "PENDING", "payment", 5),  # unknown value: keep polling
    ],
)
def test_tier_rule_and_jitter_bounds(order_status, admin_approval, payment_status, tier, minutes):
    order = Order(order_status=order_status, admin_approval=admin_approval, payment_status=payment_status)
    assert order_poll_tier(order) == tier
    rng = random.Random(7)
    dues = [order_next_poll_at(order, now=NOW, rng=rng) for _ in range(500)]
    if minutes is None:
        assert set(dues) == {None}
        return
    offsets = [(d - NOW).total_seconds() / 60 for d in dues]
    assert minutes * 0.9 <= min(offsets) and max(offsets) <= minutes * 1.1
    assert max(offsets) - min(offsets) > minutes * 0.15  # actually jittered, not constant


def test_kyc_schedule():
    assert client_next_kyc_poll_at(Client(admin_approval="REJECTED"), now=NOW) is None
    assert client_next_kyc_poll_at(Client(admin_approval="VERIFIED", is_kyc_verified=True), now=NOW) is None
    due = client_next_kyc_poll_at(Client(admin_approval="VERIFIED", is_kyc_verified=False), now=NOW)
    assert timedelta(minutes=4.5) <= due - NOW <= timedelta(minutes=5.5)


@pytest.mark.django_db
class TestScheduling:
    def test_rows_get_tier_and_jittered_next_poll(self, t0, rng):
        items = [p.order_list_item() for _ in range(50)]
        orders_upsert_from_list(items=items, observed_at=t0, rng=rng)
        dues = list(Order.objects.values_list("next_poll_at", flat=True))
        assert set(Order.objects.values_list("poll_tier", flat=True)) == {"review"}
        assert all(t0 + timedelta(minutes=4.5) <= d <= t0 + timedelta(minutes=5.5) for d in dues)
        assert len(set(dues)) > 40  # per-row jitter

    def test_list_sweep_restarts_the_clock_partial_payload_does_not(self, t0, later, rng):
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=t0, rng=rng)
        first = Order.objects.get().next_poll_at
        order_upsert_from_detail(payload=p.order_detail(order_id=item["id"]), observed_at=later(2), rng=rng)
        assert Order.objects.get().next_poll_at == first  # detail says nothing about approval
        orders_upsert_from_list(items=[item], observed_at=later(3), rng=rng)
        assert Order.objects.get().next_poll_at > first

    def test_tier_follows_status_changes_and_stops_when_terminal(self, t0, later, rng):
        item = p.order_list_item(adminApproval="VERIFIED", paymentStatus="PAID")
        orders_upsert_from_list(items=[item], observed_at=t0, rng=rng)
        assert Order.objects.get().poll_tier == "fulfilment"
        shipped = p.order_detail(order_id=item["id"], orderStatus="SHIPPED", paymentStatus="PAID")
        order_upsert_from_detail(payload=shipped, observed_at=later(1), rng=rng)
        order = Order.objects.get()
        assert order.poll_tier == "delivery"
        assert later(1) + timedelta(minutes=54) <= order.next_poll_at <= later(1) + timedelta(minutes=66)
        orders_upsert_from_list(items=[dict(item, orderStatus="DELIVERED")], observed_at=later(2), rng=rng)
        order = Order.objects.get()
        assert (order.poll_tier, order.next_poll_at) == ("terminal", None)

    def test_rejected_on_creation_is_never_polled(self, t0):
        orders_upsert_from_list(items=[p.order_list_item(adminApproval="REJECTED")], observed_at=t0)
        assert Order.objects.get().next_poll_at is None
