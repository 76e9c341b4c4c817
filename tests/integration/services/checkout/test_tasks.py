"""Tasks are registered, thin and never auto-retry a POST; beat runs the sweeps."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from drgreen_store.celery import app
from integration.models import OrderPlacement, PlacementState
from integration.schedule import checkout as checkout_schedule
from integration.schedule import onboarding as onboarding_schedule
from integration.services.checkout import driver as checkout_driver
from integration.services.checkout import order_place
from integration.services.checkout.driver import _drive
from integration.services.checkout.locks import claim_for_place, client_waiting
from integration.tasks import checkout as tasks_checkout

from .sandbox_fixtures import ORDERS_PATH

TASKS = (
    "integration.placement_execute",
    "integration.placement_recover",
    "integration.placements_recover_unknown",
    "integration.registration_submit",
    "integration.registrations_retry_pending",
)


def test_tasks_are_registered_with_the_app():
    app.loader.import_default_modules()
    assert set(TASKS) <= set(app.tasks)


def test_no_task_retries_on_its_own():
    for name in TASKS:
        task = app.tasks[name]
        assert not getattr(task, "autoretry_for", ()), name
    assert (
        tasks_checkout.placement_execute.acks_late and tasks_checkout.placement_execute.reject_on_worker_lost
    )


def test_beat_runs_both_sweeps_with_expiry_no_longer_than_the_interval():
    beat = django_settings.CELERY_BEAT_SCHEDULE
    for name, entry in {**checkout_schedule.BEAT_SCHEDULE, **onboarding_schedule.BEAT_SCHEDULE}.items():
        assert beat.get(name) == entry
        assert entry["task"] in TASKS
        assert entry["options"]["expires"] <= entry["schedule"]


@pytest.mark.django_db(transaction=True)
def test_task_mode_places_after_commit(seeded, eager_tasks):
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    placement, _ = order_place(
        client=client, idempotency_key="t", lines=[(seeded.strain_ids[0], 2)], execute="task"
    )
    placement.refresh_from_db()
    assert placement.state == PlacementState.PLACED
    (remote,) = seeded.remote_orders(cid)
    assert Decimal(str(remote["lines"][0]["quantity"])) == 2


@pytest.mark.django_db(transaction=True)
def test_the_sweep_task_settles_what_the_request_left_behind(seeded, eager_tasks, settings):
    settings.DRGREEN_CHECKOUT = {**settings.DRGREEN_CHECKOUT, "SETTLE_S": 3600}
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="status", status=503, count=1)
    placement, _ = order_place(
        client=client, idempotency_key="s", lines=[(seeded.strain_ids[0], 1)], execute="inline"
    )
    assert placement.state == PlacementState.UNKNOWN
    settings.DRGREEN_CHECKOUT = {**settings.DRGREEN_CHECKOUT, "SETTLE_S": 0}
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=None)
    assert tasks_checkout.placements_recover_unknown.delay().get() == {PlacementState.PLACED: 1}
    assert len(seeded.remote_orders(cid)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_placement_waiting_for_its_client_is_taken_up_when_the_one_in_flight_settles(seeded, eager_tasks):
    # No retry every 2 s until Celery gives up: the task that finds the client's cart taken
    # ends at once, and the driver that settles the placement in flight queues the waiting one.
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    first, _ = order_place(
        client=client, idempotency_key="a", lines=[(seeded.strain_ids[0], 1)], execute="defer"
    )
    second, _ = order_place(
        client=client, idempotency_key="b", lines=[(seeded.strain_ids[1], 2)], execute="defer"
    )
    claim = claim_for_place(first.pk)
    assert claim.action == "place"

    assert tasks_checkout.placement_execute.delay(second.pk).get() == "waiting"
    second.refresh_from_db()
    assert second.state == PlacementState.NEW and second.attempt_count == 0

    first = _drive(first.pk, deadline=0, first=claim, wake_next=True)  # the first one's worker
    second.refresh_from_db()
    assert (first.state, second.state) == (PlacementState.PLACED, PlacementState.PLACED)
    remote = sorted(
        (line["strainId"], Decimal(str(line["quantity"])))
        for o in seeded.remote_orders(cid)
        for line in o["lines"]
    )
    assert remote == sorted([(seeded.strain_ids[0], Decimal(1)), (seeded.strain_ids[1], Decimal(2))])


@pytest.mark.django_db(transaction=True)
def test_a_placement_backing_off_does_not_keep_a_ready_one_of_its_client_waiting(seeded):
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    older, _ = order_place(
        client=client, idempotency_key="o", lines=[(seeded.strain_ids[0], 1)], execute="defer"
    )
    newer, _ = order_place(
        client=client, idempotency_key="n", lines=[(seeded.strain_ids[1], 1)], execute="defer"
    )
    later = timezone.now() + timedelta(hours=1)
    OrderPlacement.objects.filter(pk=older.pk).update(state=PlacementState.RETRY_SAFE, next_recovery_at=later)
    assert client_waiting(client_id=client.pk).pk == newer.pk

    OrderPlacement.objects.filter(pk=newer.pk).update(state=PlacementState.REJECTED)
    # One backing off is not queued by a wake: its own timer (its task, else the sweep) is.
    assert client_waiting(client_id=client.pk) is None
    OrderPlacement.objects.filter(pk=older.pk).update(next_recovery_at=timezone.now() - timedelta(seconds=1))
    OrderPlacement.objects.filter(pk=newer.pk).update(state=PlacementState.NEW)
    assert client_waiting(client_id=client.pk).pk == older.pk  # ready again: oldest first


@pytest.mark.django_db(transaction=True)
def test_a_round_that_leaves_a_placement_unknown_queues_the_next_round_for_when_it_is_due(
    seeded, eager_tasks, settings, monkeypatch
):
    # Not left to the next beat sweep: the worker that held the round queues the next one.
    settings.DRGREEN_CHECKOUT = {**settings.DRGREEN_CHECKOUT, "SETTLE_S": 600}
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="status", status=503, count=1)
    queued = []
    monkeypatch.setattr(
        checkout_driver,
        "placement_recover_enqueue",
        lambda placement_id, countdown=None: queued.append(([placement_id], countdown)),
    )
    placement, _ = order_place(
        client=client, idempotency_key="u", lines=[(seeded.strain_ids[0], 1)], execute="defer"
    )
    assert tasks_checkout.placement_execute.delay(placement.pk).get() == PlacementState.UNKNOWN
    placement.refresh_from_db()
    ((args, countdown),) = queued
    assert args == [placement.pk] and 0 < countdown <= 600
    assert placement.next_recovery_at is not None

    # A round that is not due holds nothing and queues nothing: one chain per placement.
    assert tasks_checkout.placement_recover.run(placement.pk) == PlacementState.UNKNOWN
    assert len(queued) == 1


@pytest.mark.django_db(transaction=True)
def test_a_placement_behind_one_in_flight_is_queued_once_by_the_one_that_settles(seeded, monkeypatch):
    # Not twice (its own task at commit, which would only find the cart taken, then the
    # wake): one behind gets no task of its own; the settling one queues it.
    queued = []
    monkeypatch.setattr(
        checkout_driver, "placement_enqueue", lambda placement_id, countdown=None: queued.append(placement_id)
    )
    client = seeded.mirror_client(seeded.verified_client_ids()[0])
    first, _ = order_place(
        client=client, idempotency_key="a", lines=[(seeded.strain_ids[0], 1)], execute="task"
    )
    assert queued == [first.pk]
    claim = claim_for_place(first.pk)
    second, _ = order_place(
        client=client, idempotency_key="b", lines=[(seeded.strain_ids[1], 1)], execute="task"
    )
    assert queued == [first.pk]  # behind the one in flight
    _drive(first.pk, deadline=0, first=claim, wake_next=True)
    assert queued == [first.pk, second.pk]
    third, _ = order_place(
        client=client, idempotency_key="c", lines=[(seeded.strain_ids[2], 1)], execute="task"
    )
    assert queued == [first.pk, second.pk, third.pk]  # nothing in flight: a task of its own


@pytest.mark.django_db(transaction=True)
def test_a_retry_safe_placement_is_not_claimed_before_its_back_off_elapsed(seeded, eager_tasks):
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    placement, _ = order_place(
        client=client, idempotency_key="r", lines=[(seeded.strain_ids[0], 1)], execute="defer"
    )
    later = timezone.now() + timedelta(hours=1)
    OrderPlacement.objects.filter(pk=placement.pk).update(
        state=PlacementState.RETRY_SAFE, next_recovery_at=later
    )
    assert claim_for_place(placement.pk).action == "backoff"
    assert tasks_checkout.placement_execute.delay(placement.pk).get() == "waiting"  # a stray task
    placement.refresh_from_db()
    assert (placement.state, placement.attempt_count) == (PlacementState.RETRY_SAFE, 0)
    assert seeded.remote_orders(cid) == []
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())
    assert claim_for_place(placement.pk).action == "place"
