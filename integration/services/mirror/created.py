"""An order Dr Green just created for our checkout, into the mirror.

``order_record_created`` is the mirror's one public entry for it: the ``POST /dapp/orders``
response through the one upsert path (checkout calls it through ``checkout/order_mirror.py``).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

from .clients import HeldClient
from .orders import CreatedHint, order_upsert_from_create
from .results import UpsertResult


def order_record_created(
    *,
    payload: Any,
    client_drgreen_id: uuid.UUID | str | None,
    observed_at: datetime | None = None,
    rng: random.Random | None = None,
    client: HeldClient | None = None,
    correlation_id: uuid.UUID | str | None = None,
) -> UpsertResult:
    """Mirror the order in Dr Green's ``POST /dapp/orders`` response (``source`` is
    ``checkout``); ``client_drgreen_id`` is the placing client's and wins over ``clientId``.

    The order is expected to be new (one already mirrored is found by the insert). Inside
    a caller's transaction it takes no savepoint: a failure fails the caller's. ``client``:
    that client's row as the caller holds it (not read again); ``correlation_id``: the
    checkout's, carried by the order's ``order.created`` event.
    """
    clients = {}
    if client is not None and client_drgreen_id:
        clients[uuid.UUID(str(client_drgreen_id))] = client
    hint = CreatedHint(clients=clients, correlation_id=correlation_id)
    return order_upsert_from_create(
        payload=payload, client_drgreen_id=client_drgreen_id, observed_at=observed_at, rng=rng, hint=hint
    )
