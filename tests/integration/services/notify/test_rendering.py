"""What the customer reads: local price only, Dr Green's rejection note, escaping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integration.services.notify import format_amount, notification_email, notifications_create_for_change
from integration.services.notify.messages import MESSAGE_KEYS

from .factories import make_change, make_client, make_order

pytestmark = pytest.mark.django_db


def email_for(order, *moves):
    change = make_change(order, *moves)
    (row,) = notifications_create_for_change(status_change_id=change.pk).notifications
    return notification_email(row)


def bodies(message) -> tuple[str, str]:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


@pytest.mark.parametrize(
    "currency,amount,shown",
    [
        ("ZAR", Decimal("1165"), "ZAR 1,165.00"),
        ("gbp", Decimal("12.5"), "GBP 12.50"),
        ("EUR", Decimal("0"), "EUR 0.00"),
        ("", Decimal("12.50"), ""),
        ("ZAR", None, ""),
    ],
)
def test_format_amount(currency, amount, shown):
    assert format_amount(currency, amount) == shown


def test_the_local_price_is_shown_and_the_usd_total_never(db):
    order = make_order(total_amount=Decimal("63.17"), local_currency="ZAR", local_total=Decimal("1165.00"))
    message = email_for(order, ("payment_status", "PENDING", "PAID"))
    for body in bodies(message):
        assert "ZAR 1,165.00" in body
        assert "63.17" not in body and "USD" not in body and "$" not in body
    assert message.subject == f"Payment received for your order ({order.invoice_number})"
    assert message.to == ["ana.test@example.com"]


def test_no_local_price_means_no_amount_at_all(db):
    order = make_order(total_amount=Decimal("63.17"), local_currency="", local_total=None)
    for body in bodies(email_for(order, ("order_status", "PROCESSING", "SHIPPED"))):
        assert "Order total" not in body and "63.17" not in body
        assert order.invoice_number in body


def test_rejection_shows_dr_greens_note_escaped_in_html(db):
    order = make_order(rejection_note="Prescription <expired> & unreadable")
    text, html = bodies(email_for(order, ("admin_approval", "PENDING", "REJECTED")))
    assert "could not be approved" in text
    assert "Reason given: Prescription <expired> & unreadable" in text
    assert "Prescription &lt;expired&gt; &amp; unreadable" in html and "<expired>" not in html


def test_rejection_without_a_note_says_so_plainly(db):
    text, html = bodies(email_for(make_order(rejection_note=""), ("admin_approval", "PENDING", "REJECTED")))
    assert "could not be approved" in text and "Reason given" not in text and "Reason given" not in html


def test_approval_points_to_dr_greens_payment_link_unless_already_paid(db):
    text, _ = bodies(email_for(make_order(), ("admin_approval", "PENDING", "VERIFIED")))
    assert "payment link" in text
    paid = make_order(payment_status="PAID")
    text, _ = bodies(email_for(paid, ("admin_approval", "PENDING", "VERIFIED")))
    assert "payment link" not in text and "We have your payment" in text


def test_greeting_uses_the_first_name_when_known(db):
    text, _ = bodies(email_for(make_order(), ("order_status", "SHIPPED", "DELIVERED")))
    assert text.startswith("Hello Ana,")
    anonymous = make_order(client=make_client(first_name=""))
    text, _ = bodies(email_for(anonymous, ("order_status", "SHIPPED", "DELIVERED")))
    assert text.startswith("Hello,")


@pytest.mark.parametrize("key", sorted(MESSAGE_KEYS))
def test_every_message_in_the_table_has_text_and_html_templates(db, key):
    move = {
        "rejected": ("admin_approval", "PENDING", "REJECTED"),
        "approved": ("admin_approval", "PENDING", "VERIFIED"),
        "paid": ("payment_status", "PENDING", "PAID"),
        "processing": ("order_status", "PENDING", "PROCESSING"),
        "shipped": ("order_status", "PROCESSING", "SHIPPED"),
        "delivered": ("order_status", "SHIPPED", "DELIVERED"),
    }[key]
    text, html = bodies(email_for(make_order(), move))
    assert text.startswith("Hello Ana,") and "ZAR 1,165.00" in text
    assert html.lstrip().startswith("<!doctype html>") and "ZAR 1,165.00" in html
