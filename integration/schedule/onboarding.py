"""Beat entry of client onboarding: send again the registrations Dr Green could not take yet."""

from __future__ import annotations

REGISTRATIONS_RETRY_INTERVAL_S = 60.0

BEAT_SCHEDULE = {
    "onboarding-registrations-retry": {
        "task": "integration.registrations_retry_pending",
        "schedule": REGISTRATIONS_RETRY_INTERVAL_S,
        "options": {"expires": REGISTRATIONS_RETRY_INTERVAL_S},
    },
}
