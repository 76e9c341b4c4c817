"""The page pipeline of the full reconcile (``reconcile.py``): one list endpoint walked
page by page, oldest first, with (on PostgreSQL) the next pages fetched and mapped on
threads of their own while the current one is written. Nothing here changes the process
(collector, switch interval): it runs inside Celery workers next to other tasks.

Three stages when prefetching: the fetch thread only fetches (HTTP, JSON), the map thread
maps (the pure ``*_map_list`` half of an upsert), two writer threads write (two pages at
a time, each in its own transaction on its own connection), and the calling thread keeps
the books in page order. The fetch thread is never held up by the mapping or the write,
so the next request is already waiting when Dr Green answers. No transaction is ever
open across a fetch: each page is written in its own, after its fetch has returned.
"""

from __future__ import annotations

import contextvars
import logging
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import DatabaseError, connection

from integration.conf import drgreen_settings
from integration.db.bulk import fast_timestamps_for_connection
from integration.db.commits import commit_unflushed
from integration.drgreen import Page
from integration.services.breaker import UPSTREAM_ERRORS
from integration.services.mirror.parsing import parse_uuid
from integration.services.mirror.results import UpsertResult
from integration.services.mirror.transactions import apply_maybe_dry

from .runs import RunContext

logger = logging.getLogger("integration.sync")

# The pure mapping half of an upsert: items → one mapped entry per item (None: unusable).
Prepare = Callable[[list[dict]], list] | None


@dataclass
class WalkReport:
    resource: str
    pages: int = 0
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    complete: bool = False
    item_count: int | None = None
    distinct: int = 0
    tombstones: dict[str, int] = field(default_factory=dict)
    # Where the walking thread's time went (seconds): waiting for the next fetched and
    # mapped page, and writing pages (or, with the writer threads, waiting for their
    # results). Which one dominates says which stage is the bottleneck (the sandbox or
    # Dr Green, or our write and the database).
    wait_s: float = 0.0
    write_s: float = 0.0
    # The fetching itself (requests, JSON, the call ledger), summed over the pages, and the
    # walk's wall time: a fetch time well under the walk's says the fetching sat idle.
    fetch_s: float = 0.0
    walk_s: float = 0.0

    # The counters and times that add up across walks (``add``); the rest describes one walk.
    SUMMED = (
        "pages",
        "rows",
        "created",
        "updated",
        "unchanged",
        "errors",
        "wait_s",
        "write_s",
        "fetch_s",
        "walk_s",
    )

    def add(self, other: WalkReport) -> None:
        """Add ``other``'s counters and times to this report (one resource walked in parts)."""
        for name in self.SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.complete = self.complete and other.complete

    def as_dict(self) -> dict[str, Any]:
        return {
            k: round(v, 3) if isinstance(v, float) else v for k, v in self.__dict__.items() if k != "resource"
        }


# Pages requested ahead of the one being written (when prefetching).
PREFETCH_PAGES = 2
# Pages written at the same time (when prefetching), each on a connection of its own.
WRITERS = 2


def prepared(prepare: Prepare, items: list[dict]) -> tuple[list, Exception | None]:
    """The page's items mapped (aligned with ``items``), or the exception mapping raised:
    that is the page's failure, recorded where the page would be written, not the walk's."""
    if prepare is None:
        return items, None
    try:
        return prepare(items), None
    except Exception as exc:  # noqa: BLE001 - re-raised at the page's write, see walk
        return [None] * len(items), exc


