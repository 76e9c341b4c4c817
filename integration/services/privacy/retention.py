"""How long personal data is kept: medical answers until Dr Green has them, a registration
never sent until the retention period ends, the access log until its own period ends."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import AccessLogEntry, ClientRegistration, RegistrationState

# The part of a registration payload that is medical: kept only until Dr Green has it.
MEDICAL_KEY = "medicalRecord"
# Still waiting for Dr Green (the payload is needed, encrypted, until then).
WAITING_STATES = (RegistrationState.PENDING, RegistrationState.UNKNOWN, RegistrationState.SUBMITTING)


def payload_without_medical(payload: Any) -> dict:
    """The registration payload once Dr Green has it or it was given up: no medical record."""
    if not isinstance(payload, dict):
        return {}
    return {k: v for k, v in payload.items() if k != MEDICAL_KEY}


def registrations_purge_expired(*, now: datetime | None = None, days: int | None = None) -> dict[str, int]:
    """Purge what registrations hold once the retention period is over:

    * never sent (still waiting, or refused/foreign): payload and email removed, state
      ``expired`` (a worker holding a live claim on one is left to finish);
    * sent (created/linked): the payload copy is dropped, Dr Green and the mirror hold it.

    Returns how many rows each kind touched."""
    now = now or timezone.now()
    days = drgreen_settings.privacy.registration_retention_days if days is None else days
    if days < 0:
        raise ValueError("retention days must not be negative")
    cutoff = now - timedelta(days=days)
    old = ClientRegistration.objects.filter(created_at__lt=cutoff)
    live_claim = Q(state=RegistrationState.SUBMITTING, next_attempt_at__gt=now)
    never_sent = old.filter(
        state__in=[*WAITING_STATES, RegistrationState.INVALID, RegistrationState.FOREIGN]
    ).exclude(live_claim)
    expired = never_sent.update(
        state=RegistrationState.EXPIRED,
        payload={},
        email="",
        last_error="",
        kyc_link="",
        next_attempt_at=None,
        payload_purged_at=now,
        updated_at=now,
    )
    sent = old.filter(
        state__in=[RegistrationState.CREATED, RegistrationState.LINKED], payload_purged_at__isnull=True
    )
    dropped = sent.update(payload={}, payload_purged_at=now, updated_at=now)
    return {"registrations_expired": expired, "registrations_dropped": dropped}


def access_log_prune(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete access log rows older than the retention period (``ACCESS_LOG_RETENTION_DAYS``)."""
    now = now or timezone.now()
    days = drgreen_settings.privacy.access_log_retention_days if days is None else days
    if days < 0:
        raise ValueError("retention days must not be negative")
    # QuerySet.delete, not update: the append-only rule forbids changing rows, not expiring them.
    deleted, _ = AccessLogEntry.objects.filter(at__lt=now - timedelta(days=days)).delete()
    return deleted


def privacy_prune(*, now: datetime | None = None) -> dict[str, int]:
    """The daily beat job: registrations past retention, then the access log."""
    counts = registrations_purge_expired(now=now)
    counts["access_log_deleted"] = access_log_prune(now=now)
    return counts
