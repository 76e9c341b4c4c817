"""Sending a notification at most once, and the staff re-send.

At-most-once is the requirement ("a retried task never sends twice"), so the design picks
it over at-least-once everywhere a choice exists:

1. **Claim** — one conditional UPDATE moves the row ``pending → sending`` and stamps
   ``claimed_until``. Exactly one caller wins; every other (a redelivered task, a sweep, a
   second worker) reads a non-pending row and does nothing.
2. **Send** through Django's email framework, outside any transaction (no row lock is held
   across the network call).
3. **Record** ``sent``.

A crash between 2 and 3 leaves the row ``sending``. Nothing resends it: when the claim
expires (it outlives the task's hard time limit, so the sender is surely dead) the sweep
moves it to ``unknown`` — the email may or may not have gone out — and a person decides.
Errors are sorted by what they prove:

- the mail server could not be reached (``open()`` failed) or answered 4xx: nothing was
  handed over, so the row goes back to ``pending`` with a back-off, until ``MAX_ATTEMPTS``;
- the server refused the message (5xx, recipients refused): ``failed``, not delivered;
- anything else during the send (timeout, disconnect mid-DATA): ``unknown``.

Every outcome keeps ``attempts`` and ``last_error``, so failures are visible in the admin.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import Notification

from . import states
from .creation import order_recipient
from .messages import message_for_change
from .rendering import notification_email

logger = logging.getLogger("integration.notify")


def _update(notification_id: int, *, expect: tuple[str, ...], now: datetime, **values) -> bool:
    """Conditional write: only if the row is still in one of ``expect``."""
    return (
        Notification.objects.filter(pk=notification_id, state__in=expect).update(updated_at=now, **values)
        == 1
    )


def _settle(notification_id: int, *, now: datetime, state: str, error: str) -> None:
    """Record how a claimed send ended (other than ``sent``)."""
    _update(
        notification_id, expect=(states.SENDING,), now=now, state=state, claimed_until=None, last_error=error
    )


def _claim(notification_id: int, *, now: datetime) -> bool:
    claim_s = drgreen_settings.notify.claim_s
    # claimed_until on a pending row is its retry back-off ("not before").
    return (
        Notification.objects.filter(pk=notification_id, state=states.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(
            state=states.SENDING,
            claimed_until=now + timedelta(seconds=claim_s),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        == 1
    )


def _error(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:2000]


def _not_reached(row: Notification, *, now: datetime, error: str) -> None:
    """Nothing was handed to the mail server: retry later, or give up after MAX_ATTEMPTS."""
    settings = drgreen_settings.notify
    if row.attempts >= settings.max_attempts:
        _settle(
            row.pk,
            now=now,
            state=states.FAILED,
            error=f"not sent, gave up after {row.attempts} attempts: {error}",
        )
        return
    backoff = min(3600.0, settings.retry_base_s * 2 ** max(0, row.attempts - 1))
    _update(
        row.pk,
        expect=(states.SENDING,),
        now=now,
        state=states.PENDING,
        claimed_until=now + timedelta(seconds=backoff),
        last_error=f"not sent (attempt {row.attempts}, retry in {backoff:.0f} s): {error}",
    )


def _refused(exc: Exception) -> bool | None:
    """``True`` refused for good, ``False`` refused for now (4xx), ``None`` unclear."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return not (400 <= exc.smtp_code < 500)
    return None


def _deliver(notification_id: int, *, now: datetime, sent_note: str = "") -> None:
    """Send a row this caller has claimed and record the outcome."""
    row = Notification.objects.select_related("status_change__order__client").get(pk=notification_id)
    try:
        email = notification_email(row)
    except Exception as exc:  # noqa: BLE001 - a template/data bug: nothing was sent
        logger.exception("notify: notification %s could not be rendered", row.pk)
        _settle(row.pk, now=now, state=states.FAILED, error=f"not sent, could not render: {_error(exc)}")
        return
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - any connect error means nothing was handed over
        logger.warning("notify: mail server not reached for notification %s: %s", row.pk, exc)
        _not_reached(row, now=now, error=_error(exc))
        return
    try:
        delivered = connection.send_messages([email])
    except Exception as exc:  # noqa: BLE001 - sorted by what the error proves
        refused = _refused(exc)
        if refused is False:
            _not_reached(row, now=now, error=_error(exc))
        elif refused:
            logger.warning("notify: notification %s refused by the mail server: %s", row.pk, exc)
            error = f"refused by the mail server, not delivered: {_error(exc)}"
            _settle(row.pk, now=now, state=states.FAILED, error=error)
        else:
            logger.error("notify: notification %s may or may not have been sent: %s", row.pk, exc)
            error = f"may have been sent (ambiguous error while sending): {_error(exc)}"
            _settle(row.pk, now=now, state=states.UNKNOWN, error=error)
        return
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - the message is already out (or not); closing cannot change that
            logger.warning("notify: closing the mail connection failed", exc_info=True)
    if not delivered:
        _settle(row.pk, now=now, state=states.FAILED, error="the mail backend reported 0 messages sent")
        return
    # UNKNOWN too: if a very slow send outlived its claim and the sweep gave up on it, we now
    # know better.
    _update(
        row.pk,
        expect=(states.SENDING, states.UNKNOWN),
        now=now,
        state=states.SENT,
        sent_at=now,  # the caller's clock (tests step it); a send takes moments
        claimed_until=None,
        last_error=sent_note,
    )
    logger.info("notify: notification %s sent (%s)", row.pk, row.template)


