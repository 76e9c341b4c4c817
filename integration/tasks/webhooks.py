"""Celery tasks of outbound webhooks: thin, taking ids, calling ``services.webhooks``.

Late acks are safe and wanted: a send claims its event first, so a redelivered message
finds it claimed or delivered and sends nothing; a message lost with a dying worker is
found by the sweep once the claim expires (at-least-once). None of these tasks retries
itself: the retry schedule lives on the event row.
"""

from __future__ import annotations

import logging
from collections import Counter

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from integration.models import WebhookEvent
from integration.services import webhooks

logger = logging.getLogger("integration.webhooks")

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="integration.webhooks_deliver_batch", **IDEMPOTENT)
def webhooks_deliver_batch(event_ids: list[int]) -> dict[str, int]:
    """Send each event (one endpoint's, see ``outbox.event_batches``) if it is due and
    unclaimed, one after another. Each event's claim makes a redelivered batch safe; an
    event that fails unexpectedly is logged and left to the sweep, the others still go."""
    states: Counter[str] = Counter()
    for n, event_id in enumerate(event_ids):
        try:
            states[webhooks.event_deliver(event_id=event_id).state] += 1
        except WebhookEvent.DoesNotExist:
            logger.warning("webhooks: event %s does not exist; nothing to send", event_id)
            states["missing"] += 1
        except SoftTimeLimitExceeded:  # stop before the hard limit kills the worker
            logger.warning(
                "webhooks: batch out of time; the sweep sends its %d last event(s)", len(event_ids) - n
            )
            states["out_of_time"] += len(event_ids) - n
            break
        except Exception:  # noqa: BLE001 - one event must not stop the batch; the sweep retries it
            logger.exception("webhooks: event %s failed to send; the sweep retries it", event_id)
            states["error"] += 1
    return dict(states)


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
