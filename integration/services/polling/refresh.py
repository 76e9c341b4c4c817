"""Refresh one order or one client now (admin action, storefront TTL, ``drgreen_refresh``).

An order refresh reads the detail (lines, addresses, order and payment status) and the
client's order list (the only place ``adminApproval`` lives), so it ends with the full
fingerprint. A client refresh reads the client detail and the client's orders.
Both are GET-only and safe to retry; upstream errors propagate so a task can retry them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from integration.drgreen import NotFound
from integration.models import Client, Order
from integration.services.mirror.clients import client_upsert_from_detail
from integration.services.mirror.orders import order_upsert_from_detail
from integration.services.mirror.parsing import parse_uuid

from .runs import RunContext, SyncOutcome, sync_run
from .walks import walk_orders_until_seen


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    parsed = parse_uuid(value, field="drgreen_id")
    if parsed is None:
        raise ValueError(f"not a Dr Green id: {value!r}")
    return parsed


def order_refresh(
    *,
    drgreen_id: uuid.UUID | str,
    now: datetime | None = None,
    worker: str | None = None,
    use_breaker: bool = True,
) -> SyncOutcome:
    """Re-read one order from Dr Green. ``stats["found"]`` says whether Dr Green has it."""
    return _refresh_run(
        "refresh.order", _refresh_order, _uuid(drgreen_id), now=now, worker=worker, use_breaker=use_breaker
    )


def _refresh_run(kind, refresh, drgreen_id: uuid.UUID, *, now, worker, use_breaker) -> SyncOutcome:
    """One refresh inside its own sync run (ledger, breaker, lease); Dr Green failures are
    re-raised so the caller (a task, a staff action) can retry or report them."""
    outcome = SyncOutcome(kind=kind, state="")
    with sync_run(
        kind, worker=worker, now=now, use_breaker=use_breaker, reraise_upstream=True, outcome=outcome
    ) as ctx:
        if ctx is not None:
            ctx.stats["found"] = refresh(ctx, drgreen_id)
    return outcome


def _refresh_order(ctx: RunContext, order_id: uuid.UUID) -> bool:
    observed = ctx.now()
    try:
        payload = ctx.call(ctx.client.get_order, str(order_id))
    except NotFound:
        return False
    result = order_upsert_from_detail(payload=payload, observed_at=observed)
    ctx.page_done(result, key="detail")
    client_id = Order.objects.filter(drgreen_id=order_id).values_list("client_drgreen_id", flat=True).first()
    if client_id is not None:
        walk_orders_until_seen(ctx, wanted={order_id}, key="client_ids", take=50, client_ids=[str(client_id)])
    return True


def client_refresh(
    *,
    drgreen_id: uuid.UUID | str,
    now: datetime | None = None,
    worker: str | None = None,
    use_breaker: bool = True,
) -> SyncOutcome:
    """Re-read one client (detail) and its orders (one ``clientIds`` list walk)."""
    return _refresh_run(
        "refresh.client", _refresh_client, _uuid(drgreen_id), now=now, worker=worker, use_breaker=use_breaker
    )


def _refresh_client(ctx: RunContext, client_id: uuid.UUID) -> bool:
    observed = ctx.now()
    try:
        payload = ctx.call(ctx.client.get_client, str(client_id))
    except NotFound:
        return False
    result = client_upsert_from_detail(payload=payload, observed_at=observed)
    ctx.page_done(result, key="detail")
    # wanted=∅ would stop at once; ask for a sentinel so the walk reads every page.
    walk_orders_until_seen(ctx, wanted={uuid.UUID(int=0)}, key="client_orders", client_ids=[str(client_id)])
    return True


def mirror_refresh(*, drgreen_id: uuid.UUID | str, use_breaker: bool = True) -> SyncOutcome:
    """Refresh whatever ``drgreen_id`` names: a mirrored order or client, else ask Dr Green
    (order first: its detail answers 200-null rather than an error for unknown ids)."""
    target = _uuid(drgreen_id)
    if Client.objects.filter(drgreen_id=target).exists():
        return client_refresh(drgreen_id=target, use_breaker=use_breaker)
    outcome = order_refresh(drgreen_id=target, use_breaker=use_breaker)
    if outcome.stats.get("found") or Order.objects.filter(drgreen_id=target).exists():
        return outcome
    return client_refresh(drgreen_id=target, use_breaker=use_breaker)
