"""The due-order sweep against the sandbox over real HTTP."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

import pytest

from integration.models import Order, StatusChange
from integration.services.mirror import orders_upsert_from_list
from integration.services.polling.due import orders_claim_due
from integration.services.polling.sweeps import orders_sweep

from .holder import Clock, changes_of, mirror, order, pick

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "GET /api/v1/dapp/orders"
DETAIL = "GET /api/v1/dapp/orders/:orderId"


@pytest.fixture
def no_lines(settings):
    settings.DRGREEN_SYNC = {"LINES_PER_RUN": 0}


def test_each_transition_is_detected_once_by_list_sweeps(drgreen_holder, no_lines):
    sb = drgreen_holder.sandbox
    clock = Clock(drgreen_holder)
    # Enough orders that every lifecycle state the test picks is drawn (the seed varies
    # with test order): 150 leave P(a missing state) below 1e-6.
    mirror(drgreen_holder, clients=10, orders=150, now=clock.now)
    review = pick(admin_approval="PENDING")[0]
    unpaid = pick(admin_approval="VERIFIED")[0]
    paid = pick(admin_approval="VERIFIED", payment_status="PAID")[0]
    shipped = pick(order_status="SHIPPED", admin_approval="VERIFIED", payment_status="PAID")[0]
    sb.approve_order(str(review.drgreen_id))
    sb.pay_order(str(unpaid.drgreen_id))
    sb.set_order_status(str(paid.drgreen_id), "PROCESSING")
    sb.set_order_status(str(shipped.drgreen_id), "DELIVERED")
    sb.reset_stats()

    outcome = orders_sweep(now=clock.advance(minutes=70))  # every tier is due

    assert outcome.state == "succeeded", outcome.as_dict()
    expected = {
        review.drgreen_id: ("admin_approval", "VERIFIED"),
        unpaid.drgreen_id: ("payment_status", "PAID"),
        paid.drgreen_id: ("order_status", "PROCESSING"),
        shipped.drgreen_id: ("order_status", "DELIVERED"),
    }
    for drgreen_id, (field, value) in expected.items():
        changes = changes_of(drgreen_id)
        assert len(changes) == 1, (field, [c.fields_changed for c in changes])
        assert changes[0].fields_changed[0]["field"] == field
        assert changes[0].fields_changed[0]["after"] == value
    assert StatusChange.objects.count() == 4
    delivered = order(shipped.drgreen_id)
    assert delivered.poll_tier == "terminal" and delivered.next_poll_at is None
    # Every active order was looked at; none by detail.
    active = Order.objects.active().count() + 1  # + the one that just became terminal
    assert outcome.stats["claimed"] == active
    assert drgreen_holder.request_count(DETAIL) == 0
    # The orders that changed left their status filter and were found through their clients.
    assert outcome.stats["left_filter"] == 4
    assert outcome.stats["client_ids.pages"] >= 1

    again = orders_sweep(now=clock.advance(minutes=70))
    assert again.stats["status_changes"] == 0
    assert StatusChange.objects.count() == 4


def test_due_orders_cost_pages_not_calls_per_order(drgreen_holder, settings):
    settings.DRGREEN_SYNC = {"LINES_PER_RUN": 0, "SWEEP_TAKE": 10}
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, clients=10, orders=120, now=clock.now)
    groups = {}
    for o in Order.objects.active():
        key = (o.order_status, o.payment_status, o.admin_approval)
        groups[key] = groups.get(key, 0) + 1
    drgreen_holder.sandbox.reset_stats()

    outcome = orders_sweep(now=clock.advance(minutes=70))

    due = sum(groups.values())
    pages = sum(math.ceil(n / 10) for n in groups.values())
    assert outcome.stats["claimed"] == due
    assert drgreen_holder.request_count(LIST) == pages
    assert drgreen_holder.request_count() == pages < due / 5


def test_only_orders_due_before_the_next_tick_are_polled(drgreen_holder, no_lines):
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, orders=30, now=clock.now)
    # Right after the reconcile nothing is due: no Dr Green call at all.
    drgreen_holder.sandbox.reset_stats()
    outcome = orders_sweep(now=clock.advance(minutes=1))
    assert outcome.stats["claimed"] == 0
    assert drgreen_holder.request_count() == 0
    # An order due within the look-ahead (30 s) is taken now, not one tick late.
    target = Order.objects.active().first()
    Order.objects.filter(pk=target.pk).update(next_poll_at=clock.now + timedelta(seconds=20))
    outcome = orders_sweep(now=clock.now)
    assert outcome.stats["claimed"] == 1
    assert order(target.drgreen_id).next_poll_at > clock.now + timedelta(minutes=4)


def test_an_order_dr_green_no_longer_lists_is_checked_by_detail_and_rescheduled(drgreen_holder, no_lines):
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, orders=10, now=clock.now)
    real_client = Order.objects.exclude(client_drgreen_id=None).first().client_drgreen_id
    ghost = uuid.uuid4()
    orders_upsert_from_list(
        items=[
            {
                "id": str(ghost),
                "orderStatus": "PENDING",
                "adminApproval": "PENDING",
                "paymentStatus": "PENDING",
                "client": {"id": str(real_client)},
            }
        ],
        observed_at=clock.now,
    )
    drgreen_holder.sandbox.reset_stats()

    outcome = orders_sweep(now=clock.advance(minutes=70))

    assert outcome.stats["missing"] == 1
    assert drgreen_holder.request_count(DETAIL) == 1
    ghost_row = order(ghost)
    assert ghost_row.remote_missing_since is None  # only the reconcile tombstones
    assert ghost_row.next_poll_at > clock.now + timedelta(minutes=4)  # not asked again every tick
    assert ghost_row.claimed_by == ""


def test_an_unknown_held_status_is_looked_up_through_the_client(drgreen_holder, no_lines):
    clock = Clock(drgreen_holder)
    # The seed's RNG depends on the holder and on earlier seed calls (test order): 10 orders
    # drew no fully pending order about one time in ten; with 80 the odds are ~2e-8.
    mirror(drgreen_holder, orders=80, now=clock.now)
    target = pick(admin_approval="PENDING")[0]
    # As if Dr Green had once sent a status value we cannot filter on.
    Order.objects.filter(pk=target.pk).update(
        order_status="ON_HOLD", status_fingerprint="ON_HOLD|PENDING|PENDING"
    )

    outcome = orders_sweep(now=clock.advance(minutes=70))

    assert outcome.state == "succeeded"
    assert outcome.stats["client_ids.pages"] >= 1
    refreshed = order(target.drgreen_id)
    assert refreshed.order_status == "PENDING"
    assert [c.fields_changed for c in changes_of(target.drgreen_id)] == [
        [{"field": "order_status", "before": "ON_HOLD", "after": "PENDING"}]
    ]


def test_orders_claimed_by_another_worker_are_left_alone(drgreen_holder, no_lines):
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, orders=30, now=clock.now)
    now = clock.advance(minutes=70)
    theirs = orders_claim_due(
        token="other-worker:1", now=now, horizon=now, until=now + timedelta(minutes=5), limit=5
    )
    assert len(theirs) == 5

    outcome = orders_sweep(now=now)

    assert outcome.stats["claimed"] == Order.objects.active().count() - 5
    assert Order.objects.filter(claimed_by="other-worker:1").count() == 5  # untouched
    assert not Order.objects.exclude(claimed_by="").exclude(claimed_by="other-worker:1").exists()


def test_order_lines_are_fetched_by_detail_a_bounded_number_per_run(drgreen_holder, settings):
    settings.DRGREEN_SYNC = {"LINES_PER_RUN": 4}
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, orders=10, now=clock.now)
    assert Order.objects.filter(lines_synced_at__isnull=True).count() == 10
    drgreen_holder.sandbox.reset_stats()

    outcome = orders_sweep(now=clock.advance(minutes=1))

    assert outcome.stats["lines_filled"] == 4
    assert drgreen_holder.request_count(DETAIL) == 4
    filled = Order.objects.filter(lines_synced_at__isnull=False)
    assert filled.count() == 4
    assert all(o.lines.count() == o.line_count for o in filled)


def test_page_drift_during_a_walk_misses_nothing(drgreen_holder, settings):
    """An order leaving the filter after page 1 shifts the next page up by one; the row that
    slides onto the page we already read is still polled (through its client)."""
    settings.DRGREEN_SYNC = {"LINES_PER_RUN": 0, "SWEEP_TAKE": 5}
    sb = drgreen_holder.sandbox
    clock = Clock(drgreen_holder)
    # The seed's RNG depends on the holder, so which statuses it draws varies with test order;
    # 200 orders leave ~30 fully pending (P(<= 10) is negligible), 80 sometimes left 8.
    mirror(drgreen_holder, clients=10, orders=200, now=clock.now)
    group = list(
        Order.objects.filter(order_status="PENDING", payment_status="PENDING", admin_approval="PENDING")
    )
    assert len(group) > 10, "the seed needs more than two pages of pending orders"
    now = clock.advance(minutes=6)
    from integration.services.drgreen_api import drgreen_client

    real = drgreen_client()
    moved: list[str] = []

    class DriftingClient:
        """The real client; after the first pending page, Dr Green approves one of its rows."""

        def __getattr__(self, name):
            return getattr(real, name)

        def list_orders(self, **kw):
            page = real.list_orders(**kw)
            if kw.get("admin_approval") == "PENDING" and kw.get("page") == 1 and not moved:
                moved.append(page.items[0]["id"])
                sb.approve_order(moved[0])
            return page

    import integration.services.polling.runs as runs

    original = runs.drgreen_client
    runs.drgreen_client = DriftingClient
    try:
        outcome = orders_sweep(now=now)
    finally:
        runs.drgreen_client = original

    assert moved
    due_review = {o.drgreen_id for o in group}
    polled = set(
        Order.objects.filter(drgreen_id__in=due_review, last_synced_at__gte=now).values_list(
            "drgreen_id", flat=True
        )
    )
    assert polled == due_review, outcome.as_dict()
    # The approval happened after we read that row; whichever visit sees it first (another
    # group's walk, a client's list, the next sweep) records it, once.
    orders_sweep(now=clock.advance(minutes=6))
    assert len(changes_of(moved[0])) == 1
