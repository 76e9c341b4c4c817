"""Turning one notification into an email: context, templates, ``EmailMultiAlternatives``.

Money: customers are shown what they pay, the order's ``localPrice`` (``local_currency``
+ ``local_total``), never the USD ``total_amount`` Dr Green uses for accounting. An order
without a local price shows no amount at all rather than a USD figure or a bare number.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from integration.conf import drgreen_settings
from integration.models import PAID_PAYMENT_STATUSES, Notification

from .messages import rule_for_key


class NotRenderable(Exception):
    """The notification has no message to render (an unmapped change)."""


def format_amount(currency: str, amount: Decimal | None) -> str:
    """``"ZAR 1,165.00"``; ``""`` without both a currency and an amount."""
    currency = (currency or "").strip().upper()
    if not currency or amount is None:
        return ""
    return f"{currency} {Decimal(amount):,.2f}"


def notification_context(notification: Notification) -> dict:
    change = notification.status_change
    order = change.order
    client = order.client
    settings = drgreen_settings.notify
    return {
        "store_name": settings.store_name,
        "first_name": (client.first_name if client else "").strip(),
        "reference": order.invoice_number,
        "amount": format_amount(order.local_currency, order.local_total),
        # The change's after-values: the email announces the state it was sent for, even if
        # the order has moved on since.
        "order_status": change.order_status,
        "admin_approval": change.admin_approval,
        "payment_status": change.payment_status,
        "already_paid": change.payment_status in PAID_PAYMENT_STATUSES,
        "rejection_note": (order.rejection_note or "").strip(),
    }


def notification_email(notification: Notification) -> EmailMultiAlternatives:
    """The email for ``notification`` (expects ``status_change__order__client`` loaded)."""
    key = notification.template.rsplit("/", 1)[-1]
    rule = rule_for_key(key)
    if rule is None:
        raise NotRenderable(f"no message template for {notification.template!r}")
    settings = drgreen_settings.notify
    context = notification_context(notification)
    context["subject"] = rule.subject
    text = render_to_string(f"{notification.template}.txt", context)
    html = render_to_string(f"{notification.template}.html", context)
    subject = f"{rule.subject} ({context['reference']})" if context["reference"] else rule.subject
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.from_email,
        to=[notification.recipient],
        reply_to=list(settings.reply_to) or None,
        # Support can match a customer's email to its admin row.
        headers={"X-Notification-Id": str(notification.pk)},
    )
    message.attach_alternative(html, "text/html")
    return message
