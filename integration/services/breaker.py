"""A circuit breaker shared by every worker, stored in ``BreakerState``.

- ``closed``: calls flow; each upstream failure (5xx, transport error, 429, KYC provider
  down) that reaches a sweep bumps ``failures``; any success resets it.
- after ``BREAKER_THRESHOLD`` consecutive failures → ``open`` until ``opened_until``: sweeps
  skip without calling Dr Green, the mirror keeps serving (and ``sync_health`` says stale).
- once the cool-down passed, the first worker to ask flips it to ``half_open`` with a
  conditional UPDATE and runs one probe; a success closes it, a failure re-opens it.

Every transition is a single conditional UPDATE, so racing workers agree on who probes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.drgreen import RateLimited, ServerError, TransportError, UpstreamUnavailable
from integration.models import BreakerState

logger = logging.getLogger("integration.sync")

DEFAULT_BREAKER = "drgreen"
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
# What counts as "Dr Green is unwell" (as opposed to "this one request was wrong").
UPSTREAM_ERRORS = (ServerError, TransportError, RateLimited, UpstreamUnavailable)


@dataclass(frozen=True)
class BreakerDecision:
    allowed: bool
    state: str
    probe: bool = False  # this caller runs the half-open probe
    opened_until: datetime | None = None


def _row(name: str) -> BreakerState:
    try:
        return BreakerState.objects.get(name=name)
    except BreakerState.DoesNotExist:
        try:
            with transaction.atomic():
                return BreakerState.objects.create(name=name)
        except IntegrityError:
            return BreakerState.objects.get(name=name)


def breaker_allow(*, name: str = DEFAULT_BREAKER, now: datetime | None = None) -> BreakerDecision:
    """May a sweep call Dr Green now?"""
    now = now or timezone.now()
    row = _row(name)
    if row.state == CLOSED:
        return BreakerDecision(True, CLOSED)
    if row.state == OPEN and row.opened_until is not None and row.opened_until <= now:
        # Cool-down over: exactly one worker wins the flip and probes.
        won = BreakerState.objects.filter(name=name, state=OPEN, opened_until__lte=now).update(
            state=HALF_OPEN, opened_until=now + timedelta(seconds=drgreen_settings.sync.breaker_cooldown_s)
        )
        if won:
            logger.warning("drgreen breaker half-open: probing")
            return BreakerDecision(True, HALF_OPEN, probe=True)
    if row.state == HALF_OPEN and row.opened_until is not None and row.opened_until <= now:
        # The probe never reported back (worker died): let another one probe.
        won = BreakerState.objects.filter(name=name, state=HALF_OPEN, opened_until__lte=now).update(
            opened_until=now + timedelta(seconds=drgreen_settings.sync.breaker_cooldown_s)
        )
        if won:
            return BreakerDecision(True, HALF_OPEN, probe=True)
    row.refresh_from_db()
    return BreakerDecision(False, row.state, opened_until=row.opened_until)


def breaker_record_failure(
    *, error: BaseException, name: str = DEFAULT_BREAKER, now: datetime | None = None
) -> str:
    """Count an upstream failure; open the breaker at the threshold (or after a failed
    probe). Returns the state after the call."""
    now = now or timezone.now()
    conf = drgreen_settings.sync
    _row(name)
    text = f"{type(error).__name__}: {error}"[:2000]
    BreakerState.objects.filter(name=name).update(failures=F("failures") + 1, last_error=text)
    opened = (
        BreakerState.objects.filter(name=name)
        .filter(Q(state=HALF_OPEN) | Q(state=CLOSED, failures__gte=conf.breaker_threshold))
        .update(state=OPEN, opened_at=now, opened_until=now + timedelta(seconds=conf.breaker_cooldown_s))
    )
    if opened:
        logger.error("drgreen breaker OPEN for %ss after: %s", conf.breaker_cooldown_s, text)
        return OPEN
    return BreakerState.objects.filter(name=name).values_list("state", flat=True).first() or CLOSED


def breaker_record_success(*, name: str = DEFAULT_BREAKER) -> None:
    """A call went through: close the breaker and forget past failures (one UPDATE, and
    none at all in the common closed-and-healthy case)."""
    closed = (
        BreakerState.objects.filter(name=name)
        .filter(~Q(state=CLOSED) | Q(failures__gt=0))
        .update(state=CLOSED, failures=0, opened_until=None)
    )
    if closed:
        logger.warning("drgreen breaker closed")


def breaker_state(*, name: str = DEFAULT_BREAKER) -> BreakerState:
    return _row(name)
