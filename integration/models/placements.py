"""Order placements: the committed intent behind every checkout.

A placement row is written (and committed) before any call to Dr Green, so an ambiguous
outcome can always be recovered from its correlation id, its request hash and its
attempt evidence. Idempotency lives in the unique constraints below, not in code paths.
"""

from __future__ import annotations

import uuid

from django.db import models


class PlacementState(models.TextChoices):
    NEW = "new", "New"
    SUBMITTING = "submitting", "Submitting"
    PLACED = "placed", "Placed"
    UNKNOWN = "unknown", "Outcome unknown"
    RETRY_SAFE = "retry_safe", "Safe to retry"
    NEEDS_STAFF = "needs_staff", "Needs staff"
    REJECTED = "rejected", "Rejected"


class OrderPlacement(models.Model):
    correlation_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("integration.Client", on_delete=models.PROTECT, related_name="placements")
    # The storefront's Idempotency-Key, unique per client; the hash detects a reused key
    # with a different body (409 idempotency_key_reused).
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    lines = models.JSONField(default=list, help_text="[{strain_id, quantity}] as requested")
    expected_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=8, default="USD")
    state = models.CharField(max_length=20, default=PlacementState.NEW, db_index=True)
    rejection_code = models.CharField(max_length=64, blank=True)
    rejection_message = models.TextField(blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    order = models.OneToOneField(
        "integration.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="placement"
    )
    order_drgreen_id = models.UUIDField(null=True, blank=True, unique=True)
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="start of the latest POST attempt")
    placed_at = models.DateTimeField(null=True, blank=True)
    next_recovery_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"], name="placement_unique_key_per_client"
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"placement {self.correlation_id} ({self.state})"


class PlacementAttempt(models.Model):
    """One try at the Dr Green calls of a placement, with what we saw (the evidence)."""

    placement = models.ForeignKey(OrderPlacement, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, help_text="place | recover")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Committed on its own just before ``POST /dapp/orders`` is sent (never after): an
    # attempt without it cannot have created an order, whatever happened to its worker.
    posted_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=32, blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    maybe_delivered = models.BooleanField(null=True)
    error = models.TextField(blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["placement", "number"], name="placement_attempt_unique_number"),
        ]
        ordering = ["placement", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.placement_id}: {self.outcome or 'running'}"
