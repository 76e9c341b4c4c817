"""The checkout's own order, mirrored in one INSERT.

``order_upsert_from_create`` (the one upsert path) reads the order and its client before
writing, because any order may already be mirrored and any client may be unknown. Right
after our own ``POST /dapp/orders`` neither is likely: the client is the placement's and
the order is a few milliseconds old. So the common case is inserted straight from the same
mapping (``map_order`` → ``_new_order``: the very row the upsert path would create), and
every other case is handed back to the upsert path.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from django.utils import timezone

from integration.models import Client, Sale
from integration.services import sql

from .order_mapping import map_order
from .orders import _new_order


def order_insert_from_create(
    *,
    payload: Any,
    client: Client,
    observed_at: datetime | None = None,
    rng: random.Random | None = None,
) -> int | None:
    """Insert the ``POST /dapp/orders`` response of ``client``'s new order (inside the
    caller's transaction) and link the sales that already name it. Returns the order's pk,
    or ``None`` when this path does not apply and nothing was written: no usable id, a
    payload with lines or client data to merge, or an order someone mirrored first (a
    sweep adopting it from ``/recent``). The caller then runs ``order_upsert_from_create``.
    """
    data = map_order(payload, client_drgreen_id=client.drgreen_id)
    if data is None or data.lines is not None:
        return None
    ref = data.client_ref
    if ref is not None and (ref.drgreen_id != client.drgreen_id or ref.values or ref.shippings):
        return None
    data.row.values["client_id"] = client.pk
    if client.shipping_country_code:
        data.row.fill.setdefault("shipping_country_code", client.shipping_country_code)
    order = _new_order(data, source="checkout", observed_at=observed_at or timezone.now(), rng=rng)
    if not sql.insert_one(order, ignore_conflict_on="drgreen_id"):
        return None
    # Sales mirrored before their order now point at it (as the upsert path does).
    sql.execute(
        "UPDATE integration_sale SET order_id = %s WHERE order_drgreen_id = %s AND order_id IS NULL",
        [order.pk, sql.prep(Sale, "order_drgreen_id", order.drgreen_id)],
    )
    return order.pk