def walk(
    ctx: RunContext,
    resource: str,
    fetch,
    upsert,
    *,
    take: int,
    dry_run: bool,
    progress,
    prepare: Prepare = None,
) -> WalkReport:
    """Stream one list endpoint, ascending, page by page (optionally fetching and mapping
    ahead). ``upsert(mapped, observed_at)`` receives ``prepare(items)`` (or the items)."""
    report = WalkReport(resource=resource)
    conf = drgreen_settings.sync
    prefetch = conf.reconcile_prefetch and connection.vendor == "postgresql" and not dry_run
    previous_ids: list | None = None
    # Ids of the previous page only: enough to drop the duplicates a shifted page repeats,
    # without a set that grows with N.
    previous_set: set = set()
    distinct = 0
    # A pipeline when prefetching: the fetch thread only fetches (HTTP, JSON), the map
    # thread maps, the writer threads write (below). The fetch thread is never held up by
    # the mapping or the write, so the next request is already waiting when Dr Green answers.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reconcile-fetch") if prefetch else None
    mapper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reconcile-map") if prefetch else None
    # One copied context for every fetch of the walk: it carries the correlation id and run
    # id into the thread, and Django keeps the thread's connection in it (asgiref's Local is
    # a context variable), so that connection lasts the walk instead of one per page.
    fetch_context = contextvars.copy_context()
    if pool is not None:
        pool.submit(fetch_context.run, _relax_ledger_commits)  # runs before any fetch

    def get(page_no: int) -> tuple[datetime, Page, Future]:
        observed = ctx.now()
        started = time.perf_counter()
        try:
            page = ctx.call(fetch, page=page_no, take=take, order_by="asc")
        finally:
            # One fetch at a time (one fetch thread, or the walking thread itself).
            report.fetch_s += time.perf_counter() - started
        if mapper is not None:
            # A copy of this thread's context (correlation id for the mapping's log lines);
            # the mapping is pure, and Django refuses a connection used across threads.
            run = contextvars.copy_context().run
            return observed, page, mapper.submit(run, prepared, prepare, page.items)
        mapped: Future = Future()
        mapped.set_result(prepared(prepare, page.items))
        return observed, page, mapped

    # Two writers when prefetching, each a thread with a connection of its own: page N is
    # written on one while page N + 1 is written on the other, so one page's database work
    # overlaps the other's Python (written one after the other, the writing thread was the
    # walk's bottleneck: a page's write is about half waiting on PostgreSQL). Results are
    # taken in page order, at most WRITERS pages in flight. The upserts are written for
    # concurrent workers (compare-and-swap, insert races, deadlock retries), and two pages
    # of one walk hold different rows (a repeated item is dropped from the later page).
    writers = (
        [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"reconcile-write{i}") for i in range(WRITERS)]
        if prefetch
        else []
    )
    write_contexts = [contextvars.copy_context() for _ in writers]
    for writer, context in zip(writers, write_contexts, strict=True):
        writer.submit(context.run, fast_timestamps_for_connection)

    def write(fresh: list, observed: datetime) -> UpsertResult:
        return apply_maybe_dry(partial(upsert, fresh, observed), dry_run=dry_run)

    in_flight: deque[tuple[int, Page, Future]] = deque()

    def finish() -> None:
        """Take the oldest page's write result and account for it."""
        number, done_page, future = in_flight.popleft()
        waited = time.perf_counter()
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - one bad page must not stop the walk
            report.errors += 1
            ctx.errors += 1
            ctx.stats[f"{resource}.page_errors"] += 1
            text = "".join(traceback.format_exception(exc))
            logger.error("reconcile %s page %s failed:\n%s", resource, number, text)
            result = None
        report.write_s += time.perf_counter() - waited
        report.pages += 1
        if result is not None:
            report.rows += result.seen
            report.created += result.created
            report.updated += result.updated
            report.unchanged += result.unchanged
            ctx.page_done(result, key=resource)
        else:
            ctx.renew()
        if ctx.pages % 20 == 0:
            ctx.checkpoint()
        progress(
            {"resource": resource, "page": number, "pages": done_page.meta.page_count, "rows": report.rows}
        )

    def drain() -> None:
        while in_flight:
            finish()

    ahead: deque[Future] = deque()  # fetches of the pages after this one, in order
    page_no = 1
    walk_started = time.perf_counter()
    try:
        while True:
            try:
                waited = time.perf_counter()
                observed, page, mapping = ahead.popleft().result() if ahead else get(page_no)
                mapped, map_error = mapping.result()
                report.wait_s += time.perf_counter() - waited
            except UPSTREAM_ERRORS as exc:
                drain()
                report.errors += 1
                ctx.errors += 1
                ctx.stats[f"{resource}.upstream_error"] = f"{type(exc).__name__}: {exc}"[:300]
                logger.warning("reconcile %s stopped on page %s: %s", resource, page_no, exc)
                return report
            ids = [item.get("id") for item in page.items]
            if previous_ids is not None and ids == previous_ids:
                drain()
                logger.warning(
                    "reconcile %s: page %s repeated page %s; stopping", resource, page_no, page_no - 1
                )
                report.complete = False
                return report
            more = bool(page.items) and page.meta.has_next
            # Up to PREFETCH_PAGES requested ahead (beyond the next one only while the page
            # count says there is such a page: no request past the end).
            while more and pool is not None and len(ahead) < PREFETCH_PAGES:
                wanted = page_no + len(ahead) + 1
                if ahead and wanted > page.meta.page_count:
                    break
                ahead.append(pool.submit(fetch_context.run, get, wanted))
            uuids = [parse_uuid(i) for i in ids]
            fresh = [m for m, u in zip(mapped, uuids, strict=True) if u is None or u not in previous_set]
            page_set = {u for u in uuids if u is not None}
            distinct += len(page_set - previous_set)
            previous_ids, previous_set = ids, page_set
            report.item_count = page.meta.item_count
            if map_error is None and writers:
                slot = page_no % len(writers)
                future = writers[slot].submit(write_contexts[slot].run, write, fresh, observed)
            else:
                future = Future()
                writing = time.perf_counter()
                try:
                    if map_error is not None:
                        raise map_error
                    future.set_result(write(fresh, observed))
                except Exception as exc:  # noqa: BLE001 - reported by finish(), in page order
                    future.set_exception(exc)
                report.write_s += time.perf_counter() - writing
            in_flight.append((page_no, page, future))
            while len(in_flight) >= max(len(writers), 1) or (not more and in_flight):
                finish()
            if not more:
                report.complete = report.errors == 0
                report.distinct = distinct
                return report
            page_no += 1
    finally:
        report.walk_s = time.perf_counter() - walk_started
        if pool is not None:
            # The fetch thread writes the call ledger on a connection of its own, kept for
            # the whole walk (a reconnect per page costs more than the ledger insert) and
            # closed here, after any fetch still running: one worker, so tasks run in order.
            for pending in ahead:
                pending.cancel()  # a fetch not started yet is not wanted any more
            pool.submit(fetch_context.run, _close_connection)
            pool.shutdown(wait=True)
        if mapper is not None:
            mapper.shutdown(wait=True, cancel_futures=True)
        for writer, context in zip(writers, write_contexts, strict=True):
            # After any write still running (one worker each, so tasks run in order).
            writer.submit(context.run, _close_connection)
            writer.shutdown(wait=True)


def _relax_ledger_commits() -> None:
    """The fetch thread's connection (its own, for this walk only) commits the call
    ledger's rows without waiting for the WAL flush. Each fetched page writes one
    ``ApiCall`` row in autocommit, and its commit waited for the disk
    before the thread could ask for the next page: a stall the fetch-only walk never has,
    and the reconcile's slowest chain. The ledger is best-effort bookkeeping by design;
    a crash of the database can only lose the walk's last ledger rows. Session-wide, but
    the session is this thread's and ends with the walk (``_close_connection``)."""
    try:
        commit_unflushed(transaction_only=False)
    except DatabaseError:  # the walk goes on with ordinary commits (and reports the rest)
        logger.warning("reconcile: could not relax the ledger's commits", exc_info=True)


def _close_connection() -> None:
    # Resolved in the calling thread and context (``connection.close`` evaluated in the
    # main thread would be the main thread's connection).
    connection.close()
