"""The KYC sweep: clients whose approval or KYC is not settled yet, and stub clients.

Pending clients are found with list sweeps, not one detail call each:
``GET /dapp/clients?adminApproval=PENDING`` and ``?adminApproval=VERIFIED&isVerified=false``
(newest first, paged until every due client was seen). The list also carries ``verifiedAt``,
``rejectedAt`` and ``rejectionNote``, which the detail lacks.

A client that left its filter was approved or rejected: ``adminApproval=VERIFIED`` and
``=REJECTED`` lists sort by ``verifiedAt``/``rejectedAt`` (facts §5), so one page of each,
newest first, finds recent decisions; the detail call is the bounded last resort.

The docs ask for no more than one poll per client every 5 minutes: each group is walked at
most once per ``KYC_GROUP_INTERVAL`` (a lease that is left to expire, so it survives
restarts), and a client is only due again 5 minutes (±10%) after it was seen.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db.models import Q

from integration.conf import drgreen_settings
from integration.drgreen import NotFound
from integration.models import Client
from integration.services.mirror.clients import client_upsert_from_detail, clients_upsert_from_list
from integration.services.mirror.tiers import KYC_POLL_INTERVAL
from integration.services.polling.leases import lease_acquire

from .runs import RunContext, SyncOutcome, sync_run

KYC_LEASE = "clients.kyc"
GROUP_PENDING = "pending"
GROUP_VERIFIED_NO_KYC = "verified_no_kyc"
_GROUP_FILTERS = {
    GROUP_PENDING: {"admin_approval": "PENDING"},
    GROUP_VERIFIED_NO_KYC: {"admin_approval": "VERIFIED", "is_verified": False},
}


def clients_kyc_sweep(*, now: datetime | None = None, worker: str | None = None) -> SyncOutcome:
    """Poll due unsettled clients with list sweeps, and fetch stub clients."""
    outcome = SyncOutcome(kind="clients.kyc", state="")
    with sync_run("clients.kyc", worker=worker, now=now, lease=KYC_LEASE, outcome=outcome) as ctx:
        if ctx is not None:
            _kyc(ctx)
    return outcome


def _due(now: datetime):
    return Client.objects.filter(next_kyc_poll_at__lte=now, remote_missing_since__isnull=True)


def _group_of(admin_approval: str, is_kyc_verified: bool | None) -> str | None:
    if admin_approval in ("PENDING", ""):
        return GROUP_PENDING
    if admin_approval == "VERIFIED" and is_kyc_verified is not True:
        return GROUP_VERIFIED_NO_KYC
    return None  # an approval value we cannot filter on: detail only


def _kyc(ctx: RunContext) -> None:
    conf = drgreen_settings.sync
    now = ctx.now()
    stubs = list(
        _due(now)
        .filter(is_stub=True)
        .order_by("first_seen_at", "pk")
        .values_list("drgreen_id", flat=True)[: conf.kyc_stubs_per_run]
    )
    _by_detail(ctx, stubs, key="stub")

    groups: dict[str, set[uuid.UUID]] = {}
    odd: set[uuid.UUID] = set()
    for drgreen_id, approval, kyc in (
        _due(now).filter(is_stub=False).values_list("drgreen_id", "admin_approval", "is_kyc_verified")
    ):
        group = _group_of(approval, kyc)
        if group is None:
            odd.add(drgreen_id)
        else:
            groups.setdefault(group, set()).add(drgreen_id)
    left: set[uuid.UUID] = set(odd)
    for group, wanted in groups.items():
        # At most one walk per group per interval, whoever runs it (leases survive restarts).
        if not lease_acquire(
            name=f"{KYC_LEASE}.{group}",
            holder=ctx.holder,
            ttl=timedelta(seconds=conf.kyc_group_interval_s),
            now=now,
        ):
            ctx.stats[f"{group}.cooling_down"] = len(wanted)
            continue
        missing = walk_clients_until_seen(ctx, wanted=wanted, key=group, **_GROUP_FILTERS[group])
        if missing and group == GROUP_PENDING:
            # Approved or rejected since: the newest decisions come first in these lists.
            for approval in ("VERIFIED", "REJECTED"):
                if missing:
                    missing = walk_clients_until_seen(
                        ctx, wanted=missing, key=f"decided.{approval}", max_pages=1, admin_approval=approval
                    )
        left |= missing
    _by_detail(ctx, sorted(left, key=str)[: conf.kyc_details_per_run], key="detail")


def walk_clients_until_seen(
    ctx: RunContext, *, wanted: set[uuid.UUID], key: str, max_pages: int | None = None, **filters
) -> set[uuid.UUID]:
    """Page ``GET /dapp/clients`` newest first with ``filters``, upserting each page, until
    ``wanted`` were all seen, the list ends or ``max_pages`` were read."""
    take = drgreen_settings.sync.kyc_take
    remaining = set(wanted)
    page = 1
    while remaining and (max_pages is None or page <= max_pages):
        observed = ctx.now()
        result_page = ctx.call(ctx.client.list_clients, page=page, take=take, order_by="desc", **filters)
        result = clients_upsert_from_list(items=result_page.items, observed_at=observed)
        ctx.page_done(result, key=f"kyc.{key}")
        remaining -= result.pks.keys()
        if not result_page.items or not result_page.meta.has_next:
            break
        page += 1
    return remaining


def _by_detail(ctx: RunContext, ids: list[uuid.UUID], *, key: str) -> None:
    gone = []
    for client_id in ids:
        observed = ctx.now()
        try:
            payload = ctx.call(ctx.client.get_client, str(client_id))
        except NotFound:
            gone.append(client_id)
            continue
        result = client_upsert_from_detail(payload=payload, observed_at=observed)
        ctx.page_done(result, key=f"kyc.{key}")
    if gone:
        # Not found: ask again at the normal pace; the reconcile decides whether it is gone.
        ctx.stats[f"kyc.{key}.not_found"] += len(gone)
        Client.objects.filter(drgreen_id__in=gone).filter(
            Q(next_kyc_poll_at__isnull=True) | Q(next_kyc_poll_at__lte=ctx.now())
        ).update(next_kyc_poll_at=ctx.now() + KYC_POLL_INTERVAL)
