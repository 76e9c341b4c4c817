"""The statements a checkout makes while the customer waits, written once.

Each function here is the hand-written twin of a queryset the checkout used to compile on
every call (``services/sql.py`` says why); the values read and written are the ORM's own
(its converters and adapters), the CPU is a third. Table and column names are the ones the
migrations created. The rare paths (a replayed key, a busy client, an outcome other than a
plain success) keep using the ORM.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from integration.db import statements as sql
from integration.models import (
    Client,
    Order,
    OrderPlacement,
    PlacementAttempt,
    PlacementState,
    Strain,
    StrainAvailability,
)

# Everything the checks, the claim and the cart calls read of a client: all of its row but
# the two JSON documents (``raw`` is the widest part of it and never needed here).
_CLIENT_FIELDS = tuple(
    f.attname for f in Client._meta.concrete_fields if f.name not in ("raw", "business_address")
)
_STRAIN_FIELDS = ("id", "drgreen_id", "name", "retail_price", "is_active", "is_available")
_AVAILABILITY_FIELDS = ("id", "is_active", "is_available", "stock_quantity", "last_synced_at")

# Only the models' own column names are formatted into these texts; values are parameters.
_PLACEMENT_BY_KEY = (
    "SELECT id, request_hash FROM integration_orderplacement WHERE client_id = %s AND idempotency_key = %s"
)
# ``first_shipping_country``: the rule of ``Client.primary_shipping_country_code``.
_CLIENT_FOR_CHECKS = (  # noqa: S608
    "SELECT {columns}, (SELECT s.country_code FROM integration_shippingaddress s"
    ' WHERE s.client_id = c.id ORDER BY s."position", s.id LIMIT 1)'
    " FROM integration_client c WHERE c.id = %s"
).format(columns=", ".join(f"c.{Client._meta.get_field(a).column}" for a in _CLIENT_FIELDS))
_STRAIN_COLUMNS = ", ".join([*(f"s.{n}" for n in _STRAIN_FIELDS), *(f"a.{n}" for n in _AVAILABILITY_FIELDS)])
_STRAIN_ROWS = (
    f"SELECT {_STRAIN_COLUMNS} FROM integration_strain s LEFT JOIN integration_strainavailability a"  # noqa: S608
    " ON a.strain_id = s.id AND a.country_code = %s WHERE s.drgreen_id IN ({ids})"
)
_STRAIN_ROWS_ANY_COUNTRY = (
    f"SELECT {_STRAIN_COLUMNS}, a.country_code FROM integration_strain s"  # noqa: S608
    " LEFT JOIN integration_strainavailability a ON a.strain_id = s.id WHERE s.drgreen_id IN ({ids})"
)
_CLIENT_LOCK = "SELECT 1 FROM integration_client WHERE id = %s FOR UPDATE"
# The claim: the new placement moves to ``submitting`` unless another placement of its
# client is in flight (the client row is locked, so nothing can start meanwhile).
_CLAIM_NEW = (
    "UPDATE integration_orderplacement SET state = %s, attempt_count = 1, submitted_at = %s,"
    " next_recovery_at = %s WHERE correlation_id = %s AND NOT EXISTS (SELECT 1 FROM"
    " integration_orderplacement p WHERE p.client_id = %s AND p.state IN ({states}))"
)
# The mirrored order is found by its Dr Green id: it was inserted earlier in the same flight.
_PLACEMENT_PLACED = (
    "UPDATE integration_orderplacement SET state = %s,"
    " order_id = (SELECT id FROM integration_order WHERE drgreen_id = %s), order_drgreen_id = %s,"
    " placed_at = %s, next_recovery_at = NULL, rejection_code = '', rejection_message = '', updated_at = %s"
    " WHERE id = %s AND state = %s AND attempt_count = %s"
)
_FIRST_ATTEMPT = (
    "INSERT INTO integration_placementattempt (placement_id, number, kind, started_at, finished_at,"
    " outcome, http_status, maybe_delivered, error, evidence)"
    " SELECT id, 1, 'place', %s, NULL, '', NULL, NULL, '', %s FROM integration_orderplacement"
    " WHERE correlation_id = %s AND state = %s"
)
_ATTEMPT_FINISHED = (
    "UPDATE integration_placementattempt SET finished_at = %s, outcome = %s, http_status = %s,"
    " maybe_delivered = %s, error = %s, evidence = %s WHERE placement_id = %s AND number = %s"
)


def _client_from(result: sql.Result) -> Client:
    if not result.rows:
        raise Client.DoesNotExist("no such client")
    *values, first_country = result.rows[0]
    client = sql.instance(Client, _CLIENT_FIELDS, values)
    client.first_shipping_country = first_country
    return client


def placement_by_key(*, client_id: int, idempotency_key: str) -> tuple[int, str] | None:
    """(pk, request hash) of the client's placement under this key, if there is one."""
    rows = sql.execute(_PLACEMENT_BY_KEY, [client_id, idempotency_key]).rows
    return rows[0] if rows else None


def client_for_checks(pk: int) -> Client:
    """The client row the checks read (deferred: ``raw``, ``business_address``), with the
    country of its first shipping row as ``first_shipping_country``, in one query. Raises
    ``Client.DoesNotExist`` like ``.get()``."""
    return _client_from(sql.execute(_CLIENT_FOR_CHECKS, [pk]))


