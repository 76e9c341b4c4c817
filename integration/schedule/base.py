"""Schedule classes and rules shared by the beat entries (no Django imports: see the package)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from celery.schedules import crontab, schedule
from celery.utils.time import remaining


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
