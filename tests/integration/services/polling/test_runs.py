"""The sweep frame: lease renewal while a run goes on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integration.drgreen.keys import generate_key_pair
from integration.models import SyncLease
from integration.services.polling.runs import RENEW_FRACTION, SyncOutcome, sync_run

pytestmark = pytest.mark.django_db(transaction=True)

TTL = timedelta(seconds=100)


@pytest.fixture
def keys(settings):
    # No call reaches Dr Green here; the frame only builds a client, which needs keys.
    api_key, secret_key = generate_key_pair()
    settings.DRGREEN = {**settings.DRGREEN, "API_KEY": api_key, "SECRET_KEY": secret_key}


def _run(t0, outcome):
    return sync_run("test", now=t0, lease="test.lease", lease_ttl=TTL, use_breaker=False, outcome=outcome)


def _renewals(ctx) -> int:
    with CaptureQueriesContext(connection) as queries:
        ctx.renew()
    return sum("integration_synclease" in q["sql"] for q in queries.captured_queries)


def test_the_lease_is_renewed_once_per_tenth_of_its_ttl_not_per_page(keys, t0):
    outcome = SyncOutcome(kind="test", state="")
    with _run(t0, outcome) as ctx:
        assert _renewals(ctx) == 1
        ctx.fixed_now = t0 + TTL / RENEW_FRACTION / 2
        assert _renewals(ctx) == 0
        ctx.fixed_now = t0 + TTL / RENEW_FRACTION
        assert _renewals(ctx) == 1
        assert SyncLease.objects.get(name="test.lease").expires_at == ctx.fixed_now + TTL
    assert outcome.state == "succeeded"


def test_a_lost_lease_still_stops_the_run_when_the_renewal_is_due(keys, t0):
    outcome = SyncOutcome(kind="test", state="")
    with _run(t0, outcome) as ctx:
        ctx.renew()
        SyncLease.objects.filter(name="test.lease").update(holder="someone-else")
        ctx.fixed_now = t0 + TTL / RENEW_FRACTION
        ctx.renew()
        pytest.fail("a lost lease must end the run")
    assert outcome.state == "failed" and outcome.stats["lease_lost"] == "test.lease"
