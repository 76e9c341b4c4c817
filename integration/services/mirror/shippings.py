"""Shipping address rows of clients (``shippings``): the mapping and the mirror write."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from integration.models import Client, ShippingAddress

from . import rows as r
from .parsing import parse_str, parse_uuid, parse_when

if TYPE_CHECKING:
    from .clients import HeldClient

_ADDRESS_FIELDS = {
    "address1": ("address1", 255),
    "address2": ("address2", 255),
    "landmark": ("landmark", 255),
    "city": ("city", 128),
    "state": ("state", 128),
    "country": ("country", 128),
    "postalCode": ("postal_code", 32),
}


def country_code(value: Any) -> str:
    code = parse_str(value) or ""
    return code.upper()[:3]


def map_address(data: dict) -> dict[str, Any]:
    """Dr Green's address keys → model fields, only for keys present. ``postCode`` (the
    docs' spelling) is read when ``postalCode`` is absent."""
    values: dict[str, Any] = {}
    for key, (name, max_length) in _ADDRESS_FIELDS.items():
        if key in data:
            values[name] = parse_str(data[key], max_length=max_length) or ""
    if "postal_code" not in values and "postCode" in data:
        values["postal_code"] = parse_str(data["postCode"], max_length=32) or ""
    if "countryCode" in data:
        values["country_code"] = country_code(data["countryCode"])
    return values


def _erased(client) -> bool:
    # Client (erased_at) or HeldClient (erased).
    return bool(getattr(client, "erased", None) or getattr(client, "erased_at", None))


def sync_shippings(
    shippings_by_client: dict[uuid.UUID, list[dict]],
    *,
    clients: dict[uuid.UUID, Client] | dict[uuid.UUID, HeldClient],
    full: bool,
    observed_at: datetime,
) -> None:
    """Mirror ``shippings`` rows. ``full`` (the client detail) means the list is complete:
    rows it no longer has are removed, as Dr Green's PATCH rewrites them. Otherwise (a
    client nested in an order) only rows that carry an id are upserted."""
    wanted: list[tuple[Client | HeldClient, int, uuid.UUID | None, dict[str, Any]]] = []
    for client_id, shippings in shippings_by_client.items():
        client = clients.get(client_id)
        # An erased customer's addresses are never stored again (services/privacy).
        if client is None or _erased(client):
            continue
        for position, data in enumerate(shippings):
            sid = parse_uuid(data.get("id"), field="shipping.id")
            if sid is None and not full:
                continue
            values = map_address(data)
            when = parse_when(data.get("createdAt"), field="shipping.createdAt")
            if when is not None:
                values["remote_created_at"] = when
            wanted.append((client, position, sid, values))
    full_pks = [
        clients[c].pk for c in shippings_by_client if full and c in clients and not _erased(clients[c])
    ]
    if not wanted and not full_pks:
        return
    ids = [sid for _, _, sid, _ in wanted if sid is not None]
    held = list(
        ShippingAddress.objects.filter(Q(drgreen_id__in=ids) | Q(client_id__in=full_pks)).order_by("pk")
    )
    by_id = {s.drgreen_id: s for s in held if s.drgreen_id is not None}
    idless = {(s.client_id, s.position): s for s in held if s.drgreen_id is None}
    keep: set[int] = set()
    create, update = [], []
    for client, position, sid, values in wanted:
        row = by_id.get(sid) if sid is not None else idless.get((client.pk, position))
        if row is None and sid is not None:
            # Our own registration row (no id yet) at the same place becomes this one.
            row = idless.pop((client.pk, position), None)
        fields = {**values, "client_id": client.pk, "position": position, "drgreen_id": sid}
        if row is None:
            create.append(ShippingAddress(**fields, last_synced_at=observed_at))
            continue
        keep.add(row.pk)
        update.append((row, r.child_changes(row, fields, observed_at=observed_at)))
    if full_pks:
        ShippingAddress.objects.filter(client_id__in=full_pks).exclude(pk__in=keep).delete()
    # A sweep's page and a refresh may both find a shipping row missing: the second insert
    # of the same Dr Green id is the same row.
    r.child_rows_write(ShippingAddress, create=create, update=update)
