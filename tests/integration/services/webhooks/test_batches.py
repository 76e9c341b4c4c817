"""Sending is queued in batches of one endpoint's events, over real HTTP to local receivers.

Tasks run eagerly (in-process, the project's Celery app); each ``apply_async`` of the batch
task is counted on its way through, nothing else is replaced."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from integration.models import WebhookAttempt, WebhookEndpoint, WebhookEvent
from integration.services import webhooks
from integration.services.webhooks import delivery
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


@pytest.fixture
def queued(monkeypatch):
    """Every batch queued: (event ids, countdown); nothing runs (the test runs what it wants)."""
    seen: list[tuple[list[int], float | None]] = []

    def apply_async(*args, **kwargs):
        seen.append((list(kwargs["kwargs"]["event_ids"]), kwargs.get("countdown")))

    monkeypatch.setattr(tasks_webhooks.webhooks_deliver_batch, "apply_async", apply_async)
    return seen


def ids_of(n: int) -> list[int]:
    record(n)
    return list(WebhookEvent.objects.order_by("pk").values_list("pk", flat=True))


def test_a_missing_event_and_an_unexpected_error_do_not_stop_the_batch(
    endpoint, receiver, queued, monkeypatch, caplog
):
    ids = ids_of(4)
    real = delivery._deliver

    def deliver(event_id, **kwargs):
        if event_id == ids[1]:
            raise RuntimeError("unexpected")
        return real(event_id, **kwargs)

    monkeypatch.setattr(delivery, "_deliver", deliver)
    result = webhooks.events_deliver_batch(event_ids=[ids[0], ids[1], 999_999, ids[2], ids[3]])
    assert result == {"delivered": 3, "error": 1, "missing": 1}
    assert len(receiver.received) == 3
    assert WebhookEvent.objects.get(pk=ids[1]).state == "pending"  # left to the sweep
    assert "event %s failed to send" % ids[1] in caplog.text  # noqa: UP031


def test_a_batch_out_of_time_stops_and_leaves_the_rest_pending(endpoint, receiver, queued, monkeypatch):
    ids = ids_of(3)
    real = delivery._deliver

    def deliver(event_id, **kwargs):
        if event_id == ids[1]:
            raise SoftTimeLimitExceeded()
        return real(event_id, **kwargs)

    monkeypatch.setattr(delivery, "_deliver", deliver)
    assert webhooks.events_deliver_batch(event_ids=ids) == {"delivered": 1, "out_of_time": 2}
    assert len(receiver.received) == 1
    assert set(WebhookEvent.objects.filter(pk__in=ids[1:]).values_list("state", flat=True)) == {"pending"}


def down_endpoint(port: int):
    return webhooks.endpoint_create(url=f"http://127.0.0.1:{port}/hook", description="down").endpoint


@pytest.mark.parametrize("down", ["hung", "refused"])
def test_an_endpoint_without_answer_is_paused_one_timeout_for_all_its_batches(
    allow_private, receiver, hung_port, closed_port, queued, settings, caplog, down
):
    settings.DRGREEN_WEBHOOK_TIMEOUT_S = 0.3
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = "60,120"
    endpoint = down_endpoint(hung_port if down == "hung" else closed_port)
    ids = ids_of(8)
    first_batch, second_batch = ids[:5], ids[5:]

    assert webhooks.events_deliver_batch(event_ids=first_batch) == {"pending": 1, "deferred": 4}
    # The endpoint's other batch sends nothing: the endpoint is paused.
    assert webhooks.events_deliver_batch(event_ids=second_batch) == {"deferred": 3}

    first = WebhookEvent.objects.get(pk=ids[0])
    assert first.attempts == 1 and first.last_status is None and first.last_error
    assert WebhookAttempt.objects.count() == 1  # one timeout, not eight
    due = first.next_attempt_at
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).paused_until == due
    others = WebhookEvent.objects.filter(pk__in=ids[1:])
    assert set(others.values_list("attempts", "state")) == {(0, "pending")}
    # They wait exactly as long as the failed event, queued (and marked so) for that moment.
    assert set(others.values_list("next_attempt_at", "queued_at")) == {(due, due)}
    (retry, retry_in), (rest, rest_in), (second, second_in) = queued
    assert retry == [ids[0]] and rest == ids[1:5] and second == second_batch
    assert 60 * 0.8 <= retry_in <= 60 * 1.2
    assert abs(rest_in - retry_in) < 5 and abs(second_in - retry_in) < 5  # all due at `due`
    assert f"endpoint {endpoint.pk} gave no answer" in caplog.text
    # The sweep leaves them to those tasks, and takes them up if the tasks are lost.
    assert webhooks.events_send_due(now=due - timedelta(seconds=1))["queued"] == 0
    assert webhooks.events_send_due(now=due + timedelta(seconds=31))["queued"] == 8

    # The receiver answers again at that address: when the pause ends, everything goes and
    # the answer lifts the pause.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url())
    assert webhooks.events_deliver_batch(event_ids=[ids[0], *rest], now=due) == {"delivered": 5}
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).paused_until is None
    assert webhooks.events_deliver_batch(event_ids=second, now=due) == {"delivered": 3}
    assert len(receiver.received) == 8


def test_a_paused_endpoint_still_takes_staff_resends_and_an_answer_lifts_the_pause(
    allow_private, receiver, closed_port, queued, settings
):
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = "60"
    endpoint = down_endpoint(closed_port)
    ids = ids_of(2)
    assert webhooks.events_deliver_batch(event_ids=ids) == {"pending": 1, "deferred": 1}
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).paused_until is not None
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url())
    receiver.default_status = 503  # an answer, if not a good one, says it is reachable

    assert webhooks.event_resend(event_id=ids[1]).last_status == 503
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).paused_until is None


def test_beyond_the_countdown_range_the_rest_waits_for_the_sweep(
    allow_private, closed_port, queued, settings
):
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = "600"
    down_endpoint(closed_port)
    ids = ids_of(3)
    assert webhooks.events_deliver_batch(event_ids=ids) == {"pending": 1, "deferred": 2}
    due = WebhookEvent.objects.get(pk=ids[0]).next_attempt_at
    assert set(WebhookEvent.objects.values_list("next_attempt_at", flat=True)) == {due}
    assert queued == []  # 10 minutes: no countdown, for any of them
    assert webhooks.events_send_due(now=due - timedelta(seconds=1))["queued"] == 0
    assert webhooks.events_send_due(now=due + timedelta(seconds=1))["queued"] == 3


def test_after_an_event_with_no_retry_left_the_rest_waits_the_last_step(
    allow_private, closed_port, queued, settings
):
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = "5,60"
    down_endpoint(closed_port)
    ids = ids_of(3)
    WebhookEvent.objects.filter(pk=ids[0]).update(attempts=2)  # this failure is its last
    before = timezone.now()
    assert webhooks.events_deliver_batch(event_ids=ids) == {"failed": 1, "deferred": 2}
    after = timezone.now()
    waits = set(WebhookEvent.objects.filter(pk__in=ids[1:]).values_list("next_attempt_at", flat=True))
    assert len(waits) == 1 and before + timedelta(seconds=60) <= waits.pop() <= after + timedelta(seconds=60)
    assert [(batch, round(countdown)) for batch, countdown in queued] == [(ids[1:], 60)]


def test_a_batch_whose_last_event_gets_no_answer_queues_only_its_retry(allow_private, closed_port, queued):
    webhooks.endpoint_create(url=f"http://127.0.0.1:{closed_port}/hook", description="down")
    (only,) = ids_of(1)
    assert webhooks.events_deliver_batch(event_ids=[only]) == {"pending": 1}
    assert [ids for ids, _ in queued] == [[only]]  # its own retry only


def test_the_pauses_of_a_long_outage_grow_with_it(allow_private, closed_port, queued, settings):
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = "5,60,600"
    endpoint = down_endpoint(closed_port)
    ids = ids_of(2)
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now - timedelta(seconds=100))
    assert webhooks.events_deliver_batch(event_ids=ids, now=now) == {"pending": 1, "deferred": 1}
    paused = WebhookEndpoint.objects.get(pk=endpoint.pk).paused_until
    assert paused - now == timedelta(seconds=100)  # failing for 100 s: 100 s more, not 5

    # Failing for days: no longer than the schedule's longest step.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now - timedelta(days=3))
    assert webhooks.events_deliver_batch(event_ids=[ids[1]], now=paused) == {"pending": 1}
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).paused_until - paused == timedelta(seconds=600)
