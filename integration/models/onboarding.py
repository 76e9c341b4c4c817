"""Client registrations: what a customer typed, kept until Dr Green has accepted it.

Dr Green's client create calls a KYC provider first and answers 403 ``API not available``
when that is down; the registration then stays here, pending, and is retried later, so
nothing the customer typed is lost.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from .privacy import SealedJSONField


class RegistrationState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SUBMITTING = "submitting", "Sending to Dr Green"
    CREATED = "created", "Created at Dr Green"
    LINKED = "linked", "Linked to an existing client"
    FOREIGN = "foreign", "Email or phone belongs to another store"
    INVALID = "invalid", "Rejected by Dr Green"
    UNKNOWN = "unknown", "Outcome unknown"
    # An existing client of this store has this email: linked only once the code sent to
    # that address comes back (integration.services.onboarding.email_proof).
    PROOF_REQUIRED = "proof_required", "Waiting for proof of the email"
    EXPIRED = "expired", "Never sent; purged after the retention period"


class ClientRegistration(models.Model):
    correlation_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drgreen_registrations",
    )
    email = models.EmailField(db_index=True)
    # The validated Dr Green payload (personal and medical data): encrypted at rest
    # (DRGREEN_DATA_KEYS), never logged, shown to staff only in summary form; its
    # medicalRecord is dropped as soon as Dr Green has it or the registration is given up.
    payload = SealedJSONField()
    state = models.CharField(max_length=20, default=RegistrationState.PENDING, db_index=True)
    client = models.ForeignKey(
        "integration.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="registrations"
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error_code = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    kyc_link = models.URLField(max_length=1000, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the retention purge (or an erasure) removed the payload (services/privacy).
    payload_purged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"registration {self.correlation_id} ({self.state})"
