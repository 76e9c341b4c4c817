"""Claims and outcomes: the short transactions around a placement's Dr Green calls.

Every path that takes both locks takes the client row first, then the placement, so two
paths never wait on each other in opposite orders; outcome writes lock the placement alone.
No function here calls Dr Green while a transaction is open (the sale link runs after
commit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.db import statements as sql
from integration.models import Client, OrderPlacement, PlacementAttempt, PlacementState
from integration.services.drgreen_api import ledger_flush
from integration.services.mirror import order_upsert_from_create
from integration.services.mirror.created import order_from_create, order_insert
from integration.services.mirror.transactions import run_page
from integration.services.webhooks.facts import checkout_placed, placement_moved

from .calls import PLACED, RETRY_SAFE, UNKNOWN, Outcome, order_id_of, sale_link
from .statements import attempt_finished, client_key_share, placement_placed

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
    list(
        Client.objects.select_for_update(of=("self",))
        .filter(placements__pk=placement_id)
        .values_list("pk", flat=True)
    )
    return lock_placement(placement_id)


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


def backoff(seconds: float, rounds: int, cap: float) -> timedelta:
    return timedelta(seconds=min(cap, seconds * (2 ** max(0, rounds - 1))))


def placement_record(
    *,
    placement_id: int,
    number: int,
    outcome: Outcome,
    claimed: OrderPlacement | None = None,
    client_drgreen_id=None,
) -> OrderPlacement:
    """Write an attempt's outcome. Only the attempt that still owns the placement moves its
    state; a late success is never thrown away (it is the best evidence there is).

    The common outcome (our success, the attempt still owning the placement, the claimed
    instance with its client given) is written by :func:`_record_placed` in one
    transaction. Otherwise the mirrored order is committed first, in its own transaction:
    inserting it checks its client foreign key at commit (Django's constraints are
    deferred), which locks the client row, and a transaction that did so after locking the
    placement would take the two locks in the wrong order against a concurrent submit
    (client, then placement). The ledger rows the attempt's calls left behind
    (``ledger_deferred``) go with the outcome: on PostgreSQL each commit waits for the
    disk, and the customer waits for these.
    """
    if outcome.kind == PLACED and claimed is not None:
        placement = _record_placed(placement=claimed, number=number, outcome=outcome)
        if placement is not None:
            return placement
        client_drgreen_id = claimed.client.drgreen_id
    order_pk = None
    if outcome.kind == PLACED:
        if client_drgreen_id is None:
            client_drgreen_id = OrderPlacement.objects.values_list("client__drgreen_id", flat=True).get(
                pk=placement_id
            )
        result = order_upsert_from_create(payload=outcome.order, client_drgreen_id=client_drgreen_id)
        order_pk = result.pks.get(order_id_of(outcome.order))
    placement, moved = run_page(
        partial(
            _record,
            placement_id=placement_id,
            number=number,
            outcome=outcome,
            order_pk=order_pk,
        )
    )
    if moved:
        logger.info(
            "checkout %s: attempt %s → %s (%s)",
            placement.correlation_id,
            number,
            placement.state,
            outcome.message or outcome.step,
        )
    return placement


def _record(
    *, placement_id: int, number: int, outcome: Outcome, order_pk: int | None
) -> tuple[OrderPlacement, bool]:
    conf = drgreen_settings.checkout
    ledger_flush()
    now = timezone.now()
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


class _NotTheCommonCase(Exception):
    """Rolls back a :func:`_record_placed` transaction that found the general path needed."""


def _record_placed(*, placement: OrderPlacement, number: int, outcome: Outcome) -> OrderPlacement | None:
    """Our attempt's success, while it still owns the placement, in ONE transaction whose
    statements travel in one flight (``sql.batch``): the client row key-share locked first
    (the lock order of every checkout path), the call ledger, the order inserted straight
    from the create response, the placement moved to ``placed`` by a conditional UPDATE
    (the owner check and the write in one), the attempt's evidence. Returns ``placement``
    (the claimed instance) as written.

    ``None``: something else is the case (the order was mirrored first, the attempt lost
    its lease, the order is claimed by another placement); everything was rolled back and
    the general path decides.
    """
    client = placement.client
    now = timezone.now()
    order = order_from_create(payload=outcome.order, client=client, observed_at=now)
    if order is None:
        return None

    def write() -> None:
        with sql.batch() as b:
            client_key_share(b, client.pk)
            ledger_flush(b)
            inserted = order_insert(b, order)
            placed = placement_placed(
                b, placement_id=placement.pk, number=number, order_drgreen_id=order.drgreen_id, now=now
            )
            attempt_finished(
                b, placement_id=placement.pk, number=number, values=_attempt_values(outcome, now)
            )
            # order.created + placement.placed, in this flight (no round trip of their own).
            checkout_placed(order=order, placement=placement, at=now, batch=b)
        if not inserted.inserted or placed.rowcount != 1:
            raise _NotTheCommonCase
        transaction.on_commit(partial(_after_placed, placement.pk))

    try:
        run_page(write)
    except (_NotTheCommonCase, IntegrityError):
        return None
    # The instance now says what the row says (the UPDATE wrote exactly these).
    placement.state = PlacementState.PLACED
    placement.order_id = order.pk
    placement.order_drgreen_id = order.drgreen_id
    placement.placed_at = now
    placement.next_recovery_at = None
    placement.rejection_code = ""
    placement.rejection_message = ""
    placement.updated_at = now
    logger.info("checkout %s: placed as Dr Green order %s", placement.correlation_id, order.drgreen_id)
    return placement


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
