"""The webhook outbox's insert: a transaction's facts × the endpoints that want them, in one
``INSERT … SELECT``; ``ON CONFLICT DO NOTHING`` keeps one row per (endpoint, fact)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection

from integration.models import WebhookEvent

from .bulk import bulk_cursor, page_json

_COLUMNS = ("fact", "msg_id", "type", "data", "occurred_at", "order_drgreen_id", "client_pk", "order_pk")
# PostgreSQL: a page's facts as ONE jsonb parameter (bench.reconcile write_s: not a ~60 kB text to parse).
_PG_SOURCE = (
    "v AS (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS v(fact text, msg_id text, type text, data jsonb,"
    " occurred_at timestamptz, order_drgreen_id uuid, client_pk bigint, order_pk bigint))"
)
# data, with correlationId / customerId filled from the joined rows when there are any.
_DATA = {
    "postgresql": (
        "CASE WHEN p.correlation_id IS NULL THEN d.data2 ELSE"
        " jsonb_set(d.data2, '{correlationId}', to_jsonb(p.correlation_id::text)) END",
        "CASE WHEN v.client_pk IS NULL THEN v.data ELSE"
        " jsonb_set(v.data, '{customerId}', COALESCE(to_jsonb(c.user_id), 'null'::jsonb)) END",
    ),
    "sqlite": (
        # SQLite keeps a uuid as 32 hex digits: written out in its usual 8-4-4-4-12 form.
        "CASE WHEN p.correlation_id IS NULL THEN d.data2 ELSE json_set(d.data2, '$.correlationId',"
        " substr(p.correlation_id, 1, 8) || '-' || substr(p.correlation_id, 9, 4) || '-' ||"
        " substr(p.correlation_id, 13, 4) || '-' || substr(p.correlation_id, 17, 4) || '-' ||"
        " substr(p.correlation_id, 21)) END",
        "CASE WHEN v.client_pk IS NULL THEN v.data ELSE json_set(v.data, '$.customerId', c.user_id) END",
    ),
}


@lru_cache(maxsize=64)
def _insert_text(rows: int, vendor: str) -> str:
    final, with_customer = _DATA[vendor]
    values = ", ".join(["(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"] * rows)
    source = _PG_SOURCE if vendor == "postgresql" else f"v ({', '.join(_COLUMNS)}) AS (VALUES {values})"
    # bench.reconcile queries_per_page: a page's events, whatever its facts and endpoints, in one statement.
    return (
        f"WITH {source}, d AS (SELECT v.*, {with_customer} AS data2 FROM v"  # noqa: S608
        " LEFT JOIN integration_client c ON c.id = v.client_pk) "
        "INSERT INTO integration_webhookevent (endpoint_id, fact, msg_id, type, data, occurred_at,"
        " order_drgreen_id, state, attempts, next_attempt_at, last_error, created_at)"
        f" SELECT e.id, d.fact, d.msg_id, d.type, {final}, d.occurred_at, d.order_drgreen_id,"
        " %s, 0, d.occurred_at, '', %s FROM d CROSS JOIN integration_webhookendpoint e"
        " LEFT JOIN integration_orderplacement p ON p.order_id = d.order_pk"
        " WHERE e.is_active AND (e.event_types = '' OR e.event_types LIKE '%%,' || d.type || ',%%')"
        " ON CONFLICT (endpoint_id, fact) DO NOTHING RETURNING id"
    )


def webhook_events_insert(rows: list[tuple], *, now: datetime) -> list[int]:
    """``rows`` (one per fact, in ``_COLUMNS``' order) as ``pending`` events for every active
    endpoint that wants their type; returns the ids inserted (none for existing pairs)."""

    def prep(name: str, value: Any) -> Any:
        return WebhookEvent._meta.get_field(name).get_db_prep_save(value, connection)

    vendor = connection.vendor
    params: list[Any] = []
    if vendor == "postgresql":
        params.append(page_json([dict(zip(_COLUMNS, row, strict=True)) for row in rows]))
    else:
        for fact, msg_id, type_, data, occurred_at, order_drgreen_id, client_pk, order_pk in rows:
            params += [fact, msg_id, type_, prep("data", data), prep("occurred_at", occurred_at)]
            params += [prep("order_drgreen_id", order_drgreen_id), client_pk, order_pk]
    params += [WebhookEvent.STATE_PENDING, prep("created_at", now)]
    with bulk_cursor() as cursor:
        cursor.execute(_insert_text(0 if vendor == "postgresql" else len(rows), vendor), params)
        return [row[0] for row in cursor.fetchall()]
