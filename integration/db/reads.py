"""The storefront's per-request lookups as fixed SQL through ``Model.objects.raw``.

Justified by ``bench.api`` (storefront reads vs the proxy): every authenticated request
makes the first two, and a storefront polls the third; building them through the ORM cost
more than running them. ``raw`` keeps model instances and portability (table and column
names come from the models' metadata).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection

from integration.models import ApiToken, Client, Order


def api_token_by_hash(token_hash: str) -> ApiToken | None:
    """bench.api ratio: the token lookup of every authenticated request."""
    sql = (
        "SELECT id, name, kind, prefix, user_id, last_used_at, revoked_at "  # noqa: S608
        f"FROM {ApiToken._meta.db_table} WHERE token_hash = %s AND revoked_at IS NULL"
    )
    rows = list(ApiToken.objects.raw(sql, [token_hash]))
    return rows[0] if rows else None


def customer_by_id(user_id: int):
    """bench.api ratio: the customer lookup of every authenticated request (active,
    neither staff nor superuser)."""
    user_model = get_user_model()
    sql = (
        f"SELECT * FROM {user_model._meta.db_table} WHERE {user_model._meta.pk.column} = %s "  # noqa: S608
        "AND is_active = %s AND is_staff = %s AND is_superuser = %s"
    )
    rows = list(user_model.objects.raw(sql, [user_id, True, False, False]))
    return rows[0] if rows else None


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
