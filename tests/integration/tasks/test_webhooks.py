"""Webhook tasks: the batch task runs ``webhooks.events_deliver_batch`` (its rules are tested
with the service); the single-event task stays for messages queued under its name."""

from __future__ import annotations

import pytest
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


def test_a_redelivered_batch_sends_nothing_twice(endpoint, receiver):  # noqa: F811
    ids = _events(3)
    assert tasks_webhooks.webhooks_deliver_batch.run(event_ids=ids) == {"delivered": 3}
    assert tasks_webhooks.webhooks_deliver_batch.run(event_ids=ids) == {"delivered": 3}
    assert len(receiver.received) == 3


def test_the_single_event_task_still_sends(endpoint, receiver):  # noqa: F811
    (event_id,) = _events(1)
    assert tasks_webhooks.webhook_deliver.run(event_id=event_id) == "delivered"
    assert tasks_webhooks.webhook_deliver.run(event_id=999_999) == "missing"
