"""Health: database, broker, sweep age and breaker; 503 only when the instance cannot serve;
no secrets in the answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integration.models import BreakerState, SyncRun

from .conftest import Api

pytestmark = pytest.mark.django_db
URL = "/api/v1/health"


def test_healthy_with_a_recent_sweep(settings, memory_broker):
    # Known, non-empty values: the environment (CI) may leave the key pair unset.
    settings.DRGREEN = {
        **settings.DRGREEN,
        "API_KEY": "synthetic-api-key-value",
        "SECRET_KEY": "synthetic-secret-key-value",
        "API_URL": "http://127.0.0.1:59999",
    }
    now = timezone.now()
    SyncRun.objects.create(
        kind="orders.sweep",
        state="succeeded",
        started_at=now - timedelta(seconds=70),
        finished_at=now - timedelta(seconds=60),
    )
    r = Api().get(URL)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["database"] is True and body["broker"] is True
    assert 59 <= body["sync"]["lastSweepAgeSeconds"] < 120
    assert body["sync"]["breaker"] == "closed"
    # Nothing secret: no key material, no URLs, no hosts.
    text = r.content.decode()
    for secret in (
        settings.DRGREEN["API_KEY"],
        settings.DRGREEN["SECRET_KEY"],
        settings.DRGREEN["API_URL"],
        settings.SECRET_KEY,
        "memory://",
        "127.0.0.1",
    ):
        assert secret and secret not in text


def test_degraded_when_no_sweep_or_the_breaker_is_open(memory_broker):
    r = Api().get(URL)
    assert (r.status_code, r.json()["status"], r.json()["sync"]["lastSweepAgeSeconds"]) == (
        200,
        "degraded",
        None,
    )
    now = timezone.now()
    SyncRun.objects.create(kind="orders.sweep", state="succeeded", finished_at=now)
    BreakerState.objects.create(name="drgreen", state="open", failures=5, last_error="ServerError: https://x")
    body = Api().get(URL).json()
    assert body["status"] == "degraded" and body["sync"]["breaker"] == "open"
    assert "https://x" not in str(body)


def test_down_when_the_broker_is_unreachable(memory_broker, monkeypatch):
    from drgreen_store.celery import app

    # A port nothing listens on (port 1 is privileged and never bound here).
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app._pool = None
    app.amqp._producer_pool = None
    r = Api().get(URL)
    assert r.status_code == 503
    assert r.json()["status"] == "down" and r.json()["broker"] is False and r.json()["database"] is True


def test_healthz_is_the_same_report(memory_broker):
    r = Api().get("/healthz")
    assert r.status_code == 200
    assert set(r.json()) == {"status", "database", "broker", "sync"}
