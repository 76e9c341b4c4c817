"""Notification tasks: registered names, delivery options, retries that never send twice,
the staff re-send the console queues, and the beat entry."""

from __future__ import annotations

import inspect

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import mail

from drgreen_store.celery import app
from integration.admin import task_refs
from integration.models import Notification
from integration.schedule import BEAT_SCHEDULE
from integration.schedule.base import shortest_interval_s
from integration.schedule.notify import BEAT_SCHEDULE as NOTIFY_BEAT_SCHEDULE
from integration.services.notify import notifications_create_for_change
from integration.tasks import notify as tasks_notify

from ..services.notify import backends
from ..services.notify.factories import make_change, make_order


@pytest.fixture
def pending(db):
    change = make_change(make_order(), ("order_status", "PENDING", "PROCESSING"))
    (row,) = notifications_create_for_change(status_change_id=change.pk).created
    return row


@pytest.mark.parametrize(
    "task,name",
    [
        (tasks_notify.notification_send, "integration.notification_send"),
        (tasks_notify.notifications_send_pending, "integration.notifications_send_pending"),
        (tasks_notify.notification_resend, "integration.notification_resend"),
    ],
)
def test_tasks_are_registered_by_name(task, name):
    assert task.name == name and name in app.tasks


def test_send_tasks_ack_late_and_the_resend_acks_early():
    for task in (tasks_notify.notification_send, tasks_notify.notifications_send_pending):
        assert task.acks_late is True and task.reject_on_worker_lost is True
        assert not getattr(task, "autoretry_for", ())  # a retried send is a second email
    # A redelivered re-send would be a second copy: acked on receipt.
    assert tasks_notify.notification_resend.acks_late is False


def test_the_consoles_resend_reference_resolves_to_the_task_taking_its_arguments():
    task = task_refs.NOTIFICATION_RESEND.resolve()
    assert task is tasks_notify.notification_resend
    params = inspect.signature(task.run).parameters
    assert task_refs.NOTIFICATION_RESEND.id_kwarg in params and "by_user_id" in params


def test_the_task_run_twice_sends_one_email(pending):
    assert tasks_notify.notification_send.apply(kwargs={"notification_id": pending.pk}).get() == "sent"
    assert tasks_notify.notification_send.apply(kwargs={"notification_id": pending.pk}).get() == "sent"
    assert len(mail.outbox) == 1


def test_a_task_redelivered_after_the_worker_died_mid_send_sends_nothing(pending, settings):
    settings.EMAIL_BACKEND = backends.PATH + "DeliverThenDie"
    with pytest.raises(backends.WorkerKilled):
        tasks_notify.notification_send.run(notification_id=pending.pk)  # the worker dies
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # acks_late + reject_on_worker_lost: the broker hands the message to another worker.
    assert tasks_notify.notification_send.apply(kwargs={"notification_id": pending.pk}).get() == "sending"
    assert len(mail.outbox) == 1


def test_the_resend_task_passes_the_staff_user(pending):
    tasks_notify.notification_send.apply(kwargs={"notification_id": pending.pk})
    Notification.objects.filter(pk=pending.pk).update(sent_at=pending.created_at.replace(year=2020))
    user = get_user_model().objects.create_user("rita.staff", "rita.staff@example.com", "x", is_staff=True)
    state = tasks_notify.notification_resend.apply(
        kwargs={"notification_id": pending.pk, "by_user_id": user.pk}
    ).get()
    assert state == "sent" and len(mail.outbox) == 2
    assert "rita.staff" in Notification.objects.get(pk=pending.pk).last_error


def test_a_message_for_a_row_that_does_not_exist_is_dropped(db):
    assert tasks_notify.notification_send.apply(kwargs={"notification_id": 987654}).get() == "missing"


def test_the_sweep_task_returns_its_counts(pending):
    assert tasks_notify.notifications_send_pending.apply().get() == {"lost": 0, "created": 0}


def test_the_beat_entry_is_in_the_one_schedule_and_expires_within_its_interval():
    (name,) = NOTIFY_BEAT_SCHEDULE
    entry = BEAT_SCHEDULE[name]
    assert django_settings.CELERY_BEAT_SCHEDULE[name] == entry
    assert entry["task"] in app.tasks
    assert 0 < entry["options"]["expires"] <= shortest_interval_s(entry["schedule"])
