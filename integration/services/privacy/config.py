"""The privacy settings (``DRGREEN_PRIVACY``), read at call time so tests can override them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PrivacySettings:
    # A registration never sent to Dr Green is purged after this many days.
    registration_retention_days: int
    # Access log rows older than this are deleted by the daily prune.
    access_log_retention_days: int


def privacy_settings() -> PrivacySettings:
    raw = getattr(settings, "DRGREEN_PRIVACY", {}) or {}
    return PrivacySettings(
        registration_retention_days=int(raw.get("REGISTRATION_RETENTION_DAYS", 30)),
        access_log_retention_days=int(raw.get("ACCESS_LOG_RETENTION_DAYS", 365)),
    )
