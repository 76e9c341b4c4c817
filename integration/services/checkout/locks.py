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
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import Client, OrderPlacement, PlacementAttempt, PlacementState
from integration.services.drgreen_api import ledger_flush
from integration.services.mirror import HeldClient
from integration.services.webhooks.facts import placement_moved
from integration.services.webhooks.outbox import events_batched

from .calls import PLACED, RETRY_SAFE, UNKNOWN, Outcome, order_id_of, sale_link
from .decision import backoff
from .order_mirror import order_mirror

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
    action: str  # "place", "recover", "busy", "backoff" (retry_safe, not due yet), "done"
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
        if placement.state == PlacementState.RETRY_SAFE and (
            placement.next_recovery_at is not None and placement.next_recovery_at > now
        ):
            return Claim("backoff", placement)  # a stray early task; its own timer comes later
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


def attempt_mark_posted(*, placement_id: int, number: int) -> bool:
    """Commit, in one statement of its own, that attempt ``number`` is about to send its
    order POST. ``False`` (send nothing) when the write fails, or when recovery already
    finished the attempt (its lease ran out): recovery may then have decided, from the
    missing marker, that no order exists. The row lock of this UPDATE orders it against
    recovery's, so exactly one of the two wins."""
    require_no_transaction("attempt_mark_posted")  # it must be committed before the POST
    try:
        return bool(
            PlacementAttempt.objects.filter(
                placement_id=placement_id, number=number, finished_at__isnull=True
            ).update(posted_at=timezone.now())
        )
    except DatabaseError:
        logger.warning("checkout: placement %s attempt %s: POST marker not written", placement_id, number)
        return False


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


def lock_for_outcome(
    placement_id: int, *, order: dict | None, listed: bool
) -> tuple[OrderPlacement, int | None]:
    """Lock for an outcome write: with an ``order`` to mirror, the client first and then the
    placement (the order's client foreign key locks the client row at commit), and mirror
    it (``listed``: an item of the client's order list, else a create response); without
    one, the placement alone. Returns the placement and the mirrored order's pk."""
    if order is None:
        return lock_placement(placement_id, with_client=False), None
    client_drgreen_id, client = lock_client(placement_id)  # as lock(), reading the row
    placement = lock_placement(placement_id, with_client=False)
    order_pk = order_mirror(
        client_drgreen_id=client_drgreen_id,
        payload=order,
        listed=listed,
        correlation_id=None if listed else placement.correlation_id,
        client=client,
    )
    return placement, order_pk


def _record(*, placement_id: int, number: int, outcome: Outcome) -> tuple[OrderPlacement, bool]:
    conf = drgreen_settings.checkout
    ledger_flush()
    now = timezone.now()
    order = outcome.order if outcome.kind == PLACED else None
    placement, order_pk = lock_for_outcome(placement_id, order=order, listed=False)
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


def client_busy(client_id: int) -> bool:
    """Lock the client row (in the caller's transaction) and say whether one of its
    placements is in flight. A placement committed under this lock while another is in
    flight is taken up by that one's :func:`client_waiting` (which waits for the lock, so
    it sees the new row), not by a task of its own."""
    list(Client.objects.select_for_update().filter(pk=client_id).values_list("pk", flat=True))
    return OrderPlacement.objects.filter(client_id=client_id, state__in=IN_FLIGHT).exists()


def client_waiting(*, client_id: int) -> OrderPlacement | None:
    """The client's placement whose turn it is, unless one of its placements is still in
    flight: the oldest ready one (``new``, or ``retry_safe`` with its back-off over). A
    placement backing off does not hold the cart, so it never keeps a ready one waiting,
    and is not returned: the timer of its back-off (its task, else the sweep) takes it up."""
    with transaction.atomic():
        if client_busy(client_id):
            return None
        ready = Q(state=PlacementState.NEW) | Q(
            Q(next_recovery_at__isnull=True) | Q(next_recovery_at__lte=timezone.now()),
            state=PlacementState.RETRY_SAFE,
        )
        mine = OrderPlacement.objects.filter(client_id=client_id).filter(ready)
        return mine.order_by("created_at", "pk").only("pk", "correlation_id", "next_recovery_at").first()
