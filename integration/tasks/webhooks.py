"""Celery tasks of outbound webhooks: thin, taking ids, calling ``services.webhooks``.

Late acks are safe and wanted: a send claims its event first, so a redelivered message
finds it claimed or delivered and sends nothing; a message lost with a dying worker is
found by the sweep once the claim expires (at-least-once). None of these tasks retries
itself: the retry schedule lives on the event row.
"""

from __future__ import annotations

import logging

from celery import shared_task

from integration.models import WebhookEvent
from integration.services import webhooks

logger = logging.getLogger("integration.webhooks")

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="integration.webhooks_deliver_batch", **IDEMPOTENT)
def webhooks_deliver_batch(event_ids: list[int]) -> dict[str, int]:
    """Send one endpoint's batch of events; see ``webhooks.events_deliver_batch``."""
    return webhooks.events_deliver_batch(event_ids=event_ids)


# Nothing queues it any more: kept so that messages already queued under its name still run.
@shared_task(name="integration.webhook_deliver", **IDEMPOTENT)
def webhook_deliver(event_id: int) -> str:
    """Send one event if it is due and unclaimed."""
    try:
        return webhooks.event_deliver(event_id=event_id).state
    except WebhookEvent.DoesNotExist:
        logger.warning("webhooks: event %s does not exist; nothing to send", event_id)
        return "missing"


@shared_task(name="integration.webhooks_send_due", **IDEMPOTENT)
def webhooks_send_due(limit: int = 500) -> dict[str, int]:
    """Beat: queue due events no task holds; disable endpoints failing for 5 days."""
    return webhooks.events_send_due(limit=limit)


# Acked early: a resend is a person's one-off request (see tasks.notify.notification_resend).
@shared_task(name="integration.webhook_resend", acks_late=False, ignore_result=True)
def webhook_resend(event_id: int) -> str:
    return webhooks.event_resend(event_id=event_id).state
