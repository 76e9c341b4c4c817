"""The demo storefront's own webhook receiver, over real HTTP (Django's live server)."""

from __future__ import annotations

import pytest

from integration.demo import webhooks as demo_webhooks
from integration.models import Order, WebhookEvent
from integration.services import webhooks
from integration.services.mirror import orders_upsert_from_list

from ..services.mirror import payloads as p


@pytest.fixture
def demo_live(settings, tmp_path, live_server):
    settings.ROOT_URLCONF = "tests.integration.demo.urls"
    settings.DRGREEN_DEMO = True
    settings.VAR_DIR = tmp_path
    settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = True
    return live_server


@pytest.mark.django_db(transaction=True)
def test_the_demo_receiver_verifies_and_shows_an_orders_events(demo_live, client):
    endpoint = demo_webhooks.demo_endpoint_ensure(demo_live.url)
    assert demo_webhooks.demo_endpoint_ensure(demo_live.url).pk == endpoint.pk  # registered once
    item = p.order_list_item()
    orders_upsert_from_list(items=[item])
    orders_upsert_from_list(items=[dict(item, adminApproval="VERIFIED")])
    for event in WebhookEvent.objects.order_by("pk"):
        assert webhooks.event_deliver(event_id=event.pk).state == "delivered"
    # A redelivery of the same event (same webhook-id) is kept once.
    webhooks.event_resend(event_id=WebhookEvent.objects.order_by("pk").last().pk)
    order = Order.objects.get()
    got = client.get("/demo/webhooks/events", {"order": str(order.drgreen_id)}).json()["events"]
    assert [e["type"] for e in got] == ["order.created", "order.status_changed"]
    assert got[1]["data"]["displayStatus"] == "awaiting_payment"
    assert client.get("/demo/webhooks/events", {"order": "other"}).json()["events"] == []


@pytest.mark.django_db(transaction=True)
def test_an_unsigned_post_is_refused(demo_live, client):
    demo_webhooks.demo_endpoint_ensure(demo_live.url)
    r = client.post(
        "/demo/webhooks/receive",
        data=b'{"type":"order.created","timestamp":"x","data":{}}',
        content_type="application/json",
        headers={"webhook-id": "msg_x", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"},
    )
    assert r.status_code == 400
    assert demo_webhooks.events_read() == []
