"""Clients: the list item, the detail, the create response, and clients nested in other
resources (which only ever create stubs or fill blanks)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from django.utils import timezone

from integration.models import Client
from integration.services.webhooks.facts import (
    CLIENT_STATUS_FIELDS,
    client_status_fact,
    clients_status_changed,
)

from . import rows as r
from .parsing import (
    as_dict,
    as_list,
    first_dict,
    parse_bool,
    parse_status,
    parse_str,
    parse_uuid,
    parse_when,
    payload_redact,
)
from .results import UpsertResult
from .shippings import country_code, sync_shippings
from .tiers import client_next_kyc_poll_at
from .transactions import run_page, write_last

_STRING_FIELDS = {
    "firstName": ("first_name", 128),
    "lastName": ("last_name", 128),
    "phoneCode": ("phone_code", 16),
    "phoneCountryCode": ("phone_country_code", 8),
    "contactNumber": ("contact_number", 32),
    "rejectionNote": ("rejection_note", None),
}
_FLAG_KEYS = ("adminApproval", "isKYCVerified", "isActive")


def _primary_shipping(item: dict) -> dict:
    # ``shippings`` (list/detail) first; a newer build also sends a flat ``shipping``.
    return first_dict(item.get("shippings")) or as_dict(item.get("shipping"))


def map_client_values(item: dict) -> dict[str, Any]:
    """The fields a client payload carries. Missing keys are left out (= keep what we
    hold); the approval and the two flags are also left out when null, since "unknown"
    must never overwrite a known value."""
    values: dict[str, Any] = {}
    for key, (name, max_length) in _STRING_FIELDS.items():
        if key in item:
            values[name] = parse_str(item[key], max_length=max_length) or ""
    if "email" in item:
        values["email"] = (parse_str(item["email"], max_length=254) or "").lower()
    # Each parser only for a key that is there: a client nested in an order or a sale
    # (twice per item of a reconcile page) carries a few of these keys, not all of them;
    # an absent key parses to "unknown" anyway.
    if "adminApproval" in item:
        approval = parse_status(item["adminApproval"])
        if approval:
            values["admin_approval"] = approval
    for key, name in (("isKYCVerified", "is_kyc_verified"), ("isActive", "is_active")):
        if key in item:
            flag = parse_bool(item[key], field=key)
            if flag is not None:
                values[name] = flag
    for key, name in (("verifiedAt", "verified_at"), ("rejectedAt", "rejected_at")):
        if key in item:
            values[name] = parse_when(item[key], field=key)
    for key, name in (("createdAt", "created_at"), ("updatedAt", "updated_at")):
        if key in item:
            when = parse_when(item[key], field=key)
            if when is not None:
                values[name] = when
    if "clientCart" in item:
        cart_id = parse_uuid(first_dict(item["clientCart"]).get("id"), field="clientCart.id")
        if cart_id is not None:
            values["cart_id"] = cart_id
    shipping = _primary_shipping(item)
    # Each parsed once (a page maps a client per order, sale and client item).
    country = parse_str(shipping.get("country"), max_length=128)
    if country:
        values["shipping_country"] = country
    code = country_code(shipping.get("countryCode"))
    if code:
        values["shipping_country_code"] = code
    if "clientBusinesses" in item or "clientBusiness" in item:
        business = first_dict(item.get("clientBusinesses")) or as_dict(item.get("clientBusiness"))
        values["business_name"] = parse_str(business.get("name"), max_length=255) or ""
        values["business_type"] = parse_str(business.get("businessType"), max_length=128) or ""
        values["business_address"] = {k: v for k, v in business.items() if k not in ("name", "businessType")}
    return values


@dataclass
class ClientRef:
    """A client as another resource shows it (order, sale): an id, maybe names, maybe
    shipping rows. Enough for a stub; never authoritative for flags."""

    drgreen_id: uuid.UUID
    values: dict[str, Any] = field(default_factory=dict)
    shippings: list[dict] = field(default_factory=list)


def client_ref_from(data: Any, *, fallback_id: uuid.UUID | None = None) -> ClientRef | None:
    data = as_dict(data)
    drgreen_id = parse_uuid(data.get("id"), field="client.id") or fallback_id
    if drgreen_id is None:
        return None
    values = map_client_values(data)
    # Flags nested elsewhere (sale.client.isActive) are not the client endpoint's word.
    for name in (
        "admin_approval",
        "is_kyc_verified",
        "verified_at",
        "rejected_at",
        "created_at",
        "updated_at",
    ):
        values.pop(name, None)
    shippings = [s for s in as_list(data.get("shippings")) if isinstance(s, dict)]
    return ClientRef(drgreen_id=drgreen_id, values=values, shippings=shippings)


class HeldClient(NamedTuple):
    """What the callers of ``clients_ensure`` read of a client: its pk and country, and
    whether the customer was erased (their personal fields are then never written)."""

    pk: int
    shipping_country_code: str
    erased: bool = False


# The one rule for an erased client (services/privacy/erasure.py): Dr Green still holds
# the person, the mirror keeps only ids, flags and orders.
PERSONAL_FIELDS = frozenset(Client.PERSONAL_FIELDS)


def without_personal(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` minus the person's fields (for a client whose customer was erased)."""
    return {k: v for k, v in values.items() if k not in PERSONAL_FIELDS}


