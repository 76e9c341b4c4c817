"""How fresh the mirror is: a selector for the REST API, the admin and monitoring.

The mirror always serves; this says whether what it serves can be trusted to be recent
(facts: Dr Green has no webhooks, so "we have not been able to poll" is the only signal).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Max
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import BreakerState, SyncRun

from ..breaker import CLOSED, DEFAULT_BREAKER

_OK_STATES = (SyncRun.STATE_SUCCEEDED, SyncRun.STATE_PARTIAL)
KINDS = ("orders.sweep", "orders.heartbeat", "clients.kyc", "reconcile")


def sync_health(*, now: datetime | None = None) -> dict[str, Any]:
    """``{"stale", "staleness_seconds", "last_success": {kind: iso|None}, "breaker": {...}}``.

    ``stale`` is true when the breaker is not closed, or when no order sweep succeeded
    within ``STALE_AFTER`` seconds (or ever); ``staleness_seconds`` is the age of the last
    successful order sweep (``None`` when there never was one).
    """
    now = now or timezone.now()
    last = dict(
        SyncRun.objects.filter(kind__in=KINDS, state__in=_OK_STATES)
        .values("kind")
        .annotate(at=Max("finished_at"))
        .values_list("kind", "at")
    )
    breaker = BreakerState.objects.filter(name=DEFAULT_BREAKER).first()
    breaker_state = breaker.state if breaker else CLOSED
    sweep_at = last.get("orders.sweep")
    staleness = (now - sweep_at).total_seconds() if sweep_at else None
    stale = breaker_state != CLOSED or staleness is None or staleness > drgreen_settings.sync.stale_after_s
    return {
        "stale": stale,
        "staleness_seconds": staleness,
        "last_success": {kind: (last[kind].isoformat() if last.get(kind) else None) for kind in KINDS},
        "breaker": {
            "state": breaker_state,
            "failures": breaker.failures if breaker else 0,
            "opened_at": breaker.opened_at.isoformat() if breaker and breaker.opened_at else None,
            "opened_until": breaker.opened_until.isoformat() if breaker and breaker.opened_until else None,
            "last_error": breaker.last_error if breaker else "",
        },
    }
