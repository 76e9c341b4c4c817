"""The webhook settings (``DRGREEN_WEBHOOK*``), read at call time so tests can override them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

DEFAULT_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)


@dataclass(frozen=True)
class WebhookSettings:
    # Seconds before retry 1, 2, …; after the last one the event is ``failed``.
    retry_schedule: tuple[float, ...]
    # Each wait is drawn from [w·(1 − jitter), w·(1 + jitter)] so that an endpoint's
    # backlog does not come back as one burst after an outage.
    retry_jitter: float
    # Development and tests only: http:// and loopback/private addresses allowed.
    allow_private: bool
    timeout_s: float
    # A worker owns a claimed event this long (the timeout plus a margin); after that the
    # worker is taken for dead and the event is tried again.
    claim_s: float
    # An endpoint whose every attempt has failed for this long is disabled.
    disable_after_s: float
    # How long the previous secret keeps signing after a rotation.
    rotation_overlap_s: float
    # The sweep leaves events younger than this (or queued this recently) to their task.
    sweep_grace_s: float


def parse_schedule(value) -> tuple[float, ...]:
    """``"5,300,1800"`` or a sequence of numbers → seconds; a blank entry is an error."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        if not value.strip():
            return ()
        return tuple(float(p) for p in parts)
    return tuple(float(v) for v in value)


def webhook_settings() -> WebhookSettings:
    return WebhookSettings(
        retry_schedule=parse_schedule(
            getattr(settings, "DRGREEN_WEBHOOK_RETRY_SCHEDULE", DEFAULT_RETRY_SCHEDULE)
        ),
        retry_jitter=float(getattr(settings, "DRGREEN_WEBHOOK_RETRY_JITTER", 0.2)),
        allow_private=bool(getattr(settings, "DRGREEN_WEBHOOKS_ALLOW_PRIVATE", False)),
        timeout_s=float(getattr(settings, "DRGREEN_WEBHOOK_TIMEOUT_S", 10.0)),
        claim_s=float(getattr(settings, "DRGREEN_WEBHOOK_CLAIM_S", 60.0)),
        disable_after_s=float(getattr(settings, "DRGREEN_WEBHOOK_DISABLE_AFTER_S", 5 * 24 * 3600)),
        rotation_overlap_s=float(getattr(settings, "DRGREEN_WEBHOOK_ROTATION_OVERLAP_S", 24 * 3600)),
        sweep_grace_s=float(getattr(settings, "DRGREEN_WEBHOOK_SWEEP_GRACE_S", 30.0)),
    )
