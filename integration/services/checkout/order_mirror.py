"""Checkout's one door into the mirror: record an order Dr Green just created (or that
recovery found in the client's order list) and return its local pk."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from integration.models import WebhookEvent
from integration.services.mirror import HeldClient, order_record_created, orders_upsert_from_client_orders


def order_mirror(
    *,
    client_drgreen_id,
    payload: dict[str, Any],
    listed: bool = False,
    correlation_id=None,
    client: HeldClient | None = None,
) -> int | None:
    """Upsert the order ``payload`` describes (a create response, or an item of the client's
    order list when ``listed``) in the caller's transaction (the outcome's, which locked the
    client first: see ``locks.placement_record``); its pk, if it was mirrored.
    ``correlation_id``: the checkout's, carried by the order's ``order.created`` event (set
    before commit, so no delivery goes out without it). ``client``: the placing client's
    row as read under its lock (a create response is then mirrored without reading it)."""
    order_id = uuid.UUID(str(payload["id"]))
    with transaction.atomic(savepoint=False):  # no savepoint of its own: it fails with the outcome
        if listed:
            result = orders_upsert_from_client_orders(client_drgreen_id=client_drgreen_id, items=[payload])
        else:
            result = order_record_created(
                payload=payload,
                client_drgreen_id=client_drgreen_id,
                client=client,
                correlation_id=correlation_id,
            )
        # An order this call created had its event written with the id; one mirrored
        # before (a poller was first) gets it now, unless delivery already started.
        if correlation_id is not None and (listed or not result.created):
            for event in WebhookEvent.objects.filter(fact=f"order.created:{order_id}", attempts=0):
                event.data = {**event.data, "correlationId": str(correlation_id)}
                event.save(update_fields=["data"])
    return result.pks.get(order_id)
