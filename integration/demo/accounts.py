"""Who the demo is: its storefront token and its customers (shared by the pages and the
``drgreen_demo_setup`` command)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from integration.models import ApiToken, Client, TokenKind, hash_token

STAFF_USERNAME = "demo-staff"
TOKEN_NAME = "demo storefront"
CUSTOMER_PREFIX = "demo-customer-"


def token_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-storefront-token"


def demo_storefront_token() -> str:
    """The demo storefront token's clear text, issuing one if there is no live one.

    Only the hash is in the database, so the clear text is kept in ``var/`` (mode 0600):
    that is what lets a second ``dev.py up`` print the same token."""
    path = token_file()
    if path.exists():
        clear = path.read_text().strip()
        if ApiToken.objects.filter(
            token_hash=hash_token(clear), kind=TokenKind.STOREFRONT, revoked_at__isnull=True
        ).exists():
            return clear
    _, clear = ApiToken.issue(name=TOKEN_NAME, kind=TokenKind.STOREFRONT)
    path.write_text(clear + "\n")
    path.chmod(0o600)
    return clear


def demo_customers() -> list[Client]:
    """The demo customers' clients, by country then id."""
    return list(
        Client.objects.filter(user__username__startswith=CUSTOMER_PREFIX)
        .select_related("user")
        .order_by("shipping_country_code", "pk")
    )
