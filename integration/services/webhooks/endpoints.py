"""Endpoints: create, enable/disable, rotate the secret, send a test event.

A secret is returned once (by create and rotate) and never read back out by anything
but the signer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import WebhookEndpoint, WebhookEvent

from .facts import EVENT_TYPES, webhook_test_fact
from .outbox import events_enqueue, new_msg_id
from .signing import secret_generate
from .ssrf import TargetRefused, url_check


class EndpointError(ValueError):
    """A bad endpoint request (the message says what to fix)."""


@dataclass(frozen=True)
class Created:
    endpoint: WebhookEndpoint
    secret: str


def event_types_parse(value: str | list[str] | None) -> str:
    """``"order.created,order.status_changed"`` → the stored form; blank = every type."""
    if value is None:
        return ""
    items = value.split(",") if isinstance(value, str) else list(value)
    types = [t.strip() for t in items if t and t.strip()]
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise EndpointError(f"unknown event type(s): {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}")
    return f",{','.join(dict.fromkeys(types))}," if types else ""


def endpoint_url_validate(url: str) -> str:
    """The static half of the SSRF rules (scheme, host, no credentials); the addresses are
    checked again at every send, after DNS resolution."""
    try:
        url_check(url, allow_private=drgreen_settings.webhooks.allow_private)
    except TargetRefused as exc:
        raise EndpointError(str(exc)) from None
    return url


def endpoint_create(
    *,
    url: str,
    event_types: str | list[str] | None = None,
    description: str = "",
    now: datetime | None = None,
) -> Created:
    secret = secret_generate()
    endpoint = WebhookEndpoint.objects.create(
        url=endpoint_url_validate(url),
        event_types=event_types_parse(event_types),
        description=description[:255],
        secret=secret,
        created_at=now or timezone.now(),
    )
    return Created(endpoint, secret)


def endpoint_rotate_secret(*, endpoint_id: int, now: datetime | None = None) -> Created:
    """A new secret; the current one keeps signing as well for ``rotation_overlap_s``
    (24 h), so receivers can switch without missing an event."""
    now = now or timezone.now()
    secret = secret_generate()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        endpoint.previous_secret = endpoint.secret
        overlap_s = drgreen_settings.webhooks.rotation_overlap_s
        endpoint.previous_secret_expires_at = now + timedelta(seconds=overlap_s)
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return Created(endpoint, secret)


def endpoint_set_active(*, endpoint_id: int, active: bool, reason: str = "", now=None) -> WebhookEndpoint:
    """Enable (its pending events go out at once: the sweep finds them due) or disable."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    if active:
        endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = True, None, ""
        endpoint.failing_since = None
    else:
        endpoint.is_active, endpoint.disabled_at = False, now
        endpoint.disabled_reason = reason or "disabled by staff"
    endpoint.save(
        update_fields=["is_active", "disabled_at", "disabled_reason", "failing_since", "updated_at"]
    )
    if active:
        pending = list(
            WebhookEvent.objects.filter(endpoint=endpoint, state=WebhookEvent.STATE_PENDING).values_list(
                "pk", flat=True
            )[:500]
        )
        WebhookEvent.objects.filter(pk__in=pending).update(next_attempt_at=now, queued_at=now)
        transaction.on_commit(lambda: events_enqueue(pending))
    return endpoint


def endpoint_test(*, endpoint_id: int, now: datetime | None = None) -> WebhookEvent:
    """Queue a ``webhook.test`` event for this endpoint alone (whatever types it takes)."""
    now = now or timezone.now()
    fact = webhook_test_fact(at=now)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        event = WebhookEvent.objects.create(
            endpoint=endpoint,
            fact=fact.key,
            msg_id=new_msg_id(),
            type=fact.type,
            data=fact.data,
            occurred_at=now,
            next_attempt_at=now,
            created_at=now,
        )
        transaction.on_commit(lambda: events_enqueue([event.pk]))
    return event
