"""Beat entry of checkout: settle and re-run the placements no worker finished.

``expires`` equals the interval, so a backed-up worker drops stale ticks instead of
running a burst of sweeps late (each sweep is also safe to overlap: the services claim).
"""

from __future__ import annotations

PLACEMENTS_SWEEP_INTERVAL_S = 30.0

BEAT_SCHEDULE = {
    "checkout-placements-recover": {
        "task": "integration.placements_recover_unknown",
        "schedule": PLACEMENTS_SWEEP_INTERVAL_S,
        "options": {"expires": PLACEMENTS_SWEEP_INTERVAL_S},
    },
}
