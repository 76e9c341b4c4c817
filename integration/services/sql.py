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

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from django.db import connection, models


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def prep(model: type[models.Model], name: str, value: Any) -> Any:
    """A lookup parameter as the ORM sends it (a uuid as 32 hex digits on SQLite…)."""
    return model._meta.get_field(name).get_db_prep_value(value, connection)


def locks_rows() -> bool:
    # SQLite has no row locks (its one writer lock serialises transactions), as with the
    # ORM's select_for_update, which it silently ignores.
    return connection.features.has_select_for_update


@lru_cache(maxsize=64)
def _converters(model: type[models.Model], names: tuple[str, ...], vendor: str) -> tuple:
    out = []
    for name in names:
        f = model._meta.get_field(name)
        col = f.get_col(model._meta.db_table)
        convs = tuple(connection.ops.get_db_converters(col)) + tuple(f.get_db_converters(connection))
        out.append((convs, col))
    return tuple(out)


def convert(model: type[models.Model], names: Sequence[str], row: Sequence[Any]) -> list[Any]:
    """Database values of ``model``'s fields ``names`` → Python values, as the ORM converts
    them (SQLite's text datetimes and hex uuids, JSON text…)."""
    values = list(row)
    for i, (convs, col) in enumerate(_converters(model, tuple(names), connection.vendor)):
        for conv in convs:
            values[i] = conv(values[i], col, connection)
    return values


def instance(model: type[models.Model], names: Sequence[str], row: Sequence[Any]):
    """A model instance from a row of ``names`` (attnames, any order); the other fields
    are deferred, as with ``.only()``."""
    by_name = dict(zip(names, convert(model, names, row), strict=True))
    fields = [f.attname for f in model._meta.concrete_fields if f.attname in by_name]
    return model.from_db(connection.alias, fields, [by_name[a] for a in fields])


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
    # pre_save fills auto_now / auto_now_add on the instance, exactly as Model.save does.
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]


def _saved(obj: models.Model, pk: Any) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def insert_one(obj: models.Model, *, ignore_conflict_on: str | None = None) -> bool:
    """INSERT one unsaved instance and set its pk. With ``ignore_conflict_on`` (a unique
    field), a row already holding that value is left alone and ``False`` is returned."""
    model = type(obj)
    if not connection.features.can_return_columns_from_insert:
        if ignore_conflict_on:
            raise NotImplementedError("insert_one(ignore_conflict_on=…) needs INSERT … RETURNING")
        obj.save(force_insert=True)
        return True
    sql = _insert_sql(model, 1, ignore_conflict_on, True, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, _params([obj], _insert_fields(model)))
        row = cursor.fetchone()
    if row is None:
        return False
    _saved(obj, row[0])
    return True


def insert_many(objs: Sequence[models.Model]) -> None:
    """INSERT unsaved instances of one model in one statement, without reading pks back
    (rows nobody refers to: the call ledger)."""
    if not objs:
        return
    model = type(objs[0])
    sql = _insert_sql(model, len(objs), None, False, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(objs, _insert_fields(model)))


def execute(sql: str, params: Sequence[Any]) -> tuple[int, list[tuple]]:
    """Run one statement; (rows affected, rows returned)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.rowcount, rows
