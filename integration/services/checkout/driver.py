"""The placement driver: one loop owns a placement's states, from the committed intent to
a final state, exactly once with Dr Green (DESIGN.md flow 1, facts §7.4).

1. validate against the mirror, re-reading stale data from Dr Green (no transaction open);
2. commit an ``OrderPlacement``: the unique (client, key) makes a double click one placement;
3. claim it (client row locked first): one placement per client talks to Dr Green at a
   time, because a client has exactly one Dr Green cart and the order is built from it;
4. with no transaction or lock held: empty the cart, add the lines once, commit the POST
   marker (:func:`~.locks.attempt_mark_posted`, one UPDATE), POST once;
5. record the outcome; an ambiguous one (``unknown``) is settled by reading Dr Green back
   and asking :func:`~.decision.recovery_decide`, which may allow another run.

A placement waiting behind another of its client is taken up when that one settles
(``wake_next``), not polled; an ``unknown`` one is looked at again when its recovery is due
(a task with a countdown), not at the next sweep. The transactions are in ``locks.py``, the
calls in ``calls.py``, the recovery round in ``recovery.py``.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import Client, OrderPlacement, PlacementAttempt, PlacementState
from integration.services.drgreen_api import ledger_deferred
from integration.services.errors import ServiceError

from .calls import placement_calls
from .locks import (
    IN_FLIGHT,
    Claim,
    attempt_mark_posted,
    claim_for_place,
    client_busy,
    client_waiting,
    placement_record,
    require_no_transaction,
)
from .recovery import recovery_round
from .validation import lines_hash, lines_normalize, order_validate

logger = logging.getLogger("integration.checkout")

EXECUTE_MODES = ("task", "inline", "defer")
# Runs of the Dr Green calls one driver call makes before leaving a ``retry_safe``
# placement to its task or the sweep: a burst of gateway errors must not use up the
# placement's whole ``max_executions`` budget while the customer waits.
RUN_EXECUTIONS = 3


class PlacementBusy(Exception):
    """Another placement of the same client is in flight; this one waits for its turn."""


class PlacementBackingOff(PlacementBusy):
    """A ``retry_safe`` placement whose back-off has not elapsed: its own timer (the task
    queued for when it is due, else the sweep) takes it up, not this caller."""


def _existing(*, held: tuple[int, str] | None, request_hash: str) -> OrderPlacement | None:
    """The placement ``held`` (pk, request hash) names, or a 409 if its body differs."""
    if held is None:
        return None
    pk, held_hash = held
    placement = OrderPlacement.objects.get(pk=pk)
    if held_hash != request_hash:
        raise ServiceError(
            "idempotency_key_reused",
            "This idempotency key was already used for a different order.",
            details={"correlation_id": str(placement.correlation_id)},
            status=409,
        )
    return placement


def _held(client: Client, key: str) -> tuple[int, str] | None:
    return (
        OrderPlacement.objects.filter(client=client, idempotency_key=key)
        .values_list("pk", "request_hash")
        .first()
    )


def order_place(
    *, client: Client, idempotency_key: str, lines: list, execute: str = "task"
) -> tuple[OrderPlacement, bool]:
    """Place an order for ``client`` once per ``idempotency_key``; returns the placement and
    whether this call created it.

    The same key with the same lines returns the same placement (whatever its state); with
    other lines it raises ``idempotency_key_reused`` (409). Validation failures raise
    :class:`ServiceError` and leave nothing behind. ``execute``: ``"task"`` hands the calls
    to a worker after commit; ``"inline"`` makes them here (no transaction open) and
    returns the outcome; ``"defer"`` only commits (the sweep runs it after ``new_grace_s``).
    """
    if execute not in EXECUTE_MODES:
        raise ValueError(f"execute must be one of {EXECUTE_MODES}")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 255:
        raise ServiceError(
            "invalid_idempotency_key", "An idempotency key of 1 to 255 characters is required."
        )
    normalized = lines_normalize(lines=lines)
    request_hash = lines_hash(normalized)
    placement = _existing(held=_held(client, key), request_hash=request_hash)
    if placement is not None:
        return placement, False

    require_no_transaction("order_place")
    checked = order_validate(client=client, lines=normalized)
    conf = drgreen_settings.checkout
    try:
        placement, claim, behind = _create(
            client=checked.client,
            key=key,
            request_hash=request_hash,
            lines=[line.as_json() for line in normalized],
            expected_total=checked.expected_total,
            execute=execute,
            lease_s=conf.lease_s,
        )
    except IntegrityError:
        # A concurrent submit of the same key won the insert: answer with its placement.
        placement = _existing(held=_held(client, key), request_hash=request_hash)
        if placement is None:
            raise
        return placement, False
    logger.info(
        "checkout %s: placement committed (client %s, total %s USD)",
        placement.correlation_id,
        client.drgreen_id,
        placement.expected_total,
    )
    if execute == "inline":
        try:
            placement = _drive(placement.pk, deadline=time.monotonic() + conf.inline_wait_s, first=claim)
        except PlacementBusy:
            logger.info("checkout %s: client busy; left for the sweep", placement.correlation_id)
            placement.refresh_from_db()
    elif execute == "task" and not behind:
        placement_enqueue(placement_id=placement.pk)
    return placement, True


def _create(
    *,
    client: Client,
    key: str,
    request_hash: str,
    lines: list,
    expected_total: Decimal,
    execute: str,
    lease_s: float,
) -> tuple[OrderPlacement, Claim | None, bool]:
    """Commit the placement, and say whether it is behind another placement of its client
    in flight (client row locked first, as every claim). ``inline``: inserted already
    claimed (``submitting``, attempt 1) unless it is behind. ``task``: one behind gets no
    task of its own; the one in flight queues it when it settles (``_wake_next``)."""
    placement = OrderPlacement(
        client=client,
        idempotency_key=key,
        request_hash=request_hash,
        lines=lines,
        expected_total=expected_total,
        state=PlacementState.NEW,
    )
    with transaction.atomic():
        behind = execute in ("inline", "task") and client_busy(client.pk)
        claimed = execute == "inline" and not behind
        now = timezone.now()
        if claimed:
            placement.state = PlacementState.SUBMITTING
            placement.attempt_count = 1
            placement.submitted_at = now
            placement.next_recovery_at = now + timedelta(seconds=lease_s)
        placement.save(force_insert=True)
        if not claimed:
            return placement, None, behind
        PlacementAttempt.objects.create(placement=placement, number=1, kind="place", started_at=now)
    return placement, Claim("place", placement, 1), False


def _enqueue_after_commit(name: str, *, placement_id: int, countdown: float | None) -> None:
    """Send the checkout task ``name`` to a worker once the current transaction (if any)
    commits."""
    from integration.tasks import checkout as tasks  # tasks import services

    task = getattr(tasks, name)
    transaction.on_commit(lambda: task.apply_async(args=[placement_id], countdown=countdown))


def placement_enqueue(*, placement_id: int, countdown: float | None = None) -> None:
    """Queue ``placement_execute`` (after commit)."""
    _enqueue_after_commit("placement_execute", placement_id=placement_id, countdown=countdown)


def placement_recover_enqueue(*, placement_id: int, countdown: float | None = None) -> None:
    """Queue ``placement_recover`` (after commit)."""
    _enqueue_after_commit("placement_recover", placement_id=placement_id, countdown=countdown)


def placement_execute(*, placement_id: int, wait_s: float = 0.0, wake_next: bool = False) -> OrderPlacement:
    """Drive a ``new`` or ``retry_safe`` placement on; safe to call any number of times.

    Only the caller that claims it talks to Dr Green; a placement whose worker died (lease
    expired) is recovered first. ``wait_s``: how long to wait for another placement of the
    client (else :class:`PlacementBusy`) and for a ``retry_safe`` back-off. ``retry_safe``
    only comes from evidence that no order exists, so running again never makes a second
    order. ``wake_next`` (the task path): once the client's cart is free, queue its next
    waiting placement, and queue the recovery round this call leaves due later.
    """
    require_no_transaction("placement_execute")
    return _drive(placement_id, deadline=time.monotonic() + wait_s, wake_next=wake_next)


def placement_recover(*, placement_id: int, wake_next: bool = False) -> OrderPlacement:
    """Settle an ``unknown`` placement (or a ``submitting`` one whose lease expired) from
    Dr Green's records; runs it again only when they prove nothing landed. Safe to call
    concurrently: one caller at a time holds the recovery claim."""
    require_no_transaction("placement_recover")
    placement = _recover(placement_id, follow_up=wake_next)
    if placement.state == PlacementState.RETRY_SAFE:
        return _drive(placement_id, deadline=time.monotonic(), wake_next=wake_next)
    if wake_next:
        _wake_next(placement)
    return placement


def _drive(
    placement_id: int, *, deadline: float, first: Claim | None = None, wake_next: bool = False
) -> OrderPlacement:
    """The state loop: claim → (recover | calls → record → recover if unknown) → again
    while ``retry_safe`` and time and :data:`RUN_EXECUTIONS` allow."""
    runs = 0
    claim = first
    while True:
        claim = claim or _claim_waiting(placement_id, deadline)
        if claim.action == "done":
            return claim.placement
        if claim.action == "recover":
            placement = _recover(placement_id, follow_up=wake_next)
        else:
            runs += 1
            placement = _place(claim)
            if placement.state == PlacementState.UNKNOWN:
                placement = _recover(placement_id, follow_up=wake_next)
        claim = None
        if placement.state == PlacementState.RETRY_SAFE and placement.next_recovery_at is not None:
            pause = max(0.0, (placement.next_recovery_at - timezone.now()).total_seconds())
            if runs < RUN_EXECUTIONS and time.monotonic() + pause < deadline:
                time.sleep(pause)
                continue
        if wake_next:
            _wake_next(placement)
        return placement


def _claim_waiting(placement_id: int, deadline: float) -> Claim:
    delay = 0.02
    while True:
        claim = claim_for_place(placement_id)
        if claim.action not in ("busy", "backoff"):
            return claim
        pause = delay
        if claim.action == "backoff":
            due = claim.placement.next_recovery_at
            pause = max(0.0, (due - timezone.now()).total_seconds()) if due else 0.0
        if time.monotonic() + (pause if claim.action == "backoff" else 0.0) >= deadline:
            kind = PlacementBackingOff if claim.action == "backoff" else PlacementBusy
            raise kind(str(claim.placement.correlation_id))
        time.sleep(pause)
        delay = min(delay * 2, 0.5)


def _wake_next(placement: OrderPlacement) -> None:
    """The client's cart is free again: queue the placement that waits for it, if any (a
    ready one: one backing off has its own timer)."""
    if placement.state in IN_FLIGHT:
        return
    waiting = client_waiting(client_id=placement.client_id)
    if waiting is None or waiting.pk == placement.pk:
        return
    logger.info("checkout %s: its turn (after %s)", waiting.correlation_id, placement.correlation_id)
    placement_enqueue(placement_id=waiting.pk)


def _place(claim: Claim) -> OrderPlacement:
    """One run of the Dr Green calls for a claimed placement, and its recorded outcome."""
    placement = claim.placement
    mode = drgreen_settings.checkout.order_body_mode
    client = placement.client  # selected with the claim
    if mode == "docs":
        client = Client.objects.prefetch_related("shipping_addresses").get(pk=client.pk)
    # The calls' ledger rows are written with the outcome: one commit, not four.
    # The POST marker is committed (one UPDATE) between the cart calls and the POST.
    before_post = partial(attempt_mark_posted, placement_id=placement.pk, number=claim.number)
    with ledger_deferred():
        outcome = placement_calls(placement=placement, client=client, mode=mode, before_post=before_post)
        return placement_record(placement_id=placement.pk, number=claim.number, outcome=outcome)


def _recover(placement_id: int, *, follow_up: bool = False) -> OrderPlacement:
    """One recovery round (:func:`~.recovery.recovery_round`). ``follow_up``: a round that
    leaves the placement ``unknown`` queues the next one for when it is due (only the
    round's holder does, so one chain per placement)."""
    placement = recovery_round(placement_id)
    if placement is None:  # not due, or someone else holds the round
        return OrderPlacement.objects.get(pk=placement_id)
    if follow_up and placement.state == PlacementState.UNKNOWN and placement.next_recovery_at is not None:
        countdown = max(0.0, (placement.next_recovery_at - timezone.now()).total_seconds())
        placement_recover_enqueue(placement_id=placement_id, countdown=countdown or None)
    return placement


__all__ = [
    "EXECUTE_MODES",
    "PlacementBackingOff",
    "PlacementBusy",
    "order_place",
    "placement_enqueue",
    "placement_execute",
    "placement_recover",
    "placement_recover_enqueue",
]
