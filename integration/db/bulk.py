"""The reconcile's page writes, one statement per page (figures: ``bench/reconcile.py``):
PostgreSQL unpacks the page from ONE ``jsonb`` parameter, SQLite (>= 3.33) from ``WITH v AS
(VALUES …)``; elsewhere ``False``/``None`` and the caller uses the ORM. Rows match by pk."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from operator import itemgetter
from typing import Any

import orjson
from django.db import connection, models
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL


def _jsonable(value: Any) -> Any:  # only what the encoders cannot write reaches here
    return value.isoformat() if isinstance(value, dt.datetime | dt.date | dt.time) else str(value)


def page_json(rows: list[dict]) -> str:
    """A page's rows as one JSON document for ``%s::jsonb``: orjson (the same jsonb once
    PostgreSQL has parsed it), or ``json`` for what orjson refuses (an int past 64 bits, a
    lone surrogate, a non-str key). ``default`` only sees what the encoder cannot handle."""
    try:
        return orjson.dumps(rows, default=_jsonable).decode()
    except TypeError:
        return json.dumps(rows, default=_jsonable, separators=(",", ":"))


def _plain_pre_save(f: models.Field) -> bool:
    # Date/DateTime fields override pre_save only for auto_now/auto_now_add.
    plain = type(f).pre_save is models.Field.pre_save
    return plain or (isinstance(f, models.DateField) and not (f.auto_now or f.auto_now_add))


def _row_builder(fields: list[models.Field]):
    """obj → {column: value}: plain fields read from the instance's ``__dict__`` in one
    C call, ``pre_save`` only for fields that have a real one (``auto_now``…); values are
    left for ``page_json``'s encoder."""
    special = [f for f in fields if not _plain_pre_save(f)]
    columns = [f.column for f in fields if f not in special]
    attnames = [f.attname for f in fields if f not in special]
    # itemgetter of one name gives no tuple.
    read = itemgetter(*attnames) if len(attnames) > 1 else lambda held: tuple(held[a] for a in attnames)

    def build(obj) -> dict[str, Any]:
        held = obj.__dict__
        try:
            values = read(held)
        except KeyError:  # a field not loaded: read through the instance, as before
            values = [held[a] if a in held else getattr(obj, a) for a in attnames]
        # A key left out reads as NULL in ``jsonb_to_recordset``: a smaller document.
        row = {column: value for column, value in zip(columns, values, strict=True) if value is not None}
        for f in special:
            row[f.column] = f.pre_save(obj, True)
        return row

    return build


def bulk_cursor():
    """A cursor binding parameters server side on PostgreSQL (psycopg escapes them in Python)."""
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("server_side_binding"):
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    with connection.wrap_database_errors:
        # Our statements read back only ids, so ``create_cursor``'s time zone loader is moot.
        return connection._prepare_cursor(ServerBindingCursor(connection.connection))


_TIMESTAMPTZ_OID = 1184


@functools.cache
def _utc_timestamp_loader(base: type) -> type:
    class UtcTimestampLoader(base):  # type: ignore[misc, valid-type]
        """Django's loader, minus its regular expression for what a UTC session prints."""

        def load(self, data):
            text = bytes(data)
            # 'YYYY-MM-DD HH:MM:SS[.ffffff]+00': the offset is always +00 in a UTC session.
            # Anything else (BC, infinity, year 10000+) takes Django's own path, as before.
            if text.endswith(b"+00") and len(text) <= 29:
                try:
                    return dt.datetime.fromisoformat(text[:-3].decode()).replace(tzinfo=self.timezone)
                except ValueError:
                    pass
            return super().load(data)

    return UtcTimestampLoader


def fast_timestamps_for_connection() -> type | None:
    """``fast_timestamps`` for a thread's own connection (closed after); the loader replaced."""
    if connection.vendor != "postgresql":
        return None
    from psycopg.pq import Format

    connection.ensure_connection()
    pg = connection.connection
    current = pg.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)
    utc = getattr(current, "timezone", None) is dt.UTC and pg.info.parameter_status("TimeZone") == "UTC"
    if current is None or not utc:
        return None
    pg.adapters.register_loader(_TIMESTAMPTZ_OID, _utc_timestamp_loader(current))
    return current


@contextlib.contextmanager
def fast_timestamps() -> Iterator[None]:
    """This thread's PostgreSQL connection reads ``timestamptz`` with ``fromisoformat`` (C),
    not Django's regular expression: the same values in a UTC session. Undone after."""
    current = fast_timestamps_for_connection()
    pg = connection.connection if current is not None else None
    try:
        yield
    finally:
        if pg is not None and not pg.closed:
            pg.adapters.register_loader(_TIMESTAMPTZ_OID, current)


