"""The outbox: event rows written in the transaction of the fact they announce.

One statement per transaction, whatever the number of facts and endpoints
(``integration/db/outbox.py``): a row for every (active endpoint that wants the type) ×
(fact), skipping a (endpoint, fact) pair that already has its row. Two workers that record
the same fact race on that unique pair and the database keeps one row, so a receiver sees
one ``webhook-id`` per fact. The inserted ids are queued for sending once the transaction
commits, in batches of one endpoint's events (a slow receiver only delays its own events);
a broker that is down only delays them until the sweep.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.db.outbox import webhook_events_insert
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


# Facts held back by ``events_batched`` (None: each call writes its own).
_batched: contextvars.ContextVar[list[Fact] | None] = contextvars.ContextVar("webhook_facts", default=None)


@contextlib.contextmanager
def events_batched() -> Iterator[None]:
    """Inside one transaction: the facts recorded in the block are written in one statement
    as the block ends (a checkout's outcome records the order's and the placement's). Not
    written if the block raises: its transaction rolls back with them. Only around code
    whose savepoints never roll back facts while the transaction goes on."""
    token = _batched.set([])
    try:
        yield
        facts = _batched.get() or []
    finally:
        _batched.reset(token)
    events_record(facts)


def events_record(facts: list[Fact], *, now: datetime | None = None) -> None:
    """Write the events of ``facts`` in the caller's transaction (required: an event must
    not outlive a fact that rolled back, nor the fact commit without its event) and queue
    their sending for after the commit."""
    if not facts:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhook events are written inside the transaction of their fact")
    held = _batched.get()
    if held is not None and now is None:
        held.extend(facts)
        return
    # A page may name one fact twice (page drift): the first wins, as the constraint would.
    unique = list({f.key: f for f in reversed(facts)}.values())[::-1]
    rows = [
        (f.key, new_msg_id(), f.type, f.data, f.occurred_at, f.order_drgreen_id, f.client_pk, f.order_pk)
        for f in unique
    ]
    ids = webhook_events_insert(rows, now=now or timezone.now())
    # Only when something was inserted: a page with an after-commit callback waits for its
    # WAL flush (mirror/transactions.relaxed_commits), and a reconcile page with no endpoint to
    # tell must not lose that saving.
    if ids:
        transaction.on_commit(lambda: events_enqueue(ids))


def event_batches(event_ids: list[int]) -> list[list[int]]:
    """``event_ids`` grouped by endpoint (in their order), in chunks of ``batch_size``. One
    query for the endpoints (the callers have only ids); an id with no row is dropped."""
    size = max(1, drgreen_settings.webhooks.batch_size)
    if len(event_ids) == 1:
        return [list(event_ids)]
    endpoint_of: dict[int, int] = {}
    for start in range(0, len(event_ids), 500):  # SQLite's bound-parameter limit
        chunk = event_ids[start : start + 500]
        endpoint_of.update(WebhookEvent.objects.filter(pk__in=chunk).values_list("pk", "endpoint_id"))
    by_endpoint: dict[int, list[int]] = {}
    for event_id in event_ids:
        if event_id in endpoint_of:
            by_endpoint.setdefault(endpoint_of[event_id], []).append(event_id)
    return [ids[i : i + size] for ids in by_endpoint.values() for i in range(0, len(ids), size)]


def events_enqueue(event_ids: list[int], *, countdown: float | None = None) -> None:
    """Queue the sending of ``event_ids`` (after commit), one task per batch (``event_batches``).
    Errors are logged: the rows are committed ``pending`` and the sweep sends them."""
    if not event_ids:
        return
    from integration.tasks.webhooks import webhooks_deliver_batch as task  # tasks import services

    try:
        for batch in event_batches(event_ids):
            task.apply_async(kwargs={"event_ids": batch}, countdown=countdown)
    except Exception:  # noqa: BLE001 - the sweep is the fallback
        logger.exception("webhooks: could not queue %d event(s); the sweep sends them", len(event_ids))
