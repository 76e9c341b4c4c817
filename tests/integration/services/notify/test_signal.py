"""The wiring end to end: a list payload that changes a status → one StatusChange →
``order_status_changed`` → one Notification → one email (tasks run eagerly)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integration.models import Notification, StatusChange
from integration.receivers import notify_customer
from integration.services.mirror import clients_upsert_from_list, orders_upsert_from_list
from integration.signals import order_status_changed

from ..mirror import payloads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mirrored_order():
    """A mirrored client (with an email) and one of its orders, all PENDING."""
    client = payloads.client_list_item(firstName="Ana", lastName="Test", email="ana.test@example.com")
    clients_upsert_from_list(items=[client])
    item = payloads.order_list_item(client_id=client["id"])
    t0 = timezone.now() - timedelta(minutes=10)
    orders_upsert_from_list(items=[item], observed_at=t0)
    assert StatusChange.objects.count() == 0 and Notification.objects.count() == 0  # placement is no change
    return item, t0


def test_a_status_change_from_a_list_sweep_emails_the_customer_once(mirrored_order, eager_tasks):
    item, t0 = mirrored_order
    changed = {**item, "adminApproval": "VERIFIED"}
    orders_upsert_from_list(items=[changed], observed_at=t0 + timedelta(minutes=5))
    orders_upsert_from_list(items=[changed], observed_at=t0 + timedelta(minutes=6))  # the next sweep

    (change,) = StatusChange.objects.all()
    (row,) = Notification.objects.all()
    assert row.status_change_id == change.pk and row.state == "sent" and row.attempts == 1
    (email,) = mail.outbox
    assert email.to == ["ana.test@example.com"] and "approved" in email.subject
    assert "ZAR 165.00" in email.body and "9.09" not in email.body  # localPrice, never USD

    # A repeated announcement of the same change (another receiver path, a replay) is a no-op.
    order_status_changed.send(sender=None, status_change_id=change.pk, order_id=change.order_id, source="x")
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1


def test_two_fields_in_one_poll_make_one_email(mirrored_order, eager_tasks):
    item, t0 = mirrored_order
    changed = {**item, "adminApproval": "VERIFIED", "paymentStatus": "PAID"}
    orders_upsert_from_list(items=[changed], observed_at=t0 + timedelta(minutes=5))
    (row,) = Notification.objects.all()
    (email,) = mail.outbox
    assert row.template == "integration/email/paid" and "payment" in email.subject.lower()
    assert "payment link" not in email.body


def test_a_broker_that_is_down_leaves_the_row_for_the_sweep(mirrored_order, monkeypatch):
    from integration.services.notify import notifications_send_pending
    from integration.tasks import notify as tasks_notify

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError(111, "broker down")

    monkeypatch.setattr(tasks_notify.notification_send, "apply_async", broker_down)
    item, t0 = mirrored_order
    orders_upsert_from_list(
        items=[{**item, "orderStatus": "PROCESSING"}], observed_at=t0 + timedelta(minutes=5)
    )
    (row,) = Notification.objects.all()
    assert row.state == "pending" and mail.outbox == []
    assert notifications_send_pending(now=timezone.now() + timedelta(minutes=2))["sent"] == 1
    assert len(mail.outbox) == 1


def test_the_receiver_is_connected_once():
    receivers = [r for r in order_status_changed._live_receivers(None)[0] if r is notify_customer]
    assert receivers == [notify_customer]


def test_one_send_is_queued_per_new_row_after_commit_and_none_for_a_repeat(mirrored_order, monkeypatch):
    from integration.tasks import notify as tasks_notify

    queued = []
    monkeypatch.setattr(tasks_notify.notification_send, "apply_async", lambda **kw: queued.append(kw))
    item, t0 = mirrored_order
    orders_upsert_from_list(
        items=[{**item, "orderStatus": "PROCESSING"}], observed_at=t0 + timedelta(minutes=5)
    )
    (row,) = Notification.objects.all()
    assert queued == [{"kwargs": {"notification_id": row.pk}, "expires": 3600}]
    order_status_changed.send(sender=None, status_change_id=row.status_change_id, order_id=0, source="x")
    assert len(queued) == 1
