"""Beat entry of the staff console: the dashboard's snapshot of Dr Green's summaries."""

from __future__ import annotations

# Dr Green's summary endpoints for the dashboard's comparison: cheap (three GETs), and the
# comparison is only meaningful between fetches close in time to the sweeps.
SUMMARIES_INTERVAL_S = 15 * 60.0

BEAT_SCHEDULE = {
    "console-summaries-snapshot": {
        "task": "integration.summaries_snapshot",
        "schedule": SUMMARIES_INTERVAL_S,
        "options": {"expires": SUMMARIES_INTERVAL_S},
    },
}
