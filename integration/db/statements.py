"""Hand-written statements for the checkout's hot path, with the ORM's own conversions.

Compiling a queryset costs 0.3–0.6 ms of CPU per statement, more than running it on a local
PostgreSQL, and a checkout issues a dozen of them while the customer waits. These helpers
write each statement's text once per model and column list, adapt parameters with the
fields' own ``get_db_prep_save`` (or ``get_db_prep_value`` for lookups) and convert rows
with the very converters the ORM applies, so a value read or written here is the one the
ORM would read or write, on SQLite and PostgreSQL alike.

Only for short, fixed statements on hot paths; everything else uses the ORM.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models


def _db():
    # The real connection object, looked up once per call: every attribute read through
    # ``django.db.connection`` (a proxy to a context-local) costs a lookup, and the field
    # adapters and converters read several per value.
    return connections[DEFAULT_DB_ALIAS]


def qn(name: str) -> str:
    return _db().ops.quote_name(name)


def prep(model: type[models.Model], name: str, value: Any) -> Any:
    """A lookup parameter as the ORM sends it (a uuid as 32 hex digits on SQLite…)."""
    return model._meta.get_field(name).get_db_prep_value(value, _db())


def prep_save(model: type[models.Model], name: str, value: Any) -> Any:
    """A value to write into ``model``'s field ``name``, as the ORM writes it."""
    return model._meta.get_field(name).get_db_prep_save(value, _db())


def vendor() -> str:
    return _db().vendor


def locks_rows() -> bool:
    # SQLite has no row locks (its one writer lock serialises transactions), as with the
    # ORM's select_for_update, which it silently ignores.
    return _db().features.has_select_for_update


@lru_cache(maxsize=64)
def _converters(model: type[models.Model], names: tuple[str, ...], vendor: str) -> tuple:
    db = _db()
    out = []
    for name in names:
        f = model._meta.get_field(name)
        col = f.get_col(model._meta.db_table)
        convs = tuple(db.ops.get_db_converters(col)) + tuple(f.get_db_converters(db))
        out.append((convs, col))
    return tuple(out)


def convert(model: type[models.Model], names: Sequence[str], row: Sequence[Any]) -> list[Any]:
    """Database values of ``model``'s fields ``names`` → Python values, as the ORM converts
    them (SQLite's text datetimes and hex uuids, JSON text…)."""
    db = _db()
    values = list(row)
    for i, (convs, col) in enumerate(_converters(model, tuple(names), db.vendor)):
        for conv in convs:
            values[i] = conv(values[i], col, db)
    return values


def instance(model: type[models.Model], names: Sequence[str], row: Sequence[Any]):
    """A model instance from a row of ``names`` (attnames, any order); the other fields
    are deferred, as with ``.only()``."""
    db = _db()
    by_name = dict(zip(names, convert(model, names, row), strict=True))
    fields = [f.attname for f in model._meta.concrete_fields if f.attname in by_name]
    return model.from_db(db.alias, fields, [by_name[a] for a in fields])


def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


@lru_cache(maxsize=32)
def _insert_sql(
    model: type[models.Model], rows: int, conflict: str | None, returning: bool, vendor: str
) -> str:
    fields = _insert_fields(model)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([one] * rows)}"
    )
    if conflict:
        sql += f" ON CONFLICT ({qn(model._meta.get_field(conflict).column)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {qn(model._meta.pk.column)}"
    return sql


def _params(objs: Iterable[models.Model], fields: list[models.Field]) -> list[Any]:
    db = _db()
    # pre_save fills auto_now / auto_now_add on the instance, exactly as Model.save does.
    return [f.get_db_prep_save(f.pre_save(obj, True), db) for obj in objs for f in fields]


class Result:
    """What one statement returned: ``rows`` and ``rowcount`` (for an INSERT of one
    instance, ``inserted``). Inside :func:`batch` they are there once the block ends."""

    def __init__(self, cursor, obj: models.Model | None = None) -> None:
        self._cursor, self._obj = cursor, obj
        self.rows: list[tuple] = []
        self.rowcount = -1

    def _resolve(self) -> None:
        cursor, self._cursor = self._cursor, None
        if cursor is None:
            return
        try:
            self.rows = cursor.fetchall() if cursor.description else []
            self.rowcount = cursor.rowcount
        finally:
            cursor.close()
        if self._obj is not None and self.rows:
            obj = self._obj
            obj.pk = self.rows[0][0]
            obj._state.adding = False
            obj._state.db = DEFAULT_DB_ALIAS

    @property
    def inserted(self) -> bool:
        return bool(self.rows)


