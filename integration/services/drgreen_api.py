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
from django.dispatch import receiver

from integration.conf import drgreen_settings
from integration.drgreen import CallRecord, DrGreenClient
from integration.models import ApiCall

logger = logging.getLogger("integration.drgreen.calls")

# The correlation id (placement, task or request id) and sync run of the current unit of
# work; contextvars so threads and Celery tasks never see each other's values.
_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "drgreen_correlation_id", default=None
)
_sync_run_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("drgreen_sync_run_id", default=None)

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
    path = f"{record.path}?{query}" if query else record.path
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
    try:
        ApiCall.objects.create(
            method=record.method,
            route=record.path[:200],
            path=path[:1000],
            status=record.status,
            duration_ms=max(0, round(record.duration_ms)),
            correlation_id=correlation_id[:64],
            maybe_delivered=bool(record.maybe_delivered and record.status is None),
            error=record.error or "",
            attempt=record.attempt,
            sync_run_id=_sync_run_id.get(),
        )
    except Exception:  # noqa: BLE001 - the ledger is best effort by design
        logger.exception("could not write the Dr Green call ledger")


def _settings_key() -> tuple:
    conf = drgreen_settings()
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
            conf = drgreen_settings()
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
