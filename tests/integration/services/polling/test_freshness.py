"""sync_health: what the storefront API and the admin say about freshness."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integration.models import BreakerState, SyncRun
from integration.services.polling.freshness import sync_health

pytestmark = pytest.mark.django_db


def test_never_swept_is_stale():
    health = sync_health()
    assert health["stale"] and health["staleness_seconds"] is None
    assert health["breaker"]["state"] == "closed"


def test_recent_successful_sweep_is_fresh_and_ages_into_stale():
    now = timezone.now()
    SyncRun.objects.create(kind="orders.sweep", state="succeeded", started_at=now, finished_at=now)
    SyncRun.objects.create(
        kind="orders.sweep", state="failed", started_at=now, finished_at=now + timedelta(minutes=5)
    )
    fresh = sync_health(now=now + timedelta(seconds=40))
    assert not fresh["stale"] and fresh["staleness_seconds"] == 40
    assert fresh["last_success"]["orders.sweep"] == now.isoformat()
    assert sync_health(now=now + timedelta(minutes=11))["stale"]  # failures do not count as fresh


def test_an_open_breaker_means_stale_whatever_the_last_sweep():
    now = timezone.now()
    SyncRun.objects.create(kind="orders.sweep", state="succeeded", started_at=now, finished_at=now)
    BreakerState.objects.create(name="drgreen", state="open", opened_until=now + timedelta(minutes=2))
    health = sync_health(now=now)
    assert health["stale"] and health["breaker"]["state"] == "open"
