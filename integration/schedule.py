"""The one Celery beat schedule, in code (``CELERY_BEAT_SCHEDULE`` in settings).

Run exactly one beat process. Every entry's ``expires`` is no longer than its shortest
interval, so a backed-up worker drops stale ticks instead of running them late in a burst.
Overlapping ticks that do get through are harmless: each sweep takes a database lease.

No Django imports here: settings.py imports this module while Django is still loading.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from celery.schedules import crontab, schedule
from celery.utils.time import remaining

# Must match DRGREEN_SYNC["SWEEP_LOOKAHEAD_S"] (default 30): each sweep takes the orders
# due before the next tick, so an order is polled no later than its next_poll_at.
SWEEP_INTERVAL_S = 30.0
HEARTBEAT_INTERVAL_S = 60.0
HEARTBEAT_JITTER = 0.10
KYC_INTERVAL_S = 60.0


class jittered_schedule(schedule):  # noqa: N801 - named like celery's own schedule classes
    """``run_every`` ± ``jitter`` (fraction), a fresh draw after every run.

    The draw is seeded by the last run time, so the answer is stable across the many
    ``is_due`` checks beat makes between two runs, and differs from one cycle to the next.
    """

    def __init__(self, run_every=None, relative=False, nowfun=None, app=None, jitter: float = 0.1):
        super().__init__(run_every=run_every, relative=relative, nowfun=nowfun, app=app)
        self.jitter = jitter

    def interval_after(self, last_run_at: datetime) -> timedelta:
        rng = random.Random(int(last_run_at.timestamp() * 1000))
        return self.run_every * rng.uniform(1 - self.jitter, 1 + self.jitter)

    @property
    def min_seconds(self) -> float:
        return self.run_every.total_seconds() * (1 - self.jitter)

    def remaining_estimate(self, last_run_at: datetime) -> timedelta:
        last_run_at = self.maybe_make_aware(last_run_at)
        return remaining(
            last_run_at, self.interval_after(last_run_at), self.maybe_make_aware(self.now()), self.relative
        )

    def __reduce__(self):
        return self.__class__, (self.run_every, self.relative, self.nowfun, None, self.jitter)

    def __repr__(self) -> str:
        return f"<jittered every {self.run_every} ± {self.jitter:.0%}>"


BEAT_SCHEDULE = {
    "drgreen-orders-sweep": {
        "task": "integration.orders_sweep",
        "schedule": SWEEP_INTERVAL_S,
        "options": {"expires": SWEEP_INTERVAL_S},
    },
    "drgreen-orders-heartbeat": {
        "task": "integration.orders_heartbeat",
        "schedule": jittered_schedule(timedelta(seconds=HEARTBEAT_INTERVAL_S), jitter=HEARTBEAT_JITTER),
        "options": {"expires": HEARTBEAT_INTERVAL_S * (1 - HEARTBEAT_JITTER)},
    },
    "drgreen-clients-kyc": {
        "task": "integration.clients_kyc_sweep",
        "schedule": KYC_INTERVAL_S,
        "options": {"expires": KYC_INTERVAL_S},
    },
    "drgreen-reconcile": {
        "task": "integration.mirror_reconcile",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 3600},
    },
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


def shortest_interval_s(entry_schedule) -> float:
    """The shortest time between two runs of a beat entry (for the ``expires`` rule)."""
    if isinstance(entry_schedule, int | float):
        return float(entry_schedule)
    if isinstance(entry_schedule, jittered_schedule):
        return entry_schedule.min_seconds
    if isinstance(entry_schedule, crontab):
        # Our crontab entries fire once a day at a fixed minute.
        if len(entry_schedule.hour) == 1 and len(entry_schedule.minute) == 1:
            return 24 * 3600.0
        raise ValueError(f"no shortest interval rule for {entry_schedule!r}")
    if isinstance(entry_schedule, schedule):
        return entry_schedule.run_every.total_seconds()
    raise ValueError(f"unknown schedule {entry_schedule!r}")


# Checkout recovery and onboarding retry sweeps (defined beside their tasks' owner module).
from integration.schedule_checkout import CHECKOUT_BEAT_SCHEDULE  # noqa: E402

BEAT_SCHEDULE.update(CHECKOUT_BEAT_SCHEDULE)

# The staff dashboard's snapshot of Dr Green's own summaries (integration.tasks_admin).
from integration.schedule_admin import ADMIN_BEAT_SCHEDULE  # noqa: E402

BEAT_SCHEDULE.update(ADMIN_BEAT_SCHEDULE)

# Customer notifications: the sweep behind the send queued on commit (integration.tasks_notify).
from integration.schedule_notify import NOTIFY_BEAT_SCHEDULE  # noqa: E402

BEAT_SCHEDULE.update(NOTIFY_BEAT_SCHEDULE)

# Outbound webhooks: the sweep behind the send queued on commit (integration.tasks_webhooks).
from integration.schedule_webhooks import WEBHOOKS_BEAT_SCHEDULE  # noqa: E402

BEAT_SCHEDULE.update(WEBHOOKS_BEAT_SCHEDULE)
