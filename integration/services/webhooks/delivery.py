"""Sending events: claim, POST, record the attempt, schedule the retry.

At-least-once: an event is ``pending`` until a 2xx. A sender claims it first (an UPDATE
that only one caller wins, with a lease: ``claimed_until``), then posts with no
transaction open, then records the attempt. A worker that dies after posting leaves the
claim to expire, and the event is sent again (the receiver deduplicates on ``webhook-id``).

After a failure the next try waits ``retry_schedule[n]`` seconds ± jitter; after the last
one the event is ``failed`` (staff can resend it). A 410 Gone disables the endpoint. An
endpoint whose every attempt has failed for ``disable_after_s`` (5 days) is disabled and
flagged on the admin dashboard. Workers send one endpoint's events in batches; a send with no
HTTP answer pauses the endpoint (``paused_until``): its events wait as long as that one.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import WebhookAttempt, WebhookEndpoint, WebhookEvent

from .outbox import events_enqueue
from .signing import signature_header, signing_secrets
from .ssrf import TargetRefused, target_resolve
from .transport import Response, post

logger = logging.getLogger("integration.webhooks")

# Retries at most this far ahead are queued with a countdown; later ones wait for the sweep
# (a broker holding a message for hours redelivers it on its own visibility timeout).
COUNTDOWN_MAX_S = 300


def event_body(event: WebhookEvent) -> str:
    """The body every attempt of the event sends, byte for byte."""
    return json.dumps(
        {
            "type": event.type,
            "timestamp": event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": event.data,
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def event_headers(event: WebhookEvent, endpoint: WebhookEndpoint, *, body: str, now: datetime) -> dict:
    return {
        "webhook-id": event.msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature_header(
            signing_secrets(endpoint, now=now), msg_id=event.msg_id, timestamp=now, body=body
        ),
    }


def _claim(event_id: int, *, now: datetime, force: bool = False) -> bool:
    """One UPDATE whose conditions are all on the event row itself, so that of two
    concurrent claimers PostgreSQL re-checks them for the second after the first commits
    (a condition through a join would sit in a subquery that is not re-checked)."""
    conf = drgreen_settings.webhooks
    qs = WebhookEvent.objects.filter(pk=event_id, state=WebhookEvent.STATE_PENDING)
    qs = qs.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    if not force:
        qs = qs.filter(next_attempt_at__lte=now)
    return bool(qs.update(claimed_until=now + timedelta(seconds=conf.claim_s)))


@dataclass
class Sent:
    response: Response
    started: datetime
    finished: datetime


def _send(event: WebhookEvent, *, now: datetime) -> Sent:
    conf = drgreen_settings.webhooks
    endpoint = event.endpoint
    body = event_body(event)
    try:
        target = target_resolve(endpoint.url, allow_private=conf.allow_private)
    except TargetRefused as exc:
        return Sent(Response(status=None, error=f"refused: {exc}"[:500], duration_ms=0), now, now)
    headers = event_headers(event, endpoint, body=body, now=now)
    response = post(target, body=body.encode(), headers=headers, timeout_s=conf.timeout_s)
    return Sent(response, now, now + timedelta(milliseconds=response.duration_ms))


def retry_delay(attempt: int, *, rng: random.Random | None = None) -> float | None:
    """Seconds before the try after failed attempt number ``attempt`` (1-based), jittered;
    ``None`` when the schedule is exhausted."""
    conf = drgreen_settings.webhooks
    if attempt > len(conf.retry_schedule):
        return None
    base = conf.retry_schedule[attempt - 1]
    return base * (rng or random).uniform(1 - conf.retry_jitter, 1 + conf.retry_jitter)


def _record(
    event: WebhookEvent, sent: Sent, *, manual: bool, now: datetime
) -> tuple[float | None, datetime | None]:
    """Write the attempt and its consequences; returns the retry delay if one is queued, and
    the endpoint's pause if the send got no answer."""
    status, error = sent.response.status, sent.response.error
    delivered = status is not None and 200 <= status < 300
    delay = paused_until = None
    with transaction.atomic():
        event.attempts += 1
        WebhookAttempt.objects.create(
            event=event,
            number=event.attempts,
            started_at=sent.started,
            finished_at=sent.finished,
            http_status=status,
            error=error if not delivered else "",
            duration_ms=sent.response.duration_ms,
            manual=manual,
        )
        event.claimed_until = None
        event.last_status = status
        event.last_error = "" if delivered else (error or f"HTTP {status}")[:500]
        endpoints = WebhookEndpoint.objects.filter(pk=event.endpoint_id)
        if delivered:
            event.state = WebhookEvent.STATE_DELIVERED
            event.delivered_at = sent.finished
            endpoints.update(failing_since=None, last_success_at=sent.finished, paused_until=None)
        elif status == 410:
            # Gone: the receiver asked us to stop. The event stays pending, so enabling the
            # endpoint again sends it.
            event.next_attempt_at = sent.finished
            endpoints.filter(is_active=True).update(
                is_active=False, disabled_at=now, disabled_reason="the receiver answered 410 Gone"
            )
            logger.warning("webhooks: endpoint %s answered 410 Gone; disabled", event.endpoint_id)
        else:
            endpoints.filter(failing_since__isnull=True).update(failing_since=sent.started)
            endpoints_disable_failing(now=now, pk=event.endpoint_id)
            delay = retry_delay(event.attempts)
            if delay is None:
                event.state = WebhookEvent.STATE_FAILED
            else:
                event.next_attempt_at = sent.finished + timedelta(seconds=delay)
                if delay <= COUNTDOWN_MAX_S:
                    event.queued_at = event.next_attempt_at
                else:
                    delay = None
        if status is None:
            paused_until = _pause(event, now=now)
        elif not delivered and event.endpoint.paused_until is not None:
            endpoints.update(paused_until=None)  # it answers again
        event.save(
            update_fields=[
                "attempts",
                "claimed_until",
                "last_status",
                "last_error",
                "state",
                "delivered_at",
                "next_attempt_at",
                "queued_at",
            ]
        )
    return delay, paused_until


