"""The beat schedule: one dict in settings, found by walking ``integration.schedule``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings

from drgreen_store.celery import app
from integration.schedule import BEAT_SCHEDULE
from integration.schedule.base import jittered_schedule, shortest_interval_s


def test_settings_carry_the_one_beat_schedule():
    assert django_settings.CELERY_BEAT_SCHEDULE is BEAT_SCHEDULE
    assert app.conf.beat_schedule == BEAT_SCHEDULE


@pytest.mark.parametrize("name", sorted(BEAT_SCHEDULE))
def test_every_beat_entry_expires_within_its_interval(name):
    app.loader.import_default_modules()  # what the worker does: autodiscovery registers the tasks
    entry = BEAT_SCHEDULE[name]
    assert entry["task"] in app.tasks
    assert 0 < entry["options"]["expires"] <= shortest_interval_s(entry["schedule"])


def test_heartbeat_schedule_is_60s_plus_minus_10_percent_and_stable_per_cycle():
    sched = BEAT_SCHEDULE["drgreen-orders-heartbeat"]["schedule"]
    assert isinstance(sched, jittered_schedule)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    draws = [sched.interval_after(start + timedelta(seconds=61 * i)).total_seconds() for i in range(200)]
    assert all(54 <= d <= 66 for d in draws)
    assert max(draws) - min(draws) > 8  # actually jittered
    assert sched.interval_after(start) == sched.interval_after(start)  # stable between checks
