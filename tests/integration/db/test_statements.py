"""Hand-written statements: the values written and read are exactly the ORM's, and a batch
is one unit (its results after the block, its errors raised there and rolled back)."""

import logging
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from integration.db import statements as sql
from integration.models import Client, OrderPlacement
from integration.services.checkout.validation import client_for_checks

pytestmark = pytest.mark.django_db


def _placement(client: Client, key: str) -> OrderPlacement:
    now = timezone.now()
    return OrderPlacement(
        client=client,
        idempotency_key=key,
        request_hash="ab" * 32,
        lines=[{"strain_id": str(uuid.uuid4()), "quantity": "1.25"}],
        expected_total=Decimal("12.34"),
        state="submitting",
        attempt_count=1,
        submitted_at=now,
        next_recovery_at=now + timedelta(seconds=150),
    )


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields if not f.primary_key}


def test_insert_one_stores_what_the_orm_stores():
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    ours = _placement(client, "a")
    theirs = OrderPlacement(**{**_values(ours), "idempotency_key": "b", "correlation_id": uuid.uuid4()})

    assert sql.insert_one(ours) and ours.pk is not None and not ours._state.adding
    theirs.save()

    read_ours, read_theirs = (_values(OrderPlacement.objects.get(pk=x.pk)) for x in (ours, theirs))
    # auto_now_add / auto_now were filled on the instance, as save() does.
    assert ours.created_at is not None and ours.updated_at is not None
    for name in ("idempotency_key", "correlation_id", "created_at", "updated_at"):
        read_ours.pop(name), read_theirs.pop(name)
    assert read_ours == read_theirs
    assert read_ours["lines"][0]["quantity"] == "1.25" and read_ours["expected_total"] == Decimal("12.34")


def test_insert_one_can_leave_an_existing_row_alone():
    client = Client.objects.create(drgreen_id=uuid.uuid4(), first_name="Ada")
    twin = Client(drgreen_id=client.drgreen_id, first_name="Bea")

    assert sql.insert_one(twin, ignore_conflict_on="drgreen_id") is False
    assert twin.pk is None
    assert Client.objects.get().first_name == "Ada"


def test_rows_read_by_hand_convert_like_the_orm():
    when = timezone.now().replace(microsecond=123456)
    client = Client.objects.create(
        drgreen_id=uuid.uuid4(),
        cart_id=uuid.uuid4(),
        is_kyc_verified=True,
        is_active=False,
        verified_at=when,
        admin_approval="VERIFIED",
        shipping_country_code="PRT",
    )
    ours = client_for_checks(client.pk)
    theirs = Client.objects.get(pk=client.pk)

    for f in Client._meta.concrete_fields:
        if f.name in ("raw", "business_address"):
            assert f.attname in ours.get_deferred_fields()
            continue
        assert getattr(ours, f.attname) == getattr(theirs, f.attname), f.name
    assert ours.verified_at == when and ours.cart_id == client.cart_id and ours.is_active is False
    assert ours.first_shipping_country is None
    with pytest.raises(Client.DoesNotExist):
        client_for_checks(client.pk + 1000)


@pytest.mark.django_db(transaction=True)
def test_a_batch_answers_after_the_block_in_order():
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    placement = _placement(client, "k")
    with transaction.atomic(), sql.batch() as b:
        inserted = b.insert(placement)
        seen = b.execute(
            "SELECT idempotency_key FROM integration_orderplacement WHERE client_id = %s", [client.pk]
        )
        bumped = b.execute(
            "UPDATE integration_orderplacement SET attempt_count = 2 WHERE client_id = %s", [client.pk]
        )
    assert inserted.inserted and placement.pk is not None
    assert seen.rows == [("k",)] and bumped.rowcount == 1
    assert OrderPlacement.objects.get().attempt_count == 2


@pytest.mark.django_db(transaction=True)
def test_an_error_in_a_batch_is_raised_at_its_end_and_rolls_the_transaction_back(caplog):
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    with pytest.raises(IntegrityError), transaction.atomic(), sql.batch() as b:
        b.insert(_placement(client, "same"))
        b.insert(_placement(client, "same"))  # (client, key) is unique
        time.sleep(0.05)  # the error's answer is back: the next send is where it surfaces
        b.execute("SELECT 1 WHERE 1 = %s", [1])
    assert not OrderPlacement.objects.exists()
    # Raised once, as the IntegrityError: no second failure of the aborted batch is logged.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    # The connection is usable afterwards.
    assert sql.execute("SELECT count(*) FROM integration_orderplacement", []).rows == [(0,)]