@lru_cache(maxsize=1)
def _server_binding():
    # Imported on first use: the PostgreSQL backend module needs psycopg.
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerBindingCursor
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    return ServerBindingCursor, TIMESTAMPTZ_OID, Format.TEXT, register_tzloader


def _cursor():
    """Django's cursor, except that on PostgreSQL it binds parameters server side: the
    default client-side binding has psycopg quote every value into the text in Python,
    which costs more CPU than sending them (the page writes use the same cursor,
    ``db/bulk.bulk_cursor``). Prepared statements stay off, as Django sets them
    (connection poolers)."""
    db = _db()
    if db.vendor != "postgresql" or db.settings_dict["OPTIONS"].get("server_side_binding"):
        return db.cursor()
    cursor_class, tz_oid, text_format, register_tzloader = _server_binding()
    db.ensure_connection()
    raw = db.connection
    with db.wrap_database_errors:
        cursor = cursor_class(raw)
    # As Django's create_cursor: a cursor-level time zone only when the db's differs
    # (a test overriding TIME_ZONE); timestamps read here must come back in the right zone.
    if db.timezone != raw.adapters.get_loader(tz_oid, text_format).timezone:
        register_tzloader(db.timezone, cursor)
    return db._prepare_cursor(cursor)


def _send(text: str, params: Sequence[Any], obj: models.Model | None = None) -> Result:
    cursor = _cursor()
    try:
        cursor.execute(text, params)
    except BaseException:
        cursor.close()
        raise
    return Result(cursor, obj)


def _insert_text(obj: models.Model, ignore_conflict_on: str | None) -> tuple[str, list[Any]]:
    db = _db()
    if not db.features.can_return_columns_from_insert:
        raise NotImplementedError("services.sql needs INSERT … RETURNING (PostgreSQL, SQLite ≥ 3.35)")
    model = type(obj)
    return _insert_sql(model, 1, ignore_conflict_on, True, db.vendor), _params([obj], _insert_fields(model))


class Batch:
    """Statements sent together; see :func:`batch`."""

    def __init__(self) -> None:
        self._results: list[Result] = []

    def execute(self, text: str, params: Sequence[Any]) -> Result:
        result = _send(text, params)
        self._results.append(result)
        return result

    def insert(self, obj: models.Model, *, ignore_conflict_on: str | None = None) -> Result:
        result = _send(*_insert_text(obj, ignore_conflict_on), obj)
        self._results.append(result)
        return result

    def _resolve(self) -> None:
        for result in self._results:
            result._resolve()

    def _close(self) -> None:
        for result in self._results:
            if result._cursor is not None:
                result._cursor.close()
                result._cursor = None


@contextlib.contextmanager
def batch() -> Iterator[Batch]:
    """Send the block's statements in one flight and read their results when it ends.

    On PostgreSQL this is psycopg's pipeline mode: the server runs the statements in order
    and answers once, so N statements cost one round trip instead of N (on a busy host each
    round trip is also a wake-up of the server process and of ours). Only for statements
    whose results the block does not need before it ends; an error in any of them is
    raised when the block ends (and, inside ``atomic()``, rolls the transaction back).
    Elsewhere (SQLite runs in-process) the statements simply run one by one.
    """
    db = _db()
    b = Batch()
    try:
        if db.vendor == "postgresql":
            db.ensure_connection()
            with db.wrap_database_errors, db.connection.pipeline() as pipeline:
                try:
                    yield b
                except BaseException:
                    # A statement's error can surface at the next one's send. Settle the
                    # aborted pipeline here, so that leaving it does not fail a second time
                    # (psycopg would log that as a warning); the first error is the one raised.
                    with contextlib.suppress(Exception):
                        pipeline.sync()
                    raise
        else:
            yield b
    except BaseException:
        b._close()
        raise
    b._resolve()


def insert_one(obj: models.Model, *, ignore_conflict_on: str | None = None) -> bool:
    """INSERT one unsaved instance and set its pk. With ``ignore_conflict_on`` (a unique
    field), a row already holding that value is left alone and ``False`` is returned."""
    result = _send(*_insert_text(obj, ignore_conflict_on), obj)
    result._resolve()
    return result.inserted


def insert_many(objs: Sequence[models.Model], *, batch: Batch | None = None) -> None:
    """INSERT unsaved instances of one model in one statement, without reading pks back
    (rows nobody refers to: the call ledger); in ``batch`` if given."""
    db = _db()
    if objs:
        model = type(objs[0])
        text = _insert_sql(model, len(objs), None, False, db.vendor)
        params = _params(objs, _insert_fields(model))
        if batch is not None:
            batch.execute(text, params)
        else:
            execute(text, params)


def execute(text: str, params: Sequence[Any]) -> Result:
    """Run one statement now."""
    result = _send(text, params)
    result._resolve()
    return result