def _pause(event: WebhookEvent, *, now: datetime) -> datetime:
    """The send of ``event`` got no answer: its endpoint's other events wait as long as it
    does (its next attempt, or the schedule's longest step when it has none left) instead of
    each waiting for a timeout of its own, and at least as long as the endpoint has been
    failing (so the pauses of a long outage double, up to that longest step). A later pause
    already set is kept."""
    longest = timedelta(seconds=max(drgreen_settings.webhooks.retry_schedule, default=0))
    until = event.next_attempt_at if event.state == WebhookEvent.STATE_PENDING else now + longest
    failing_since = event.endpoint.failing_since
    if failing_since is not None:
        until = max(until, now + min(now - failing_since, longest))
    WebhookEndpoint.objects.filter(pk=event.endpoint_id).filter(
        Q(paused_until__isnull=True) | Q(paused_until__lt=until)
    ).update(paused_until=until)
    return until


def endpoints_disable_failing(*, now: datetime, pk: int | None = None) -> int:
    """Disable the active endpoints whose attempts have all failed since at least
    ``disable_after_s`` ago; returns how many."""
    conf = drgreen_settings.webhooks
    qs = WebhookEndpoint.objects.filter(
        is_active=True, failing_since__lte=now - timedelta(seconds=conf.disable_after_s)
    )
    if pk is not None:
        qs = qs.filter(pk=pk)
    days = conf.disable_after_s / 86400
    n = qs.update(
        is_active=False, disabled_at=now, disabled_reason=f"every delivery failed for {days:g} days"
    )
    if n:
        logger.warning("webhooks: %d endpoint(s) disabled after failing for %g days", n, days)
    return n


def event_deliver(*, event_id: int, now: datetime | None = None, manual: bool = False) -> WebhookEvent:
    """Try to send one event now if it is due and nobody holds it. Any number of
    concurrent callers: one sends, the others return the row as it is."""
    return _deliver(event_id, now=now or timezone.now(), manual=manual).event


@dataclass
class Delivery:
    event: WebhookEvent
    sent: Sent | None  # None: nothing was sent
    paused_until: datetime | None  # the endpoint gives no answer: its events wait until then


def _deliver(event_id: int, *, now: datetime, manual: bool) -> Delivery:
    """``event_deliver``, also saying what was sent and whether the endpoint is paused. An
    event of a paused endpoint is not sent (staff's manual sends are) but waits for the pause
    to end, no attempt counted."""
    if not _claim(event_id, now=now, force=manual):
        return Delivery(WebhookEvent.objects.get(pk=event_id), None, None)
    event = WebhookEvent.objects.select_related("endpoint").get(pk=event_id)
    if not event.endpoint.is_active:
        # A disabled endpoint keeps its events pending (sent once it is enabled again).
        WebhookEvent.objects.filter(pk=event_id).update(claimed_until=None)
        event.claimed_until = None
        return Delivery(event, None, None)
    paused_until = event.endpoint.paused_until
    if not manual and paused_until is not None and paused_until > now:
        WebhookEvent.objects.filter(pk=event_id).update(claimed_until=None, next_attempt_at=paused_until)
        event.claimed_until, event.next_attempt_at = None, paused_until
        return Delivery(event, None, paused_until)
    sent = _send(event, now=now)
    delay, paused_until = _record(event, sent, manual=manual, now=now)
    if delay is not None:
        events_enqueue([event.pk], countdown=delay)
    return Delivery(event, sent, paused_until)


