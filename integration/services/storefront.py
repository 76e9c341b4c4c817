"""Freshness of what the storefront API serves, and the background refresh it may trigger.

A read never calls Dr Green (DESIGN flow 4). It says how old the mirrored copy is and,
when the copy is older than its TTL (30 s for an order still moving, 5 min for a finished
one: orders.md "Caching guidance"), queues a refresh task and answers at once. A customer
may also ask for one (``?refresh=1``, rate-limited by the view).

At most one refresh per order is queued per ``REFRESH_DEDUPE_S`` window, whatever the
number of readers: ``cache.add`` is atomic in every Django cache backend (per process
with the default local-memory cache; across processes once ``CACHES`` is Redis). A refresh
is not queued while the circuit breaker is open: Dr Green is known to be down and the
poller's probe decides when to try again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import BreakerState, Order

logger = logging.getLogger("integration.api.freshness")

REFRESH_NOT_NEEDED = "not_needed"
REFRESH_QUEUED = "queued"
REFRESH_ALREADY_QUEUED = "already_queued"
REFRESH_RATE_LIMITED = "rate_limited"
REFRESH_UNAVAILABLE = "unavailable"
REFRESH_STATES = (
    REFRESH_NOT_NEEDED,
    REFRESH_QUEUED,
    REFRESH_ALREADY_QUEUED,
    REFRESH_RATE_LIMITED,
    REFRESH_UNAVAILABLE,
)


@dataclass(frozen=True)
class Freshness:
    synced_at: datetime | None
    age_seconds: float | None
    ttl_seconds: float
    stale: bool
    refresh: str


def order_ttl_seconds(order: Order) -> float:
    conf = drgreen_settings.api
    return conf.terminal_ttl_s if order.is_terminal else conf.active_ttl_s


class RefreshPlanner:
    """Freshness for the orders of one request: one clock, the breaker read at most once,
    and at most ``budget`` refreshes queued (a list page must not queue a hundred tasks).

    ``force``: the caller asked for a refresh (``?refresh=1``); ``force_allowed``: its rate
    limit let it through.
    """

    def __init__(
        self,
        *,
        now: datetime | None = None,
        force: bool = False,
        force_allowed: bool = True,
        budget: int = 10,
    ) -> None:
        self.now = now or timezone.now()
        self.force = force
        self.force_allowed = force_allowed
        self.budget = budget
        self._breaker_open: bool | None = None

    def breaker_open(self) -> bool:
        if self._breaker_open is None:
            state = BreakerState.objects.filter(name="drgreen").values_list("state", flat=True).first()
            self._breaker_open = state == "open"
        return self._breaker_open

    def freshness(self, order: Order) -> Freshness:
        """How fresh ``order`` is; queues a background refresh when it is past its TTL or
        when the caller asked and was allowed."""
        ttl = order_ttl_seconds(order)
        synced_at = order.last_synced_at
        age = (self.now - synced_at).total_seconds() if synced_at else None
        stale = age is None or age > ttl
        if self.force and not self.force_allowed:
            refresh = REFRESH_RATE_LIMITED
        elif stale or self.force:
            refresh = self._enqueue(order)
        else:
            refresh = REFRESH_NOT_NEEDED
        return Freshness(synced_at=synced_at, age_seconds=age, ttl_seconds=ttl, stale=stale, refresh=refresh)

    def plan(self, orders) -> dict[int, Freshness]:
        """Freshness of each order by pk, queueing the refreshes due. Views call it before
        serializing, so serializers only read the answer and never queue work."""
        return {order.pk: self.freshness(order) for order in orders}

    def _enqueue(self, order: Order) -> str:
        if self.budget <= 0:
            return REFRESH_UNAVAILABLE if self.breaker_open() else REFRESH_ALREADY_QUEUED
        state = order_refresh_enqueue(order=order, breaker_open=self.breaker_open)
        if state == REFRESH_QUEUED:
            self.budget -= 1
        return state


def order_refresh_enqueue(*, order: Order, breaker_open=None) -> str:
    """Queue ``integration.order_refresh`` for ``order`` unless one was queued within the
    dedupe window or Dr Green is known to be down. Never calls Dr Green, never raises."""
    key = f"drgreen-api-refresh:{order.pk}"
    if not cache.add(key, 1, timeout=drgreen_settings.api.refresh_dedupe_s):
        return REFRESH_ALREADY_QUEUED
    is_open = breaker_open() if breaker_open is not None else RefreshPlanner().breaker_open()
    if is_open:
        cache.delete(key)
        return REFRESH_UNAVAILABLE
    try:
        # Imported here: the task module pulls in the whole sync engine, which a read that
        # needs no refresh should not pay for, and a broken worker module must not break reads.
        from integration.tasks.polling import order_refresh

        # expires: a refresh still queued long after the dedupe window is superseded by a
        # newer request (or the poller), so a backed-up worker drops it instead of piling up.
        order_refresh.apply_async(
            kwargs={"order_id": str(order.drgreen_id)},
            expires=max(30.0, drgreen_settings.api.refresh_dedupe_s * 4),
        )
    except Exception:  # noqa: BLE001 - the read must be served even when the broker is down
        logger.warning("could not queue a refresh of order %s", order.drgreen_id, exc_info=True)
        cache.delete(key)
        return REFRESH_UNAVAILABLE
    return REFRESH_QUEUED
