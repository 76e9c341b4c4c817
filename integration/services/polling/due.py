"""Claiming due orders so two workers never poll the same order in one cycle.

PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` in a short transaction that only stamps
``claimed_by``/``claimed_until`` and commits before any HTTP call; a second worker skips the
locked rows instead of waiting on them. Elsewhere (SQLite): one conditional UPDATE whose
WHERE re-checks that the claim is free, which the database applies atomically, then a read
of what we got. Either way the claim is a lease on the row: if the worker dies, it simply
expires at ``claimed_until``.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q

from integration.models import Order
from integration.services.mirror.tiers import TIER_TERMINAL


def _claim_free(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def due_orders(*, now: datetime, horizon: datetime):
    """Orders to poll: due before ``horizon``, not terminal, not tombstoned, not claimed."""
    return (
        Order.objects.filter(next_poll_at__lte=horizon, remote_missing_since__isnull=True)
        .exclude(poll_tier=TIER_TERMINAL)
        .filter(_claim_free(now))
    )


def orders_claim_due(
    *, token: str, now: datetime, horizon: datetime, until: datetime, limit: int
) -> list[int]:
    """Claim up to ``limit`` due orders for ``token``; returns their pks (ascending)."""
    candidates = due_orders(now=now, horizon=horizon).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            pks = list(candidates.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            if pks:
                Order.objects.filter(pk__in=pks).update(claimed_by=token, claimed_until=until)
        return pks
    # One statement: UPDATE … WHERE pk IN (SELECT … LIMIT n) AND <claim still free>.
    Order.objects.filter(pk__in=candidates.values("pk")[:limit]).filter(_claim_free(now)).update(
        claimed_by=token, claimed_until=until
    )
    return list(Order.objects.filter(claimed_by=token).order_by("pk").values_list("pk", flat=True))


def orders_release_claims(*, token: str) -> int:
    return Order.objects.filter(claimed_by=token).update(claimed_by="", claimed_until=None)
