"""Retention for the operational logs: the ``ApiCall`` ledger and ``SyncRun`` rows.

Deleted in bounded batches so a first prune of a large backlog never holds one huge
transaction (or lock) on a table the workers keep writing to.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import ApiCall, SyncRun

BATCH = 5000


def _delete_batched(queryset: models.QuerySet, *, batch: int = BATCH) -> int:
    deleted = 0
    while True:
        pks = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])
        if not pks:
            return deleted
        count, _ = queryset.model.objects.filter(pk__in=pks).delete()
        deleted += count


def logs_prune(
    *,
    api_call_days: int | None = None,
    sync_run_days: int | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> dict[str, int]:
    """Delete ``ApiCall`` rows older than ``api_call_days`` and finished ``SyncRun`` rows
    older than ``sync_run_days`` (defaults: ``DRGREEN_SYNC`` retention settings).
    ``ApiCall.sync_run`` is ``SET_NULL``, so the two can be pruned independently."""
    conf = drgreen_settings.sync
    now = now or timezone.now()
    api_days = conf.api_call_retention_days if api_call_days is None else api_call_days
    run_days = conf.sync_run_retention_days if sync_run_days is None else sync_run_days
    if api_days < 0 or run_days < 0:
        raise ValueError("retention days must not be negative")
    calls = ApiCall.objects.filter(created_at__lt=now - timedelta(days=api_days))
    # A run still "running" after the retention period died with its worker: prune it too.
    runs = SyncRun.objects.filter(started_at__lt=now - timedelta(days=run_days))
    if dry_run:
        return {"api_calls": calls.count(), "sync_runs": runs.count()}
    return {"api_calls": _delete_batched(calls), "sync_runs": _delete_batched(runs)}
