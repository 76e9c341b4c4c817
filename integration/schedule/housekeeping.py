"""Beat entries of the daily housekeeping (``integration.tasks.housekeeping``)."""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "drgreen-prune-logs": {
        "task": "integration.logs_prune",
        "schedule": crontab(hour=4, minute=7),
        "options": {"expires": 3600},
    },
    # Registrations never sent, past DRGREEN_REGISTRATION_RETENTION_DAYS; old access log rows.
    "drgreen-privacy-prune": {
        "task": "integration.privacy_prune",
        "schedule": crontab(hour=4, minute=37),
        "options": {"expires": 3600},
    },
}
