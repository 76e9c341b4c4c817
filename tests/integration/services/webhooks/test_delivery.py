"""Delivery over real HTTP to a local receiver, verified with the Standard Webhooks library.

Time is injected (``now=``): retries are due when the test says so, never after a sleep.
The ``webhook-timestamp`` header is that ``now``, so tests that verify with the reference
library (which allows ±5 minutes of its own clock) start from the real time.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from integration.models import WebhookAttempt, WebhookEndpoint, WebhookEvent
from integration.services import webhooks
from integration.services.webhooks.delivery import event_headers

pytestmark = pytest.mark.django_db


def make_event(endpoint, *, at=None, key="order.created:1") -> WebhookEvent:
    at = at or timezone.now()
    fact = webhooks.Fact(
        type="order.created", key=key, data={"orderId": "o-1", "customerId": None}, occurred_at=at
    )
    with transaction.atomic():
        webhooks.events_record([fact])
    return WebhookEvent.objects.get(endpoint=endpoint, fact=key)


def test_a_delivered_event_is_signed_and_shaped_as_the_specification_says(endpoint, receiver):
    ep, secret = endpoint
    event = make_event(ep)
    done = webhooks.event_deliver(event_id=event.pk)
    assert done.state == "delivered" and done.attempts == 1 and done.last_status == 200
    [got] = receiver.received
    payload = got.verify(secret)  # the reference library accepts it
    assert payload == {"type": "order.created", "timestamp": payload["timestamp"], "data": event.data}
    assert payload["timestamp"].endswith("Z")
    assert got.headers["webhook-id"] == event.msg_id
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"
    assert got.path == "/hook"
    attempt = WebhookAttempt.objects.get()
    assert (attempt.number, attempt.http_status, attempt.error) == (1, 200, "")
    # Delivered is final: a second task for it sends nothing.
    webhooks.event_deliver(event_id=event.pk)
    assert len(receiver.received) == 1


def test_a_wrong_secret_does_not_verify(endpoint, receiver):
    ep, _ = endpoint
    webhooks.event_deliver(event_id=make_event(ep).pk)
    other = webhooks.endpoint_create(url="http://127.0.0.1:1/x").secret
    with pytest.raises(WebhookVerificationError):
        receiver.received[0].verify(other)


def test_outage_then_recovery_retries_on_the_schedule_with_the_same_webhook_id(
    endpoint, receiver, settings, closed_port
):
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = "5,60,120"
    ep, secret = endpoint
    t0 = timezone.now()
    event = make_event(ep, at=t0)
    receiver.statuses.extend([500, 503])
    first = webhooks.event_deliver(event_id=event.pk, now=t0)
    assert (first.state, first.attempts, first.last_status) == ("pending", 1, 500)
    wait = (first.next_attempt_at - t0).total_seconds()
    assert 4 <= wait <= 6.1  # 5 s ± 20 % jitter (plus the attempt's own duration)
    # Not due yet: nothing is sent.
    webhooks.event_deliver(event_id=event.pk, now=t0 + timedelta(seconds=3))
    assert len(receiver.received) == 1
    second = webhooks.event_deliver(event_id=event.pk, now=first.next_attempt_at)
    assert (second.attempts, second.last_status) == (2, 503)
    assert 48 <= (second.next_attempt_at - first.next_attempt_at).total_seconds() <= 73
    # The endpoint goes down completely (connection refused), then comes back.
    WebhookEndpoint.objects.filter(pk=ep.pk).update(url=f"http://127.0.0.1:{closed_port}/hook")
    third = webhooks.event_deliver(event_id=event.pk, now=second.next_attempt_at)
    assert third.last_status is None and third.last_error
    WebhookEndpoint.objects.filter(pk=ep.pk).update(url=receiver.url())
    last = webhooks.event_deliver(event_id=event.pk, now=third.next_attempt_at)
    assert (last.state, last.attempts) == ("delivered", 4)
    assert len({r.msg_id for r in receiver.received}) == 1 and len(receiver.received) == 3
    for got in receiver.received[-1:]:
        got.verify(secret)
    attempts = list(WebhookAttempt.objects.order_by("number").values_list("number", "http_status"))
    assert attempts == [(1, 500), (2, 503), (3, None), (4, 200)]
    ep.refresh_from_db()
    assert ep.failing_since is None and ep.last_success_at is not None


def test_an_exhausted_schedule_fails_the_event_and_staff_can_resend_it(endpoint, receiver, settings):
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = "5"
    ep, secret = endpoint
    t0 = timezone.now()
    event = make_event(ep, at=t0)
    receiver.statuses.extend([500, 500])
    first = webhooks.event_deliver(event_id=event.pk, now=t0)
    failed = webhooks.event_deliver(event_id=event.pk, now=first.next_attempt_at)
    assert (failed.state, failed.attempts) == ("failed", 2)
    resent = webhooks.event_resend(event_id=event.pk)
    assert (resent.state, resent.attempts) == ("delivered", 3)
    assert WebhookAttempt.objects.get(number=3).manual is True
    assert len({r.msg_id for r in receiver.received}) == 1
    receiver.received[-1].verify(secret)


def test_any_2xx_is_delivered(endpoint, receiver):
    ep, _ = endpoint
    receiver.statuses.append(204)
    assert webhooks.event_deliver(event_id=make_event(ep).pk).state == "delivered"


def test_a_redirect_is_not_followed(endpoint, receiver):
    ep, _ = endpoint
    receiver.statuses.append(302)
    event = webhooks.event_deliver(event_id=make_event(ep).pk)
    assert (event.state, event.last_status) == ("pending", 302)
    assert len(receiver.received) == 1


def test_410_gone_disables_the_endpoint(endpoint, receiver):
    ep, _ = endpoint
    receiver.statuses.append(410)
    event = webhooks.event_deliver(event_id=make_event(ep).pk)
    ep.refresh_from_db()
    assert not ep.is_active and "410" in ep.disabled_reason
    # Nothing more goes to a disabled endpoint, and it records no new events.
    with transaction.atomic():
        webhooks.events_record(
            [webhooks.Fact(type="order.created", key="k2", data={}, occurred_at=timezone.now())]
        )
    assert not WebhookEvent.objects.filter(fact="k2").exists()
    webhooks.event_deliver(event_id=event.pk, now=timezone.now() + timedelta(hours=1))
    assert len(receiver.received) == 1
    # Enabled again, the pending event goes out.
    webhooks.endpoint_set_active(endpoint_id=ep.pk, active=True)
    assert webhooks.event_deliver(event_id=event.pk).state == "delivered"


def test_an_endpoint_failing_for_five_days_is_disabled(endpoint, receiver, settings):
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = "5,300,1800,7200,18000,36000,36000"
    ep, _ = endpoint
    t0 = timezone.now()
    receiver.default_status = 500
    first = webhooks.event_deliver(event_id=make_event(ep, at=t0).pk, now=t0)
    ep.refresh_from_db()
    assert ep.is_active and ep.failing_since is not None
    # Another event fails 4 days later: still active.
    day4 = t0 + timedelta(days=4)
    webhooks.event_deliver(event_id=make_event(ep, at=day4, key="order.created:2").pk, now=day4)
    ep.refresh_from_db()
    assert ep.is_active
    # No attempt at all after that: the sweep disables it once 5 days have passed.
    assert webhooks.events_send_due(now=t0 + timedelta(days=4, hours=23))["endpoints_disabled"] == 0
    assert webhooks.events_send_due(now=t0 + timedelta(days=5, minutes=1))["endpoints_disabled"] == 1
    ep.refresh_from_db()
    assert not ep.is_active and "5 days" in ep.disabled_reason
    assert first.state == "pending"


def test_a_success_clears_the_failing_clock(endpoint, receiver):
    ep, _ = endpoint
    t0 = timezone.now()
    receiver.statuses.append(500)
    event = webhooks.event_deliver(event_id=make_event(ep, at=t0).pk, now=t0)
    webhooks.event_deliver(event_id=event.pk, now=event.next_attempt_at)
    ep.refresh_from_db()
    assert ep.failing_since is None


def test_a_claimed_event_is_sent_by_one_caller_and_a_dead_claim_expires(endpoint, receiver, settings):
    ep, _ = endpoint
    t0 = timezone.now()
    event = make_event(ep, at=t0)
    # A worker claimed it and died before recording anything.
    WebhookEvent.objects.filter(pk=event.pk).update(claimed_until=t0 + timedelta(seconds=60))
    webhooks.event_deliver(event_id=event.pk, now=t0 + timedelta(seconds=30))
    assert receiver.received == []
    assert webhooks.event_deliver(event_id=event.pk, now=t0 + timedelta(seconds=61)).state == "delivered"


def test_the_sweep_queues_due_events_no_task_holds(endpoint, receiver):
    ep, _ = endpoint
    t0 = timezone.now()
    event = make_event(ep, at=t0)
    assert webhooks.events_send_due(now=t0 + timedelta(seconds=5))["queued"] == 0  # its task's grace
    assert webhooks.events_send_due(now=t0 + timedelta(seconds=31))["queued"] == 1
    assert webhooks.events_send_due(now=t0 + timedelta(seconds=32))["queued"] == 0  # just queued
    event.refresh_from_db()
    assert event.queued_at == t0 + timedelta(seconds=31)


class TestRotation:
    """The previous secret signs too for 24 h after a rotation: both signatures are sent."""

    def test_both_signatures_within_the_overlap(self, endpoint, receiver):
        ep, old = endpoint
        rotated = webhooks.endpoint_rotate_secret(endpoint_id=ep.pk, now=timezone.now() - timedelta(hours=23))
        assert rotated.secret != old and rotated.secret.startswith("whsec_")
        webhooks.event_deliver(event_id=make_event(ep).pk)
        got = receiver.received[0]
        assert len(got.headers["webhook-signature"].split(" ")) == 2
        assert got.verify(old) == got.verify(rotated.secret)

    def test_only_the_new_signature_after_the_overlap(self, endpoint, receiver):
        ep, old = endpoint
        rotated = webhooks.endpoint_rotate_secret(endpoint_id=ep.pk, now=timezone.now() - timedelta(hours=25))
        webhooks.event_deliver(event_id=make_event(ep).pk)
        got = receiver.received[0]
        assert len(got.headers["webhook-signature"].split(" ")) == 1
        got.verify(rotated.secret)
        with pytest.raises(WebhookVerificationError):
            got.verify(old)

    def test_the_boundary_is_decided_by_the_injected_clock(self, endpoint):
        ep, _ = endpoint
        t0 = timezone.now()
        webhooks.endpoint_rotate_secret(endpoint_id=ep.pk, now=t0)
        ep.refresh_from_db()
        event = make_event(ep, at=t0)
        body = webhooks.event_body(event)
        inside = event_headers(event, ep, body=body, now=t0 + timedelta(hours=24) - timedelta(seconds=1))
        outside = event_headers(event, ep, body=body, now=t0 + timedelta(hours=24))
        assert len(inside["webhook-signature"].split(" ")) == 2
        assert len(outside["webhook-signature"].split(" ")) == 1
        # The signature is the library's own over id.timestamp.body.
        ts = t0 + timedelta(hours=24)
        assert outside["webhook-signature"] == Webhook(ep.secret).sign(event.msg_id, ts, body)


class TestSsrf:
    @pytest.mark.parametrize(
        "url",
        [
            "http://example.com/hook",  # not https
            "https://127.0.0.1/hook",
            "https://localhost/hook",  # resolves to loopback
            "https://10.1.2.3/hook",
            "https://192.168.0.10/hook",
            "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
            "https://[::1]/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://[fd00:ec2::254]/hook",
            "https://100.100.100.200/hook",  # shared address space (a metadata service)
            "https://0.0.0.0/hook",
            "https://user:pw@example.com/hook",
        ],
    )
    def test_refused_in_production(self, settings, url):
        settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = False
        with pytest.raises(webhooks.TargetRefused):
            webhooks.target_resolve(url, allow_private=False)

    def test_a_public_https_address_is_allowed(self):
        target = webhooks.target_resolve("https://93.184.215.14:8443/h?x=1", allow_private=False)
        assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/h?x=1")

    def test_checked_at_send_time_nothing_reaches_a_private_receiver(self, endpoint, receiver, settings):
        ep, _ = endpoint  # registered while private addresses were allowed
        settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = False
        WebhookEndpoint.objects.filter(pk=ep.pk).update(url=f"https://localhost:{receiver.port}/hook")
        event = webhooks.event_deliver(event_id=make_event(ep).pk)
        assert receiver.received == []
        assert event.state == "pending" and event.last_error.startswith("refused:")
        assert "non-public address" in WebhookAttempt.objects.get().error

    def test_creating_an_http_endpoint_is_refused_in_production(self, settings):
        settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = False
        with pytest.raises(webhooks.EndpointError, match="https"):
            webhooks.endpoint_create(url="http://example.com/hook")


def test_secrets_never_reach_the_logs(endpoint, receiver, caplog, settings):
    caplog.set_level(logging.DEBUG)
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = "5"
    ep, secret = endpoint
    rotated = webhooks.endpoint_rotate_secret(endpoint_id=ep.pk)
    receiver.statuses.extend([410])
    webhooks.event_deliver(event_id=make_event(ep).pk)
    text = caplog.text + json.dumps([r.getMessage() for r in caplog.records])
    assert "410" in text  # something was logged
    for s in (secret, rotated.secret, secret.removeprefix("whsec_")):
        assert s not in text
    assert secret not in str(ep) and secret not in repr(ep)


def test_a_secret_logged_by_mistake_is_redacted_by_shape():
    from integration.observability.redaction import scrub_text
    from integration.services.webhooks.signing import secret_generate

    secret = secret_generate()
    scrubbed = scrub_text(f"oops {secret} leaked")
    assert secret not in scrubbed and "whsec_[redacted]" in scrubbed
