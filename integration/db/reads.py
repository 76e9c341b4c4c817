"""The storefront's per-request lookups as fixed SQL (``bench.api``: building them through
the ORM cost more than running them). Names come from the models' metadata; rows come back
as model instances, converted as the ORM converts them."""

from __future__ import annotations

from functools import cache
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
    split = len(_TOKEN_FIELDS)
    token = _instance(ApiToken, _TOKEN_FIELDS, row[:split])
    if row[split] is None:  # no user row joined (the user's pk is never NULL)
        return token, None
    return token, _instance(user_model, user_names, row[split:])


@cache
def _token_sql(user_model, vendor: str) -> tuple[str, tuple[str, ...]]:
    user_fields, q = user_model._meta.concrete_fields, connection.ops.quote_name
    columns = [f"t.{q(name)}" for name in _TOKEN_FIELDS] + [f"u.{q(f.column)}" for f in user_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {q(ApiToken._meta.db_table)} t "  # noqa: S608
        f"LEFT JOIN {q(user_model._meta.db_table)} u ON u.{q(user_model._meta.pk.column)} = "
        "CASE WHEN t.kind = %s THEN %s ELSE t.user_id END "
        "WHERE t.token_hash = %s AND t.revoked_at IS NULL"
    )
    return sql, tuple(f.attname for f in user_fields)


def _instance(model, attnames: tuple[str, ...], values):
    converted = list(values)
    for i, (column, converters) in enumerate(_converters(model, attnames, connection.vendor)):
        for converter in converters:
            converted[i] = converter(converted[i], column, connection)
    return model.from_db(connection.alias, attnames, converted)


@cache
def _converters(model, attnames: tuple[str, ...], vendor: str) -> tuple:
    # Per field, its column and the ORM's converters (SQLite's text datetimes…), built once.
    cols = (model._meta.get_field(name).get_col(model._meta.db_table) for name in attnames)
    return tuple((c, (*connection.ops.get_db_converters(c), *c.get_db_converters(connection))) for c in cols)


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
