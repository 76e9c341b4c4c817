"""Customer notifications, at most one per (status change, channel)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .orders import StatusChange


class Notification(models.Model):
    """The delivery record for one channel of one ``StatusChange``.

    The unique constraint is the send-once guarantee: a retried task finds the existing row
    and its ``state`` instead of creating (and sending) another one.
    """

    STATE_PENDING = "pending"
    STATE_SENDING = "sending"
    STATE_SENT = "sent"
    STATE_FAILED = "failed"
    STATE_SKIPPED = "skipped"

    status_change = models.ForeignKey(StatusChange, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=16, default="email")
    state = models.CharField(max_length=16, default=STATE_PENDING, db_index=True)
    recipient = models.CharField(max_length=254, blank=True)
    template = models.CharField(max_length=128, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A sender holds the row until this time, so a crashed worker's claim expires.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status_change", "channel"], name="uniq_notification_change_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} for change {self.status_change_id}: {self.state}"
