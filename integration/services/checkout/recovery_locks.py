"""The short transactions of a recovery round (see ``locks.py`` for the lock order):
take an ``unknown`` placement, or a ``submitting`` one whose lease expired, for one round,
and write the round's decision."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import OrderPlacement, PlacementAttempt, PlacementState
from integration.services.drgreen_api import ledger_flush
from integration.services.webhooks.facts import placement_moved

from .decision import Decision
from .locks import lock, lock_for_outcome, mark_placed

logger = logging.getLogger("integration.checkout")


@dataclass
class RecoveryClaim:
    placement: OrderPlacement
    number: int
    rounds: int
    unknown_since: datetime
    # Whether the latest place attempt committed its POST marker (only the latest can have
    # a POST nobody has accounted for: an earlier one was settled before the next claim).
    posted: bool = True


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
            # The worker that claimed it is gone (killed, timed out). If it committed its
            # POST marker, the POST may have been sent and Dr Green may even be finishing it
            # now, so the settle time starts here; without the marker nothing was sent.
            PlacementAttempt.objects.filter(
                placement=placement, number=placement.attempt_count, finished_at__isnull=True
            ).update(finished_at=now, outcome="abandoned", error="lease expired; worker presumed dead")
            placement.state = PlacementState.UNKNOWN
            unknown_since = now
        elif placement.state != PlacementState.UNKNOWN:
            return None
        elif placement.next_recovery_at is not None and placement.next_recovery_at > now:
            return None  # another recoverer holds it, or its back-off has not elapsed
        last_place = placement.attempts.filter(kind="place").order_by("-number").first()
        if unknown_since is None:
            unknown_since = (last_place.finished_at if last_place else None) or placement.updated_at
        posted = last_place is None or last_place.posted_at is not None
        rounds = placement.attempts.filter(kind="recover").count() + 1
        number = placement.attempt_count + 1
        placement.attempt_count = number
        placement.next_recovery_at = now + timedelta(seconds=conf.lease_s)
        placement.save(update_fields=["state", "attempt_count", "next_recovery_at", "updated_at"])
        PlacementAttempt.objects.create(placement=placement, number=number, kind="recover", started_at=now)
    return RecoveryClaim(placement, number, rounds, unknown_since, posted)


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
        order = decision.order if decision.kind == "adopt" else None
        assert decision.kind != "adopt" or order is not None
        placement, order_pk = lock_for_outcome(placement_id, order=order, listed=True)
        order_id = uuid.UUID(str(order["id"])) if order is not None else None
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
