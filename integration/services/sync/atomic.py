"""Page transactions and the after-commit announcement of new status changes."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TypeVar

from django.db import OperationalError, connection, transaction

from integration.models import Order
from integration.signals import order_status_changed

logger = logging.getLogger("integration.sync")
T = TypeVar("T")

# PostgreSQL deadlock / serialization failure; SQLite's writer lock timing out.
_RETRYABLE_SQLSTATES = {"40P01", "40001"}


def _is_retryable(exc: OperationalError) -> bool:
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc)


def run_page(fn: Callable[[], T], *, attempts: int = 3) -> T:
    """Run one page's upsert in one transaction.

    Two workers writing overlapping pages can deadlock on PostgreSQL (the server aborts
    one). When we own the transaction we simply run the page again: the upsert is
    idempotent, and on_commit callbacks of the aborted try are discarded with it. Inside a
    caller's transaction we cannot retry (its locks stay held), so the error propagates.
    """
    tries = attempts if not connection.in_atomic_block else 1
    for attempt in range(1, tries + 1):
        try:
            with transaction.atomic():
                return fn()
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
