"""Dr Green's own summary figures, fetched in the background for the staff dashboard.

The dashboard compares the mirror's counts with ``/dapp/orders/summary``,
``/dapp/clients/summary`` and ``/dapp/dashboard/summary`` (facts §6.2, §6.1, §6.8). Those
calls never happen inside a staff request: :func:`summaries_snapshot_fetch` runs in a task and
stores what it got in a ``SyncRun`` (kind ``summaries``, figures in ``stats``), which is the
cached snapshot the dashboard reads. A ``SyncRun`` rather than Django's cache because the
default cache is per process (the worker's copy would be invisible to the web process) and
because the run log then shows every fetch, with its errors, like any other sync.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from django.utils import timezone

from integration.drgreen.errors import DrGreenError
from integration.models import SyncRun
from integration.services.breaker import CLOSED, breaker_state
from integration.services.drgreen_api import correlation_scope, drgreen_client

logger = logging.getLogger("integration.summaries")

SUMMARIES_KIND = "summaries"

# name in the snapshot → the client method that fetches it
_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("orders", "order_summary"),
    ("clients", "client_summary"),
    ("dashboard", "dashboard_summary"),
)


def summaries_snapshot_fetch(*, holder: str = "") -> SyncRun:
    """Fetch the three summaries and record them as one ``SyncRun``.

    Each endpoint is isolated: one failing leaves the others' figures in the snapshot and the
    run ``partial`` (all failing: ``failed``). Dr Green errors are recorded, not raised, so a
    beat tick never turns into a retry storm against an API that is already unhappy; while
    the circuit breaker is open the run is recorded as ``skipped`` without any call.
    """
    if breaker_state().state != CLOSED:
        # Polling is paused because Dr Green is unwell: do not add calls. Only *reads* the
        # breaker (no probe): the sweeps own its half-open probe and its counters.
        now = timezone.now()
        return SyncRun.objects.create(
            kind=SUMMARIES_KIND,
            holder=holder[:128],
            state=SyncRun.STATE_SKIPPED,
            finished_at=now,
            stats={"skipped": "circuit breaker not closed"},
        )
    run = SyncRun.objects.create(kind=SUMMARIES_KIND, holder=holder[:128])
    try:
        _fetch_into(run)
    except Exception as exc:
        # Anything unexpected still leaves its traceback on the run (never a "running" ghost).
        run.state = SyncRun.STATE_FAILED
        run.finished_at = timezone.now()
        run.traceback = "".join(traceback.format_exception(exc))[-10_000:]
        run.save(update_fields=["state", "finished_at", "traceback"])
        raise
    return run


def _fetch_into(run: SyncRun) -> None:
    figures: dict[str, Any] = {}
    errors: dict[str, str] = {}
    client = drgreen_client()
    with correlation_scope(f"summaries-{run.pk}", sync_run_id=run.pk):
        for name, method in _ENDPOINTS:
            try:
                figures[name] = getattr(client, method)()
            except DrGreenError as exc:
                logger.warning("Dr Green %s summary failed: %s", name, exc)
                errors[name] = f"{type(exc).__name__}: {exc}"[:500]
    run.finished_at = timezone.now()
    run.calls = len(_ENDPOINTS)
    run.errors = len(errors)
    run.rows = len(figures)
    run.state = (
        SyncRun.STATE_SUCCEEDED if not errors else SyncRun.STATE_PARTIAL if figures else SyncRun.STATE_FAILED
    )
    run.stats = {"figures": figures, "errors": errors, "fetched_at": run.finished_at.isoformat()}
    run.traceback = "\n".join(f"{k}: {v}" for k, v in errors.items())
    run.save(update_fields=["finished_at", "calls", "errors", "rows", "state", "stats", "traceback"])


def summaries_snapshot_latest() -> SyncRun | None:
    """The newest snapshot that holds any figures (a failed fetch does not hide the last good one)."""
    return (
        SyncRun.objects.filter(
            kind=SUMMARIES_KIND, state__in=[SyncRun.STATE_SUCCEEDED, SyncRun.STATE_PARTIAL]
        )
        .order_by("-started_at", "-pk")
        .first()
    )