def events_deliver_batch(*, event_ids: list[int], now: datetime | None = None) -> dict[str, int]:
    """Send a batch (one endpoint's events, see ``outbox.event_batches``) one after another;
    returns how many ended in each state. An event that fails unexpectedly is logged and left
    to the sweep, the others still go.

    A send that gets no HTTP answer (timeout, refused connection or address) pauses the
    endpoint until that event's next attempt (``_pause``): the batch stops, and its events not
    sent wait for the pause to end, as do the endpoint's other batches. A hung receiver then
    holds a worker for one timeout per retry, not one per event."""
    states: Counter[str] = Counter()
    for n, event_id in enumerate(event_ids):
        at = now or timezone.now()
        try:
            delivery = _deliver(event_id, now=at, manual=False)
        except WebhookEvent.DoesNotExist:
            logger.warning("webhooks: event %s does not exist; nothing to send", event_id)
            states["missing"] += 1
            continue
        except SoftTimeLimitExceeded:  # stop before the hard limit kills the worker
            logger.warning(
                "webhooks: batch out of time; the sweep sends its %d last event(s)", len(event_ids) - n
            )
            states["out_of_time"] += len(event_ids) - n
            break
        except Exception:  # noqa: BLE001 - one event must not stop the batch; the sweep retries it
            logger.exception("webhooks: event %s failed to send; the sweep retries it", event_id)
            states["error"] += 1
            continue
        until = delivery.paused_until
        if until is None:
            states[delivery.event.state] += 1
            continue
        sent = delivery.sent
        waiting = event_ids[n + 1 :] if sent is not None else event_ids[n:]
        if sent is not None:
            states[delivery.event.state] += 1
            logger.warning(
                "webhooks: endpoint %s gave no answer (%s); paused until %s",
                delivery.event.endpoint_id,
                sent.response.error,
                until.isoformat(),
            )
        if waiting:
            _postpone(waiting, until=until, now=at)
            states["deferred"] += len(waiting)
        break
    return dict(states)


def _postpone(event_ids: list[int], *, until: datetime, now: datetime) -> None:
    """Events of a paused endpoint wait for the pause to end: their next attempt is moved
    there, no attempt counted. Queued with a countdown (and marked queued until then, so the
    sweep leaves them alone) when that is near; otherwise the sweep sends them once due."""
    wait_s = max(0.0, (until - now).total_seconds())
    queued = wait_s <= COUNTDOWN_MAX_S
    WebhookEvent.objects.filter(
        pk__in=event_ids, state=WebhookEvent.STATE_PENDING, next_attempt_at__lte=until
    ).update(next_attempt_at=until, **({"queued_at": until} if queued else {}))
    if queued:
        events_enqueue(event_ids, countdown=wait_s)


def event_resend(*, event_id: int, now: datetime | None = None) -> WebhookEvent:
    """Staff: make the event pending again (same ``webhook-id``) and send it now. An
    endpoint that is disabled keeps it pending until it is enabled."""
    now = now or timezone.now()
    WebhookEvent.objects.filter(pk=event_id).exclude(claimed_until__gt=now).update(
        state=WebhookEvent.STATE_PENDING, next_attempt_at=now, queued_at=now
    )
    return event_deliver(event_id=event_id, now=now, manual=True)


def events_send_due(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The sweep (beat): disable endpoints failing too long, and queue a task for every
    due event no task holds (retries past the countdown range, tasks lost with a broker
    or a worker). Events queued or created within ``sweep_grace_s`` are left to their task."""
    now = now or timezone.now()
    conf = drgreen_settings.webhooks
    disabled = endpoints_disable_failing(now=now)
    grace = now - timedelta(seconds=conf.sweep_grace_s)
    due = (
        WebhookEvent.objects.filter(
            state=WebhookEvent.STATE_PENDING, endpoint__is_active=True, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=grace))
        .filter(Q(attempts__gt=0) | Q(created_at__lte=grace))
        .order_by("next_attempt_at")
    )
    ids = list(due.values_list("pk", flat=True)[:limit])
    if ids:
        WebhookEvent.objects.filter(pk__in=ids).update(queued_at=now)
        transaction.on_commit(lambda: events_enqueue(ids))
    return {"queued": len(ids), "endpoints_disabled": disabled}
