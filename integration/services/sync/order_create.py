"""The checkout's own order, mirrored in one INSERT.

``order_upsert_from_create`` (the one upsert path) reads the order and its client before
writing, because any order may already be mirrored and any client may be unknown. Right
after our own ``POST /dapp/orders`` neither is likely: the client is the placement's and
the order is a few milliseconds old. So the common case is inserted straight from the same
mapping (``map_order`` → ``_new_order``: the very row the upsert path would create), and
every other case is handed back to the upsert path. Both halves are for a caller that
batches its outcome statements (``services/sql.batch``).
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from django.utils import timezone

from integration.models import Client, Order, Sale
from integration.services import sql

from .order_mapping import map_order
from .orders import _new_order


def order_from_create(
    *,
    payload: Any,
    client: Client,
    observed_at: datetime | None = None,
    rng: random.Random | None = None,
) -> Order | None:
    """The unsaved row the upsert path would create for the ``POST /dapp/orders`` response
    of ``client``'s new order (no database access). ``None`` when this path does not
    apply: no usable id, or a payload with lines or client data to merge."""
    data = map_order(payload, client_drgreen_id=client.drgreen_id)
    if data is None or data.lines is not None:
        return None
    ref = data.client_ref
    if ref is not None and (ref.drgreen_id != client.drgreen_id or ref.values or ref.shippings):
        return None
    data.row.values["client_id"] = client.pk
    if client.shipping_country_code:
        data.row.fill.setdefault("shipping_country_code", client.shipping_country_code)
    return _new_order(data, source="checkout", observed_at=observed_at or timezone.now(), rng=rng)


def order_insert(b: sql.Batch, order: Order) -> sql.Result:
    """Send the INSERT of ``order`` (from :func:`order_from_create`) and the link of the
    sales that already name it, in the caller's transaction and batch. Not ``inserted``:
    someone mirrored the order first (a sweep adopting it from ``/recent``); the caller
    then rolls back and runs ``order_upsert_from_create``."""
    inserted = b.insert(order, ignore_conflict_on="drgreen_id")
    # Sales mirrored before their order now point at it (as the upsert path does). By id,
    # not pk: the pk is only known once the batch has run.
    drgreen_id = sql.prep(Sale, "order_drgreen_id", order.drgreen_id)
    b.execute(
        "UPDATE integration_sale SET order_id = (SELECT id FROM integration_order WHERE drgreen_id = %s)"
        " WHERE order_drgreen_id = %s AND order_id IS NULL",
        [drgreen_id, drgreen_id],
    )
    return inserted
