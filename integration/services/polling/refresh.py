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


def mirror_refresh(
    *,
    drgreen_id: uuid.UUID | str,
    kind: str | None = None,
    now: datetime | None = None,
    worker: str | None = None,
    use_breaker: bool = True,
) -> SyncOutcome:
    """Re-read one order (``kind="order"``) or one client (``kind="client"``) from Dr Green.

    Without ``kind``, whatever ``drgreen_id`` names: a mirrored client or order, else ask Dr
    Green (order first: its detail answers 200-null rather than an error for unknown ids).
    ``stats["found"]`` says whether Dr Green has it.
    """
    target = _uuid(drgreen_id)

    def run(what: str) -> SyncOutcome:
        return _refresh_run(what, target, now=now, worker=worker, use_breaker=use_breaker)

    if kind is not None:
        if kind not in _READERS:
            raise ValueError(f"kind must be one of {sorted(_READERS)}, not {kind!r}")
        return run(kind)
    if Client.objects.filter(drgreen_id=target).exists():
        return run("client")
    outcome = run("order")
    if outcome.stats.get("found") or Order.objects.filter(drgreen_id=target).exists():
        return outcome
    return run("client")


def _refresh_run(kind: str, drgreen_id: uuid.UUID, *, now, worker, use_breaker) -> SyncOutcome:
    """One refresh inside its own sync run (ledger, breaker, lease); Dr Green failures are
    re-raised so the caller (a task, a staff action) can retry or report them."""
    outcome = SyncOutcome(kind=f"refresh.{kind}", state="")
    with sync_run(
        outcome.kind, worker=worker, now=now, use_breaker=use_breaker, reraise_upstream=True, outcome=outcome
    ) as ctx:
        if ctx is not None:
            ctx.stats["found"] = _READERS[kind](ctx, drgreen_id)
    return outcome


def _detail_read(ctx: RunContext, fetch, upsert, drgreen_id: uuid.UUID) -> bool:
    """Read one detail and upsert it; False when Dr Green does not know the id."""
    observed = ctx.now()
    try:
        payload = ctx.call(fetch, str(drgreen_id))
    except NotFound:
        return False
    ctx.page_done(upsert(payload=payload, observed_at=observed), key="detail")
    return True


def _order_read(ctx: RunContext, order_id: uuid.UUID) -> bool:
    if not _detail_read(ctx, ctx.client.get_order, order_upsert_from_detail, order_id):
        return False
    client_id = Order.objects.filter(drgreen_id=order_id).values_list("client_drgreen_id", flat=True).first()
    if client_id is not None:
        walk_orders_until_seen(ctx, wanted={order_id}, key="client_ids", take=50, client_ids=[str(client_id)])
    return True


def _client_read(ctx: RunContext, client_id: uuid.UUID) -> bool:
    if not _detail_read(ctx, ctx.client.get_client, client_upsert_from_detail, client_id):
        return False
    # wanted=∅ would stop at once; ask for a sentinel so the walk reads every page.
    walk_orders_until_seen(ctx, wanted={uuid.UUID(int=0)}, key="client_orders", client_ids=[str(client_id)])
    return True


_READERS = {"order": _order_read, "client": _client_read}
