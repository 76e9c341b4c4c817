"""The frame every sweep runs in: breaker check, lease, ``SyncRun`` row, call accounting.

The ``SyncRun`` row is written in autocommit mode, before and after the work and never
inside a page's transaction, so a run that dies still leaves its traceback behind. Every
Dr Green call made inside the frame is tagged with the run id in the ``ApiCall`` ledger.

``now``: services take an explicit clock so the benchmark (and tests) can drive simulated
time; ``None`` means the wall clock, read afresh before every call.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import connection
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.drgreen import DrGreenClient
from integration.models import SyncRun
from integration.services.breaker import (
    UPSTREAM_ERRORS,
    breaker_allow,
    breaker_record_failure,
    breaker_record_success,
)
from integration.services.drgreen_api import correlation_scope, drgreen_client
from integration.services.mirror.results import UpsertResult
from integration.services.polling.leases import lease_acquire, lease_release, lease_renew

logger = logging.getLogger("integration.sync")
T = TypeVar("T")

SKIPPED_LEASE = "lease_held"
RENEW_FRACTION = 10
SKIPPED_BREAKER = "breaker_open"


@dataclass
class SyncOutcome:
    """What a sweep reports back (JSON-friendly, for tasks and commands)."""

    kind: str
    state: str
    run_id: int | None = None
    skipped: str = ""
    pages: int = 0
    rows: int = 0
    calls: int = 0
    errors: int = 0
    stats: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "state": self.state,
            "run_id": self.run_id,
            "skipped": self.skipped,
            "pages": self.pages,
            "rows": self.rows,
            "calls": self.calls,
            "errors": self.errors,
            "stats": self.stats,
        }


class RunContext:
    """Passed to the body of a sweep: the client, the clock and the counters."""

    def __init__(
        self,
        *,
        kind: str,
        run: SyncRun,
        holder: str,
        now: datetime | None,
        client: DrGreenClient,
        lease: str | None,
        lease_ttl: timedelta,
    ) -> None:
        self.kind = kind
        self.run = run
        self.holder = holder
        self.fixed_now = now
        self.client = client
        self.lease = lease
        self.lease_ttl = lease_ttl
        self.pages = 0
        self.rows = 0
        self.calls = 0
        self.errors = 0
        self.stats: Counter[str] = Counter()
        self.status_change_ids: list[int] = []
        self.succeeded_calls = 0
        self.renewed_at: datetime | None = None

    def now(self) -> datetime:
        return self.fixed_now or timezone.now()

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One Dr Green call (the client retries GETs itself). Upstream failures feed the
        breaker and propagate: a sick upstream ends the sweep, the next tick tries again."""
        self.calls += 1
        try:
            result = fn(*args, **kwargs)
        except UPSTREAM_ERRORS as exc:
            breaker_record_failure(error=exc, now=self.now())
            raise
        self.succeeded_calls += 1
        return result

    def page_done(self, result: UpsertResult, *, key: str = "") -> None:
        """Account for one upserted page and keep the lease alive."""
        self.pages += 1
        self.rows += result.seen
        self.status_change_ids.extend(result.status_change_ids)
        if key:
            self.stats[f"{key}.pages"] += 1
            self.stats[f"{key}.rows"] += result.seen
        self.stats["created"] += result.created
        self.stats["updated"] += result.updated
        self.stats["status_changes"] += len(result.status_change_ids)
        self.renew()

    def renew(self) -> None:
        """Extend the lease, at most every ``lease_ttl / RENEW_FRACTION`` (of the run's
        clock): a statement per page bought nothing while the lease had most of its TTL
        left, and a lost lease is still noticed long before the TTL could matter."""
        if not self.lease:
            return
        now = self.now()
        if self.renewed_at is not None and now - self.renewed_at < self.lease_ttl / RENEW_FRACTION:
            return
        if not lease_renew(name=self.lease, holder=self.holder, ttl=self.lease_ttl, now=now):
            raise LeaseLost(self.lease)
        self.renewed_at = now

    def checkpoint(self) -> None:
        """Write the counters so far (long reconciles show progress in the admin)."""
        _save_counters(self, state=SyncRun.STATE_RUNNING)


class LeaseLost(RuntimeError):
    """Our lease expired and was taken over: stop before we do the other worker's work."""


def run_holder(worker: str | None) -> str:
    """A unique holder id per run: ``<worker>:<random>`` (the worker part is for humans)."""
    return f"{(worker or 'local')[:100]}:{uuid.uuid4().hex[:12]}"


