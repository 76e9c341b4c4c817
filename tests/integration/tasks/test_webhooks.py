"""Webhook tasks: the batch task sends each event of its batch whatever happens to one of
them; the single-event task stays for messages queued under its name before batches."""

from __future__ import annotations

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from integration.models import WebhookEvent
from integration.services import webhooks
from integration.tasks import webhooks as tasks_webhooks

from ..services.webhooks.conftest import allow_private, endpoint, receiver  # noqa: F401

pytestmark = pytest.mark.django_db


def _events(n: int) -> list[int]:
    now = timezone.now()
    facts = [webhooks.Fact(type="order.created", key=f"k:{i}", data={}, occurred_at=now) for i in range(n)]
    with transaction.atomic():
        webhooks.events_record(facts)
    return list(WebhookEvent.objects.order_by("pk").values_list("pk", flat=True))


@pytest.mark.parametrize(
    "task,name",
    [
        (tasks_webhooks.webhooks_deliver_batch, "integration.webhooks_deliver_batch"),
        (tasks_webhooks.webhook_deliver, "integration.webhook_deliver"),
    ],
)
def test_names_and_late_acks(task, name):
    assert task.name == name
    assert task.acks_late and task.reject_on_worker_lost and task.ignore_result


def test_a_missing_event_and_an_unexpected_error_do_not_stop_the_batch(
    endpoint,  # noqa: F811
    receiver,  # noqa: F811
    monkeypatch,
    caplog,
):
    ids = _events(4)
    real = webhooks.event_deliver

    def event_deliver(*, event_id, **kwargs):
        if event_id == ids[1]:
            raise RuntimeError("unexpected")
        return real(event_id=event_id, **kwargs)

    monkeypatch.setattr(webhooks, "event_deliver", event_deliver)
    result = tasks_webhooks.webhooks_deliver_batch.run(event_ids=[ids[0], ids[1], 999_999, ids[2], ids[3]])
    assert result == {"delivered": 3, "error": 1, "missing": 1}
    assert len(receiver.received) == 3
    assert WebhookEvent.objects.get(pk=ids[1]).state == "pending"  # left to the sweep
    assert "event %s failed to send" % ids[1] in caplog.text  # noqa: UP031


def test_a_batch_out_of_time_stops_and_leaves_the_rest_pending(endpoint, receiver, monkeypatch):  # noqa: F811
    ids = _events(3)
    real = webhooks.event_deliver

    def event_deliver(*, event_id, **kwargs):
        if event_id == ids[1]:
            raise SoftTimeLimitExceeded()
        return real(event_id=event_id, **kwargs)

    monkeypatch.setattr(webhooks, "event_deliver", event_deliver)
    assert tasks_webhooks.webhooks_deliver_batch.run(event_ids=ids) == {"delivered": 1, "out_of_time": 2}
    assert len(receiver.received) == 1
    assert set(WebhookEvent.objects.filter(pk__in=ids[1:]).values_list("state", flat=True)) == {"pending"}


def test_a_redelivered_batch_sends_nothing_twice(endpoint, receiver):  # noqa: F811
    ids = _events(3)
    assert tasks_webhooks.webhooks_deliver_batch.run(event_ids=ids) == {"delivered": 3}
    assert tasks_webhooks.webhooks_deliver_batch.run(event_ids=ids) == {"delivered": 3}
    assert len(receiver.received) == 3


def test_the_single_event_task_still_sends(endpoint, receiver):  # noqa: F811
    (event_id,) = _events(1)
    assert tasks_webhooks.webhook_deliver.run(event_id=event_id) == "delivered"
    assert tasks_webhooks.webhook_deliver.run(event_id=999_999) == "missing"
