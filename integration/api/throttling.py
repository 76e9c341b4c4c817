"""Scoped throttles keyed by the caller, with rates read at request time.

DRF's ``ScopedRateThrottle`` keys by user pk or IP and freezes its rates at import. Here
the key is the :class:`~integration.api.authentication.Principal`'s (the customer a
storefront acts for, else the token, else the client IP), and the rate comes from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]`` on every call, so
``override_settings`` and the benchmark's environment apply without a reload. A rate of
``"0"``/``"none"``/empty disables the scope. Counters live in Django's cache: per process
with the default local-memory cache, shared once ``CACHES`` points at Redis.

On Redis the count is one round trip instead of DRF's get then set (see
:mod:`integration.api.throttle_redis`), with DRF's sliding-window rule unchanged.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from . import throttle_redis
from .permissions import principal_of

_DISABLED = {"", "0", "none", "off"}


def scope_rate(scope: str) -> str | None:
    rates = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES", {}) or {}
    rate = rates.get(scope)
    if rate is None or str(rate).strip().lower() in _DISABLED:
        return None
    return str(rate)


class PrincipalScopedThrottle(SimpleRateThrottle):
    """Throttle by ``view.throttle_scope`` (views without a scope are not throttled)."""

    scope_attr = "throttle_scope"

    def __init__(self) -> None:  # rates are resolved per request in allow_request
        pass

    def get_rate(self):
        return scope_rate(self.scope)

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        counter = throttle_redis.counter_for(caches["default"])
        if counter is None:
            self._window = None
            return super().allow_request(request, view)
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        try:
            self._window = counter.hit(key, now=self.now, duration=self.duration, limit=self.num_requests)
        except throttle_redis.ScriptingRefused:
            self._window = None
            return super().allow_request(request, view)
        return self._window.allowed

    def wait(self):
        if getattr(self, "_window", None) is None:
            return super().wait()
        return self._window.wait(now=self.now, duration=self.duration, limit=self.num_requests)

    def get_cache_key(self, request, view):
        principal = principal_of(request)
        ident = principal.throttle_key if principal is not None else f"ip:{self.get_ident(request)}"
        return f"drgreen-api-throttle:{self.scope}:{ident}"


def throttle_hit(request, view, *, scope: str) -> tuple[bool, float | None]:
    """Count one use of ``scope`` outside the view's own throttle (the ``?refresh=1`` flag
    of a read: rate-limited without failing the read). Returns (allowed, wait seconds)."""
    throttle = PrincipalScopedThrottle()

    class _Scoped:
        throttle_scope = scope

    allowed = throttle.allow_request(request, _Scoped())
    return allowed, (None if allowed else throttle.wait())
