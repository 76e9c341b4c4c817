"""Building blocks the sweeps share: paging a filtered order list until the wanted orders
were seen, the ``clientIds`` fallback, detail calls, and rescheduling.

Every page is upserted as it arrives (one transaction per page, no HTTP inside it) and
stamped with the time it was fetched, so every row a page shows gets its next poll
planned from that moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from integration.conf import drgreen_settings
from integration.drgreen import NotFound
from integration.models import Order
from integration.services.mirror.orders import order_upsert_from_detail, orders_upsert_from_list
from integration.services.mirror.tiers import order_next_poll_at

from .runs import RunContext

# Filter values the list endpoint accepts (facts §7.1). An order holding anything else
# (blank = unknown, or a value Dr Green added later) cannot be found by filtering on it.
KNOWN_VALUES = {
    "order_status": frozenset({"PENDING", "PROCESSING", "SHIPPED", "DELIVERED"}),
    "payment_status": frozenset({"PENDING", "PAID"}),
    "admin_approval": frozenset({"PENDING", "VERIFIED", "REJECTED"}),
}

GroupKey = tuple[str, str, str]  # (orderStatus, paymentStatus, adminApproval)


def group_key(row: dict) -> GroupKey | None:
    """The list filter that finds this order *if it did not change*; ``None`` when a held
    value is unknown (then only the ``clientIds`` fallback can find it)."""
    values = tuple(row[name] for name in ("order_status", "payment_status", "admin_approval"))
    names = ("order_status", "payment_status", "admin_approval")
    if all(v in KNOWN_VALUES[n] for v, n in zip(values, names, strict=True)):
        return values  # type: ignore[return-value]
    return None


def walk_orders_until_seen(
    ctx: RunContext, *, wanted: set[uuid.UUID], key: str, take: int | None = None, **filters
) -> set[uuid.UUID]:
    """Page ``GET /dapp/orders`` newest first with ``filters`` and upsert every page, until
    every id in ``wanted`` was seen or the list ends. Returns the ids still not seen.

    Newest first because active orders are recent: a sweep often ends on page one. Rows
    entering the filter during the walk only repeat items; rows leaving it can shift one
    past us, which is why callers treat "not seen" as "check another way", never as gone.
    """
    take = take or drgreen_settings.sync.sweep_take
    remaining = set(wanted)
    page = 1
    while remaining:
        observed = ctx.now()
        result_page = ctx.call(ctx.client.list_orders, page=page, take=take, order_by="desc", **filters)
        result = orders_upsert_from_list(items=result_page.items, observed_at=observed)
        ctx.page_done(result, key=key)
        remaining -= result.pks.keys()
        if not result_page.items or not result_page.meta.has_next:
            break
        page += 1
    return remaining


def walk_client_orders(
    ctx: RunContext, *, wanted: set[uuid.UUID], client_of: dict[uuid.UUID, uuid.UUID | None]
) -> set[uuid.UUID]:
    """Find ``wanted`` orders through their clients: ``GET /dapp/orders?clientIds=[…]``
    (batched), which carries all three statuses whatever they became. Returns the ids
    still not seen (orders without a known client are returned untouched)."""
    conf = drgreen_settings.sync
    by_client: dict[uuid.UUID, set[uuid.UUID]] = {}
    orphans = set()
    for order_id in wanted:
        client_id = client_of.get(order_id)
        if client_id is None:
            orphans.add(order_id)
        else:
            by_client.setdefault(client_id, set()).add(order_id)
    clients = sorted(by_client, key=str)
    remaining = set(orphans)
    for start in range(0, len(clients), conf.client_ids_batch):
        batch = clients[start : start + conf.client_ids_batch]
        batch_wanted = set().union(*(by_client[c] for c in batch))
        remaining |= walk_orders_until_seen(
            ctx, wanted=batch_wanted, key="client_ids", client_ids=[str(c) for c in batch]
        )
    return remaining


def check_by_detail(ctx: RunContext, *, order_ids: Iterable[uuid.UUID], limit: int) -> dict[str, set]:
    """Last resort, one ``GET /dapp/orders/{id}`` each (bounded). Found orders are upserted
    (detail lacks ``adminApproval``, which keeps its held value); ``NotFound`` ones are left
    to the reconcile, which tombstones only after its own re-check."""
    found, missing, deferred = set(), set(), set()
    for i, order_id in enumerate(sorted(order_ids, key=str)):
        if i >= limit:
            deferred.add(order_id)
            continue
        observed = ctx.now()
        try:
            payload = ctx.call(ctx.client.get_order, str(order_id))
        except NotFound:
            missing.add(order_id)
            ctx.stats["detail_not_found"] += 1
            continue
        result = order_upsert_from_detail(payload=payload, observed_at=observed)
        ctx.page_done(result, key="detail")
        found |= result.pks.keys()
    return {"found": found, "missing": missing, "deferred": deferred}


def reschedule(drgreen_ids: Iterable[uuid.UUID], *, now: datetime) -> int:
    """Plan the next poll from ``now`` for orders checked without a list payload (a detail
    answer, or no answer at all), so an order that vanished is not asked for every tick."""
    orders = list(
        Order.objects.filter(drgreen_id__in=list(drgreen_ids)).only(
            "pk", "order_status", "admin_approval", "payment_status", "next_poll_at"
        )
    )
    for order in orders:
        order.next_poll_at = order_next_poll_at(order, now=now)
    Order.objects.bulk_update(orders, ["next_poll_at"])
    return len(orders)
