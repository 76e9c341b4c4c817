"""The app's system checks, with stable ids: bad configuration fails at start-up, not at the
first call.

- ``drgreen.E00x``: Dr Green key material and the data keys (every command).
- ``drgreen.E1xx`` / ``W1xx``: the operations range: production guards (every command with
  DEBUG off, and :func:`production_guard` for gunicorn and Celery) and deployment checks
  (``check --deploy``).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from drgreen_store.concurrency import web_concurrency

from .conf import drgreen_settings


@checks.register(checks.Tags.security, deploy=False)
def check_drgreen_keys(app_configs=None, **kwargs):
    from .drgreen.keys import KeyFormatError, validate_key_pair

    conf = drgreen_settings.client
    errors = []
    if not conf.api_url:
        errors.append(checks.Error("DRGREEN_API_URL is empty.", id="drgreen.E001"))
    if not conf.api_key or not conf.secret_key:
        errors.append(
            checks.Error(
                "DRGREEN_API_KEY and DRGREEN_SECRET_KEY must both be set.",
                hint="Use the key pair from dapp.drgreennft.com (or the sandbox's POST /__sandbox__/keys).",
                id="drgreen.E002",
            )
        )
        return errors
    try:
        validate_key_pair(conf.api_key, conf.secret_key)
    except KeyFormatError as exc:
        # The message names the problem (not base64, not a PEM, wrong curve, mismatch),
        # never the key material itself.
        errors.append(checks.Error(f"Dr Green key pair rejected: {exc}", id=exc.check_id))
    if conf.order_body_mode not in ("cart", "docs"):
        errors.append(checks.Error("DRGREEN_ORDER_BODY_MODE must be 'cart' or 'docs'.", id="drgreen.E007"))
    return errors


@checks.register(checks.Tags.security, deploy=False)
def check_data_keys(app_configs=None, **kwargs):
    """A malformed DRGREEN_DATA_KEYS entry fails at start-up (never echoing the key)."""
    from .crypto import DataKeyError, data_cipher

    try:
        data_cipher()
    except DataKeyError as exc:
        return [checks.Error(str(exc), hint="Each key: Fernet.generate_key().", id="drgreen.E008")]
    return []


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
