"""A correlation id per web request (``X-Correlation-Id`` in and out) and one access line.

The id is set in the same contextvar the Dr Green client factory reads, so every log line,
every ``ApiCall`` ledger row and every task enqueued while serving the request carries it
(see :mod:`integration.observability.celery_hooks`).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from integration.services.drgreen_api import correlation_scope

logger = logging.getLogger("integration.request")

HEADER = "X-Correlation-Id"
# Accept a caller's id only if it is short and boring: it ends up in logs and the ledger,
# so anything else (newlines, markup, 10 kB) is replaced by a fresh one.
_VALID = re.compile(r"^[A-Za-z0-9._:\-]{8,64}$")


def correlation_id_from(value: str | None) -> str:
    if value and _VALID.match(value):
        return value
    return uuid.uuid4().hex


class CorrelationIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        correlation_id = correlation_id_from(request.headers.get(HEADER))
        request.correlation_id = correlation_id
        started = time.perf_counter()
        with correlation_scope(correlation_id):
            response = self.get_response(request)
            # The query string can carry search terms (names); the path alone is enough.
            logger.info(
                "%s %s -> %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "http_method": request.method,
                    "http_path": request.path,
                    "http_status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        response[HEADER] = correlation_id
        return response
