"""Creating the notification rows of a status change, once per (change, channel)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from integration.conf import CHANNEL_EMAIL, drgreen_settings
from integration.models import Notification, Order, StatusChange

from . import states
from .messages import message_for_change

logger = logging.getLogger("integration.notify")


@dataclass
class CreateResult:
    """All rows of the change, and the ones this call inserted (only those get a task)."""

    notifications: list[Notification] = field(default_factory=list)
    created: list[Notification] = field(default_factory=list)


def order_recipient(order: Order) -> tuple[str, str]:
    """``(email, "")`` or ``("", why there is none)``.

    A stub client was only seen nested in an order (id and names, no email): it has not
    been fetched from Dr Green yet, so there is no address we can trust.
    """
    client = order.client
    if client is None:
        return "", "the order has no client"
    if client.is_stub:
        return "", "the client has not been fetched from Dr Green yet (stub), so no email address"
    email = (client.email or "").strip()
    if not email:
        return "", "the client has no email address"
    try:
        validate_email(email)
    except ValidationError:
        return "", "the client's email address is not valid"
    return email, ""


def notifications_create_for_change(*, status_change_id: int) -> CreateResult:
    """One ``Notification`` per configured channel for the change, idempotently.

    The unique (status_change, channel) decides races: the losing insert rolls back its
    savepoint and reads the winner's row, so a repeated signal, a sweep backfilling the
    same change or two workers at once all end with one row (and one queued send).
    Rows that have nothing to send are created as ``skipped`` with the reason in
    ``last_error``: the admin shows why a customer was not told.
    """
    change = StatusChange.objects.select_related("order__client").get(pk=status_change_id)
    choice = message_for_change(change)
    recipient, no_recipient = order_recipient(change.order)
    result = CreateResult()
    for channel in drgreen_settings.notify.channels:
        values = {"recipient": recipient, "template": choice.template}
        if channel != CHANNEL_EMAIL:
            values.update(state=states.SKIPPED, last_error=f"no sender for channel {channel!r}")
        elif choice.rule is None:
            values.update(state=states.SKIPPED, last_error=choice.reason)
        elif not recipient:
            values.update(state=states.SKIPPED, last_error=no_recipient)
        else:
            values.update(state=states.PENDING)
        try:
            with transaction.atomic():
                row = Notification.objects.create(status_change=change, channel=channel, **values)
        except IntegrityError:
            row = Notification.objects.get(status_change=change, channel=channel)
        else:
            result.created.append(row)
            if row.state == states.SKIPPED:
                logger.info("notify: change %s %s skipped: %s", change.pk, channel, row.last_error)
        result.notifications.append(row)
    return result