def _held_values(ids, fields: list[str]) -> dict[uuid.UUID, dict[str, Any]]:
    # Plain values, not model instances: a page names up to 500 clients, nearly all already
    # held with nothing to fill, and building (deferred) instances for them cost more than
    # the page's own writes.
    names = ["pk", "drgreen_id", *fields]
    rows = Client.objects.filter(r.ids_filter(Client, "drgreen_id", ids)).order_by().values_list(*names)
    return {row[1]: dict(zip(names, row, strict=True)) for row in rows}


def clients_ensure(
    *, refs: list[ClientRef], observed_at: datetime
) -> tuple[dict[uuid.UUID, HeldClient], list[uuid.UUID]]:
    """Every referenced client as a row: existing ones get their blanks filled, missing
    ones become stubs (``is_stub``, due for a fetch at once). No HTTP, constant queries.
    Returns each client's pk and (filled) shipping country, by Dr Green id."""
    merged: dict[uuid.UUID, ClientRef] = {}
    is_blank = r.is_blank
    for ref in refs:
        known = {k: v for k, v in ref.values.items() if not is_blank(v)}
        held = merged.get(ref.drgreen_id)
        if held is None:  # the first ref of a client (most of them): its own copy as it is
            merged[ref.drgreen_id] = ClientRef(ref.drgreen_id, known, ref.shippings or [])
        else:
            held.values.update(known)
            held.shippings = ref.shippings or held.shippings
    if not merged:
        return {}, []
    # Only what a nested client can fill, plus the country the callers read.
    fields = sorted(
        {"shipping_country_code", "erased_at", *(k for ref in merged.values() for k in ref.values)}
    )
    held_rows = _held_values(merged.keys(), fields)
    stubs = [
        Client(
            drgreen_id=ref.drgreen_id,
            is_stub=True,
            first_seen_at=observed_at,
            last_synced_at=observed_at,
            next_kyc_poll_at=observed_at,
            **ref.values,
        )
        for ref in merged.values()
        if ref.drgreen_id not in held_rows
    ]
    created, raced = r.create_missing(Client, stubs)
    if raced:
        held_rows.update(_held_values(raced, fields))
    clients = {c.drgreen_id: HeldClient(c.pk, c.shipping_country_code) for c in created}
    created_ids = set(clients)
    writes = []
    for ref in merged.values():
        if ref.drgreen_id in created_ids:
            continue
        held = held_rows[ref.drgreen_id]
        erased = held["erased_at"] is not None
        values = without_personal(ref.values) if erased else ref.values
        # A nested client only fills blanks: it is never the client endpoint's word. Its
        # values are all non-blank (merged above), so only the held side is tested.
        changed = {k: v for k, v in values.items() if is_blank(held[k]) and held[k] != v}
        if changed:
            held.update(changed)
            # A bare instance is enough for the UPDATE: it writes only the changed fields.
            writes.append((Client(**held), list(changed)))
        clients[ref.drgreen_id] = HeldClient(held["pk"], held["shipping_country_code"], erased)
    if writes:
        # Last in the page (see write_last), as other pages may name these clients too; in pk
        # order, so two pages that lock the same clients lock them in the same order.
        writes.sort(key=lambda write: write[0].pk)
        write_last(partial(r.bulk_write, Client, writes))
    sync_shippings(
        {ref.drgreen_id: ref.shippings for ref in merged.values() if ref.shippings},
        clients=clients,
        full=False,
        observed_at=observed_at,
    )
    return clients, [c.drgreen_id for c in created]


def clients_map_list(items: list[Any]) -> list[tuple[r.Row, dict] | None]:
    """Each client item as (row, item), aligned with ``items`` (``None``: no usable id).
    Pure (no database), so the reconcile runs it in its fetch thread, ahead of the write."""
    mapped: list[tuple[r.Row, dict] | None] = []
    for item in items or []:
        item = as_dict(item)
        drgreen_id = parse_uuid(item.get("id"), field="client.id")
        if drgreen_id is None:
            mapped.append(None)
            continue
        values = {**map_client_values(item), "is_stub": False}
        mapped.append((r.Row(drgreen_id, values=values, payload=payload_redact(item)), item))
    return mapped


def _upsert_clients(
    items: list[Any], *, source: str, observed_at: datetime, full_shippings: bool, rng: random.Random | None
) -> UpsertResult:
    return _upsert_clients_mapped(
        clients_map_list(items),
        source=source,
        observed_at=observed_at,
        full_shippings=full_shippings,
        rng=rng,
    )


