"""The demo's own webhook receiver: what a storefront server would do with our events.

``drgreen_demo_setup`` registers ``/demo/webhooks/receive`` as an endpoint and keeps its
secret in ``var/`` (mode 0600; like the demo token, only there). The receiver verifies every
request with the Standard Webhooks reference library, drops duplicates by ``webhook-id``
and appends what it got to ``var/demo-webhook-events.jsonl``; the demo storefront shows an
order's events from there as they arrive.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from standardwebhooks import Webhook, WebhookVerificationError

from integration.models import WebhookEndpoint
from integration.services import webhooks

RECEIVE_PATH = "/demo/webhooks/receive"
KEEP_LINES = 2000


def _secret_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-webhook-secret"


def events_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-webhook-events.jsonl"


def demo_endpoint_ensure(base_url: str) -> WebhookEndpoint:
    """The demo's endpoint (registered once; re-registered if its secret file is gone)."""
    url = base_url.rstrip("/") + RECEIVE_PATH
    path = _secret_file()
    held = WebhookEndpoint.objects.filter(url=url).order_by("pk").first()
    if held is not None and path.exists():
        return held
    if held is not None:
        held.delete()  # its secret is lost with the file: start again
    created = webhooks.endpoint_create(url=url, description="demo storefront receiver")
    path.write_text(created.secret + "\n")
    path.chmod(0o600)
    return created.endpoint


def receive(body: bytes, headers: dict[str, str]) -> dict | None:
    """Verify and keep one delivery; ``None`` when it does not verify."""
    path = _secret_file()
    if not path.exists():
        return None
    try:
        payload = Webhook(path.read_text().strip()).verify(body, headers)
    except WebhookVerificationError:
        return None
    msg_id = {k.lower(): v for k, v in headers.items()}["webhook-id"]
    if msg_id not in {row["id"] for row in events_read()}:
        line = json.dumps({"id": msg_id, **payload}, separators=(",", ":")) + "\n"
        # One write of one short line in append mode: concurrent receivers do not interleave.
        fd = os.open(events_file(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    return payload


def events_read(*, order_id: str | None = None) -> list[dict]:
    """Kept events, oldest first (the last ``KEEP_LINES``), for one order if given."""
    path = events_file()
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines()[-KEEP_LINES:]:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if order_id is None or (row.get("data") or {}).get("orderId") == order_id:
            rows.append(row)
    return rows
