"""Webhook endpoints and events in the console: store admins only, secrets shown once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integration.models import WebhookEndpoint, WebhookEvent
from integration.services import webhooks

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(settings):
    settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = True
    return webhooks.endpoint_create(url="https://hooks.example.test/h", description="shop")


def test_store_staff_do_not_see_endpoints_or_events(staff_client, endpoint):
    for name in ("webhookendpoint", "webhookevent"):
        assert staff_client.get(reverse(f"admin:integration_{name}_changelist")).status_code == 403
    assert staff_client.get(reverse("admin:drgreen_dashboard")).status_code == 200


def test_the_secret_never_appears_after_creation(admin_client_, endpoint):
    secret = endpoint.secret
    pages = [
        reverse("admin:integration_webhookendpoint_changelist"),
        reverse("admin:integration_webhookendpoint_change", args=[endpoint.endpoint.pk]),
    ]
    for url in pages:
        response = admin_client_.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "hooks.example.test" in body
        assert secret not in body and secret.removeprefix("whsec_")[:12] not in body


def test_adding_shows_the_secret_once_and_rotation_shows_the_new_one(admin_client_, settings):
    settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = False
    response = admin_client_.post(
        reverse("admin:integration_webhookendpoint_add"),
        {"url": "https://hooks.example.test/new", "description": "n", "event_types": "order.created"},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get(url="https://hooks.example.test/new")
    assert endpoint.secret in response.content.decode() and endpoint.types == ["order.created"]
    assert "no-store" in response["Cache-Control"]
    old = endpoint.secret
    response = admin_client_.post(
        reverse("admin:integration_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in response.content.decode()
    assert old not in response.content.decode()


def test_an_http_url_is_refused_in_production(admin_client_, settings):
    settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = False
    response = admin_client_.post(
        reverse("admin:integration_webhookendpoint_add"), {"url": "http://hooks.example.test/x"}
    )
    assert response.status_code == 200 and "only https URLs are allowed" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_disabled_endpoints_are_flagged_on_the_dashboard(admin_client_, endpoint):
    dashboard = reverse("admin:drgreen_dashboard")
    assert "dg-webhooks-flagged" not in admin_client_.get(dashboard).content.decode()
    WebhookEndpoint.objects.filter(pk=endpoint.endpoint.pk).update(
        is_active=False, disabled_reason="every delivery failed for 5 days"
    )
    body = admin_client_.get(dashboard).content.decode()
    assert "dg-webhooks-flagged" in body and "every delivery failed for 5 days" in body


def test_events_list_and_detail_show_attempts(admin_client_, endpoint):
    event = webhooks.endpoint_test(endpoint_id=endpoint.endpoint.pk)
    assert admin_client_.get(reverse("admin:integration_webhookevent_changelist")).status_code == 200
    response = admin_client_.get(reverse("admin:integration_webhookevent_change", args=[event.pk]))
    assert response.status_code == 200 and event.msg_id in response.content.decode()
    assert WebhookEvent.objects.count() == 1
