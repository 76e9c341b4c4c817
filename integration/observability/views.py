"""``/metrics``: Prometheus text format, for the scraper and for staff only.

Allowed when any of these holds:
- ``Authorization: Bearer <DRGREEN_METRICS_TOKEN>`` (the scraper's configured secret);
- ``Authorization: Bearer|Token <staff API token>`` (an unrevoked ``ApiToken`` of kind staff
  whose user is active and staff);
- a logged-in staff user (a person looking in a browser);
- the client address inside ``DRGREEN_METRICS_ALLOWED_IPS`` (default: loopback only), but
  only when no proxy is configured. Behind proxies (``DRGREEN_API_NUM_PROXIES`` > 0 or
  ``FORWARDED_ALLOW_IPS`` set) every request may arrive from the proxy's own address, often
  127.0.0.1 on the same host, so the address proves nothing: a token is required.
``X-Forwarded-For`` is never read here: any client can write it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from integration.conf import drgreen_settings
from integration.models import ApiToken, TokenKind, hash_token
from integration.models.tokens import staff_user_current

from .metrics import render_metrics

logger = logging.getLogger("integration.metrics")


def _bearer(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "token") else ""


def behind_proxy() -> bool:
    """A proxy is configured in front of the app (the same settings the throttles and
    gunicorn read)."""
    num_proxies = (getattr(settings, "REST_FRAMEWORK", {}) or {}).get("NUM_PROXIES") or 0
    return int(num_proxies) > 0 or bool(str(getattr(settings, "FORWARDED_ALLOW_IPS", "") or "").strip())


def _allowed_ip(request) -> bool:
    if behind_proxy():
        return False
    try:
        addr = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for entry in drgreen_settings.operations.metrics_allowed_ips:
        try:
            if addr in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # reported by the drgreen.E103 system check
    return False


def metrics_allowed(request, *, sessions: bool = True) -> bool:
    token = _bearer(request)
    configured = drgreen_settings.operations.metrics_token
    if token and configured and hmac.compare_digest(token.encode(), configured.encode()):
        return True
    if token:
        row = (
            ApiToken.objects.filter(
                token_hash=hash_token(token), kind=TokenKind.STAFF, revoked_at__isnull=True
            )
            .select_related("user")
            .first()
        )
        if row is not None and staff_user_current(row.user):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
            return True
    user = getattr(request, "user", None) if sessions else None
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    return _allowed_ip(request)


def scrape_response(request) -> HttpResponse | None:
    """The scraper's path, taken before host validation (see HealthCheckMiddleware): it
    reaches the container by its service address (``web:8000``), which is no public host
    name. Only the token and address rules apply here; a browser session goes the normal
    way through the view, with host validation."""
    if request.method == "GET" and metrics_allowed(request, sessions=False):
        return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
    return None


@require_GET
def metrics_view(request):
    if not metrics_allowed(request):
        logger.warning("metrics refused", extra={"remote_addr": request.META.get("REMOTE_ADDR", "")})
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
