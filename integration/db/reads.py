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


def api_token_by_hash(token_hash: str, customer_id: int | None) -> tuple[ApiToken, Any] | None:
    """bench.api ratio: the one statement of every token-authenticated request. The unrevoked
    token and the user it acts for (a storefront token: ``customer_id``'s, else its own), or
    ``None`` for the user; whether that user may act is the caller's rule."""
    user_model = get_user_model()
    user_fields = user_model._meta.concrete_fields
    q = connection.ops.quote_name
    columns = [f"t.{q(name)}" for name in _TOKEN_FIELDS] + [f"u.{q(f.column)}" for f in user_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {q(ApiToken._meta.db_table)} t "  # noqa: S608
        f"LEFT JOIN {q(user_model._meta.db_table)} u ON u.{q(user_model._meta.pk.column)} = "
        "CASE WHEN t.kind = %s THEN %s ELSE t.user_id END "
        "WHERE t.token_hash = %s AND t.revoked_at IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [TokenKind.STOREFRONT.value, customer_id, token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_TOKEN_FIELDS)
    token = _instance(ApiToken, [ApiToken._meta.get_field(name) for name in _TOKEN_FIELDS], row[:split])
    if row[split] is None:  # no user row joined (the user's pk is never NULL)
        return token, None
    return token, _instance(user_model, user_fields, row[split:])


def _instance(model, fields, values):
    attnames = tuple(f.attname for f in fields)
    converted = []
    for (column, converters), value in zip(
        _converters(model, attnames, connection.vendor), values, strict=True
    ):
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, attnames, converted)


@cache
def _converters(model, attnames: tuple[str, ...], vendor: str) -> tuple:
    # Per field, its column and the ORM's converters (SQLite's text datetimes…), built once.
    columns = [model._meta.get_field(name).get_col(model._meta.db_table) for name in attnames]
    return tuple(
        (c, tuple(connection.ops.get_db_converters(c) + c.get_db_converters(connection))) for c in columns
    )


def order_status_of_customer(drgreen_id, user_pk: int) -> Order | None:
    """bench.api mirror p99: the order-status read a storefront polls."""
    sql = (
        "SELECT o.id, o.drgreen_id, o.invoice_number, o.order_status, o.admin_approval, "  # noqa: S608
        "o.payment_status, o.last_synced_at "
        f"FROM {Order._meta.db_table} o JOIN {Client._meta.db_table} c ON c.id = o.client_id "
        "WHERE o.drgreen_id = %s AND c.user_id = %s"
    )
    uuid_param = Order._meta.get_field("drgreen_id").get_db_prep_value(drgreen_id, connection)
    rows = list(Order.objects.raw(sql, [uuid_param, user_pk]))
    return rows[0] if rows else None
