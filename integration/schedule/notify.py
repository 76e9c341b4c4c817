"""Beat entry of customer notifications.

The sweep only backs up the task queued on commit, so once a minute is plenty; ``expires``
equals the interval, so a backed-up worker drops stale ticks. Overlapping sweeps are safe:
every send claims its row first.
"""

from __future__ import annotations

NOTIFY_SWEEP_INTERVAL_S = 60.0

BEAT_SCHEDULE = {
    "notify-send-pending": {
        "task": "integration.notifications_send_pending",
        "schedule": NOTIFY_SWEEP_INTERVAL_S,
        "options": {"expires": NOTIFY_SWEEP_INTERVAL_S},
    },
}
