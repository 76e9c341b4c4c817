"""Webhook metrics on ``/metrics``: deliveries by state and the delivery lag, from the tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integration.models import WebhookAttempt, WebhookEndpoint, WebhookEvent

from .test_metrics import samples

pytestmark = pytest.mark.django_db


def test_deliveries_by_state_and_lag(client):
    now = timezone.now()
    ep = WebhookEndpoint.objects.create(url="https://hooks.example.test/h", secret="whsec_x")
    WebhookEndpoint.objects.create(url="https://hooks.example.test/off", secret="whsec_y", is_active=False)

    def event(n, **kw):
        return WebhookEvent.objects.create(
            endpoint=ep, fact=f"f{n}", msg_id=f"msg_{n}", type="order.created", **kw
        )

    fast = event(
        1, occurred_at=now - timedelta(seconds=10), state="delivered", delivered_at=now - timedelta(seconds=9)
    )
    event(
        2, occurred_at=now - timedelta(seconds=20), state="delivered", delivered_at=now - timedelta(seconds=8)
    )
    event(3, occurred_at=now - timedelta(seconds=90), state="pending")
    event(4, occurred_at=now - timedelta(hours=2), state="failed")
    for status in (200, 500, None):
        WebhookAttempt.objects.create(
            event=fast,
            number=WebhookAttempt.objects.count() + 1,
            started_at=now,
            finished_at=now,
            http_status=status,
        )
    got = samples(client.get("/metrics", REMOTE_ADDR="127.0.0.1").content)
    assert got[("drgreen_webhook_deliveries", (("state", "delivered"),))] == 2
    assert got[("drgreen_webhook_deliveries", (("state", "pending"),))] == 1
    assert got[("drgreen_webhook_deliveries", (("state", "failed"),))] == 1
    assert got[("drgreen_webhook_attempts", (("outcome", "5xx"),))] == 1
    assert got[("drgreen_webhook_attempts", (("outcome", "error"),))] == 1
    assert got[("drgreen_webhook_delivery_lag_seconds_count", ())] == 2
    assert got[("drgreen_webhook_delivery_lag_seconds_bucket", (("le", "2.0"),))] == 1
    assert got[("drgreen_webhook_delivery_lag_seconds_bucket", (("le", "30.0"),))] == 2
    assert got[("drgreen_webhook_delivery_lag_seconds_sum", ())] == pytest.approx(13, abs=0.01)
    assert got[("drgreen_webhook_oldest_pending_seconds", ())] == pytest.approx(90, abs=30)
    assert got[("drgreen_webhook_endpoints", (("state", "disabled"),))] == 1
