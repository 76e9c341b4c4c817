"""The beat sweep: lost sends become unknown, missing rows are backfilled, lost tasks sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integration.models import Notification
from integration.services.notify import notifications_create_for_change, notifications_send_pending

from .factories import make_change, make_order

pytestmark = pytest.mark.django_db


def test_pending_rows_older_than_the_grace_are_sent_once(pending_notification):
    now = pending_notification.created_at
    # Younger than the grace: left to the task queued on commit.
    assert notifications_send_pending(now=now + timedelta(seconds=10)) == {"lost": 0, "created": 0}
    assert mail.outbox == []
    later = now + timedelta(minutes=2)
    assert notifications_send_pending(now=later) == {"lost": 0, "created": 0, "sent": 1}
    assert notifications_send_pending(now=later + timedelta(minutes=1)) == {"lost": 0, "created": 0}
    assert len(mail.outbox) == 1


def test_the_limit_bounds_one_sweep_and_the_next_takes_the_rest(db):
    for _ in range(3):
        change = make_change(make_order(), ("order_status", "PROCESSING", "SHIPPED"))
        notifications_create_for_change(status_change_id=change.pk)
    later = timezone.now() + timedelta(minutes=5)
    assert notifications_send_pending(limit=2, now=later)["sent"] == 2
    assert notifications_send_pending(limit=2, now=later)["sent"] == 1
    assert len(mail.outbox) == 3 and len({m.extra_headers["X-Notification-Id"] for m in mail.outbox}) == 3


def test_changes_whose_receiver_never_ran_are_backfilled_within_the_window(db):
    now = timezone.now()
    recent = make_change(
        make_order(), ("order_status", "SHIPPED", "DELIVERED"), detected_at=now - timedelta(hours=1)
    )
    old = make_change(
        make_order(), ("order_status", "SHIPPED", "DELIVERED"), detected_at=now - timedelta(days=3)
    )
    counts = notifications_send_pending(now=now)
    assert counts == {"lost": 0, "created": 1, "sent": 1}
    assert Notification.objects.filter(status_change=recent).get().state == "sent"
    assert not Notification.objects.filter(status_change=old).exists()  # never email old history
    assert notifications_send_pending(now=now + timedelta(minutes=1)) == {"lost": 0, "created": 0}
    assert len(mail.outbox) == 1


def test_backfilled_changes_without_a_message_are_recorded_as_skipped(db):
    now = timezone.now()
    change = make_change(
        make_order(), ("payment_status", "PENDING", "FAILED"), detected_at=now - timedelta(hours=1)
    )
    assert notifications_send_pending(now=now) == {"lost": 0, "created": 1}
    assert Notification.objects.get(status_change=change).state == "skipped" and mail.outbox == []
