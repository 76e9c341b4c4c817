"""The admin index puts placements that need staff and late orders first."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from integration.models import BreakerState, Order
from integration.selectors import console as selectors

from .conftest import add_change, make_order

INDEX = "admin:index"


def test_attention_lists_placements_that_need_staff(staff_client):
    unknown = make_order(placement_state="unknown").placement
    flagged = make_order(placement_state="needs_staff").placement
    fine = make_order(placement_state="placed").placement
    html = staff_client.get(reverse(INDEX)).content.decode()
    assert "Needs staff" in html and "dg-attention--active" in html
    assert "2 placements with an unknown outcome or waiting for staff" in html
    assert str(unknown.correlation_id) in html and str(flagged.correlation_id) in html
    assert str(fine.correlation_id) not in html
    assert "Outcome unknown" in html and "Needs staff" in html


def test_orders_waiting_longer_than_usual(staff_client):
    now = timezone.now()
    late_review = make_order(status=("PENDING", "PENDING", "PENDING"), created_days_ago=3)
    fresh_review = make_order(status=("PENDING", "PENDING", "PENDING"), created_days_ago=1)
    # approved 4 days ago, still unpaid: late for "awaiting payment" (3 days)
    late_payment = make_order(status=("PENDING", "PENDING", "PENDING"), created_days_ago=10)
    add_change(late_payment, after=("PENDING", "VERIFIED", "PENDING"), detected_at=now - timedelta(days=4))
    # approved 10 days ago but the last change (paid) was yesterday: not late
    moving = make_order(status=("PENDING", "PENDING", "PENDING"), created_days_ago=10)
    add_change(moving, after=("PENDING", "VERIFIED", "PAID"), detected_at=now - timedelta(days=1))
    finished = make_order(status=("DELIVERED", "VERIFIED", "PAID"), created_days_ago=30)
    gone = make_order(status=("PENDING", "PENDING", "PENDING"), created_days_ago=30)
    Order.objects.filter(pk=gone.pk).update(remote_missing_since=now)

    late = list(selectors.orders_waiting_long(now=now))
    assert late == [late_payment, late_review]  # oldest wait first
    assert fresh_review not in late and moving not in late and finished not in late

    html = staff_client.get(reverse(INDEX)).content.decode()
    assert "2 orders waiting on Dr Green longer than usual" in html
    assert "approved, awaiting payment" in html and "awaiting Dr Green&#x27;s review" in html
    # the panel links to the filtered order list, which shows the same orders
    rows = (
        staff_client.get(reverse("admin:integration_order_changelist") + "?waiting=long")
        .context["cl"]
        .result_list
    )
    assert set(rows) == {late_review, late_payment}


def test_open_breaker_is_on_the_index(staff_client):
    BreakerState.objects.create(
        name="drgreen",
        state="open",
        opened_until=timezone.now() + timedelta(minutes=3),
        last_error="HTTP 503 /dapp/orders",
    )
    html = staff_client.get(reverse(INDEX)).content.decode()
    assert "Dr Green calls are paused" in html and "HTTP 503" in html


def test_calm_index(staff_client):
    make_order(status=("DELIVERED", "VERIFIED", "PAID"))
    html = staff_client.get(reverse(INDEX)).content.decode()
    assert "Nothing needs staff right now" in html
    assert "dg-attention--active" not in html


def test_attention_hidden_from_staff_without_permissions(client, db):
    from django.contrib.auth.models import User

    make_order(placement_state="unknown")
    User.objects.create_user("bare", password="pw-123-not-used", is_staff=True)
    client.login(username="bare", password="pw-123-not-used")
    html = client.get(reverse(INDEX)).content.decode()
    assert "dg-attention" not in html


def test_index_query_count_is_constant(staff_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            staff_client.get(reverse(INDEX))
        return len(ctx.captured_queries)

    make_order(placement_state="unknown", created_days_ago=5)
    count()
    small = count()
    for _ in range(12):  # more than one panel page of each
        make_order(placement_state="needs_staff", created_days_ago=5)
    assert count() == small + 2  # only the two "N more" counts appear, once a panel is full
