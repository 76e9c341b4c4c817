"""Outbound webhooks (Standard Webhooks): endpoints, the event outbox, delivery attempts.

``WebhookEvent`` is an outbox row: written in the same transaction as the fact it
announces, unique per (endpoint, fact), so two workers that detect the same change leave
one row, whose ``msg_id`` (the ``webhook-id`` header) every retry repeats.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WebhookEndpoint(models.Model):
    """A receiver of our events. ``secret`` (``whsec_…``) is shown once, at creation or
    rotation, and never again: the admin does not display it. After a rotation the
    previous secret keeps signing too (two signatures) until ``previous_secret_expires_at``.
    """

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=255, blank=True)
    # ",order.created,order.status_changed," (commas around each) or "" for every type:
    # text, so the outbox insert filters it with LIKE on SQLite and PostgreSQL alike.
    event_types = models.CharField(max_length=1000, blank=True)
    secret = models.CharField(max_length=128, editable=False)
    previous_secret = models.CharField(max_length=128, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True, db_index=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    # Since when every attempt has failed (null after any success): 5 days of it disables.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # A send got no HTTP answer (timeout, refused connection): the endpoint's other events
    # wait until then instead of each waiting for a timeout of its own. Cleared by an answer.
    paused_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"webhook endpoint {self.pk} ({self.url})"

    @property
    def types(self) -> list[str]:
        return [t for t in self.event_types.split(",") if t]

    def wants(self, event_type: str) -> bool:
        return not self.event_types or f",{event_type}," in self.event_types


class WebhookEvent(models.Model):
    """One event for one endpoint (the outbox row). ``pending`` until a 2xx (``delivered``)
    or the retry schedule is exhausted (``failed``); a resend makes it ``pending`` again.
    A worker claims it (``claimed_until``) for one attempt; an expired claim is a lost
    worker and the event is tried again (at-least-once)."""

    STATE_PENDING = "pending"
    STATE_DELIVERED = "delivered"
    STATE_FAILED = "failed"
    STATES = (STATE_PENDING, STATE_DELIVERED, STATE_FAILED)

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="events")
    # What the event announces, e.g. "order.status_changed:<order uuid>:3".
    fact = models.CharField(max_length=200)
    msg_id = models.CharField(max_length=64, db_index=True)
    type = models.CharField(max_length=64, db_index=True)
    data = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(help_text="When the fact was recorded (the body's timestamp).")
    order_drgreen_id = models.UUIDField(null=True, blank=True, db_index=True)
    state = models.CharField(max_length=16, default=STATE_PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When a task was last queued for it (the sweep leaves recently queued events alone).
    queued_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "fact"], name="uniq_webhook_event_endpoint_fact"),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_event_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.msg_id} → endpoint {self.endpoint_id}: {self.state}"


class WebhookAttempt(models.Model):
    """One HTTP attempt at delivering an event: what came back, or why nothing did."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    # True for a staff resend from the admin.
    manual = models.BooleanField(default=False)

    class Meta:
        ordering = ["event_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["event", "number"], name="uniq_webhook_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of event {self.event_id}: {self.http_status or self.error[:40]}"