def placement_key_and_client(
    *, client_id: int, idempotency_key: str, strain_ids: Iterable[uuid.UUID]
) -> tuple[tuple[int, str] | None, Client, Callable[[str], tuple[dict, dict]]]:
    """Everything a checkout reads first, in one round trip: (pk, request hash) of the
    client's placement under this key, if there is one; the client row as
    :func:`client_for_checks` reads it; and the strains with their availability in every
    country (the shipping country is only known from the client row), as a function of the
    country that answers exactly like :func:`strain_rows`."""
    ids = [sql.prep(Strain, "drgreen_id", i) for i in strain_ids]
    with sql.batch() as b:
        held = b.execute(_PLACEMENT_BY_KEY, [client_id, idempotency_key])
        client = b.execute(_CLIENT_FOR_CHECKS, [client_id])
        strains = b.execute(_STRAIN_ROWS_ANY_COUNTRY.format(ids=", ".join(["%s"] * len(ids))), ids)

    def in_country(country: str) -> tuple[dict, dict]:
        width = len(_STRAIN_FIELDS)
        rows: dict = {}
        for *row, row_country in strains.rows:
            if row_country == country:
                rows[row[0]] = row
            else:  # the strain itself, as the country-filtered join shows it without a match
                rows.setdefault(row[0], [*row[:width], *([None] * len(_AVAILABILITY_FIELDS))])
        return _strains_from(rows.values(), country)

    return (held.rows[0] if held.rows else None), _client_from(client), in_country


def strain_rows(strain_ids: Iterable[uuid.UUID], country: str) -> tuple[dict, dict]:
    """The strains and their availability in ``country``, in one query: ``({drgreen id:
    Strain}, {strain pk: StrainAvailability})``, holding only what the checks read. A
    strain without a row for the country still comes back, so its name reaches the error."""
    ids = [sql.prep(Strain, "drgreen_id", i) for i in strain_ids]
    rows = sql.execute(_STRAIN_ROWS.format(ids=", ".join(["%s"] * len(ids))), [country, *ids]).rows
    return _strains_from(rows, country)


def _strains_from(rows: Iterable, country: str) -> tuple[dict, dict]:
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


def placement_insert(placement: OrderPlacement) -> None:
    """Insert the placement (its pk is set)."""
    sql.insert_one(placement)


def placement_insert_claimed(
    placement: OrderPlacement, *, now, lease_until, in_flight: Iterable[str]
) -> bool:
    """Insert the (``new``) placement and claim it at once, in the caller's transaction and
    ONE round trip: the client row locked first (the lock order of every claim), the row,
    the claim unless another placement of the client is in flight, and then its first
    ``place`` attempt. Returns whether it was claimed; the instance says so either way."""
    states = [str(s) for s in in_flight]
    correlation = sql.prep(OrderPlacement, "correlation_id", placement.correlation_id)
    at = sql.prep(OrderPlacement, "submitted_at", now)
    with sql.batch() as b:
        if sql.locks_rows():
            b.execute(_CLIENT_LOCK, [placement.client_id])
        b.insert(placement)
        claim = b.execute(
            _CLAIM_NEW.format(states=", ".join(["%s"] * len(states))),
            [
                PlacementState.SUBMITTING.value,
                at,
                sql.prep(OrderPlacement, "next_recovery_at", lease_until),
                correlation,
                placement.client_id,
                *states,
            ],
        )
        b.execute(
            _FIRST_ATTEMPT,
            [
                sql.prep(PlacementAttempt, "started_at", now),
                sql.prep_save(PlacementAttempt, "evidence", {}),
                correlation,
                PlacementState.SUBMITTING.value,
            ],
        )
    if claim.rowcount != 1:
        return False
    placement.state = PlacementState.SUBMITTING
    placement.attempt_count = 1
    placement.submitted_at = now
    placement.next_recovery_at = lease_until
    return True


def client_key_share(b: sql.Batch, client_id: int) -> None:
    """Take the weakest lock on the client row (PostgreSQL's ``FOR KEY SHARE``: what the
    foreign key check of a row pointing at it takes at commit), inside the caller's
    transaction. An outcome transaction that inserts the order takes it first, so it locks
    client before placement like every other checkout path, instead of at commit with the
    placement already held (a deadlock against a concurrent claim)."""
    if sql.vendor() == "postgresql":
        b.execute("SELECT 1 FROM integration_client WHERE id = %s FOR KEY SHARE", [client_id])


def placement_placed(
    b: sql.Batch, *, placement_id: int, number: int, order_drgreen_id: uuid.UUID, now
) -> sql.Result:
    """Mark the placement placed, linked to the mirrored order ``order_drgreen_id``, if
    attempt ``number`` still owns it (``submitting`` with that attempt count): the owner
    check and the write in one UPDATE. A ``rowcount`` of 0: it does not, nothing written."""
    when = sql.prep(OrderPlacement, "placed_at", now)
    # The same uuid twice: to find the mirrored order, and as the placement's own column.
    order_id = sql.prep(Order, "drgreen_id", order_drgreen_id)
    return b.execute(
        _PLACEMENT_PLACED,
        [
            PlacementState.PLACED.value,
            order_id,
            order_id,
            when,
            when,
            placement_id,
            PlacementState.SUBMITTING.value,
            number,
        ],
    )


def attempt_finished(b: sql.Batch, *, placement_id: int, number: int, values: dict) -> None:
    """Write what attempt ``number`` of the placement established (``values``: the fields
    of ``_ATTEMPT_FINISHED``, by name)."""
    names = ("finished_at", "outcome", "http_status", "maybe_delivered", "error", "evidence")
    params = [sql.prep_save(PlacementAttempt, n, values[n]) for n in names]
    b.execute(_ATTEMPT_FINISHED, [*params, placement_id, number])
