"""The beat sweep that keeps every placement moving to a final state.

It picks up what the request or the task could not finish: ``unknown`` placements due for
another look, ``submitting`` ones whose worker died (lease expired), ``retry_safe`` ones
whose back-off elapsed and ``new`` ones whose task was lost. Each is handed to the same
services the request path uses; their claims make a concurrent sweep harmless.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import OrderPlacement, PlacementState

from .driver import PlacementBusy, placement_execute, placement_recover

logger = logging.getLogger("integration.checkout")


def placements_due(*, now=None, limit: int | None = None) -> list[tuple[int, str]]:
    """``(placement id, state)`` of the placements the sweep should act on, oldest first."""
    conf = drgreen_settings.checkout
    now = now or timezone.now()
    due = Q(next_recovery_at__isnull=True) | Q(next_recovery_at__lte=now)
    query = (
        Q(state__in=[PlacementState.UNKNOWN, PlacementState.SUBMITTING, PlacementState.RETRY_SAFE]) & due
    ) | Q(state=PlacementState.NEW, created_at__lte=now - timedelta(seconds=conf.new_grace_s))
    rows = (
        OrderPlacement.objects.filter(query)
        .order_by("next_recovery_at", "created_at")
        .values_list("pk", "state")[: limit or conf.sweep_limit]
    )
    return list(rows)


def placements_sweep(*, now=None, limit: int | None = None, wake_next: bool = False) -> dict[str, int]:
    """Act on every due placement; returns how many ended in each state. ``wake_next``:
    queue each settled placement's next waiting one of its client (see the driver)."""
    results: Counter[str] = Counter()
    for placement_id, state in placements_due(now=now, limit=limit):
        try:
            if state in (PlacementState.UNKNOWN, PlacementState.SUBMITTING):
                placement = placement_recover(placement_id=placement_id, wake_next=wake_next)
            else:
                placement = placement_execute(placement_id=placement_id, wake_next=wake_next)
            results[placement.state] += 1
        except PlacementBusy:
            results["busy"] += 1
        except Exception:  # noqa: BLE001 - one bad placement must not stop the sweep
            logger.exception("checkout sweep: placement %s failed", placement_id)
            results["error"] += 1
    if results:
        logger.info("checkout sweep: %s", dict(results))
    return dict(results)
