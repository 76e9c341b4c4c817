"""The /recent heartbeat against the sandbox over real HTTP."""

from __future__ import annotations

import pytest

from integration.models import Client, Order, StatusChange
from integration.services.drgreen_api import drgreen_client
from integration.services.polling.heartbeat import orders_heartbeat
from integration.services.polling.sweeps import orders_sweep

from .holder import Clock, changes_of, mirror, order

pytestmark = pytest.mark.django_db(transaction=True)

RECENT = "GET /api/v1/dapp/orders/recent"
LIST = "GET /api/v1/dapp/orders"
DETAIL = "GET /api/v1/dapp/orders/:orderId"


def place_outside_the_store(holder) -> str:
    """An order placed in Dr Green's own UI (straight through the dapp API, not our checkout)."""
    client = Client.objects.filter(admin_approval="VERIFIED", is_kyc_verified=True, is_active=True).first()
    api = drgreen_client()
    api.add_to_cart(str(client.cart_id), [(holder.strain_ids[0], 2)])
    return api.create_order(str(client.drgreen_id))["id"]


def test_heartbeat_adopts_an_order_created_elsewhere_with_all_three_statuses(drgreen_holder):
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, orders=20, now=clock.now)
    orders_heartbeat(now=clock.now)  # the first beat reads what the reconcile already has
    new_id = place_outside_the_store(drgreen_holder)
    drgreen_holder.sandbox.reset_stats()

    outcome = orders_heartbeat(now=clock.advance(minutes=1))

    assert outcome.stats["adopted"] == 1
    adopted = order(new_id)
    assert adopted.origin == "orders.recent"
    # /recent has no adminApproval: one clientIds list call filled it.
    assert (adopted.order_status, adopted.admin_approval, adopted.payment_status) == ("PENDING",) * 3
    assert adopted.lines.count() == 1 and adopted.lines_synced_at is not None
    assert adopted.poll_tier == "review" and adopted.next_poll_at is not None
    assert drgreen_holder.request_count(RECENT) == 1
    assert drgreen_holder.request_count(LIST) == 1
    assert drgreen_holder.request_count(DETAIL) == 1
    assert changes_of(new_id) == []  # adoption is not a status change


def test_a_quiet_heartbeat_costs_one_call(drgreen_holder):
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, orders=20, now=clock.now)
    orders_heartbeat(now=clock.now)
    drgreen_holder.sandbox.reset_stats()

    outcome = orders_heartbeat(now=clock.advance(minutes=1))

    assert outcome.stats["adopted"] == 0
    assert drgreen_holder.request_count() == 1


def test_recent_never_erases_the_approval_it_does_not_carry(drgreen_holder, settings):
    settings.DRGREEN_SYNC = {"LINES_PER_RUN": 0}
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, orders=20, now=clock.now)
    target = Order.objects.filter(admin_approval="PENDING").order_by("-created_at").first()
    drgreen_holder.sandbox.approve_order(str(target.drgreen_id))
    orders_sweep(now=clock.advance(minutes=6))
    assert order(target.drgreen_id).admin_approval == "VERIFIED"

    orders_heartbeat(now=clock.advance(minutes=1))

    assert order(target.drgreen_id).admin_approval == "VERIFIED"
    assert StatusChange.objects.filter(order__drgreen_id=target.drgreen_id).count() == 1


def test_overlapping_heartbeats_skip_on_the_lease(drgreen_holder):
    from integration.services.polling.leases import lease_acquire

    clock = Clock(drgreen_holder)
    from datetime import timedelta

    assert lease_acquire(name="orders.heartbeat", holder="w1", ttl=timedelta(minutes=3), now=clock.now)
    drgreen_holder.sandbox.reset_stats()
    outcome = orders_heartbeat(now=clock.now)
    assert outcome.skipped == "lease_held"
    assert drgreen_holder.request_count() == 0