def _upsert_clients_mapped(
    mapped: list[tuple[r.Row, dict] | None],
    *,
    source: str,
    observed_at: datetime,
    full_shippings: bool,
    rng: random.Random | None,
) -> UpsertResult:
    result = UpsertResult()
    parsed, result.skipped = r.usable(mapped, source=source)
    by_id = {row.drgreen_id: (row, item) for row, item in parsed}
    rows = [row for row, _ in by_id.values()]
    if not rows:
        return result

    def page() -> UpsertResult:
        clients = r.prefetch(Client, by_id.keys())
        fresh = [
            r.new_instance(Client, row, source=source, observed_at=observed_at)
            for row in rows
            if row.drgreen_id not in clients
        ]
        for client in fresh:
            client.next_kyc_poll_at = client_next_kyc_poll_at(client, now=observed_at, rng=rng)
        created, raced = r.create_missing(Client, fresh)
        clients.update({c.drgreen_id: c for c in created})
        clients.update(r.prefetch(Client, raced))
        created_ids = {c.drgreen_id for c in created}
        writes = []
        status_facts = []
        for row in rows:
            client = clients[row.drgreen_id]
            result.pks[row.drgreen_id] = client.pk
            if row.drgreen_id in created_ids:
                result.created += 1
                continue
            stale = r.is_stale(client, observed_at)
            if client.erased_at is not None:
                row = r.Row(row.drgreen_id, values=without_personal(row.values), payload=row.payload)
            before = {name: getattr(client, name) for name in CLIENT_STATUS_FIELDS}
            # The row as read names the change: two workers that read the same row and saw
            # the same change announce it once.
            version = client.last_synced_at.isoformat() if client.last_synced_at else "-"
            changed = r.apply_values(client, row, source=source, observed_at=observed_at, stale=stale)
            status_facts.append(client_status_fact(client, before=before, version=version, at=observed_at))
            result.updated += bool(changed)
            result.unchanged += not changed
            carries_flags = any(k in by_id[row.drgreen_id][1] for k in _FLAG_KEYS)
            if carries_flags and not stale:
                client.next_kyc_poll_at = client_next_kyc_poll_at(client, now=observed_at, rng=rng)
                changed.append("next_kyc_poll_at")
            writes.append((client, changed + r.stamp_seen(client, observed_at)))
        r.bulk_write(
            Client, writes, monotonic_fields={"last_synced_at": {c.pk: observed_at for c, _ in writes}}
        )
        clients_status_changed(status_facts)
        # Only an item that carries a ``shippings`` list says anything about the rows.
        shippings = {
            row.drgreen_id: [s for s in item["shippings"] if isinstance(s, dict)]
            for row, item in by_id.values()
            if isinstance(item.get("shippings"), list)
        }
        if full_shippings:
            sync_shippings(shippings, clients=clients, full=True, observed_at=observed_at)
        else:
            # List items carry only {country, currency}: no ids, nothing to mirror as rows.
            sync_shippings(
                {k: v for k, v in shippings.items() if any("id" in s for s in v)},
                clients=clients,
                full=False,
                observed_at=observed_at,
            )
        return result

    return run_page(page)


def clients_upsert_from_list(
    *,
    items: list[Any],
    observed_at: datetime | None = None,
    source: str = "clients.list",
    rng: random.Random | None = None,
) -> UpsertResult:
    """Items of ``GET /dapp/clients`` (``data.clients``), or of the picker
    ``/dapp/clients/list`` with ``source="clients.picker"``."""
    return clients_upsert_mapped(clients_map_list(items), observed_at=observed_at, source=source, rng=rng)


def clients_upsert_mapped(
    mapped: list[tuple[r.Row, dict] | None],
    *,
    observed_at: datetime | None = None,
    source: str = "clients.list",
    rng: random.Random | None = None,
) -> UpsertResult:
    """The write half of ``clients_upsert_from_list``, for items already mapped."""
    return _upsert_clients_mapped(
        mapped, source=source, observed_at=observed_at or timezone.now(), full_shippings=False, rng=rng
    )


def client_upsert_from_detail(
    *, payload: Any, observed_at: datetime | None = None, rng: random.Random | None = None
) -> UpsertResult:
    """``GET /dapp/clients/{id}`` → ``data`` (the client itself). Its ``shippings`` list is
    complete, so shipping rows are reconciled against it."""
    return _upsert_clients(
        [payload],
        source="clients.detail",
        observed_at=observed_at or timezone.now(),
        full_shippings=True,
        rng=rng,
    )


def client_upsert_from_create(
    *, payload: Any, observed_at: datetime | None = None, rng: random.Random | None = None
) -> UpsertResult:
    """``POST /dapp/clients`` → ``data``: ``data.client`` in the backend, ``{"id"}`` or
    ``{"clientId"}`` per the docs and integrators."""
    data = as_dict(payload)
    item = as_dict(data.get("client")) or data
    if "id" not in item and "clientId" in data:
        item = {**item, "id": data["clientId"]}
    return _upsert_clients(
        [item],
        source="clients.create",
        observed_at=observed_at or timezone.now(),
        full_shippings=True,
        rng=rng,
    )