_ARRAY_TYPES = {models.UUIDField: "uuid", models.BigAutoField: "bigint", models.AutoField: "integer"}


def ids_filter(model: type[models.Model], name: str, ids) -> Q | RawSQL:
    """``filter(<name>__in=ids)`` for a page of ids. On PostgreSQL (uuid and integer
    keys): ``<col> = ANY(%s::<type>[])`` with the ids as one array literal."""
    ids = list(ids)
    f = model._meta.get_field(name)
    array_type = next((t for cls, t in _ARRAY_TYPES.items() if type(f) is cls), None)
    if connection.vendor != "postgresql" or array_type is None:
        return Q(**{f"{name}__in": ids})
    qn = connection.ops.quote_name
    # Only model names go into the text; the ids are one parameter (a uuid as 32 hex digits).
    literal = "{" + ",".join(i.hex if type(i) is uuid.UUID else str(i) for i in ids) + "}"
    # bench.reconcile ratio: a page's ids as one array parameter, not each adapted on its own.
    return RawSQL(  # noqa: S611
        f"{qn(model._meta.db_table)}.{qn(f.column)} = ANY(%s::{array_type}[])",
        [literal],
        output_field=BooleanField(),
    )


def _recordset(fields: list[models.Field], *, extra: list[tuple[str, str]] = ()) -> str:
    qn = connection.ops.quote_name
    cols = [f"{qn(name)} {db_type}" for name, db_type in extra]
    cols += [f"{qn(f.column)} {f.db_type(connection)}" for f in fields]
    return f"jsonb_to_recordset(%s::jsonb) AS v({', '.join(cols)})"


def values_insert(model: type[models.Model], objs: list) -> bool:
    """Insert ``objs`` (each with a unique ``drgreen_id``), set their pks; PostgreSQL only, else False."""
    if connection.vendor != "postgresql" or not objs:
        return False
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    build = _row_builder(fields)
    rows = [build(obj) for obj in objs]
    names = ", ".join(qn(f.column) for f in fields)
    # bench.reconcile ratio: the page as one jsonb parameter, not bulk_create's UNNEST arrays.
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({names}) SELECT {names} FROM {_recordset(fields)} "  # noqa: S608
        f"RETURNING {qn(meta.pk.column)}, {qn('drgreen_id')}"
    )
    with bulk_cursor() as cursor:
        cursor.execute(sql, [page_json(rows)])
        pk_of = {drgreen_id: pk for pk, drgreen_id in cursor.fetchall()}
    alias = connection.alias  # once: each read of the proxy is a context-local lookup
    for obj in objs:
        obj.pk = pk_of[obj.drgreen_id]
        obj._state.adding = False
        obj._state.db = alias
    return True


@dataclass
class Guarded:
    """A time field one page UPDATE moves forward only on rows still holding ``expected`` {pk:
    values of ``match``} (a compare-and-swap); ``lost``: the others. PostgreSQL only."""

    field: str
    match: tuple[str, ...]
    when: dict[int, Any]
    expected: dict[int, tuple]
    lost: set[int] = dataclass_field(default_factory=set)


def _guarded_sql(model: type[models.Model], guarded: Guarded) -> tuple[list[tuple[str, str]], str, str]:
    """(extra recordset columns, the SET clause, the RETURNING flag "this row matched")."""
    qn = connection.ops.quote_name
    meta = model._meta
    table = qn(meta.db_table)
    target = meta.get_field(guarded.field)
    col = qn(target.column)
    extra = [("g_when__", target.db_type(connection))]
    checks = []
    for i, name in enumerate(guarded.match):
        f = meta.get_field(name)
        extra.append((f"g{i}__", f.db_type(connection)))
        checks.append(f"{table}.{qn(f.column)} = v.g{i}__")
    matched = " AND ".join(checks)
    clause = (
        f"{col} = CASE WHEN v.g_when__ IS NOT NULL AND {matched} "
        f"THEN GREATEST(COALESCE({table}.{col}, v.g_when__), v.g_when__) ELSE {table}.{col} END"
    )
    return extra, clause, f"(v.g_when__ IS NULL OR ({matched}))"