def _save_counters(ctx: RunContext, *, state: str, tb: str = "") -> None:
    run = ctx.run
    run.state = state
    run.pages, run.rows, run.calls, run.errors = ctx.pages, ctx.rows, ctx.calls, ctx.errors
    run.stats = dict(ctx.stats)
    fields = ["state", "pages", "rows", "calls", "errors", "stats"]
    if tb:
        run.traceback = tb[-20000:]
        fields.append("traceback")
    if state != SyncRun.STATE_RUNNING:
        run.finished_at = ctx.fixed_now or timezone.now()
        fields.append("finished_at")
    run.save(update_fields=fields)


@contextlib.contextmanager
def sync_run(
    kind: str,
    *,
    worker: str | None = None,
    now: datetime | None = None,
    lease: str | None = None,
    lease_ttl: timedelta | None = None,
    dry_run: bool = False,
    use_breaker: bool = True,
    reraise_upstream: bool = False,
    outcome: SyncOutcome,
) -> Iterator[RunContext | None]:
    """Run a sweep body. Yields ``None`` (and fills ``outcome.skipped``) when the breaker
    is open or another worker holds the lease; otherwise a :class:`RunContext`.

    Upstream failures end the run as ``failed`` without raising (the breaker has them and
    the next beat tick is the retry) unless ``reraise_upstream``; any other exception is
    recorded and re-raised.
    """
    if connection.in_atomic_block:
        # A sweep makes HTTP calls; it must never run inside a caller's transaction.
        raise RuntimeError(f"{kind} must not run inside a transaction")
    conf = drgreen_settings.sync
    holder = run_holder(worker)
    start = now or timezone.now()
    ttl = lease_ttl or timedelta(seconds=conf.lease_ttl_s)
    if use_breaker:
        decision = breaker_allow(now=start)
        if not decision.allowed:
            outcome.state, outcome.skipped = SyncRun.STATE_SKIPPED, SKIPPED_BREAKER
            outcome.stats = {"breaker": decision.state, "opened_until": str(decision.opened_until)}
            yield None
            return
        outcome.stats["breaker_probe"] = decision.probe
    if lease and not lease_acquire(name=lease, holder=holder, ttl=ttl, now=start):
        outcome.state, outcome.skipped = SyncRun.STATE_SKIPPED, SKIPPED_LEASE
        yield None
        return
    run = SyncRun.objects.create(kind=kind, holder=holder[:128], started_at=start, dry_run=dry_run)
    ctx = RunContext(
        kind=kind, run=run, holder=holder, now=now, client=drgreen_client(), lease=lease, lease_ttl=ttl
    )
    state, tb, reraise = SyncRun.STATE_SUCCEEDED, "", None
    try:
        with correlation_scope(f"sync:{kind}:{run.pk}", sync_run_id=run.pk):
            probe_error: BaseException | None = None
            if outcome.stats.get("breaker_probe"):
                # Half-open: one cheap call decides, whatever the sweep would have called.
                ctx.stats["probe"] = 1
                try:
                    ctx.call(ctx.client.list_orders, page=1, take=1)
                except UPSTREAM_ERRORS as exc:
                    probe_error = exc
            if probe_error is None:
                yield ctx
            else:
                # The body is skipped (a context manager must yield once); the failed probe
                # is then recorded like any upstream failure below.
                yield None
                raise probe_error
        if ctx.errors:
            state = SyncRun.STATE_PARTIAL
    except UPSTREAM_ERRORS as exc:
        ctx.errors += 1
        state, tb = SyncRun.STATE_FAILED, traceback.format_exc()
        ctx.stats["upstream_error"] = f"{type(exc).__name__}: {exc}"[:500]
        logger.warning("%s run %s stopped by upstream error: %s", kind, run.pk, exc)
        if reraise_upstream:
            reraise = exc  # a task retries it (with Retry-After), see integration/tasks.py
    except LeaseLost as exc:
        ctx.errors += 1
        state, tb = SyncRun.STATE_FAILED, traceback.format_exc()
        ctx.stats["lease_lost"] = str(exc)
    except BaseException as exc:  # noqa: BLE001 - recorded, then re-raised
        ctx.errors += 1
        state, tb, reraise = SyncRun.STATE_FAILED, traceback.format_exc(), exc
    finally:
        if ctx.succeeded_calls and state != SyncRun.STATE_FAILED:
            breaker_record_success()
        try:
            _save_counters(ctx, state=state, tb=tb)
        finally:
            if lease:
                lease_release(name=lease, holder=holder, now=ctx.now())
        outcome.run_id, outcome.state = run.pk, state
        outcome.pages, outcome.rows, outcome.calls, outcome.errors = (
            ctx.pages,
            ctx.rows,
            ctx.calls,
            ctx.errors,
        )
        outcome.stats.update(ctx.stats)
    if reraise is not None:
        raise reraise
