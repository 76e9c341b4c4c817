"""Beat entry of customer notifications (merged into ``integration.schedule``).

No Django imports here: settings.py loads the schedule while Django is still starting
(which is also why this is not inside ``integration/services/notify/``: importing that
package loads models).

The sweep only backs up the task queued on commit, so once a minute is plenty; ``expires``
equals the interval, so a backed-up worker drops stale ticks. Overlapping sweeps are safe:
every send claims its row first.
"""

from __future__ import annotations

NOTIFY_SWEEP_INTERVAL_S = 60.0

NOTIFY_BEAT_SCHEDULE = {
    "notify-send-pending": {
        "task": "integration.notifications_send_pending",
        "schedule": NOTIFY_SWEEP_INTERVAL_S,
        "options": {"expires": NOTIFY_SWEEP_INTERVAL_S},
    },
}
