"""The statements a checkout makes while the customer waits, written once.

Each function here is the hand-written twin of a queryset the checkout used to compile on
every call (``services/sql.py`` says why); the values read and written are the ORM's own
(its converters and adapters), the CPU is a third. Table and column names are the ones the
migrations created. The rare paths (a replayed key, a busy client, an outcome other than a
plain success) keep using the ORM.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import connection

from integration.models import (
    Client,
    OrderPlacement,
    PlacementAttempt,
    PlacementState,
    Strain,
    StrainAvailability,
)
from integration.services import sql

# Everything the checks, the claim and the cart calls read of a client: all of its row but
# the two JSON documents (``raw`` is the widest part of it and never needed here).
_CLIENT_FIELDS = tuple(
    f.attname for f in Client._meta.concrete_fields if f.name not in ("raw", "business_address")
)
_STRAIN_FIELDS = ("id", "drgreen_id", "name", "retail_price", "is_active", "is_available")
_AVAILABILITY_FIELDS = ("id", "is_active", "is_available", "stock_quantity", "last_synced_at")

_PLACEMENT_BY_KEY = (
    "SELECT id, request_hash FROM integration_orderplacement WHERE client_id = %s AND idempotency_key = %s"
)
# Only the models' own column names are formatted into these texts; values are parameters.
# ``first_shipping_country``: the rule of ``Client.primary_shipping_country_code``.
_CLIENT_FOR_CHECKS = (  # noqa: S608
    "SELECT {columns}, (SELECT s.country_code FROM integration_shippingaddress s"
    ' WHERE s.client_id = c.id ORDER BY s."position", s.id LIMIT 1)'
    " FROM integration_client c WHERE c.id = %s"
).format(columns=", ".join(f"c.{Client._meta.get_field(a).column}" for a in _CLIENT_FIELDS))
_STRAIN_ROWS = (  # noqa: S608
    "SELECT {columns} FROM integration_strain s LEFT JOIN integration_strainavailability a"
    " ON a.strain_id = s.id AND a.country_code = %s WHERE s.drgreen_id IN ({{ids}})"
).format(columns=", ".join([*(f"s.{n}" for n in _STRAIN_FIELDS), *(f"a.{n}" for n in _AVAILABILITY_FIELDS)]))
_CLIENT_LOCK_BUSY = (
    "SELECT EXISTS(SELECT 1 FROM integration_orderplacement p WHERE p.client_id = c.id"
    " AND p.state IN ({states})) FROM integration_client c WHERE c.id = %s"
)
_PLACEMENT_PLACED = (
    "UPDATE integration_orderplacement SET state = %s, order_id = %s, order_drgreen_id = %s,"
    " placed_at = %s, next_recovery_at = NULL, rejection_code = '', rejection_message = '', updated_at = %s"
    " WHERE id = %s AND state = %s AND attempt_count = %s"
)
_ATTEMPT_FINISHED = (
    "UPDATE integration_placementattempt SET finished_at = %s, outcome = %s, http_status = %s,"
    " maybe_delivered = %s, error = %s, evidence = %s WHERE placement_id = %s AND number = %s"
)


def placement_by_key(*, client_id: int, idempotency_key: str) -> tuple[int, str] | None:
    """(pk, request hash) of the client's placement under this key, if there is one."""
    _, rows = sql.execute(_PLACEMENT_BY_KEY, [client_id, idempotency_key])
    return rows[0] if rows else None


def client_for_checks(pk: int) -> Client:
    """The client row the checks read (deferred: ``raw``, ``business_address``), with the
    country of its first shipping row as ``first_shipping_country``, in one query. Raises
    ``Client.DoesNotExist`` like ``.get()``."""
    _, rows = sql.execute(_CLIENT_FOR_CHECKS, [pk])
    if not rows:
        raise Client.DoesNotExist(f"no client {pk}")
    *values, first_country = rows[0]
    client = sql.instance(Client, _CLIENT_FIELDS, values)
    client.first_shipping_country = first_country
    return client


def strain_rows(strain_ids: Iterable[uuid.UUID], country: str) -> tuple[dict, dict]:
    """The strains and their availability in ``country``, in one query: ``({drgreen id:
    Strain}, {strain pk: StrainAvailability})``, holding only what the checks read. A
    strain without a row for the country still comes back, so its name reaches the error."""
    ids = [sql.prep(Strain, "drgreen_id", i) for i in strain_ids]
    _, rows = sql.execute(_STRAIN_ROWS.format(ids=", ".join(["%s"] * len(ids))), [country, *ids])
    strains, availability = {}, {}
    width = len(_STRAIN_FIELDS)
    for row in rows:
        strain = sql.instance(Strain, _STRAIN_FIELDS, row[:width])
        strains[strain.drgreen_id] = strain
        if row[width] is not None:
            here = sql.convert(StrainAvailability, _AVAILABILITY_FIELDS, row[width:])
            availability[strain.pk] = StrainAvailability(
                strain_id=strain.pk,
                country_code=country,
                **dict(zip(_AVAILABILITY_FIELDS, here, strict=True)),
            )
    return strains, availability


def client_lock_busy(client_id: int, in_flight: Iterable[str]) -> bool:
    """Lock the client row (inside the caller's transaction) and say whether another of its
    placements is in flight, in one statement."""
    states = list(in_flight)
    text = _CLIENT_LOCK_BUSY.format(states=", ".join(["%s"] * len(states)))
    if sql.locks_rows():
        text += " FOR UPDATE OF c"
    _, rows = sql.execute(text, [*states, client_id])
    return bool(rows[0][0])


def client_key_share(client_id: int) -> None:
    """Take the weakest lock on the client row (PostgreSQL's ``FOR KEY SHARE``: what the
    foreign key check of a row pointing at it takes at commit), inside the caller's
    transaction. An outcome transaction that inserts the order takes it first, so it locks
    client before placement like every other checkout path, instead of at commit with the
    placement already held (a deadlock against a concurrent claim)."""
    if connection.vendor == "postgresql":
        sql.execute("SELECT 1 FROM integration_client WHERE id = %s FOR KEY SHARE", [client_id])


def placement_placed(
    *, placement_id: int, number: int, order_pk: int, order_drgreen_id: uuid.UUID, now
) -> bool:
    """Mark the placement placed if attempt ``number`` still owns it (``submitting`` with
    that attempt count): the owner check and the write in one UPDATE. ``False``: it does
    not, and nothing was written."""
    when = sql.prep(OrderPlacement, "placed_at", now)
    count, _ = sql.execute(
        _PLACEMENT_PLACED,
        [
            PlacementState.PLACED.value,
            order_pk,
            sql.prep(OrderPlacement, "order_drgreen_id", order_drgreen_id),
            when,
            when,
            placement_id,
            PlacementState.SUBMITTING.value,
            number,
        ],
    )
    return count == 1


def attempt_finished(*, placement_id: int, number: int, values: dict) -> None:
    """Write what attempt ``number`` of the placement established (``values``: the fields
    of ``_ATTEMPT_FINISHED``, by name)."""
    names = ("finished_at", "outcome", "http_status", "maybe_delivered", "error", "evidence")
    params = [PlacementAttempt._meta.get_field(n).get_db_prep_save(values[n], connection) for n in names]
    sql.execute(_ATTEMPT_FINISHED, [*params, placement_id, number])
