"""The heartbeat on ``GET /dapp/orders/recent``: adopt new orders within about a minute.

``/recent`` is sorted by creation, newest first, so it shows orders created anywhere (our
checkout, Dr Green's own UI) but not status changes of older ones (the sweep's job). It
lacks ``adminApproval``, so orders it adopts get theirs from one ``clientIds`` list call
right away, and their lines from a (bounded) detail call.

Cadence: 60 s ± 10%, from the jittered beat entry in ``integration/schedule.py``; the lease
keeps overlapping ticks from running it twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from integration.conf import drgreen_settings
from integration.models import Order
from integration.services.mirror.orders import orders_upsert_from_recent
from integration.services.mirror.parsing import parse_uuid

from .runs import RunContext, SyncOutcome, sync_run
from .walks import check_by_detail, walk_client_orders

HEARTBEAT_LEASE = "orders.heartbeat"


def orders_heartbeat(*, now: datetime | None = None, worker: str | None = None) -> SyncOutcome:
    """Read the newest orders, adopt unknown ones and fill their approval and lines."""
    outcome = SyncOutcome(kind="orders.heartbeat", state="")
    with sync_run("orders.heartbeat", worker=worker, now=now, lease=HEARTBEAT_LEASE, outcome=outcome) as ctx:
        if ctx is not None:
            _heartbeat(ctx)
    return outcome


def _heartbeat(ctx: RunContext) -> None:
    conf = drgreen_settings.sync
    seen: set[uuid.UUID] = set()
    new: list[uuid.UUID] = []
    for page in range(1, conf.heartbeat_max_pages + 1):
        observed = ctx.now()
        result_page = ctx.call(ctx.client.list_recent_orders, page=page, take=conf.heartbeat_take)
        ids = [i for i in (parse_uuid(item.get("id")) for item in result_page.items) if i is not None]
        known = set(Order.objects.filter(drgreen_id__in=ids).values_list("drgreen_id", flat=True))
        result = orders_upsert_from_recent(items=result_page.items, observed_at=observed)
        ctx.page_done(result, key="recent")
        seen.update(ids)
        new.extend(i for i in ids if i not in known)
        # A page with any order we knew reaches back past the last heartbeat: done.
        if known or not result_page.meta.has_next:
            break
    ctx.stats["adopted"] = len(new)
    # adminApproval: unknown for what /recent adopted (and any earlier adoption that could
    # not be completed); one clientIds list call brings all three statuses.
    blanks = dict(
        Order.objects.filter(drgreen_id__in=seen, admin_approval="").values_list(
            "drgreen_id", "client_drgreen_id"
        )
    )
    if blanks:
        left = walk_client_orders(ctx, wanted=set(blanks), client_of=blanks)
        ctx.stats["approval_unknown"] = len(left)
    if new:
        lines_missing = set(
            Order.objects.filter(drgreen_id__in=new, lines_synced_at__isnull=True).values_list(
                "drgreen_id", flat=True
            )
        )
        check_by_detail(ctx, order_ids=lines_missing, limit=conf.heartbeat_details)