def values_update(
    model: type[models.Model], objs: list, union: list[str], monotonic: dict, guarded: Guarded | None = None
) -> bool:
    """Write fields ``union`` of ``objs`` in one statement (chunked on SQLite); fields in
    ``monotonic`` ({name: {pk: when}}) only move forward, a row without a new time keeps
    its own. ``guarded``: see ``Guarded`` (its fields are not also in ``union``)."""
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite") or not objs:
        return False
    if guarded is not None and vendor != "postgresql":
        return False
    meta = model._meta
    qn = connection.ops.quote_name
    fields = [meta.get_field(name) for name in union]
    table = qn(meta.db_table)
    greatest = "GREATEST" if vendor == "postgresql" else "MAX"
    mono = {f.name for f in fields if f.name in monotonic}
    sets = []
    for f in fields:
        col = qn(f.column)
        if f.name in mono:
            sets.append(
                f"{col} = CASE WHEN v.{col} IS NULL THEN {table}.{col} "
                f"ELSE {greatest}(COALESCE({table}.{col}, v.{col}), v.{col}) END"
            )
        else:
            sets.append(f"{col} = v.{col}")

    def value(obj, f):
        if f.name in mono:
            return monotonic[f.name].get(obj.pk)  # None: the row keeps what it holds
        return getattr(obj, f.attname)

    where = f"{table}.{qn(meta.pk.column)} = v.{qn('pk__')}"
    with bulk_cursor() as cursor:
        if vendor == "postgresql":
            # None values are left out: a missing key is NULL to jsonb_to_recordset.
            rows = [
                {"pk__": obj.pk, **{f.column: v for f in fields if (v := value(obj, f)) is not None}}
                for obj in objs
            ]
            extra, returning = [("pk__", "bigint")], ""
            if guarded is not None:
                more, clause, matched = _guarded_sql(model, guarded)
                extra += more
                sets.append(clause)
                returning = f" RETURNING {table}.{qn(meta.pk.column)}, {matched}"
                for row in rows:
                    if (when := guarded.when.get(row["pk__"])) is not None:
                        row["g_when__"] = when
                        row.update({f"g{i}__": v for i, v in enumerate(guarded.expected[row["pk__"]])})
            # bench.reconcile ratio: one jsonb parameter, not bulk_update's CASE per row and field.
            sql = (
                f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608
                f"FROM {_recordset(fields, extra=extra)} WHERE {where}{returning}"
            )
            cursor.execute(sql, [page_json(rows)])
            if guarded is not None:
                guarded.lost |= {pk for pk, matched in cursor.fetchall() if not matched}
            return True
        row_sql = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
        columns = ", ".join([qn("pk__"), *(qn(f.column) for f in fields)])
        per_chunk = max(1, 20000 // (len(fields) + 1))
        for start in range(0, len(objs), per_chunk):
            chunk = objs[start : start + per_chunk]
            params: list[Any] = []
            for obj in chunk:
                params.append(obj.pk)
                params.extend(f.get_db_prep_save(value(obj, f), connection) for f in fields)
            # bench.reconcile queries_per_page (SQLite: held by test_query_counts): one per page.
            sql = (
                f"WITH v ({columns}) AS (VALUES {', '.join([row_sql] * len(chunk))}) "  # noqa: S608
                f"UPDATE {table} SET {', '.join(sets)} FROM v WHERE {where}"
            )
            cursor.execute(sql, params)
    return True


def status_observed_advance(
    model: type[models.Model], guards: list[tuple[int, int, str]], *, observed_at: dt.datetime
) -> set[int] | None:
    """``status_observed_at`` moved forward to ``observed_at`` on the rows of ``guards`` (pk,
    sequence, fingerprint) still there; the pks updated (``None``: no ``UPDATE … FROM``)."""
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite") or not guards:
        return None
    observed = connection.ops.adapt_datetimefield_value(observed_at)
    greatest = "GREATEST" if vendor == "postgresql" else "MAX"
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    if vendor == "postgresql":
        source = "jsonb_to_recordset(%s::jsonb) AS v(pk__ bigint, seq__ integer, fp__ varchar(110))"
        page = page_json([{"pk__": g[0], "seq__": g[1], "fp__": g[2]} for g in guards])
        params: list = [observed, observed, page]
        prefix = ""
    else:
        prefix = f"WITH v (pk__, seq__, fp__) AS (VALUES {', '.join(['(%s, %s, %s)'] * len(guards))}) "
        source = "v"
        params = [x for g in guards for x in g] + [observed, observed]
    # bench.reconcile queries_per_page: one statement per page instead of one per order.
    sql = (
        f"{prefix}UPDATE {table} SET status_observed_at = {greatest}(COALESCE(status_observed_at, %s), %s) "  # noqa: S608
        f"FROM {source} WHERE {table}.{pk} = v.pk__ AND {table}.status_sequence = v.seq__ "
        f"AND {table}.status_fingerprint = v.fp__ RETURNING {table}.{pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}
