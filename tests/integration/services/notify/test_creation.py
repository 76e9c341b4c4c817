"""One notification row per (change, channel), and skipped rows that say why."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from integration.models import Notification
from integration.services.notify import notifications_create_for_change

from .factories import make_change, make_client, make_order

pytestmark = pytest.mark.django_db


def create(change):
    return notifications_create_for_change(status_change_id=change.pk)


def test_a_change_gets_one_pending_email_for_the_clients_address():
    change = make_change(make_order(), ("order_status", "PROCESSING", "SHIPPED"))
    result = create(change)
    (row,) = result.created
    assert result.notifications == [row]
    assert (row.channel, row.state, row.recipient, row.template) == (
        "email",
        "pending",
        "ana.test@example.com",
        "integration/email/shipped",
    )


def test_creating_again_returns_the_existing_row_and_creates_nothing():
    change = make_change(make_order(), ("order_status", "PROCESSING", "SHIPPED"))
    first = create(change).notifications
    again = create(change)
    assert again.created == [] and again.notifications == first
    assert Notification.objects.count() == 1


def test_the_database_refuses_a_second_row_for_the_same_change_and_channel():
    change = make_change(make_order(), ("order_status", "PROCESSING", "SHIPPED"))
    create(change)
    with pytest.raises(IntegrityError):
        Notification.objects.create(status_change=change, channel="email")


def test_a_row_inserted_concurrently_wins_and_ours_is_rolled_back():
    """The race path: the other worker's insert lands between our check and our insert."""
    change = make_change(make_order(), ("order_status", "PROCESSING", "SHIPPED"))
    theirs = Notification.objects.create(
        status_change=change, channel="email", recipient="ana.test@example.com"
    )
    result = create(change)
    assert result.created == [] and [n.pk for n in result.notifications] == [theirs.pk]


@pytest.mark.parametrize(
    "client_fields,reason",
    [
        ({"email": ""}, "no email address"),
        ({"email": "not-an-address"}, "not valid"),
        ({"is_stub": True, "email": ""}, "stub"),
        ({"is_stub": True, "email": "ana.test@example.com"}, "stub"),
    ],
)
def test_clients_without_a_usable_address_are_skipped_with_the_reason(client_fields, reason):
    order = make_order(client=make_client(**client_fields))
    (row,) = create(make_change(order, ("order_status", "PROCESSING", "SHIPPED"))).created
    assert row.state == "skipped" and reason in row.last_error and row.recipient == ""
    # The message is still known, so a staff re-send can go out once the client has an address.
    assert row.template == "integration/email/shipped"


def test_an_order_without_a_client_is_skipped():
    (row,) = create(make_change(make_order(client=None), ("order_status", "PROCESSING", "SHIPPED"))).created
    assert row.state == "skipped" and "no client" in row.last_error


def test_a_change_with_no_customer_message_is_skipped_and_names_the_transition():
    (row,) = create(make_change(make_order(), ("order_status", "PENDING", "CANCELLED"))).created
    assert row.state == "skipped" and row.template == ""
    assert "orderStatus PENDING→CANCELLED" in row.last_error


def test_every_configured_channel_gets_its_own_row(settings):
    settings.DRGREEN_NOTIFY = {"CHANNELS": ["email", "sms"]}
    result = create(make_change(make_order(), ("order_status", "PROCESSING", "SHIPPED")))
    by_channel = {n.channel: n for n in result.created}
    assert by_channel["email"].state == "pending"
    assert by_channel["sms"].state == "skipped" and "no sender" in by_channel["sms"].last_error
