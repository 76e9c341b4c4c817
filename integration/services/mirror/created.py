"""An order Dr Green just created for our checkout, into the mirror.

``order_record_created`` is the mirror's one public entry for it: the ``POST /dapp/orders``
response through the one upsert path (checkout calls it through ``checkout/mirror.py``).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

from .orders import order_upsert_from_create
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
