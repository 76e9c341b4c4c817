"""An order Dr Green just created for our checkout, into the mirror.

``order_record_created`` is the mirror's one public entry for it: the ``POST /dapp/orders``
response through the one upsert path. ``order_from_create`` and ``order_insert`` are the
checkout's hand-written fast path (one INSERT in its batched flight); they go with the
checkout's SQL twin (issue 15, part B), after which checkout calls only the entry.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone

from integration.db import statements as sql
from integration.models import Client, Order, Sale

from .order_mapping import map_order
from .orders import _new_order, order_upsert_from_create
from .results import UpsertResult


def order_record_created(
    *,
    payload: Any,
    client_drgreen_id: uuid.UUID | str | None,
    observed_at: datetime | None = None,
    rng: random.Random | None = None,
) -> UpsertResult:
    """Mirror the order in Dr Green's ``POST /dapp/orders`` response (``source`` is
    ``checkout``); ``client_drgreen_id`` is the placing client's and wins over ``clientId``."""
    return order_upsert_from_create(
        payload=payload, client_drgreen_id=client_drgreen_id, observed_at=observed_at, rng=rng
    )


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
