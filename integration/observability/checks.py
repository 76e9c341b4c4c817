"""Deployment checks for running in production (``manage.py check --deploy``).

Ids ``drgreen.E1xx`` / ``drgreen.W1xx`` are the operations range; the ``drgreen.E00x`` range
(Dr Green key material) lives in ``integration.checks``.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core import checks

DEV_SECRET_KEY_PREFIX = "dev-insecure-"


@checks.register(checks.Tags.security, deploy=True)
def check_production_settings(app_configs=None, **kwargs):
    errors = []
    if str(settings.SECRET_KEY).startswith(DEV_SECRET_KEY_PREFIX):
        errors.append(
            checks.Error(
                "DJANGO_SECRET_KEY is the embedded development key.",
                hint="Set DJANGO_SECRET_KEY to 50+ random characters (see .env.example).",
                id="drgreen.E101",
            )
        )
    if getattr(settings, "DRGREEN_DEMO", False):
        errors.append(
            checks.Error(
                "DRGREEN_DEMO is on: the demo pages hand out a storefront token and drive the sandbox.",
                hint="Set DRGREEN_DEMO=false in production.",
                id="drgreen.E102",
            )
        )
    for entry in getattr(settings, "DRGREEN_METRICS_ALLOWED_IPS", []):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                checks.Error(
                    f"DRGREEN_METRICS_ALLOWED_IPS has an entry that is not an address or network: {entry!r}",
                    id="drgreen.E103",
                )
            )
    if getattr(settings, "DRGREEN_WEBHOOKS_ALLOW_PRIVATE", False):
        errors.append(
            checks.Error(
                "DRGREEN_WEBHOOKS_ALLOW_PRIVATE is on: webhooks may go to http:// and to loopback, "
                "private and cloud-metadata addresses (server-side request forgery).",
                hint="Set DRGREEN_WEBHOOKS_ALLOW_PRIVATE=false in production.",
                id="drgreen.E104",
            )
        )
    return errors
