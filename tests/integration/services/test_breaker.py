"""The circuit breaker against sandbox faults, over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integration.models import BreakerState, Order, SyncRun
from integration.services.breaker import breaker_allow, breaker_record_failure
from integration.services.drgreen_api import drgreen_client
from integration.services.polling.freshness import sync_health
from integration.services.polling.heartbeat import orders_heartbeat
from integration.services.polling.reconcile import mirror_reconcile
from integration.services.polling.sweeps import orders_sweep

from .polling.holder import Clock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fragile(settings, drgreen_holder):
    settings.DRGREEN = {**settings.DRGREEN, "GET_RETRIES": 0}
    settings.DRGREEN_SYNC = {"BREAKER_THRESHOLD": 3, "BREAKER_COOLDOWN_S": 60, "LINES_PER_RUN": 0}
    return drgreen_holder


def test_breaker_opens_pauses_polling_half_opens_and_closes(fragile):
    sb = fragile.sandbox
    clock = Clock(fragile)
    fragile.seed(strains=1, clients=3, orders=6)
    mirror_reconcile(now=clock.now)
    orders_sweep(now=clock.advance(seconds=30))
    assert not sync_health(now=clock.now)["stale"]
    sb.add_fault(kind="status", status=503, method="GET")

    states = [orders_heartbeat(now=clock.advance(seconds=60)).state for _ in range(3)]

    assert states == ["failed"] * 3
    breaker = BreakerState.objects.get(name="drgreen")
    assert breaker.state == "open" and "ServerError" in breaker.last_error
    assert SyncRun.objects.filter(kind="orders.heartbeat", state="failed").exclude(traceback="").count() == 3
    # Open: sweeps skip without calling Dr Green; the mirror keeps serving and says it is stale.
    sb.reset_stats()
    skipped = orders_sweep(now=clock.advance(seconds=30))
    assert skipped.skipped == "breaker_open"
    assert fragile.request_count() == 0
    assert Order.objects.count() == 6
    health = sync_health(now=clock.now)
    assert health["stale"] and health["breaker"]["state"] == "open"

    # Cool-down over, Dr Green still down: the one probe fails and the breaker re-opens.
    probe = orders_heartbeat(now=clock.advance(seconds=61))
    assert probe.stats["breaker_probe"] and probe.state == "failed"
    assert fragile.request_count() == 1
    assert BreakerState.objects.get(name="drgreen").state == "open"

    # Dr Green is back: the next probe succeeds, the breaker closes, polling resumes.
    sb.clear_faults()
    recovered = orders_heartbeat(now=clock.advance(seconds=61))
    assert recovered.state == "succeeded" and recovered.stats["probe"] == 1
    assert BreakerState.objects.get(name="drgreen").state == "closed"
    assert orders_sweep(now=clock.advance(seconds=30)).state == "succeeded"
    assert not sync_health(now=clock.now)["stale"]


def test_only_one_worker_gets_the_half_open_probe(fragile):
    now = Clock(fragile).now
    for _ in range(3):
        breaker_record_failure(error=RuntimeError("boom"), now=now)
    assert not breaker_allow(now=now + timedelta(seconds=30)).allowed
    first = breaker_allow(now=now + timedelta(seconds=61))
    second = breaker_allow(now=now + timedelta(seconds=62))
    assert first.allowed and first.probe
    assert not second.allowed


def test_a_rate_limited_upstream_counts_as_a_failure(fragile):
    fragile.sandbox.add_fault(kind="status", status=429, retry_after="1", method="GET")
    outcome = orders_heartbeat()
    assert outcome.state == "failed" and "RateLimited" in outcome.stats["upstream_error"]
    assert BreakerState.objects.get(name="drgreen").failures == 1
    drgreen_client()  # the client is still usable afterwards
