"""Celery tasks of customer notifications: thin, taking ids, calling ``services.notify``.

None of these tasks retries: a retry of a send is exactly the duplicate email this module
exists to prevent. The services decide, from the row's state, whether anything is sent.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model

from integration.models import Notification
from integration.services import notify

logger = logging.getLogger("integration.notify")

# Idempotent (the services claim rows), so late acks + reject on worker loss (anchors §5.6).
IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="integration.notification_send", **IDEMPOTENT)
def notification_send(notification_id: int) -> str:
    """Send one pending notification. Late acks are safe: a redelivered message finds the
    row claimed (``sending``) or finished and sends nothing."""
    try:
        return notify.notification_send(notification_id=notification_id).state
    except Notification.DoesNotExist:
        # The change (and its rows) went away, or the message came from another database.
        logger.warning("notify: notification %s does not exist; nothing to send", notification_id)
        return "missing"


@shared_task(name="integration.notifications_send_pending", **IDEMPOTENT)
def notifications_send_pending(limit: int = 100) -> dict[str, int]:
    """Beat: mark lost sends ``unknown``, backfill missing rows, send what no task sent."""
    return notify.notifications_send_pending(limit=limit)


# Acked early on purpose (acks_late=False): a re-send is a person's one-off request to email
# the customer *again*, so redelivering it after the worker died could send a second copy.
# If the worker dies, the request is lost visibly (the row is unchanged, or ``sending`` and
# later ``unknown``) and staff click again.
@shared_task(name="integration.notification_resend", acks_late=False, ignore_result=True)
def notification_resend(notification_id: int, by_user_id: int | None = None) -> str:
    user = get_user_model().objects.filter(pk=by_user_id).first() if by_user_id is not None else None
    return notify.notification_resend(notification_id=notification_id, by_user=user).state
