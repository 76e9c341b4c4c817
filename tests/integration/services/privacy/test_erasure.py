"""Point 3: erasure removes the person from every table, keeps the commercial facts, is
recorded and idempotent, and the mirror never stores the person's fields again while the
orders keep syncing their statuses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from integration.models import (
    ApiCall,
    Client,
    ClientRegistration,
    ErasureRecord,
    Notification,
    Order,
    OrderLine,
    RegistrationState,
    Sale,
    ShippingAddress,
    StatusChange,
)
from integration.services.mirror import (
    client_upsert_from_detail,
    clients_upsert_from_list,
    order_upsert_from_detail,
    orders_upsert_from_list,
    orders_upsert_from_recent,
    sales_upsert_from_list,
)
from tests.integration.services.mirror import payloads as p

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PERSON = {
    "firstName": "Erin",
    "lastName": "Forgetmenot",
    "email": "erin.forgetmenot@example.com",
    "contactNumber": "7700900555",
}


def person_strings() -> list[str]:
    return [*PERSON.values(), "1 Example Street", "Flat 2", "Testville"]


@pytest.fixture
def world():
    """A customer with a mirrored client, a shipping row, an order with a line and a
    status change and a notification, a sale with a description, a registration, and a
    ledger row whose query string names them."""
    user = get_user_model().objects.create_user(
        "erin", PERSON["email"], "pw", first_name=PERSON["firstName"], last_name=PERSON["lastName"]
    )
    detail = p.client_detail(**PERSON)
    client_upsert_from_detail(payload=detail, observed_at=T0)
    client = Client.objects.get(drgreen_id=detail["id"])
    Client.objects.filter(pk=client.pk).update(user=user)
    item = p.order_list_item(client_id=detail["id"])
    item["client"].update(PERSON)
    orders_upsert_from_list(items=[item], observed_at=T0)
    order = Order.objects.get(drgreen_id=item["id"])
    order_upsert_from_detail(
        payload=p.order_detail(order_id=item["id"], client_id=detail["id"]),
        observed_at=T0 + timedelta(seconds=1),
    )
    change = StatusChange.objects.create(
        order=order, sequence=1, fingerprint_before="", fingerprint_after="x", source="test",
        observed_at=T0, detected_at=T0,
    )  # fmt: skip
    Order.objects.filter(pk=order.pk).update(status_sequence=1)  # the change is the order's first
    Notification.objects.create(status_change=change, recipient=PERSON["email"], template="t")
    sale = p.sale_item(client_id=detail["id"], order_id=item["id"], description=f"Call {PERSON['firstName']}")
    sale["client"].update(PERSON)
    sales_upsert_from_list(items=[sale], observed_at=T0)
    ClientRegistration.objects.create(
        user=user, email=PERSON["email"], payload={**PERSON, "medicalRecord": {"dob": "1990-01-01"}},
        state=RegistrationState.CREATED, client=client,
    )  # fmt: skip
    ApiCall.objects.create(
        method="GET", route="/dapp/clients", path=f"/dapp/clients?search={PERSON['email']}"
    )
    order.refresh_from_db()
    return {"user": user, "client": client, "order": order, "item": item, "detail": detail, "sale": sale}


def held_text() -> str:
    """Every text and JSON value of the rows erasure is about, as one string."""
    parts = []
    for model in (Client, ShippingAddress, Order, OrderLine, Sale, Notification, ApiCall, ClientRegistration):
        for row in model.objects.all():
            for f in model._meta.concrete_fields:
                parts.append(str(getattr(row, f.attname)))
    for user in get_user_model().objects.all():
        parts += [user.username, user.email, user.first_name, user.last_name]
    return "\n".join(parts)


def test_before_erasure_the_person_is_held(world):
    text = held_text()
    assert PERSON["email"] in text and PERSON["lastName"] in text and "Testville" in text


def test_erasure_removes_the_person_and_keeps_the_commercial_facts(world, capsys):
    order = world["order"]
    facts = (order.invoice_number, order.total_amount, order.order_status, order.created_at)
    lines = list(OrderLine.objects.filter(order=order).values_list("strain_name", "quantity", "line_amount"))
    call_command("drgreen_erase_customer", PERSON["email"].upper())
    assert "erased: erasure #" in capsys.readouterr().out
    text = held_text()
    for s in person_strings():
        assert s not in text, s
    order.refresh_from_db()
    assert (order.invoice_number, order.total_amount, order.order_status, order.created_at) == facts
    assert (
        list(OrderLine.objects.filter(order=order).values_list("strain_name", "quantity", "line_amount"))
        == lines
    )
    client = Client.objects.get(pk=world["client"].pk)
    assert client.erased_at is not None and client.admin_approval == "VERIFIED"
    assert client.shipping_country_code == "ZAF"  # a country is not a person
    user = get_user_model().objects.get(pk=world["user"].pk)
    assert not user.is_active and not user.has_usable_password() and user.username == f"erased-{user.pk}"
    record = ErasureRecord.objects.get()
    assert record.user_id == user.pk and record.client_drgreen_ids == [world["detail"]["id"]]
    assert record.source == "command" and record.counts["orders"] == 1
    assert PERSON["email"] not in str(record.subject_digests)
    assert Sale.objects.get().stage and Sale.objects.get().description == ""
    assert Notification.objects.get().recipient == ""
    reg = ClientRegistration.objects.get()
    assert reg.payload == {} and reg.email == "" and reg.state == RegistrationState.CREATED


def test_erasure_is_idempotent(world, capsys):
    call_command("drgreen_erase_customer", PERSON["email"])
    call_command("drgreen_erase_customer", PERSON["email"])  # the email is gone; the digest knows it
    call_command("drgreen_erase_customer", str(world["user"].pk))
    out = capsys.readouterr().out
    assert out.count("already erased") == 2
    assert ErasureRecord.objects.count() == 1


def test_an_unknown_customer_exits_non_zero(db):
    with pytest.raises(CommandError):
        call_command("drgreen_erase_customer", "nobody@example.com")
    with pytest.raises(CommandError):
        call_command("drgreen_erase_customer", "999999")
    assert not ErasureRecord.objects.exists()


def test_the_mirror_never_stores_an_erased_clients_person_again(world):
    call_command("drgreen_erase_customer", PERSON["email"])
    detail, item, later = world["detail"], world["item"], T0 + timedelta(hours=1)
    # Full detail, list item, an order list page that moved a status, recent, a sale page.
    client_upsert_from_detail(payload={**detail, "updatedAt": "2026-03-02T09:00:00.000Z"}, observed_at=later)
    clients_upsert_from_list(items=[p.client_list_item(id=detail["id"], **PERSON)], observed_at=later)
    moved = {**item, "adminApproval": "VERIFIED", "rejectionNote": f"Ask {PERSON['firstName']} again"}
    orders_upsert_from_list(items=[moved], observed_at=later)
    recent = p.order_recent_item(order_id=item["id"], client_id=detail["id"])
    recent["client"].update(PERSON)
    orders_upsert_from_recent(items=[recent], observed_at=later)
    sales_upsert_from_list(items=[world["sale"]], observed_at=later)
    text = held_text()
    for s in person_strings():
        assert s not in text, s
    assert not ShippingAddress.objects.exists()
    order = Order.objects.get(pk=world["order"].pk)
    assert order.admin_approval == "VERIFIED"  # statuses keep syncing
    client = Client.objects.get(pk=world["client"].pk)
    assert client.is_active is False  # the list item switched it off: flags keep syncing
    assert Order.objects.get(pk=order.pk).total_amount == Decimal("9.09")


def test_another_customer_is_untouched(world):
    other = p.client_detail(firstName="Otto", lastName="Keepme", email="otto.keepme@example.com")
    client_upsert_from_detail(payload=other, observed_at=T0)
    call_command("drgreen_erase_customer", PERSON["email"])
    kept = Client.objects.get(drgreen_id=other["id"])
    assert (kept.first_name, kept.email, kept.erased_at) == ("Otto", "otto.keepme@example.com", None)
    assert ShippingAddress.objects.filter(client=kept).exists()


def test_a_new_client_id_for_the_same_person_is_not_erased(world):
    # Erasure follows the client ids it erased, not a person's name: a new registration is new.
    call_command("drgreen_erase_customer", PERSON["email"])
    fresh = p.client_detail(id=str(uuid.uuid4()), **PERSON)
    client_upsert_from_detail(payload=fresh, observed_at=T0)
    assert Client.objects.get(drgreen_id=fresh["id"]).email == PERSON["email"]


def test_a_registration_sealed_with_a_lost_key_does_not_stop_an_erasure(world, settings):
    from cryptography.fernet import Fernet

    reg = ClientRegistration.objects.get()
    settings.DRGREEN_DATA_KEYS = Fernet.generate_key().decode()
    reg.save()  # sealed with a key that is about to be lost
    settings.DRGREEN_DATA_KEYS = Fernet.generate_key().decode()
    call_command("drgreen_erase_customer", str(world["user"].pk))
    assert ClientRegistration.objects.get().payload == {}  # overwritten with the current key
    assert ErasureRecord.objects.count() == 1
