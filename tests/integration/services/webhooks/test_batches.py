"""Sending is queued in batches of one endpoint's events, over real HTTP to local receivers.

Tasks run eagerly (in-process, the project's Celery app); each ``apply_async`` of the batch
task is counted on its way through, nothing else is replaced."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from integration.models import WebhookEvent
from integration.services import webhooks
from integration.services.webhooks.outbox import event_batches
from integration.tasks import webhooks as tasks_webhooks

from ..checkout.sandbox_fixtures import eager_tasks  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_endpoints(endpoint, second_receiver):
    other = webhooks.endpoint_create(url=second_receiver.url(), description="second receiver").endpoint
    return endpoint[0], other


@pytest.fixture
def published(eager_tasks, monkeypatch):  # noqa: F811
    """Every batch queued: (event ids, countdown), in order; the real task still runs."""
    task = tasks_webhooks.webhooks_deliver_batch
    real = task.apply_async
    seen: list[tuple[list[int], float | None]] = []

    def apply_async(*args, **kwargs):
        seen.append((list(kwargs["kwargs"]["event_ids"]), kwargs.get("countdown")))
        return real(*args, **kwargs)

    monkeypatch.setattr(task, "apply_async", apply_async)
    return seen


def record(n: int, *, prefix: str = "order.created") -> None:
    now = timezone.now()
    facts = [
        webhooks.Fact(type="order.created", key=f"{prefix}:{i}", data={"i": i}, occurred_at=now)
        for i in range(n)
    ]
    with transaction.atomic():
        webhooks.events_record(facts)


def test_n_events_on_two_endpoints_make_per_endpoint_batches_each_delivered_once(
    two_endpoints, receiver, second_receiver, published, settings, django_capture_on_commit_callbacks
):
    settings.DRGREEN_WEBHOOK_BATCH_SIZE = 3
    n = 7
    with django_capture_on_commit_callbacks(execute=True):
        record(n)
    assert len(published) == 2 * math.ceil(n / 3)
    endpoint_of = dict(WebhookEvent.objects.values_list("pk", "endpoint_id"))
    for ids, countdown in published:
        assert len(ids) <= 3 and countdown is None
        assert len({endpoint_of[i] for i in ids}) == 1  # endpoints never share a batch
    queued = [i for ids, _ in published for i in ids]
    assert sorted(queued) == sorted(endpoint_of)  # every event queued once
    # Delivered exactly once on each receiver.
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"delivered"}
    for r in (receiver, second_receiver):
        ids = Counter(got.msg_id for got in r.received)
        assert len(ids) == n and set(ids.values()) == {1}


def test_a_failing_event_in_a_batch_does_not_stop_the_rest(
    endpoint, receiver, published, settings, django_capture_on_commit_callbacks
):
    settings.DRGREEN_WEBHOOK_BATCH_SIZE = 50
    record(5)  # the test's transaction never commits: nothing queued yet
    bad = WebhookEvent.objects.get(fact="order.created:2")
    receiver.decide = lambda got: 500 if got.msg_id == bad.msg_id else 200
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.events_send_due(now=timezone.now() + timedelta(seconds=31))  # the sweep, one batch
    assert len(published[0][0]) == 5
    states = dict(WebhookEvent.objects.values_list("fact", "state"))
    assert states.pop("order.created:2") == "pending"
    assert set(states.values()) == {"delivered"}
    assert len(receiver.received) == 5
    # Its retry is queued alone, with the schedule's countdown.
    retry_ids, countdown = published[-1]
    assert retry_ids == [bad.pk] and countdown is not None and countdown > 0


def test_the_sweep_batches_per_endpoint(
    two_endpoints, published, settings, django_capture_on_commit_callbacks
):
    settings.DRGREEN_WEBHOOK_BATCH_SIZE = 2
    record(3)
    with django_capture_on_commit_callbacks(execute=True):
        queued = webhooks.events_send_due(now=timezone.now() + timedelta(seconds=31))["queued"]
    assert queued == 6
    endpoint_of = dict(WebhookEvent.objects.values_list("pk", "endpoint_id"))
    assert len(published) == 4  # 2 + 1 per endpoint
    assert all(len({endpoint_of[i] for i in ids}) == 1 for ids, _ in published)


def test_batches_keep_the_given_order_within_an_endpoint(two_endpoints, settings):
    settings.DRGREEN_WEBHOOK_BATCH_SIZE = 4
    record(5)
    ids = list(WebhookEvent.objects.order_by("-pk").values_list("pk", flat=True))  # any order
    endpoint_of = dict(WebhookEvent.objects.values_list("pk", "endpoint_id"))
    batches = event_batches([*ids, 999_999])  # an id with no row is dropped
    assert [len(b) for b in batches] == [4, 1, 4, 1]
    for ep in two_endpoints:
        mine = [i for b in batches for i in b if endpoint_of[i] == ep.pk]
        assert mine == [i for i in ids if endpoint_of[i] == ep.pk]
    assert event_batches([ids[0]]) == [[ids[0]]]  # one id: no query, one batch
