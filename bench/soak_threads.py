"""The soak's background threads on the simulated clock: beat, and the outage monitor with
what its samples say about catching up (see ``bench.soak``)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from . import soak_clock


class Beat(threading.Thread):
    """The project's beat schedule (interval entries) on the simulated clock."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="soak-beat")
        from integration.schedule import BEAT_SCHEDULE
        from integration.schedule.base import shortest_interval_s

        self.entries = []
        for name, entry in BEAT_SCHEDULE.items():
            seconds = shortest_interval_s(entry["schedule"])
            if seconds < 3600:  # the nightly reconcile and pruning are not part of a soak
                self.entries.append((name, entry["task"], seconds))
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        from drgreen_store.celery import app

        due = {name: soak_clock.sim_timestamp() for name, _, _ in self.entries}
        while not self.stop.is_set():
            now = soak_clock.sim_timestamp()
            for name, task, seconds in self.entries:
                if now >= due[name]:
                    app.send_task(task, expires=max(0.2, seconds / soak_clock.speed()))
                    self.sent += 1
                    due[name] = now + seconds
            time.sleep(0.02)


class Monitor(threading.Thread):
    """Samples the breaker and the outage's backlog: active orders whose next poll fell due
    before the outage ended and that no sweep has polled since (a poll moves it on)."""

    def __init__(self, outage_end: float) -> None:
        super().__init__(daemon=True, name="soak-monitor")
        self.outage_end = datetime.fromtimestamp(outage_end, tz=UTC)
        self.samples: list[tuple[float, str, int]] = []  # (sim ts, breaker state, backlog)
        self.stop = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from integration.models import BreakerState, Order

        try:
            while not self.stop.is_set():
                now = soak_clock.sim_now()
                state = BreakerState.objects.filter(name="drgreen").values_list("state", flat=True).first()
                backlog = Order.objects.active().filter(next_poll_at__lte=self.outage_end).count()
                self.samples.append((now.timestamp(), state or "closed", backlog))
                time.sleep(0.1)
        finally:
            connection.close()


def catch_up_times(samples, outage_end: float) -> tuple[float | None, float | None]:
    """Simulated seconds after the outage's end until the breaker closed, and until the
    outage's backlog was polled away."""
    closed = next((ts for ts, state, _ in samples if ts >= outage_end and state == "closed"), None)
    caught = next((ts for ts, _, backlog in samples if ts >= outage_end and backlog == 0), None)
    return (
        None if closed is None else closed - outage_end,
        None if caught is None else caught - outage_end,
    )
