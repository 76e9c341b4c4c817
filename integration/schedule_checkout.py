"""Beat entries of checkout and client onboarding (merged into ``integration.schedule``).

No Django imports here: settings.py loads the schedule while Django is still starting.
``expires`` equals the interval, so a backed-up worker drops stale ticks instead of
running a burst of sweeps late (each sweep is also safe to overlap: the services claim).
"""

from __future__ import annotations

PLACEMENTS_SWEEP_INTERVAL_S = 30.0
REGISTRATIONS_RETRY_INTERVAL_S = 60.0

CHECKOUT_BEAT_SCHEDULE = {
    "checkout-placements-recover": {
        "task": "integration.placements_recover_unknown",
        "schedule": PLACEMENTS_SWEEP_INTERVAL_S,
        "options": {"expires": PLACEMENTS_SWEEP_INTERVAL_S},
    },
    "onboarding-registrations-retry": {
        "task": "integration.registrations_retry_pending",
        "schedule": REGISTRATIONS_RETRY_INTERVAL_S,
        "options": {"expires": REGISTRATIONS_RETRY_INTERVAL_S},
    },
}
