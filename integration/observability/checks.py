"""Production guards (every command, with DEBUG off) and deployment checks (``check --deploy``).

Ids ``drgreen.E1xx`` / ``drgreen.W1xx`` are the operations range; the ``drgreen.E00x`` range
(Dr Green key material) lives in ``integration.checks``.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from drgreen_store.concurrency import web_concurrency
from integration.conf import drgreen_settings

DEV_SECRET_KEY_PREFIX = "dev-insecure-"


# Caches that each process keeps to itself (DummyCache keeps nothing: no throttle holds).
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@checks.register(checks.Tags.security)
def check_production_guards(app_configs=None, **kwargs):
    """With DEBUG off, on every command (not only ``check --deploy``; gunicorn and Celery
    run it through :func:`production_guard`): no embedded or missing secret key, no demo
    pages, and no per-process cache when several web processes serve."""
    if settings.DEBUG:
        return []
    errors = []
    key = str(getattr(settings, "SECRET_KEY", "") or "")
    if not key.strip() or key.startswith(DEV_SECRET_KEY_PREFIX):
        errors.append(
            checks.Error(
                "DJANGO_SECRET_KEY is missing or the embedded development key, and DEBUG is off.",
                hint="Set DJANGO_SECRET_KEY to 50+ random characters (see .env.example).",
                id="drgreen.E101",
            )
        )
    if drgreen_settings.operations.demo:
        errors.append(
            checks.Error(
                "DRGREEN_DEMO is on: the demo pages hand out a storefront token and drive the sandbox.",
                hint="Set DRGREEN_DEMO=false in production.",
                id="drgreen.E102",
            )
        )
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    processes = web_concurrency()
    if backend in PER_PROCESS_CACHES and processes > 1:
        errors.append(
            checks.Error(
                f"The cache is per process ({backend.rsplit('.', 1)[-1]}) and {processes} web processes "
                "serve (WEB_CONCURRENCY): every throttle would allow that many times its rate.",
                hint="Set CACHE_URL to a shared cache (e.g. redis://redis:6379/1), or WEB_CONCURRENCY=1.",
                id="drgreen.E104",
            )
        )
    return errors


def production_guard() -> None:
    """Refuse to start: for entry points Django's command runner does not check (the WSGI
    and ASGI applications, Celery workers and beat)."""
    serious = [e for e in check_production_guards() if e.is_serious()]
    if serious:
        lines = "; ".join(f"{e.id}: {e.msg}" for e in serious)
        raise ImproperlyConfigured(f"Refusing to start with DEBUG off: {lines}")


@checks.register(checks.Tags.security, deploy=True)
def check_production_settings(app_configs=None, **kwargs):
    errors = []
    if not drgreen_settings.operations.data_keys.strip():
        errors.append(
            checks.Error(
                "DRGREEN_DATA_KEYS is empty: held registrations are encrypted with a key derived "
                "from DJANGO_SECRET_KEY.",
                hint="Set DRGREEN_DATA_KEYS to a Fernet key (python -c 'from cryptography.fernet "
                "import Fernet; print(Fernet.generate_key().decode())'); see README, Data protection.",
                id="drgreen.E105",
            )
        )
    for entry in drgreen_settings.operations.metrics_allowed_ips:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                checks.Error(
                    f"DRGREEN_METRICS_ALLOWED_IPS has an entry that is not an address or network: {entry!r}",
                    id="drgreen.E103",
                )
            )
    if drgreen_settings.webhooks.allow_private:
        errors.append(
            checks.Error(
                "DRGREEN_WEBHOOKS_ALLOW_PRIVATE is on: webhooks may go to http:// and to loopback, "
                "private and cloud-metadata addresses (server-side request forgery).",
                hint="Set DRGREEN_WEBHOOKS_ALLOW_PRIVATE=false in production.",
                id="drgreen.E106",
            )
        )
    return errors
