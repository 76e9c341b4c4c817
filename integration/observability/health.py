"""Liveness and readiness probes for container orchestrators and compose health checks.

Answered by a middleware placed first, before host validation and the SSL redirect: a
probe connects to ``127.0.0.1`` over plain HTTP with whatever Host header it likes, and
must still get a plain answer.

- ``/livez``: the process serves requests (no dependencies touched).
- ``/readyz``: the database answers a query (the broker is the worker's concern).

``/healthz`` is the storefront API's richer report (database, broker, sync freshness;
``integration.api.views.health``); it goes through the normal stack.
- ``/metrics`` for the Prometheus scraper (token or allowlisted address), for the same
  reason: it scrapes ``web:8000``, not the public host name.
"""

from __future__ import annotations

import contextlib
import logging

from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger("integration.health")


def database_ok() -> bool:
    """The one database ping: ``/readyz`` here and the ``/healthz`` report. Connects if need
    be, then asks Django's own ``is_usable`` (a ``SELECT 1`` on PostgreSQL)."""
    try:
        connection.ensure_connection()
        if connection.is_usable():
            return True
        logger.warning("health: database unavailable (connection unusable)")
        with contextlib.suppress(Exception):
            connection.close()  # a dead connection: the next request connects afresh
    except Exception:  # noqa: BLE001 - any failure means "not ready", the log has the detail
        logger.warning("health: database unavailable", exc_info=True)
    return False


class HealthCheckMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            if request.path == "/livez":
                return JsonResponse({"status": "ok"})
            if request.path == "/readyz":
                ok = database_ok()
                return JsonResponse(
                    {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "unavailable"},
                    status=200 if ok else 503,
                )
            if request.path == "/metrics":
                from .views import scrape_response

                response = scrape_response(request)
                if response is not None:
                    return response
        return self.get_response(request)
