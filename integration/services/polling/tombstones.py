"""After a complete walk: confirm, one by one, that unseen rows are really gone.

A row can be missing from a walk for harmless reasons (it moved between pages while we
read, the list filters it out — e.g. a strain inactive in every country — or a page was
skipped). So each unseen row gets its own detail call; only Dr Green's "not found"
tombstones it (``remote_missing_since``), never a hard delete. Sales have no detail
endpoint: the walk itself (complete and consistent with the server's count) is the check.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from integration.conf import drgreen_settings
from integration.drgreen import NotFound
from integration.models import Client, Order, Sale, Strain
from integration.services.breaker import UPSTREAM_ERRORS
from integration.services.mirror.clients import client_upsert_from_detail
from integration.services.mirror.orders import order_upsert_from_detail
from integration.services.mirror.strains import strain_upsert_from_detail
from integration.services.mirror.transactions import apply_maybe_dry

from .runs import RunContext

logger = logging.getLogger("integration.sync")

MODELS = {"clients": Client, "orders": Order, "sales": Sale, "strains": Strain}


def _recheck(ctx: RunContext, resource: str, drgreen_id: uuid.UUID, *, dry_run: bool) -> bool:
    """``True`` if the row still exists (and was refreshed from its detail)."""
    client = ctx.client
    observed = ctx.now()
    try:
        if resource == "orders":
            payload = ctx.call(client.get_order, str(drgreen_id))
            apply_maybe_dry(
                lambda: order_upsert_from_detail(payload=payload, observed_at=observed), dry_run=dry_run
            )
        elif resource == "clients":
            payload = ctx.call(client.get_client, str(drgreen_id))
            apply_maybe_dry(
                lambda: client_upsert_from_detail(payload=payload, observed_at=observed), dry_run=dry_run
            )
        elif resource == "strains":
            payload = ctx.call(client.get_strain, str(drgreen_id))
            apply_maybe_dry(
                lambda: strain_upsert_from_detail(payload=payload, observed_at=observed), dry_run=dry_run
            )
        else:
            return False  # sales: no detail endpoint; the complete walk decided
    except NotFound:
        return False
    return True


def tombstone_unseen(
    ctx: RunContext, resource: str, *, walk_started: datetime, dry_run: bool
) -> dict[str, Any]:
    """Re-check rows of ``resource`` not stamped since ``walk_started`` and tombstone the
    ones Dr Green no longer has. Bounded per run (``RECONCILE_RECHECK_LIMIT``); the rest
    waits for the next reconcile."""
    model = MODELS[resource]
    limit = drgreen_settings.sync.reconcile_recheck_limit
    unseen = model.objects.filter(last_synced_at__lt=walk_started, remote_missing_since__isnull=True)
    total = unseen.count()
    candidates = list(unseen.order_by("pk").values_list("pk", "drgreen_id")[:limit])
    report = {
        "unseen": total,
        "rechecked": 0,
        "alive": 0,
        "tombstoned": 0,
        "deferred": total - len(candidates),
        "errors": 0,
    }
    gone: list[int] = []
    for i, (pk, drgreen_id) in enumerate(candidates):
        try:
            alive = _recheck(ctx, resource, drgreen_id, dry_run=dry_run)
        except UPSTREAM_ERRORS as exc:
            # Dr Green is unwell: what we did not re-check waits for the next run.
            report["deferred"] += len(candidates) - i
            report["errors"] += 1
            ctx.errors += 1
            logger.warning("reconcile %s re-check stopped: %s", resource, exc)
            break
        except Exception:  # noqa: BLE001 - per-item isolation: one odd row must not stop the rest
            report["errors"] += 1
            ctx.errors += 1
            logger.exception("reconcile %s re-check of %s failed", resource, drgreen_id)
            continue
        report["rechecked"] += 1
        if alive:
            report["alive"] += 1
        else:
            gone.append(pk)
        if (i + 1) % 50 == 0:
            ctx.renew()
    if gone and not dry_run:
        # Conditional: a row another path saw in the meantime is alive after all.
        report["tombstoned"] = model.objects.filter(
            pk__in=gone, remote_missing_since__isnull=True, last_synced_at__lt=walk_started
        ).update(remote_missing_since=ctx.now())
    elif gone:
        report["tombstoned"] = len(gone)  # would be
    if report["tombstoned"]:
        logger.warning(
            "reconcile: %s %s tombstoned%s", report["tombstoned"], resource, " (dry run)" * dry_run
        )
    return report
