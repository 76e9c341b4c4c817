"""The DRGREEN_NOTIFY settings namespace, read at call time (tests override it freely).

Every key is optional; the defaults below are what production runs with.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# The only channel today. A second channel (SMS, push) is one more row per change: the
# unique (status_change, channel) keeps each channel's send-once guarantee separate.
CHANNEL_EMAIL = "email"


@dataclass(frozen=True)
class NotifySettings:
    channels: tuple[str, ...]
    from_email: str
    reply_to: tuple[str, ...]
    store_name: str
    # How long a sender owns a claimed row. It must outlive any send that can still be in
    # progress, so it is the Celery hard time limit plus a margin: after that the worker
    # was killed, and a row still ``sending`` is a lost worker, not a slow one.
    claim_s: float
    # Transient failures (the mail server could not be reached) are retried this many
    # times in total, spaced retry_base_s · 2^(n-1), capped at one hour.
    max_attempts: int
    retry_base_s: float
    # The sweep leaves rows younger than this to the task queued on commit.
    sweep_grace_s: float
    # The sweep creates missing rows for status changes detected within this window only,
    # so a new deployment (or a long outage) never emails customers about old history.
    backfill_s: float
    # A second staff re-send of the same row within this window is taken for a double
    # click and ignored.
    resend_cooldown_s: float


def notify_settings() -> NotifySettings:
    raw = getattr(settings, "DRGREEN_NOTIFY", {}) or {}
    hard_limit = float(getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 15 * 60)
    reply_to = raw.get("REPLY_TO", ())
    if isinstance(reply_to, str):
        reply_to = (reply_to,) if reply_to else ()
    return NotifySettings(
        channels=tuple(raw.get("CHANNELS", (CHANNEL_EMAIL,))),
        from_email=raw.get("FROM_EMAIL") or settings.DEFAULT_FROM_EMAIL,
        reply_to=tuple(reply_to),
        store_name=raw.get("STORE_NAME", "Dr Green Store"),
        claim_s=float(raw.get("CLAIM_S", hard_limit + 60)),
        max_attempts=int(raw.get("MAX_ATTEMPTS", 5)),
        retry_base_s=float(raw.get("RETRY_BASE_S", 60)),
        sweep_grace_s=float(raw.get("SWEEP_GRACE_S", 60)),
        backfill_s=float(raw.get("BACKFILL_S", 24 * 3600)),
        resend_cooldown_s=float(raw.get("RESEND_COOLDOWN_S", 120)),
    )
