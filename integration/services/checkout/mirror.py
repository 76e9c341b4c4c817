"""Checkout's one door into the mirror: record an order Dr Green just created (or that
recovery found in the client's order list) and return its local pk."""

from __future__ import annotations

import uuid
from typing import Any

from integration.services.mirror import order_upsert_from_create, orders_upsert_from_client_orders


def order_mirror(*, client_drgreen_id, payload: dict[str, Any], listed: bool = False) -> int | None:
    """Upsert the order ``payload`` describes (a create response, or an item of the client's
    order list when ``listed``) in its own short transaction; its pk, if it was mirrored."""
    order_id = uuid.UUID(str(payload["id"]))
    if listed:
        result = orders_upsert_from_client_orders(client_drgreen_id=client_drgreen_id, items=[payload])
    else:
        result = order_upsert_from_create(payload=payload, client_drgreen_id=client_drgreen_id)
    return result.pks.get(order_id)
