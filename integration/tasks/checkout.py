"""Celery tasks of checkout: thin wrappers around ``services.checkout``.

None of these tasks auto-retries: a retried ``POST /dapp/orders`` is exactly the
duplicate order this app exists to prevent. A placement waiting behind another of its
client is queued again by the driver when that one settles (``wake_next``), and an
``unknown`` one's next recovery round when it is due.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from integration.models import PlacementState
from integration.services import checkout as checkout_services

logger = logging.getLogger("integration.checkout")


@shared_task(
    name="integration.placement_execute",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def placement_execute(self, placement_id: int) -> str:
    """Place one committed placement with Dr Green.

    ``acks_late`` + ``reject_on_worker_lost``: if the worker dies, the message comes back
    and the service sees the placement's lease (no second POST while the lease runs; after
    it, recovery reads Dr Green before anything else).
    """
    try:
        placement = checkout_services.placement_execute(placement_id=placement_id, wake_next=True)
    except checkout_services.PlacementBusy:
        # Another placement of this client holds its Dr Green cart: when it settles, its
        # driver queues this one (and the sweep is the safety net). Or it is backing off
        # (a stray early task): its own timer takes it up.
        logger.info("checkout: placement %s waits for its turn", placement_id)
        return "waiting"
    return _run_again_later(placement)


@shared_task(name="integration.placement_recover", ignore_result=True)
def placement_recover(placement_id: int) -> str:
    """One recovery round of an ``unknown`` placement (queued by the driver for when the
    round is due); the service queues the next round if it stays ``unknown``."""
    return _run_again_later(checkout_services.placement_recover(placement_id=placement_id, wake_next=True))


def _run_again_later(placement) -> str:
    if placement.state == PlacementState.RETRY_SAFE and placement.next_recovery_at is not None:
        # Evidence says no order exists (see the service): run it again after its back-off
        # rather than waiting for the next sweep. Not a retry of a POST that may have landed.
        countdown = max(1.0, (placement.next_recovery_at - timezone.now()).total_seconds())
        checkout_services.placement_enqueue(placement_id=placement.pk, countdown=countdown)
    return placement.state


@shared_task(name="integration.placements_recover_unknown", ignore_result=True)
def placements_recover_unknown() -> dict[str, int]:
    """Beat: settle ``unknown`` placements, take over dead workers' ones, re-run the
    ``retry_safe`` and lost ``new`` ones."""
    return checkout_services.placements_sweep(wake_next=True)
