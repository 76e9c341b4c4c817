"""The one place the Django side builds a Dr Green client.

Every service gets its client from :func:`drgreen_client`, so every HTTP attempt lands in
the ``ApiCall`` ledger with the correlation id of the work that caused it, and settings are
read at call time (tests override ``DRGREEN`` freely).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Iterator

from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver

from integration.conf import drgreen_settings
from integration.drgreen import CallRecord, DrGreenClient
from integration.models import ApiCall
from integration.observability.redaction import scrub_text

logger = logging.getLogger("integration.drgreen.calls")

# The correlation id (placement, task or request id) and sync run of the current unit of
# work; contextvars so threads and Celery tasks never see each other's values.
_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "drgreen_correlation_id", default=None
)
_sync_run_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("drgreen_sync_run_id", default=None)
# Ledger rows held back by ``ledger_deferred`` (None: write each row as its call ends).
_deferred: contextvars.ContextVar[list[ApiCall] | None] = contextvars.ContextVar(
    "drgreen_ledger_deferred", default=None
)

_lock = threading.Lock()
_cached: tuple[tuple, DrGreenClient] | None = None


def current_correlation_id() -> str | None:
    return _correlation_id.get()


@contextlib.contextmanager
def correlation_scope(correlation_id: str | None = None, *, sync_run_id: int | None = None) -> Iterator[None]:
    """Tag every Dr Green call made inside the block (ledger rows and log lines)."""
    token_c = _correlation_id.set(str(correlation_id) if correlation_id else _correlation_id.get())
    token_r = _sync_run_id.set(sync_run_id if sync_run_id is not None else _sync_run_id.get())
    try:
        yield
    finally:
        _correlation_id.reset(token_c)
        _sync_run_id.reset(token_r)


def record_api_call(record: CallRecord) -> None:
    """Write one attempt to the ledger and the log. Never raises: bookkeeping must not turn
    a successful Dr Green call into a failure the caller would treat as ambiguous."""
    correlation_id = record.correlation_id or _correlation_id.get() or ""
    query = "&".join(f"{k}={v}" for k, v in record.query)
    # The ledger keeps no search terms (``search=<email>`` finds a client): the parameter
    # names stay, their personal values do not (services/privacy).
    path = f"{record.path}?{scrub_text('&' + query)[1:]}" if query else record.path
    logger.info(
        "drgreen call %s %s -> %s in %.0f ms",
        record.method,
        path,
        record.status if record.status is not None else record.error,
        record.duration_ms,
        extra={
            "correlation_id": correlation_id,
            "drgreen_method": record.method,
            "drgreen_route": record.path,
            "drgreen_status": record.status,
            "duration_ms": round(record.duration_ms, 1),
            "attempt": record.attempt,
            "maybe_delivered": record.maybe_delivered,
        },
    )
    row = ApiCall(
        method=record.method,
        route=record.path[:200],
        path=path[:1000],
        status=record.status,
        duration_ms=max(0, round(record.duration_ms)),
        correlation_id=correlation_id[:64],
        maybe_delivered=bool(record.maybe_delivered and record.status is None),
        error=scrub_text(record.error or ""),
        attempt=record.attempt,
        sync_run_id=_sync_run_id.get(),
    )
    deferred = _deferred.get()
    if deferred is not None:
        deferred.append(row)
    else:
        _write_rows([row])


def _write_rows(rows: list[ApiCall]) -> None:
    if not rows:
        return
    try:
        ApiCall.objects.bulk_create(rows)
    except Exception:  # noqa: BLE001 - the ledger is best effort by design
        logger.exception("could not write the Dr Green call ledger")


@contextlib.contextmanager
def ledger_deferred() -> Iterator[None]:
    """Hold back the ledger rows of the calls made inside the block and write them in one
    statement: at :func:`ledger_flush` (inside the caller's outcome transaction) or, for
    whatever is not committed by then, when the block ends.

    Why: on PostgreSQL every row written on its own is a commit, and a commit waits for the
    WAL to reach the disk. A checkout makes three calls; writing their rows with the
    outcome turns four commits into one on the path the customer waits on. The log line
    of each call is still written as it ends; a process killed mid-block loses at most the
    block's rows, never the placement's own evidence (its attempt row is committed first).
    """
    token = _deferred.set([])
    try:
        yield
    finally:
        rows = _deferred.get() or []
        _deferred.reset(token)
        _write_rows(_uncommitted(rows))


def _uncommitted(rows: list[ApiCall]) -> list[ApiCall]:
    # Everything still held was never committed. A flush that was rolled back gave its rows
    # ids the database may hand out again (SQLite), so they are written with fresh ones.
    for row in rows:
        row.pk = None
        row._state.adding = True
    return list(rows)


def ledger_flush() -> None:
    """Write the held-back rows now, in the current transaction.
    They leave the buffer only once that transaction commits, so a rolled-back (and
    retried) outcome loses none."""
    rows = _deferred.get()
    if not rows:
        return
    written = _uncommitted(rows)
    # Not caught here, unlike a lone row: inside a transaction a failed statement would
    # poison the caller's outcome write anyway, and it must not go on as if it were fine.
    ApiCall.objects.bulk_create(written)

    def forget() -> None:
        rows[:] = [row for row in rows if not any(row is done for done in written)]

    transaction.on_commit(forget)


def _settings_key() -> tuple:
    conf = drgreen_settings.client
    return (
        conf.api_url,
        conf.api_key,
        conf.secret_key,
        conf.connect_timeout,
        conf.read_timeout,
        conf.get_retries,
    )


def drgreen_client() -> DrGreenClient:
    """A process-wide client for the configured holder (its HTTP session is pooled)."""
    global _cached
    key = _settings_key()
    with _lock:
        if _cached is None or _cached[0] != key:
            conf = drgreen_settings.client
            client = DrGreenClient(
                conf.api_url,
                conf.api_key,
                conf.secret_key,
                connect_timeout=conf.connect_timeout,
                read_timeout=conf.read_timeout,
                get_retries=conf.get_retries,
                on_call=record_api_call,
            )
            _cached = (key, client)
        return _cached[1]


@receiver(setting_changed)
def _reset_client(*, setting: str, **kwargs) -> None:
    global _cached
    if setting == "DRGREEN":
        with _lock:
            _cached = None
