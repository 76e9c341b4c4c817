"""The due-order sweep: freshness for every active order at about N/``take`` calls.

One tick (beat, every ``SWEEP_LOOKAHEAD`` seconds):

1. claim the orders due before the next tick (``due.py``);
2. group them by the statuses we hold and page ``GET /dapp/orders`` filtered on exactly
   those values, newest first, upserting every row of every page (which re-plans each
   row's next poll), until every claimed order of the group was seen;
3. an order that was not seen changed (it left the filter) or vanished: look for it with a
   batched ``clientIds=[…]`` list call, then with a detail call (bounded);
4. fetch details only for what lists lack: order lines of orders that never had them
   (bounded per run);
5. release the claims.

Status changes are recorded by the upsert layer (exactly once, CAS) and announced with
``order_status_changed`` after each page commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db.models import Q

from integration.conf import drgreen_settings
from integration.drgreen import NotFound
from integration.models import Order
from integration.services.mirror.orders import order_upsert_from_detail
from integration.services.mirror.tiers import TIER_DELIVERY, TIER_FULFILMENT, TIER_PAYMENT, TIER_REVIEW

from .due import orders_claim_due, orders_release_claims
from .runs import RunContext, SyncOutcome, sync_run
from .walks import check_by_detail, group_key, reschedule, walk_client_orders, walk_orders_until_seen

SWEEP_LEASE = "orders.sweep"
_TIER_ORDER = {TIER_REVIEW: 0, TIER_PAYMENT: 1, TIER_FULFILMENT: 2, TIER_DELIVERY: 3}
_FILTER_NAMES = ("status", "payment_status", "admin_approval")


def orders_sweep(
    *, now: datetime | None = None, worker: str | None = None, use_lease: bool = True
) -> SyncOutcome:
    """Poll every order due before the next tick with filtered list sweeps (see module doc).

    ``now`` fixes the clock (benchmarks, tests); ``use_lease=False`` lets several callers
    sweep at once (they still never poll the same claimed order twice)."""
    outcome = SyncOutcome(kind="orders.sweep", state="")
    with sync_run(
        "orders.sweep", worker=worker, now=now, lease=SWEEP_LEASE if use_lease else None, outcome=outcome
    ) as ctx:
        if ctx is not None:
            _sweep(ctx)
    return outcome


def _sweep(ctx: RunContext) -> None:
    conf = drgreen_settings.sync
    start = ctx.now()
    token = ctx.holder
    pks = orders_claim_due(
        token=token,
        now=start,
        horizon=start + conf.sweep_lookahead,
        until=start + timedelta(seconds=conf.claim_ttl_s),
        limit=conf.sweep_claim_limit,
    )
    ctx.stats["claimed"] = len(pks)
    try:
        if pks:
            _poll_claimed(ctx, pks)
        orders_fill_lines(ctx, limit=conf.lines_per_run)
    finally:
        orders_release_claims(token=token)


def _poll_claimed(ctx: RunContext, pks: list[int]) -> None:
    conf = drgreen_settings.sync
    rows = list(
        Order.objects.filter(pk__in=pks).values(
            "drgreen_id", "client_drgreen_id", "order_status", "payment_status", "admin_approval", "poll_tier"
        )
    )
    client_of = {r["drgreen_id"]: r["client_drgreen_id"] for r in rows}
    groups: dict[tuple, set[uuid.UUID]] = {}
    tier_of: dict[tuple, int] = {}
    unknown: set[uuid.UUID] = set()
    for row in rows:
        key = group_key(row)
        if key is None:
            unknown.add(row["drgreen_id"])
            continue
        groups.setdefault(key, set()).add(row["drgreen_id"])
        tier_of[key] = min(tier_of.get(key, 9), _TIER_ORDER.get(row["poll_tier"], 9))

    not_seen: set[uuid.UUID] = set(unknown)
    # The tiers that matter most for the customer go first, should the upstream fail midway.
    for key in sorted(groups, key=lambda k: (tier_of[k], k)):
        filters = dict(zip(_FILTER_NAMES, key, strict=True))
        not_seen |= walk_orders_until_seen(ctx, wanted=groups[key], key="sweep", **filters)
    ctx.stats["left_filter"] = len(not_seen) - len(unknown)
    if not_seen:
        not_seen = walk_client_orders(ctx, wanted=not_seen, client_of=client_of)
    if not_seen:
        checked = check_by_detail(ctx, order_ids=not_seen, limit=conf.detail_fallback_limit)
        # Found by detail or not found at all: either way do not ask again every tick.
        reschedule(checked["found"] | checked["missing"], now=ctx.now())
        ctx.stats["missing"] += len(checked["missing"])


def orders_fill_lines(ctx: RunContext, *, limit: int) -> int:
    """Order lines come only with the detail: fetch them for orders that never had them,
    newest first, at most ``limit`` per run (a backlog drains over several runs)."""
    if limit <= 0:
        return 0
    ids = list(
        Order.objects.filter(lines_synced_at__isnull=True, remote_missing_since__isnull=True)
        .filter(Q(line_count__isnull=True) | Q(line_count__gt=0))
        .order_by("-created_at", "-pk")
        .values_list("drgreen_id", flat=True)[:limit]
    )
    filled = 0
    for order_id in ids:
        observed = ctx.now()
        try:
            payload = ctx.call(ctx.client.get_order, str(order_id))
        except NotFound:
            # Left to the reconcile (which re-checks and tombstones); nothing is stamped, so
            # the row keeps saying "no lines".
            ctx.stats["lines_not_found"] += 1
            continue
        result = order_upsert_from_detail(payload=payload, observed_at=observed)
        ctx.page_done(result, key="lines")
        filled += 1
    ctx.stats["lines_filled"] += filled
    return filled
