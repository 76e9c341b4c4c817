"""A server-side, demo-only proxy to the sandbox's control plane.

The browser never sees the control token: it asks for one of a fixed set of actions on
one order id, and this module makes the call. Nothing here exists in production (the
URLs are mounted only with ``DRGREEN_DEMO=true`` and every view checks it again).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings

# action → (path under /__sandbox__/orders/<id>/, body): what a Dr Green admin, the payment
# processor and the courier do to an order.
ACTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "approve": ("approve", {}),
    "reject": ("reject", {"rejectionNote": "Rejected on the demo control page"}),
    "pay": ("pay", {}),
    "fail-payment": ("payment-failed", {}),
    "process": ("status", {"orderStatus": "PROCESSING"}),
    "ship": ("status", {"orderStatus": "SHIPPED"}),
    "deliver": ("status", {"orderStatus": "DELIVERED"}),
}


class SandboxUnavailable(Exception):
    pass


def control(method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """Call ``/__sandbox__/<path>``; returns (status, decoded JSON body)."""
    url = f"{settings.SANDBOX_URL.rstrip('/')}/__sandbox__/{path.lstrip('/')}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(  # noqa: S310 - the configured sandbox URL, demo only
        url,
        data=data,
        method=method,
        headers={"X-Sandbox-Token": settings.SANDBOX_CONTROL_TOKEN, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:  # noqa: S310
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raw = exc.read() or b"{}"
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, {"error": raw.decode("utf-8", "replace")[:500]}
    except OSError as exc:
        raise SandboxUnavailable(str(exc)) from exc


def order_action(order_id: str, action: str) -> tuple[int, Any]:
    path, body = ACTIONS[action]
    return control("POST", f"orders/{order_id}/{path}", body)


def client_orders(client_id: str) -> list[dict[str, Any]]:
    status, body = control("GET", f"orders?clientId={client_id}")
    return body.get("orders", []) if status == 200 else []
