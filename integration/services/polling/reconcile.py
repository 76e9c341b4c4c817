"""The full reconcile: walk every client, order, sale and strain and mirror what is there.

- Each resource is walked oldest first (``orderBy=asc``): rows created during the walk
  land at the end instead of pushing others onto pages we already read (facts §5).
- Pages are streamed: fetched, upserted in one transaction, forgotten. Memory stays flat
  and the number of queries per page is constant, whatever N is. With PostgreSQL the next
  page is fetched while the current one is written (``RECONCILE_PREFETCH``), and mapped
  there too: the mapping is the pure half of the same upsert functions the sweeps use
  (``*_map_list``), and runs while the main thread waits on the database. That page
  pipeline is ``pipeline.py``.
- Every row a page shows is stamped (``last_synced_at``). After a *complete* walk, rows
  not stamped since the walk began are re-checked one by one (``tombstones.py``) and
  marked ``remote_missing_since`` only when Dr Green confirms they are gone. Nothing is
  ever hard-deleted; a row seen again is revived by the upsert.
- A page that fails to upsert is recorded and skipped (the walk then counts as incomplete,
  so nothing is tombstoned on its evidence); an upstream failure ends that resource's walk.
- ``dry_run`` runs every upsert inside a transaction that is rolled back, so the counts
  say what *would* change, and re-checks without tombstoning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from integration.conf import drgreen_settings
from integration.db.bulk import fast_timestamps
from integration.drgreen import NotFound, Page
from integration.models import Client, ShippingAddress
from integration.services.breaker import breaker_allow
from integration.services.mirror.clients import clients_map_list, clients_upsert_mapped
from integration.services.mirror.orders import orders_map_list, orders_upsert_mapped
from integration.services.mirror.results import UpsertResult
from integration.services.mirror.sales import sales_map_list, sales_upsert_mapped
from integration.services.mirror.strains import strains_upsert_from_list
from integration.services.mirror.transactions import relaxed_commits

from .pipeline import Prepare, WalkReport, walk
from .runs import RunContext, SyncOutcome, sync_run
from .tombstones import tombstone_unseen

logger = logging.getLogger("integration.sync")

RECONCILE_LEASE = "mirror.reconcile"
RESOURCES = ("clients", "orders", "sales", "strains")
Progress = Callable[[dict[str, Any]], None]


def mirror_reconcile(
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
    worker: str | None = None,
    resources: tuple[str, ...] = RESOURCES,
    use_breaker: bool = True,
) -> SyncOutcome:
    """Walk the whole Dr Green account into the mirror (see the module doc).

    ``progress`` receives ``{"resource", "page", "pages", "rows"}`` after each page and
    ``{"resource", "done": True, ...report}`` after each resource. The outcome's ``stats``
    hold one report per resource; ``state`` is ``partial`` when any page or re-check failed.
    """
    unknown = set(resources) - set(RESOURCES)
    if unknown:
        raise ValueError(f"unknown resources: {', '.join(sorted(unknown))}")
    conf = drgreen_settings.sync
    outcome = SyncOutcome(kind="reconcile", state="")
    with sync_run(
        "reconcile",
        worker=worker,
        now=now,
        lease=RECONCILE_LEASE,
        lease_ttl=timedelta(seconds=conf.reconcile_lease_ttl_s),
        dry_run=dry_run,
        use_breaker=use_breaker,
        outcome=outcome,
    ) as ctx:
        if ctx is not None:
            with relaxed_commits(), fast_timestamps():
                reports = _reconcile(ctx, resources=resources, dry_run=dry_run, progress=progress or _quiet)
            for report in reports:
                ctx.stats[f"report.{report.resource}"] = report.as_dict()
    # Flatten for readers: outcome.stats["clients"] = {...}.
    for name in RESOURCES:
        if f"report.{name}" in outcome.stats:
            outcome.stats[name] = outcome.stats.pop(f"report.{name}")
    return outcome


def _quiet(_event: dict[str, Any]) -> None:
    return None


def _reconcile(
    ctx: RunContext, *, resources: tuple[str, ...], dry_run: bool, progress: Progress
) -> list[WalkReport]:
    conf = drgreen_settings.sync
    client = ctx.client
    take = conf.reconcile_take
    reports = []
    walks: list[tuple[str, Callable[..., Page], Prepare, Callable[..., UpsertResult]]] = []
    if "clients" in resources:
        walks.append(("clients", client.list_clients, clients_map_list, _upsert(clients_upsert_mapped)))
    if "orders" in resources:
        walks.append(("orders", client.list_orders, orders_map_list, _upsert(orders_upsert_mapped)))
    if "sales" in resources:
        walks.append(("sales", client.list_sales, sales_map_list, _upsert(sales_upsert_mapped)))
    for resource, fetch, prepare, upsert in walks:
        reports.append(
            _walk_and_tombstone(
                ctx, resource, fetch, upsert, prepare=prepare, take=take, dry_run=dry_run, progress=progress
            )
        )
        if not breaker_allow(now=ctx.now()).allowed:
            logger.warning("reconcile stopped: breaker open")
            ctx.stats["stopped_by_breaker"] = 1
            return reports
    if "strains" in resources:
        reports.append(_strains(ctx, take=take, dry_run=dry_run, progress=progress))
    return reports


def _upsert(fn: Callable[..., UpsertResult]) -> Callable[..., UpsertResult]:
    def run(mapped: list, observed_at: datetime) -> UpsertResult:
        return fn(mapped, observed_at=observed_at)

    return run


def strain_countries() -> list[str]:
    """Countries whose catalogue is mirrored: the setting, else where our clients live."""
    conf = drgreen_settings.sync
    if conf.strain_countries:
        return sorted({c.upper() for c in conf.strain_countries})
    codes = set(ShippingAddress.objects.exclude(country_code="").values_list("country_code", flat=True))
    codes |= set(
        Client.objects.exclude(shipping_country_code="").values_list("shipping_country_code", flat=True)
    )
    return sorted(c.upper() for c in codes if len(c) == 3)


# At most this many client details read per reconcile to learn countries (see below).
COUNTRY_FILL_LIMIT = 200


def clients_countries_fill(ctx: RunContext, *, limit: int = COUNTRY_FILL_LIMIT) -> int:
    """Read the details of mirrored clients whose country is unknown; returns how many.

    The client list carries no country code (``getAllClients`` selects ``shippings:
    {country}`` only), so a client the mirror knows only from lists has none, and its
    country's catalogue would never be walked. Its detail has the full shipping rows. The
    reads are bounded per run; every later run continues with the rest.
    """
    from integration.services.mirror.clients import client_upsert_from_detail

    unknown = (
        Client.objects.filter(shipping_country_code="", is_stub=False, remote_missing_since__isnull=True)
        .exclude(shipping_addresses__country_code__gt="")
        .order_by("pk")
        .values_list("drgreen_id", flat=True)[:limit]
    )
    read = 0
    for drgreen_id in list(unknown):
        try:
            payload = ctx.call(ctx.client.get_client, str(drgreen_id))
        except NotFound:
            continue  # gone: the tombstone pass deals with it
        client_upsert_from_detail(payload=payload, observed_at=ctx.now())
        read += 1
    return read


def _strains(ctx: RunContext, *, take: int, dry_run: bool, progress: Progress) -> WalkReport:
    total = WalkReport(resource="strains", complete=True)
    started = ctx.now()
    if not dry_run and not drgreen_settings.sync.strain_countries:
        ctx.stats["clients.countries_filled"] = clients_countries_fill(ctx)
    for code in strain_countries():

        def fetch(*, country=code, **kw) -> Page:
            return ctx.client.list_strains(country_code=country, **kw)

        def upsert(items: list[dict], observed_at: datetime, country=code) -> UpsertResult:
            return strains_upsert_from_list(items=items, country_code=country, observed_at=observed_at)

        report = walk(ctx, f"strains:{code}", fetch, upsert, take=take, dry_run=dry_run, progress=progress)
        total.add(report)
    if total.complete:
        total.tombstones = tombstone_unseen(ctx, "strains", walk_started=started, dry_run=dry_run)
        total.errors += total.tombstones.get("errors", 0)
    progress({"resource": "strains", "done": True, **total.as_dict()})
    return total


def _walk_and_tombstone(ctx, resource, fetch, upsert, *, prepare, take, dry_run, progress) -> WalkReport:
    started = ctx.now()
    report = walk(
        ctx, resource, fetch, upsert, prepare=prepare, take=take, dry_run=dry_run, progress=progress
    )
    if report.complete and resource == "sales" and report.item_count is not None:
        # Sales have no detail endpoint to re-check with; only a walk that saw as many
        # distinct sales as the server counted may stand as evidence that one is gone.
        report.complete = report.distinct >= report.item_count
    if report.complete:
        report.tombstones = tombstone_unseen(ctx, resource, walk_started=started, dry_run=dry_run)
        report.errors += report.tombstones.get("errors", 0)
    progress({"resource": resource, "done": True, **report.as_dict()})
    return report
