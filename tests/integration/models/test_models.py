import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings

from integration.models import (
    ApiCall,
    BreakerState,
    Client,
    Notification,
    Order,
    OrderLine,
    Sale,
    ShippingAddress,
    StatusChange,
    Strain,
    StrainAvailability,
    SyncLease,
    SyncRun,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def _order(**kwargs) -> Order:
    return Order.objects.create(drgreen_id=uuid.uuid4(), **kwargs)


def _change(order, sequence=1) -> StatusChange:
    return StatusChange.objects.create(
        order=order,
        sequence=sequence,
        fingerprint_after="A|B|C",
        source="test",
        observed_at=NOW,
        detected_at=NOW,
    )


def test_console_url_uses_the_setting():
    order = Order(drgreen_id=uuid.UUID(int=1))
    with override_settings(DRGREEN={"CONSOLE_URL": "https://console.example.test/"}):
        assert order.console_url == f"https://console.example.test/orders/{order.drgreen_id}"
        assert Client(drgreen_id=uuid.UUID(int=2)).console_url.endswith(f"/clients/{uuid.UUID(int=2)}")


def test_drgreen_id_is_unique():
    oid = uuid.uuid4()
    Order.objects.create(drgreen_id=oid)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(drgreen_id=oid)


def test_status_change_sequence_is_unique_per_order():
    order, other = _order(), _order()
    _change(order)
    _change(other)
    with pytest.raises(IntegrityError), transaction.atomic():
        _change(order)


def test_one_notification_per_change_and_channel():
    change = _change(_order())
    Notification.objects.create(status_change=change, channel="email")
    Notification.objects.create(status_change=change, channel="sms")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(status_change=change, channel="email")


def test_one_availability_per_strain_and_country():
    strain = Strain.objects.create(drgreen_id=uuid.uuid4(), name="Example Kush")
    StrainAvailability.objects.create(strain=strain, country_code="ZAF")
    with pytest.raises(IntegrityError), transaction.atomic():
        StrainAvailability.objects.create(strain=strain, country_code="ZAF")


def test_shipping_drgreen_id_unique_but_nullable():
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    ShippingAddress.objects.create(client=client)
    ShippingAddress.objects.create(client=client, position=1)  # two id-less rows are fine
    sid = uuid.uuid4()
    ShippingAddress.objects.create(client=client, drgreen_id=sid)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShippingAddress.objects.create(client=client, drgreen_id=sid)


def test_client_helpers():
    client = Client.objects.create(
        drgreen_id=uuid.uuid4(),
        first_name="Ada",
        last_name="Testperson",
        phone_code="+27",
        contact_number="820000001",
        admin_approval="VERIFIED",
        is_kyc_verified=True,
        is_active=None,
        shipping_country_code="GBR",
    )
    assert str(client) == "Ada Testperson" and client.phone == "+27820000001"
    assert not client.can_order  # unknown is not "active"
    assert client.primary_shipping_country_code == "GBR"
    ShippingAddress.objects.create(client=client, position=1, country_code="DEU")
    ShippingAddress.objects.create(client=client, position=0, country_code="ZAF")
    assert client.primary_shipping_country_code == "ZAF"
    assert str(Client(drgreen_id=uuid.UUID(int=3))) == str(uuid.UUID(int=3))


def test_order_flags_and_querysets():
    delivered = _order(order_status="DELIVERED", next_poll_at=NOW - timedelta(minutes=1))
    rejected = _order(admin_approval="REJECTED")
    due = _order(order_status="PENDING", payment_status="PAID", next_poll_at=NOW - timedelta(minutes=1))
    claimed = _order(next_poll_at=NOW - timedelta(minutes=1), claimed_until=NOW + timedelta(minutes=1))
    expired = _order(next_poll_at=NOW - timedelta(minutes=1), claimed_until=NOW - timedelta(seconds=1))
    _order(next_poll_at=NOW + timedelta(minutes=1))
    assert delivered.is_terminal and rejected.is_terminal and not due.is_terminal and due.is_paid
    assert set(Order.objects.active()) == {due, claimed, expired, *Order.objects.filter(next_poll_at__gt=NOW)}
    assert set(Order.objects.due_for_poll(NOW)) == {delivered, due, expired}
    assert claimed not in Order.objects.due_for_poll(NOW)


def test_str_of_every_model():
    client = Client.objects.create(drgreen_id=uuid.uuid4(), email="x@example.com")
    order = _order(invoice_number="DG_1")
    change = _change(order)
    strain = Strain.objects.create(drgreen_id=uuid.uuid4(), name="Example Kush")
    samples = [
        (client, "x@example.com"),
        (order, "DG_1"),
        (change, f"{order.pk} #1:  → A|B|C"),
        (strain, "Example Kush"),
        (OrderLine(order=order, quantity=2, strain_name="Example Kush"), "2 × Example Kush"),
        (StrainAvailability(strain=strain, country_code="ZAF"), f"{strain.pk}@ZAF"),
        (Sale(drgreen_id=uuid.UUID(int=4), stage="LEADS"), f"LEADS {uuid.UUID(int=4)}"),
        (Notification(status_change=change, state="sent"), f"email for change {change.pk}: sent"),
        (SyncRun(kind="sweep", started_at=NOW, state="running"), "sweep 2026-03-01 12:00:00 running"),
        (
            SyncLease(name="orders.sweep", holder="w1", expires_at=NOW),
            "orders.sweep held by w1 until 12:00:00",
        ),
        (ApiCall(method="GET", route="/dapp/orders", status=200), "GET /dapp/orders → 200"),
        (BreakerState(name="drgreen", state="open"), "drgreen: open"),
        (
            ShippingAddress(address1="1 Example Street", city="Testville", country_code="ZAF"),
            "1 Example Street, Testville, ZAF",
        ),
    ]
    for obj, expected in samples:
        assert str(obj) == expected


def test_sale_won_and_lost():
    assert Sale(stage="CLOSED", order_drgreen_id=uuid.uuid4()).is_won
    assert Sale(stage="CLOSED").is_lost
    assert not Sale(stage="ONGOING").is_lost


def test_sync_run_duration():
    run = SyncRun(kind="reconcile", started_at=NOW)
    assert run.duration_s is None
    run.finished_at = NOW + timedelta(seconds=90)
    assert run.duration_s == 90
