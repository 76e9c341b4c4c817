"""Structured logs: a JSON formatter, and filters that tag and redact every record.

Wired in ``settings.LOGGING`` on the console handler, so every process (gunicorn, the
Celery worker and beat, management commands) writes one JSON object per line:

    {"ts": "...", "level": "INFO", "logger": "integration.drgreen.calls",
     "message": "drgreen call GET /dapp/orders -> 200 in 41 ms",
     "correlation_id": "5c0f…", "drgreen_route": "/dapp/orders", "drgreen_status": 200, …}

Filters sit on the *handler*, not on loggers, because only handler filters see the
records that propagate up from every child logger (Django's, Celery's, ours).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
from typing import Any

from integration.observability.redaction import configured_secrets, redact, safe_arg, scrub_text

# Attributes every LogRecord has; anything else on a record came in through ``extra=``.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
    | {"message", "asctime", "correlation_id", "redacted"}
)


def _current_correlation_id() -> str | None:
    # The contextvar lives beside the Dr Green client factory, which imports models; a
    # record emitted while apps are still loading simply has no correlation id yet.
    try:
        from django.apps import apps

        if not apps.ready:
            return None
        from integration.services.drgreen_api import current_correlation_id

        return current_correlation_id()
    except Exception:  # noqa: BLE001 - logging must never raise
        return None


class CorrelationIdFilter(logging.Filter):
    """Give every record a ``correlation_id``: the one passed in ``extra``, else the one of
    the current unit of work (web request, Celery task, placement), else ``None``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "correlation_id", None):
            record.correlation_id = _current_correlation_id()
        return True


class RedactingFilter(logging.Filter):
    """Take secrets and personal data out of the message, its arguments, ``extra`` values
    and the exception text, in place, before any formatter sees the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "redacted", False):
            return True  # already done by another handler's filter (records are shared)
        secrets = configured_secrets()
        try:
            if record.args:
                args = record.args
                if isinstance(args, dict):
                    args = {k: safe_arg(v) for k, v in args.items()}
                else:
                    args = tuple(safe_arg(a) for a in args)
                record.msg = str(record.msg) % args
            record.msg = scrub_text(str(record.msg), secrets)
        except Exception:  # noqa: BLE001 - a bad format string must still produce a line
            record.msg = scrub_text(f"{record.msg!s} {record.args!r}", secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info, secrets)
        for key, value in list(vars(record).items()):
            if key in _STANDARD_ATTRS:
                continue
            # Leave live objects (Django's ``request``) for other handlers to use; the JSON
            # formatter serialises a scrubbed str() of them.
            if value is None or isinstance(value, str | int | float | bool | dict | list | tuple):
                setattr(record, key, redact(value, key=key, secrets=secrets))
        record.redacted = True
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record; ``extra`` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        secrets = configured_secrets()
        # A record the RedactingFilter already scrubbed (message, JSON-like extras) is not
        # scrubbed again: the regexes are most of a log line's cost, and every Dr Green call
        # logs one. Anything the filter left alone (live objects) is still redacted here.
        done = getattr(record, "redacted", False)
        message = record.getMessage()
        payload: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message if done else scrub_text(message, secrets),
            "correlation_id": getattr(record, "correlation_id", None),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key in _STANDARD_ATTRS or key in payload:
                continue
            if done and (value is None or isinstance(value, str | int | float | bool)):
                payload[key] = value
            else:
                payload[key] = redact(value, key=key, secrets=secrets)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exc"] = scrub_text(record.exc_text, secrets)
        if record.stack_info:
            payload["stack"] = scrub_text(record.stack_info, secrets)
        return json.dumps(payload, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable lines for a laptop (``LOG_FORMAT=text``), still tagged and redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(correlation_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "correlation_id"):
            record.correlation_id = None
        return scrub_text(super().format(record))
