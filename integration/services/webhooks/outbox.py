"""The outbox: event rows written in the transaction of the fact they announce.

One statement per transaction, whatever the number of facts and endpoints: an
``INSERT … SELECT`` of every (active endpoint that wants the type) × (fact), skipping a
(endpoint, fact) pair that already has its row. Two workers that record the same fact race
on that unique pair and the database keeps one row, so a receiver sees one ``webhook-id``
per fact. The statement also runs inside a checkout's batched flight (``integration/db/statements.batch``)
without a round trip of its own. The inserted ids are queued for sending once the
transaction commits; a broker that is down only delays them until the sweep.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from integration.db import statements as sql
from integration.models import WebhookEvent

logger = logging.getLogger("integration.webhooks")


@dataclass(frozen=True)
class Fact:
    """Something to announce: ``key`` names it uniquely (per endpoint, one event).

    ``client_pk`` / ``order_pk``: the statement itself fills ``data.customerId`` (the
    client's storefront user) and ``data.correlationId`` (the order's placement, if ours)
    from those rows, so a page of facts costs no lookup of its own."""

    type: str
    key: str
    data: dict[str, Any]
    occurred_at: datetime
    order_drgreen_id: uuid.UUID | None = None
    client_pk: int | None = None
    order_pk: int | None = None


def new_msg_id() -> str:
    """The ``webhook-id`` of a new event (the same for every endpoint and every retry)."""
    return f"msg_{uuid.uuid4().hex}"


_COLUMNS = ("fact", "msg_id", "type", "data", "occurred_at", "order_drgreen_id", "client_pk", "order_pk")
_ROW = {
    "postgresql": "(%s, %s, %s, CAST(%s AS jsonb), CAST(%s AS timestamptz), CAST(%s AS uuid),"
    " CAST(%s AS bigint), CAST(%s AS bigint))",
    "sqlite": "(%s, %s, %s, %s, %s, %s, %s, %s)",
}
# data, with customerId / correlationId filled from the joined rows when asked for.
_DATA = {
    "postgresql": (
        "CASE WHEN p.correlation_id IS NULL THEN d.data ELSE"
        " jsonb_set(d.data, '{correlationId}', to_jsonb(p.correlation_id::text)) END",
        "CASE WHEN v.client_pk IS NULL THEN v.data ELSE"
        " jsonb_set(v.data, '{customerId}', COALESCE(to_jsonb(c.user_id), 'null'::jsonb)) END",
    ),
    "sqlite": (
        # SQLite keeps a uuid as 32 hex digits: written out in its usual 8-4-4-4-12 form.
        "CASE WHEN p.correlation_id IS NULL THEN d.data ELSE json_set(d.data, '$.correlationId',"
        " substr(p.correlation_id, 1, 8) || '-' || substr(p.correlation_id, 9, 4) || '-' ||"
        " substr(p.correlation_id, 13, 4) || '-' || substr(p.correlation_id, 17, 4) || '-' ||"
        " substr(p.correlation_id, 21)) END",
        "CASE WHEN v.client_pk IS NULL THEN v.data ELSE json_set(v.data, '$.customerId', c.user_id) END",
    ),
}


@lru_cache(maxsize=64)
def _insert_text(rows: int, vendor: str) -> str:
    # VALUES rows carry no column types on PostgreSQL: each parameter is cast to its column's.
    values = ", ".join([_ROW[vendor]] * rows)
    final, with_customer = _DATA[vendor]
    # Only fixed names are formatted in; every value is a parameter.
    return (
        f"WITH v ({', '.join(_COLUMNS)}) AS (VALUES {values}), "  # noqa: S608
        f"d AS (SELECT v.*, {with_customer} AS data2 FROM v"
        " LEFT JOIN integration_client c ON c.id = v.client_pk) "
        "INSERT INTO integration_webhookevent (endpoint_id, fact, msg_id, type, data, occurred_at,"
        " order_drgreen_id, state, attempts, next_attempt_at, last_error, created_at)"
        f" SELECT e.id, d.fact, d.msg_id, d.type, {final.replace('d.data', 'd.data2')},"
        " d.occurred_at, d.order_drgreen_id, %s, 0, d.occurred_at, '', %s"
        " FROM d CROSS JOIN integration_webhookendpoint e"
        " LEFT JOIN integration_orderplacement p ON p.order_id = d.order_pk"
        " WHERE e.is_active AND (e.event_types = '' OR e.event_types LIKE '%%,' || d.type || ',%%')"
        " ON CONFLICT (endpoint_id, fact) DO NOTHING RETURNING id"
    )


def _params(facts: list[Fact], now: datetime) -> list[Any]:
    msg_ids: dict[str, str] = {}
    params: list[Any] = []
    for fact in facts:
        msg_id = msg_ids.setdefault(fact.key, new_msg_id())
        params += [
            fact.key,
            msg_id,
            fact.type,
            sql.prep_save(WebhookEvent, "data", fact.data),
            sql.prep_save(WebhookEvent, "occurred_at", fact.occurred_at),
            sql.prep_save(WebhookEvent, "order_drgreen_id", fact.order_drgreen_id),
            fact.client_pk,
            fact.order_pk,
        ]
    params += [WebhookEvent.STATE_PENDING, sql.prep_save(WebhookEvent, "created_at", now)]
    return params


def events_record(facts: list[Fact], *, batch: sql.Batch | None = None, now: datetime | None = None) -> None:
    """Write the events of ``facts`` in the caller's transaction (required: an event must
    not outlive a fact that rolled back, nor the fact commit without its event), in
    ``batch`` if given, and queue their sending for after the commit."""
    if not facts:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhook events are written inside the transaction of their fact")
    # A page may name one fact twice (page drift): the first wins, as the constraint would.
    unique = list({f.key: f for f in reversed(facts)}.values())[::-1]
    now = now or timezone.now()
    text = _insert_text(len(unique), sql.vendor())
    params = _params(unique, now)
    if batch is not None:
        # The ids are known once the batch has run: queue whatever it inserted.
        result = batch.execute(text, params)
        transaction.on_commit(lambda: events_enqueue([row[0] for row in result.rows]))
        return
    ids = [row[0] for row in sql.execute(text, params).rows]
    # Only when something was inserted: a page with an after-commit callback waits for its
    # WAL flush (mirror/transactions.relaxed_commits), and a reconcile page with no endpoint to
    # tell must not lose that saving.
    if ids:
        transaction.on_commit(lambda: events_enqueue(ids))


def events_enqueue(event_ids: list[int], *, countdown: float | None = None) -> None:
    """Queue one send task per event (after commit). Errors are logged: the rows are
    committed ``pending`` and the sweep sends them."""
    if not event_ids:
        return
    from integration.tasks.webhooks import webhook_deliver as task  # tasks import services

    for event_id in event_ids:
        try:
            task.apply_async(kwargs={"event_id": event_id}, countdown=countdown)
        except Exception:  # noqa: BLE001 - the sweep is the fallback
            logger.exception("webhooks: could not queue event %s; the sweep sends it", event_id)
            return
