"""Sending at most once: claims, crashes between send and record, errors sorted by what
they prove, and the staff re-send."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from integration.models import Notification
from integration.services.notify import (
    notification_resend,
    notification_send,
    notifications_create_for_change,
    notifications_send_pending,
)

from . import backends
from .factories import make_change, make_client, make_order


def send(row, **kw) -> Notification:
    return notification_send(notification_id=row.pk, **kw)


def test_a_pending_notification_is_sent_once_and_recorded(pending_notification):
    row = send(pending_notification)
    assert row.state == "sent" and row.sent_at is not None and row.attempts == 1
    assert row.claimed_until is None and row.last_error == ""
    (email,) = mail.outbox
    assert email.to == ["ana.test@example.com"]
    assert email.extra_headers["X-Notification-Id"] == str(row.pk)


def test_sending_again_sends_nothing(pending_notification):
    for _ in range(3):
        send(pending_notification)
    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=pending_notification.pk).attempts == 1


def test_skipped_rows_are_never_sent(db):
    order = make_order(client=make_client(email=""))
    (row,) = notifications_create_for_change(
        status_change_id=make_change(order, ("order_status", "PROCESSING", "SHIPPED")).pk
    ).created
    assert send(row).state == "skipped" and mail.outbox == []


def test_a_crash_between_send_and_record_never_sends_twice(pending_notification, settings):
    settings.EMAIL_BACKEND = backends.PATH + "DeliverThenDie"
    with pytest.raises(backends.WorkerKilled):
        send(pending_notification)
    assert len(mail.outbox) == 1  # the customer has it; the row does not know
    row = Notification.objects.get(pk=pending_notification.pk)
    assert row.state == "sending"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send(row).state == "sending"  # the redelivered task
    assert notifications_send_pending(now=timezone.now()) == {"lost": 0, "created": 0}
    assert len(mail.outbox) == 1

    # After the claim runs out the sweep calls it unknown: a person decides, nothing resends.
    later = row.claimed_until + timedelta(seconds=1)
    assert notifications_send_pending(now=later)["lost"] == 1
    row.refresh_from_db()
    assert row.state == "unknown" and "may have been sent" in row.last_error
    assert send(row, now=later).state == "unknown"
    notifications_send_pending(now=later + timedelta(hours=1))
    assert len(mail.outbox) == 1


def test_an_unreachable_mail_server_is_retried_with_backoff_then_given_up(pending_notification, settings):
    settings.EMAIL_BACKEND = backends.PATH + "Unreachable"
    settings.DRGREEN_NOTIFY = {"MAX_ATTEMPTS": 3, "RETRY_BASE_S": 60}
    now = timezone.now()
    row = send(pending_notification, now=now)
    assert row.state == "pending" and row.attempts == 1 and "Connection refused" in row.last_error
    assert row.claimed_until == now + timedelta(seconds=60)
    # Still backing off: neither a task nor the sweep sends it yet.
    assert send(row, now=now + timedelta(seconds=30)).attempts == 1
    row = send(row, now=now + timedelta(seconds=61))
    assert row.state == "pending" and row.attempts == 2
    assert row.claimed_until == now + timedelta(seconds=61 + 120)
    row = send(row, now=now + timedelta(seconds=200))
    assert row.state == "failed" and row.attempts == 3 and "gave up after 3 attempts" in row.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send(row, now=now + timedelta(hours=2)).state == "failed" and mail.outbox == []


def test_a_4xx_after_data_is_not_delivered_and_is_retried(pending_notification, settings):
    settings.EMAIL_BACKEND = backends.PATH + "TryLater"
    row = send(pending_notification)
    assert row.state == "pending" and "SMTPDataError" in row.last_error and row.claimed_until is not None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send(row, now=row.claimed_until).state == "sent" and len(mail.outbox) == 1


def test_a_refused_recipient_fails_visibly_and_is_not_retried(pending_notification, settings):
    settings.EMAIL_BACKEND = backends.PATH + "RecipientRefused"
    row = send(pending_notification)
    assert row.state == "failed" and "refused by the mail server" in row.last_error and row.attempts == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notifications_send_pending(now=timezone.now() + timedelta(hours=1))
    assert mail.outbox == []


def test_an_ambiguous_error_mid_send_is_unknown_and_not_retried(pending_notification, settings):
    settings.EMAIL_BACKEND = backends.PATH + "DisconnectAfterData"
    row = send(pending_notification)
    assert row.state == "unknown" and "SMTPServerDisconnected" in row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notifications_send_pending(now=timezone.now() + timedelta(hours=1))
    assert len(mail.outbox) == 1  # the one the server may have taken; never a second


def test_a_template_error_fails_without_sending(pending_notification):
    Notification.objects.filter(pk=pending_notification.pk).update(template="integration/email/nonexistent")
    row = send(pending_notification)
    assert row.state == "failed" and "could not render" in row.last_error and mail.outbox == []


# ---- staff re-send ------------------------------------------------------------------------


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("rita.staff", "rita.staff@example.com", "x", is_staff=True)


def test_staff_can_resend_a_sent_notification_once_per_request(pending_notification, staff):
    sent = send(pending_notification, now=timezone.now() - timedelta(hours=1))
    row = notification_resend(notification_id=sent.pk, by_user=staff)
    assert row.state == "sent" and row.attempts == 2 and "rita.staff" in row.last_error
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["ana.test@example.com"]


def test_a_double_click_resend_sends_one_copy(pending_notification, staff):
    send(pending_notification, now=timezone.now() - timedelta(hours=1))
    notification_resend(notification_id=pending_notification.pk, by_user=staff)
    notification_resend(notification_id=pending_notification.pk, by_user=staff)
    assert len(mail.outbox) == 2  # the original and one re-send


def test_resend_of_an_unknown_row_is_the_way_out(pending_notification, staff, settings):
    settings.EMAIL_BACKEND = backends.PATH + "DisconnectAfterData"
    assert send(pending_notification).state == "unknown"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_resend(notification_id=pending_notification.pk, by_user=staff).state == "sent"


def test_resend_waits_while_a_send_is_in_flight(pending_notification, staff, settings):
    settings.EMAIL_BACKEND = backends.PATH + "DeliverThenDie"
    with pytest.raises(backends.WorkerKilled):
        send(pending_notification)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_resend(notification_id=pending_notification.pk, by_user=staff).state == "sending"
    assert len(mail.outbox) == 1


def test_resend_of_a_skipped_row_uses_the_address_the_client_has_now(db, staff):
    client = make_client(email="")
    order = make_order(client=client)
    (row,) = notifications_create_for_change(
        status_change_id=make_change(order, ("order_status", "PROCESSING", "SHIPPED")).pk
    ).created
    assert row.state == "skipped"
    row = notification_resend(notification_id=row.pk, by_user=staff)
    assert row.state == "skipped" and "not possible" in row.last_error and mail.outbox == []

    client.email = "ana.test@example.com"
    client.save()
    row = notification_resend(notification_id=row.pk, by_user=staff)
    assert row.state == "sent" and row.recipient == "ana.test@example.com" and len(mail.outbox) == 1


def test_resend_of_a_change_without_a_message_sends_nothing(db, staff):
    change = make_change(make_order(), ("order_status", "PENDING", "CANCELLED"))
    (row,) = notifications_create_for_change(status_change_id=change.pk).created
    row = notification_resend(notification_id=row.pk, by_user=staff)
    assert row.state == "skipped" and "no customer message" in row.last_error and mail.outbox == []


# ---- concurrency ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_send_one_email(concurrent_db):
    """Eight workers (threads with their own connections) get the same id at the same time."""
    order = make_order()
    change = make_change(order, ("admin_approval", "PENDING", "VERIFIED"))
    (row,) = notifications_create_for_change(status_change_id=change.pk).created
    from django.db import connection

    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker():
        try:
            start.wait()
            notification_send(notification_id=row.pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.state == "sent" and row.attempts == 1
