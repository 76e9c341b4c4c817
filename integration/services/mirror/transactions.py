"""Page transactions and the after-commit announcement of new status changes."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import TypeVar

from django.db import OperationalError, connection, transaction

from integration.db.commits import commit_unflushed
from integration.models import Order
from integration.signals import order_status_changed

from .results import UpsertResult

logger = logging.getLogger("integration.sync")
T = TypeVar("T")

# PostgreSQL deadlock / serialization failure; SQLite's writer lock timing out.
_RETRYABLE_SQLSTATES = {"40P01", "40001"}


def _is_retryable(exc: OperationalError) -> bool:
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc)


# Set (by the full reconcile) while page commits need not wait for the WAL flush.
_relaxed_commits: contextvars.ContextVar[bool] = contextvars.ContextVar("relaxed_commits", default=False)


@contextlib.contextmanager
def relaxed_commits() -> Iterator[None]:
    """Page transactions run inside this (in this thread and context) commit without
    waiting for their WAL record to reach the disk (PostgreSQL's ``synchronous_commit =
    off``, set per transaction, so nothing else on the connection is affected); the wait
    was a large part of every page's write (figures: ``bench/reconcile.py``).

    Safe for a re-runnable writer such as the full reconcile: a crash of the database can
    only drop the last moments of commits, whole and in order (the database stays
    consistent), and the next run reads the same facts from Dr Green again. Not for a page
    whose commit sets something off (an ``on_commit`` callback: the announcement of a new
    ``StatusChange``, i.e. a customer notification): that one still waits for the flush, so
    nothing is announced that a crash could take back and a later run record again.
    """
    token = _relaxed_commits.set(True)
    try:
        yield
    finally:
        _relaxed_commits.reset(token)


# The writes ``run_page`` runs last in its transaction (``write_last``); None outside one.
_last_writes: contextvars.ContextVar[list[Callable[[], object]] | None] = contextvars.ContextVar(
    "last_writes", default=None
)


def write_last(fn: Callable[[], object]) -> None:
    """Run ``fn`` at the end of the page's transaction (inside ``run_page``; elsewhere now).

    For UPDATEs of rows that pages written at the same time share (a client named by the
    orders of two pages): a row lock is held until the commit, and taken first it made the
    other writer wait for nearly the whole page; taken last, only for the commit."""
    pending = _last_writes.get()
    if pending is None:
        fn()
    else:
        pending.append(fn)


def run_page(fn: Callable[[], T], *, attempts: int = 3, savepoint: bool = True) -> T:
    """Run one page's upsert in one transaction.

    Two workers writing overlapping pages can deadlock on PostgreSQL (the server aborts
    one). When we own the transaction we simply run the page again: the upsert is
    idempotent, and on_commit callbacks of the aborted try are discarded with it. Inside a
    caller's transaction we cannot retry (its locks stay held), so the error propagates;
    ``savepoint=False`` there: the page takes no savepoint of its own, so its failure
    dooms the caller's transaction (for a caller that would roll back anyway).
    """
    owned = not connection.in_atomic_block
    tries = attempts if owned else 1
    # Only a transaction of our own: SET LOCAL would last the caller's whole transaction.
    relaxed = owned and _relaxed_commits.get() and connection.vendor == "postgresql"
    for attempt in range(1, tries + 1):
        try:
            with transaction.atomic(savepoint=savepoint):
                last: list[Callable[[], object]] = []
                token = _last_writes.set(last)
                try:
                    result = fn()
                finally:
                    _last_writes.reset(token)
                for write in last:
                    write()
                # Decided at the end: the setting is read at COMMIT, and only now is it
                # known whether the page left anything to run after it.
                if relaxed and not connection.run_on_commit:
                    commit_unflushed(transaction_only=True)
                return result
        except OperationalError as exc:
            if attempt >= tries or not _is_retryable(exc):
                raise
            logger.warning("sync: page retried after %s (attempt %d)", exc.__class__.__name__, attempt)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


def _announce(status_changes: list[tuple[int, int, str]]) -> None:
    for change_id, order_id, source in status_changes:
        responses = order_status_changed.send_robust(
            sender=Order, status_change_id=change_id, order_id=order_id, source=source
        )
        for receiver, response in responses:
            if isinstance(response, Exception):
                logger.error(
                    "order_status_changed receiver %r failed for change %s",
                    receiver,
                    change_id,
                    exc_info=(type(response), response, response.__traceback__),
                )


def announce_on_commit(status_changes: Iterable[tuple[int, int, str]]) -> None:
    """Send ``order_status_changed`` once per (change id, order id, source) after commit."""
    items = list(status_changes)
    if items:
        transaction.on_commit(partial(_announce, items))


class _DryRunRollback(Exception):
    pass


def apply_maybe_dry(fn: Callable[[], UpsertResult], *, dry_run: bool) -> UpsertResult:
    """Run an upsert; in a dry run, inside a transaction that is rolled back (the result
    still says what would have changed, and no ``order_status_changed`` is sent)."""
    if not dry_run:
        return fn()
    holder: list[UpsertResult] = []
    try:
        with transaction.atomic():
            holder.append(fn())
            raise _DryRunRollback
    except _DryRunRollback:
        pass
    return holder[0]