def notification_send(*, notification_id: int, now: datetime | None = None) -> Notification:
    """Send one ``pending`` notification if this caller wins its claim; otherwise do nothing.

    Safe to call any number of times, concurrently, from tasks, sweeps or a shell: only the
    caller whose UPDATE moved the row out of ``pending`` sends. Returns the row as it ends.
    """
    now = now or timezone.now()
    if _claim(notification_id, now=now):
        _deliver(notification_id, now=now)
    return Notification.objects.get(pk=notification_id)


def notification_enqueue(*, notification_id: int) -> None:
    """Queue ``notification_send`` once the current transaction (if any) commits.

    A broker that is down is logged, not raised: the row is committed ``pending`` and the
    sweep (``notifications_send_pending``) sends it.
    """
    from integration.tasks.notify import notification_send as task  # tasks import services

    def send() -> None:
        try:
            # A message older than an hour is dropped by the worker: the sweep sends any row
            # still pending anyway, and a stale message is more likely noise (a restored
            # broker, a test run) than the only way to reach the customer.
            task.apply_async(kwargs={"notification_id": notification_id}, expires=3600)
        except Exception:  # noqa: BLE001 - the sweep is the fallback
            logger.exception("notify: could not queue notification %s; the sweep sends it", notification_id)

    transaction.on_commit(send)


def _who(by_user) -> str:
    if by_user is None:
        return "staff"
    name = getattr(by_user, "get_username", lambda: "")()
    return f"{name} (user #{by_user.pk})" if name else f"user #{by_user.pk}"


def notification_resend(*, notification_id: int, by_user=None, now: datetime | None = None) -> Notification:
    """Staff asked to send this notification (again): re-resolve it and send it now.

    An explicit person's decision overrides the send-once rule — for any state except
    ``sending`` (a send may be in flight: wait for it or for the sweep to call it
    ``unknown``). The message and the recipient are worked out afresh, so a row skipped
    because the client had no email goes out once the client has one. A second request
    for a row sent within ``RESEND_COOLDOWN_S`` is taken for a double click and ignored.
    The row keeps who asked in ``last_error`` ("re-sent at the request of …").
    """
    now = now or timezone.now()
    who = _who(by_user)
    row = Notification.objects.select_related("status_change__order__client").get(pk=notification_id)
    if row.state == states.SENDING:
        logger.warning("notify: re-send of %s by %s ignored: a send is in progress", row.pk, who)
        return row
    cooldown = drgreen_settings.notify.resend_cooldown_s
    if row.state == states.SENT and row.sent_at and (now - row.sent_at).total_seconds() < cooldown:
        logger.warning("notify: re-send of %s by %s ignored: sent %s ago", row.pk, who, now - row.sent_at)
        return row
    choice = message_for_change(row.status_change)
    recipient, no_recipient = order_recipient(row.status_change.order)
    problem = choice.reason if choice.rule is None else no_recipient
    if problem:
        logger.warning("notify: re-send of %s by %s not possible: %s", row.pk, who, problem)
        _update(row.pk, expect=(row.state,), now=now, last_error=f"re-send by {who} not possible: {problem}")
        row.refresh_from_db()
        return row
    # Matching on updated_at too: two re-sends racing on the same row queue only one email.
    reset = (
        Notification.objects.filter(pk=row.pk, state=row.state, updated_at=row.updated_at).update(
            state=states.SENDING,
            recipient=recipient,
            template=choice.template,
            claimed_until=now + timedelta(seconds=drgreen_settings.notify.claim_s),
            attempts=F("attempts") + 1,
            last_error=f"re-send requested by {who}",
            updated_at=now,
        )
        == 1
    )
    if reset:
        logger.info("notify: re-send of %s (was %s) requested by %s", row.pk, row.state, who)
        _deliver(row.pk, now=now, sent_note=f"re-sent at the request of {who}")
    return Notification.objects.get(pk=row.pk)
