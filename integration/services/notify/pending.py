"""Sending what is pending: the beat backstop for what the on-commit task did not do.

A queued ``notification_send`` can be lost (broker down when the change committed, a
message dropped, a receiver that failed). The sweep is the backstop, and it never sends a
row twice either: it only ever *claims* rows, like the task.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import Notification, StatusChange

from . import states
from .creation import notifications_create_for_change
from .delivery import notification_send

LOST_WORKER = (
    "may have been sent: the worker stopped between sending and recording it (its claim "
    "expired). Check the mail log before re-sending."
)


def notifications_send_pending(*, limit: int = 100, now: datetime | None = None) -> dict[str, int]:
    """One sweep; returns counts (``lost``, ``created``, and the end state of each send).

    1. ``sending`` rows whose claim expired → ``unknown`` (never resent automatically).
    2. Status changes detected within ``BACKFILL_S`` that have no notification (their
       receiver never ran) get their rows now, and are sent.
    3. ``pending`` rows older than ``SWEEP_GRACE_S`` whose back-off is over are sent, at
       most ``limit`` per sweep, oldest first.
    """
    settings = drgreen_settings.notify
    now = now or timezone.now()
    counts: Counter[str] = Counter(created=0)
    counts["lost"] = Notification.objects.filter(state=states.SENDING, claimed_until__lt=now).update(
        state=states.UNKNOWN, claimed_until=None, last_error=LOST_WORKER, updated_at=now
    )
    grace = now - timedelta(seconds=settings.sweep_grace_s)
    missing = (
        StatusChange.objects.filter(
            detected_at__gte=now - timedelta(seconds=settings.backfill_s),
            detected_at__lte=grace,
            notifications__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for change_id in list(missing):
        created = notifications_create_for_change(status_change_id=change_id).created
        counts["created"] += len(created)
        # No task was ever queued for these, so the sweep sends them now (the grace below is
        # only for rows whose on-commit task may still be on its way).
        for row in created:
            if row.state == states.PENDING:
                counts[notification_send(notification_id=row.pk, now=now).state] += 1
    due = (
        Notification.objects.filter(state=states.PENDING, created_at__lte=grace)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in list(due):
        counts[notification_send(notification_id=notification_id, now=now).state] += 1
    return dict(counts)
