"""The short transactions around a placement's Dr Green calls: claims (re-lock, then say
what to do) and outcome writes (re-lock, then record what exists), after Saleor's
``lock_objects``/``complete_checkout``.

Every path that takes both locks takes the client row first, then the placement; outcome
writes lock the placement alone, or both when they mirror an order (its client foreign key
locks the client row at commit). Nothing here calls Dr Green inside a transaction (the
sale link runs after commit).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import Client, OrderPlacement, PlacementAttempt, PlacementState
from integration.services.drgreen_api import ledger_flush
from integration.services.mirror import HeldClient
from integration.services.webhooks.facts import placement_moved
from integration.services.webhooks.outbox import events_batched

from .calls import PLACED, RETRY_SAFE, UNKNOWN, Outcome, order_id_of, sale_link
from .decision import Decision, backoff
from .mirror import order_mirror

logger = logging.getLogger("integration.checkout")

# States in which a placement may be talking to Dr Green about this client's cart, or in
# which its outcome still depends on what the cart holds. Another placement of the same
# client must wait for them.
IN_FLIGHT = (PlacementState.SUBMITTING, PlacementState.UNKNOWN)


def require_no_transaction(what: str) -> None:
    # Holding a transaction (and on PostgreSQL its row locks) across a call to Dr Green
    # would block other buyers for as long as Dr Green takes, and a rollback after a
    # successful POST would forget an order that exists. Refuse instead of hoping.
    if connection.in_atomic_block:
        raise RuntimeError(f"{what} calls Dr Green; call it outside transaction.atomic()")


@dataclass
class Claim:
    action: str  # "place", "recover", "busy", "done"
    placement: OrderPlacement
    number: int = 0


def lock(placement_id: int) -> OrderPlacement:
    """Lock the client row, then the placement: the one lock order every checkout path
    uses that takes both, so two paths never wait on each other in opposite orders. The
    client is found through the placement in the same statement (``of=self``: only the
    client row is locked by it)."""
    lock_client(placement_id)
    return lock_placement(placement_id)


def lock_client(placement_id: int) -> tuple[uuid.UUID, HeldClient] | None:
    """Lock the placement's client row (:func:`lock`'s first step); its Dr Green id and
    what the mirror reads of it come back from the same statement."""
    rows = list(
        Client.objects.select_for_update(of=("self",))
        .filter(placements__pk=placement_id)
        .values_list("pk", "drgreen_id", "shipping_country_code", "erased_at")
    )
    if not rows:
        return None
    pk, drgreen_id, country, erased_at = rows[0]
    return drgreen_id, HeldClient(pk, country, erased_at is not None)


def lock_placement(placement_id: int, *, with_client: bool = True) -> OrderPlacement:
    """Lock the placement alone (writers that never look at the client's other placements).
    ``with_client`` selects its client in the same statement, for callers that go on to
    talk to Dr Green about it; outcome writers do not need it."""
    qs = OrderPlacement.objects.select_for_update(of=("self",))
    if with_client:
        # The client's ``raw`` payloads are the widest part of its row and never needed here.
        qs = qs.select_related("client").defer("client__raw", "client__business_address")
    return qs.get(pk=placement_id)


def claim_for_place(placement_id: int) -> Claim:
    conf = drgreen_settings.checkout
    now = timezone.now()
    with transaction.atomic():
        placement = lock(placement_id)
        if placement.state == PlacementState.SUBMITTING and (
            placement.next_recovery_at is None or placement.next_recovery_at <= now
        ):
            return Claim("recover", placement)
        if placement.state not in (PlacementState.NEW, PlacementState.RETRY_SAFE):
            return Claim("done", placement)
        busy = (
            OrderPlacement.objects.filter(client_id=placement.client_id, state__in=IN_FLIGHT)
            .exclude(pk=placement.pk)
            .exists()
        )
        if busy:
            return Claim("busy", placement)
        # attempt_count (place + recover) bounds the executions: count them only near the cap.
        executions = (
            placement.attempts.filter(kind="place").count()
            if placement.attempt_count >= conf.max_executions
            else 0
        )
        if executions >= conf.max_executions:
            placement.state = PlacementState.REJECTED
            placement.rejection_code = "drgreen_unavailable"
            placement.rejection_message = f"Dr Green could not take the order after {executions} attempts."
            placement.next_recovery_at = None
            placement.save(
                update_fields=[
                    "state",
                    "rejection_code",
                    "rejection_message",
                    "next_recovery_at",
                    "updated_at",
                ]
            )
            placement_moved(placement, at=now)
            return Claim("done", placement)
        number = placement.attempt_count + 1
        placement.state = PlacementState.SUBMITTING
        placement.attempt_count = number
        placement.submitted_at = now
        placement.next_recovery_at = now + timedelta(seconds=conf.lease_s)
        placement.save(
            update_fields=["state", "attempt_count", "submitted_at", "next_recovery_at", "updated_at"]
        )
        PlacementAttempt.objects.create(placement=placement, number=number, kind="place", started_at=now)
    return Claim("place", placement, number)


def placement_record(*, placement_id: int, number: int, outcome: Outcome) -> OrderPlacement:
    """Write an attempt's outcome, with the order it created mirrored in the same
    transaction. Only the attempt that still owns the placement moves its state; a late
    success is never thrown away (it is the best evidence there is).

    A created order's client foreign key is checked at commit, which locks the client row:
    so that transaction locks the client first (:func:`lock`), then the placement, the
    order every claim takes them in. Other outcomes lock the placement alone.
    """
    # The order's and the placement's events in one statement (no savepoint in between
    # that could roll back while the transaction goes on: see events_batched).
    with transaction.atomic(), events_batched():
        placement, moved = _record(placement_id=placement_id, number=number, outcome=outcome)
    if moved:
        logger.info(
            "checkout %s: attempt %s → %s (%s)",
            placement.correlation_id,
            number,
            placement.state,
            outcome.message or outcome.step,
        )
    return placement


def _record(*, placement_id: int, number: int, outcome: Outcome) -> tuple[OrderPlacement, bool]:
    conf = drgreen_settings.checkout
    ledger_flush()
    now = timezone.now()
    if outcome.kind == PLACED:
        client_drgreen_id, client = lock_client(placement_id)  # as lock(), reading the row
        placement = lock_placement(placement_id, with_client=False)
        order_pk = order_mirror(
            client_drgreen_id=client_drgreen_id,
            payload=outcome.order,
            correlation_id=placement.correlation_id,
            client=client,
        )
    else:
        placement = lock_placement(placement_id, with_client=False)
    PlacementAttempt.objects.filter(placement=placement, number=number).update(
        **_attempt_values(outcome, now)
    )
    owns = placement.state == PlacementState.SUBMITTING and placement.attempt_count == number
    if outcome.kind == PLACED:
        if not owns and placement.state == PlacementState.PLACED:
            logger.error(
                "checkout %s: attempt %s created order %s after the placement was already placed with %s",
                placement.correlation_id,
                number,
                outcome.order.get("id"),
                placement.order_drgreen_id,
            )
            return placement, False
        placed = mark_placed(
            placement, order_pk=order_pk, order_drgreen_id=order_id_of(outcome.order), now=now
        )
        return placed, False  # mark_placed logs
    if not owns:
        logger.warning(
            "checkout %s: attempt %s finished after losing its lease (%s)",
            placement.correlation_id,
            number,
            outcome.kind,
        )
        return placement, False
    fields = ["state", "next_recovery_at", "updated_at"]
    if outcome.kind == UNKNOWN:
        placement.state = PlacementState.UNKNOWN
        placement.next_recovery_at = now  # recover at once (the caller does)
    elif outcome.kind == RETRY_SAFE:
        executions = placement.attempts.filter(kind="place").count()
        wait = backoff(conf.retry_backoff_s, executions, conf.recovery_backoff_max_s)
        if outcome.retry_after:
            wait = max(wait, timedelta(seconds=outcome.retry_after))
        placement.state = PlacementState.RETRY_SAFE
        placement.next_recovery_at = now + wait
    else:
        placement.state = PlacementState.REJECTED
        placement.rejection_code = outcome.code or "drgreen_rejected"
        placement.rejection_message = outcome.message
        placement.next_recovery_at = None
        fields += ["rejection_code", "rejection_message"]
    placement.save(update_fields=fields)
    placement_moved(placement, at=now)
    return placement, True


def _attempt_values(outcome: Outcome, now) -> dict:
    return {
        "finished_at": now,
        "outcome": f"{outcome.kind}:{outcome.step}"[:32],
        "http_status": outcome.http_status,
        "maybe_delivered": outcome.maybe_delivered,
        "error": outcome.message,
        "evidence": {**outcome.evidence, "code": outcome.code} if outcome.code else outcome.evidence,
    }


def mark_placed(placement: OrderPlacement, *, order_pk, order_drgreen_id, now) -> OrderPlacement:
    """Link the mirrored order (inside the caller's transaction, placement locked)."""
    placement.state = PlacementState.PLACED
    placement.order_id = order_pk
    placement.order_drgreen_id = order_drgreen_id
    placement.placed_at = now
    placement.next_recovery_at = None
    placement.rejection_code = ""
    placement.rejection_message = ""
    try:
        with transaction.atomic():
            placement.save(
                update_fields=[
                    "state",
                    "order",
                    "order_drgreen_id",
                    "placed_at",
                    "next_recovery_at",
                    "rejection_code",
                    "rejection_message",
                    "updated_at",
                ]
            )
    except IntegrityError:
        # order_drgreen_id is unique: another placement already claims this remote order.
        # Only a human can untangle that; keep the evidence.
        placement.refresh_from_db()
        placement.state = PlacementState.NEEDS_STAFF
        placement.rejection_code = "order_claimed_twice"
        placement.rejection_message = f"Dr Green order {order_drgreen_id} is linked to another placement."
        placement.next_recovery_at = None
        placement.save(
            update_fields=["state", "rejection_code", "rejection_message", "next_recovery_at", "updated_at"]
        )
        placement_moved(placement, at=now)
        return placement
    placement_moved(placement, at=now)
    transaction.on_commit(lambda: _after_placed(placement.pk))
    logger.info("checkout %s: placed as Dr Green order %s", placement.correlation_id, order_drgreen_id)
    return placement


def _after_placed(placement_id: int) -> None:
    if not drgreen_settings.checkout.link_sale:
        return
    placement = OrderPlacement.objects.select_related("client").get(pk=placement_id)
    sale_link(placement=placement, client=placement.client)


@dataclass
class RecoveryClaim:
    placement: OrderPlacement
    number: int
    rounds: int
    unknown_since: datetime


def claim_for_recovery(placement_id: int) -> RecoveryClaim | None:
    """Take an ``unknown`` placement (or a ``submitting`` one whose lease expired) for one
    recovery round; ``None`` when it is not due or someone else holds it."""
    conf = drgreen_settings.checkout
    now = timezone.now()
    with transaction.atomic():
        placement = lock(placement_id)
        unknown_since = None
        if placement.state == PlacementState.SUBMITTING:
            if placement.next_recovery_at is not None and placement.next_recovery_at > now:
                return None  # its worker still holds the lease
            # The worker that claimed it is gone (killed, timed out): its POST may have been
            # sent. Dr Green may even be finishing it now, so the settle time starts here.
            PlacementAttempt.objects.filter(
                placement=placement, number=placement.attempt_count, finished_at__isnull=True
            ).update(finished_at=now, outcome="abandoned", error="lease expired; worker presumed dead")
            placement.state = PlacementState.UNKNOWN
            unknown_since = now
        elif placement.state != PlacementState.UNKNOWN:
            return None
        elif placement.next_recovery_at is not None and placement.next_recovery_at > now:
            return None  # another recoverer holds it, or its back-off has not elapsed
        if unknown_since is None:
            last_place = placement.attempts.filter(kind="place").order_by("-number").first()
            unknown_since = (last_place.finished_at if last_place else None) or placement.updated_at
        rounds = placement.attempts.filter(kind="recover").count() + 1
        number = placement.attempt_count + 1
        placement.attempt_count = number
        placement.next_recovery_at = now + timedelta(seconds=conf.lease_s)
        placement.save(update_fields=["state", "attempt_count", "next_recovery_at", "updated_at"])
        PlacementAttempt.objects.create(placement=placement, number=number, kind="recover", started_at=now)
    return RecoveryClaim(placement, number, rounds, unknown_since)


def orders_taken(*, placement: OrderPlacement, order_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``order_ids`` other placements already claim."""
    return set(
        OrderPlacement.objects.filter(order_drgreen_id__in=order_ids)
        .exclude(pk=placement.pk)
        .values_list("order_drgreen_id", flat=True)
    )


def recovery_record(*, placement_id: int, claim: RecoveryClaim, decision: Decision) -> OrderPlacement:
    """Write a recovery round's decision, if the round still owns the placement; an
    adopted order is mirrored in the same transaction (client locked first, as in
    :func:`placement_record`)."""
    now = timezone.now()
    with transaction.atomic():
        ledger_flush()
        order_pk = order_id = None
        if decision.kind == "adopt":
            assert decision.order is not None
            placement = lock(placement_id)
            order_pk = order_mirror(
                client_drgreen_id=placement.client.drgreen_id, payload=decision.order, listed=True
            )
            order_id = uuid.UUID(str(decision.order["id"]))
        else:
            placement = lock_placement(placement_id, with_client=False)
        PlacementAttempt.objects.filter(placement=placement, number=claim.number).update(
            finished_at=now, outcome=decision.kind, error=decision.reason, evidence=decision.evidence
        )
        if placement.state != PlacementState.UNKNOWN or placement.attempt_count != claim.number:
            return placement
        if decision.kind == "adopt":
            return mark_placed(placement, order_pk=order_pk, order_drgreen_id=order_id, now=now)
        fields = ["state", "next_recovery_at", "updated_at"]
        if decision.kind == "retry_safe":
            placement.state = PlacementState.RETRY_SAFE
            placement.next_recovery_at = now
        elif decision.kind == "needs_staff":
            placement.state = PlacementState.NEEDS_STAFF
            placement.rejection_code = decision.code
            placement.rejection_message = decision.reason
            placement.next_recovery_at = None
            fields += ["rejection_code", "rejection_message"]
        else:
            placement.next_recovery_at = decision.next_at
        placement.save(update_fields=fields)
        placement_moved(placement, at=now)
    logger.info(
        "checkout %s: recovery round %s → %s (%s)",
        placement.correlation_id,
        claim.rounds,
        placement.state,
        decision.reason,
    )
    return placement


def client_waiting(*, client_id: int) -> OrderPlacement | None:
    """The client's placement whose turn it is, unless one of its placements is still in
    flight: the oldest ready one (``new``, or ``retry_safe`` with its back-off over), else
    the ``retry_safe`` one due first. A placement backing off does not hold the cart, so
    it never keeps a ready one waiting."""
    mine = OrderPlacement.objects.filter(client_id=client_id)
    if mine.filter(state__in=IN_FLIGHT).exists():
        return None
    fields = ("pk", "correlation_id", "next_recovery_at")
    ready = Q(state=PlacementState.NEW) | Q(
        Q(next_recovery_at__isnull=True) | Q(next_recovery_at__lte=timezone.now()),
        state=PlacementState.RETRY_SAFE,
    )
    first = mine.filter(ready).order_by("created_at", "pk").only(*fields).first()
    if first is not None:
        return first
    backing_off = mine.filter(state=PlacementState.RETRY_SAFE)
    return backing_off.order_by("next_recovery_at", "pk").only(*fields).first()
