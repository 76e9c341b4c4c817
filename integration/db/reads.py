"""The storefront's per-request lookups as fixed SQL (``bench.api``: the ORM's query building
cost more than running them); names from the models' metadata, rows converted as the ORM does."""

from __future__ import annotations

from functools import cache, reduce
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection

from integration.models import ApiToken, Client, Order, TokenKind

_TOKEN_FIELDS = ("id", "name", "kind", "prefix", "user_id", "last_used_at", "revoked_at")
_STATUS = "id drgreen_id invoice_number order_status admin_approval payment_status last_synced_at".split()


def api_token_by_hash(token_hash: str, customer_id: int | None) -> tuple[ApiToken, Any] | None:
    """bench.api ratio: the one statement of every token-authenticated request. The unrevoked
    token and the user it acts for (a storefront token: ``customer_id``'s, else its own), or
    ``None`` for the user; whether that user may act is the caller's rule."""
    user_model = get_user_model()
    sql, user_names = _token_sql(user_model, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [TokenKind.STOREFRONT.value, customer_id, token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_TOKEN_FIELDS)  # then the user's columns, NULL when no user row joined
    user = _instance(user_model, user_names, row[split:]) if row[split] is not None else None
    return _instance(ApiToken, _TOKEN_FIELDS, row), user


@cache
def _token_sql(user_model, vendor: str) -> tuple[str, tuple[str, ...]]:
    """bench.api ratio: ``api_token_by_hash``'s statement, built once."""
    user_fields, q = user_model._meta.concrete_fields, connection.ops.quote_name
    columns = [f"t.{q(name)}" for name in _TOKEN_FIELDS] + [f"u.{q(f.column)}" for f in user_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {q(ApiToken._meta.db_table)} t "  # noqa: S608
        f"LEFT JOIN {q(user_model._meta.db_table)} u ON u.{q(user_model._meta.pk.column)} = "
        "CASE WHEN t.kind = %s THEN %s ELSE t.user_id END "
        "WHERE t.token_hash = %s AND t.revoked_at IS NULL"
    )
    return sql, tuple(f.attname for f in user_fields)


def _instance(model, attnames: tuple[str, ...], row):
    names, plan = _plan(model, attnames, connection.vendor)
    values = [reduce(lambda v, f: f(v, col, connection), fs, row[i]) for i, col, fs in plan]  # noqa: B023
    return model.from_db(connection.alias, names, values)


@cache
def _plan(model, attnames: tuple[str, ...], vendor: str) -> tuple:
    # In the model's field order (``from_db`` assumes it): place in the row, column, converters.
    names = [f.attname for f in model._meta.concrete_fields if f.attname in attnames]
    cols = [(attnames.index(n), model._meta.get_field(n).get_col(model._meta.db_table)) for n in names]
    convert = connection.ops.get_db_converters
    return tuple(names), tuple((i, c, (*convert(c), *c.get_db_converters(connection))) for i, c in cols)


def order_status_of_customer(drgreen_id, user_pk: int) -> Order | None:
    """bench.api mirror p99: the order-status read a storefront polls (a cursor, not raw())."""
    sql = (
        f"SELECT o.{', o.'.join(_STATUS)} FROM {Order._meta.db_table} o "  # noqa: S608
        f"JOIN {Client._meta.db_table} c ON c.id = o.client_id WHERE o.drgreen_id = %s AND c.user_id = %s"
    )
    uuid_param = Order._meta.get_field("drgreen_id").get_db_prep_value(drgreen_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [uuid_param, user_pk])
        row = cursor.fetchone()
    return None if row is None else _instance(Order, tuple(_STATUS), row)
