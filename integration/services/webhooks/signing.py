"""Secrets and signatures (Standard Webhooks: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``).

Signing is the reference library's own (``standardwebhooks.Webhook.sign``), so a receiver
using any of the specification's libraries verifies what we send.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook

from integration.models import WebhookEndpoint

SECRET_PREFIX = "whsec_"


def secret_generate() -> str:
    """A new endpoint secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets that sign at ``now``: the current one, and the previous one for as
    long as a rotation's overlap lasts."""
    out = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        out.append(endpoint.previous_secret)
    return out


def signature_header(secrets_: list[str], *, msg_id: str, timestamp: datetime, body: str) -> str:
    """The ``webhook-signature`` value: one ``v1,…`` per secret, space-separated."""
    return " ".join(Webhook(s).sign(msg_id=msg_id, timestamp=timestamp, data=body) for s in secrets_)
