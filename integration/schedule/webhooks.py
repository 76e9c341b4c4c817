"""Beat entry of outbound webhooks.

The sweep backs up the task queued on commit and sends the retries scheduled too far ahead
for a countdown; ``expires`` equals the interval so a backed-up worker drops stale ticks.
"""

from __future__ import annotations

WEBHOOKS_SWEEP_INTERVAL_S = 10.0

BEAT_SCHEDULE = {
    "webhooks-send-due": {
        "task": "integration.webhooks_send_due",
        "schedule": WEBHOOKS_SWEEP_INTERVAL_S,
        "options": {"expires": WEBHOOKS_SWEEP_INTERVAL_S},
    },
}
