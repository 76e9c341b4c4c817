"""Validation of client and strains against a mirror refreshed from the sandbox.

A refused checkout leaves nothing behind and makes no Dr Green write."""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from integration.models import (
    Client,
    OrderPlacement,
    PlacementState,
    ShippingAddress,
    Strain,
    StrainAvailability,
)
from integration.services.checkout import order_place
from integration.services.checkout.validation import client_for_checks, shipping_country
from integration.services.drgreen_api import drgreen_client
from integration.services.errors import ServiceError
from tests.integration.observability import people

pytestmark = pytest.mark.django_db(transaction=True)


def _refused(client, lines, code):
    before = OrderPlacement.objects.filter(client=client).count()
    with pytest.raises(ServiceError) as err:
        order_place(client=client, idempotency_key=f"refused-{code}", lines=lines, execute="inline")
    assert err.value.code == code, err.value.message
    assert OrderPlacement.objects.filter(client=client).count() == before
    return err.value


@pytest.mark.parametrize(
    ("flags", "code"),
    [
        ({"adminApproval": "PENDING"}, "client_not_verified"),
        ({"adminApproval": "REJECTED"}, "client_not_verified"),
        ({"isKYCVerified": False}, "kyc_pending"),
        ({"isActive": False}, "client_inactive"),
    ],
)
def test_client_gates_are_checked_on_fresh_data(seeded, flags, code):
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)  # mirrored while verified: the mirror says "yes"
    seeded.sandbox.control("POST", f"clients/{cid}/set", flags)
    # Too fresh to re-read by age, but Dr Green refuses at placement: the rejection is kept
    # with the same code, and no order exists.
    placement, _ = order_place(
        client=client, idempotency_key="gate", lines=[(seeded.strain_ids[0], 1)], execute="inline"
    )
    assert placement.state == PlacementState.REJECTED and placement.rejection_code == code
    assert seeded.remote_orders(cid) == []
    # The next checkout sees the stale mirror is wrong before committing anything.
    client.refresh_from_db()
    client.last_synced_at = client.last_synced_at.replace(year=2000)
    client.save(update_fields=["last_synced_at"])
    _refused(client, [(seeded.strain_ids[0], 1)], code)


def test_a_mirror_that_says_no_is_re_read_before_refusing(seeded):
    pending = seeded.client_ids[7]  # seeded PENDING, without KYC
    client = seeded.mirror_client(pending)
    assert client.admin_approval == "PENDING"
    seeded.sandbox.approve_client(pending)
    seeded.sandbox.kyc_pass(pending)
    placement, _ = order_place(
        client=client, idempotency_key="now-ok", lines=[(seeded.strain_ids[0], 1)], execute="inline"
    )
    assert placement.state == PlacementState.PLACED


def test_strains_are_checked_in_the_shipping_country(seeded):
    client = seeded.mirror_client(seeded.verified_client_ids()[0])
    s_off, s_low = seeded.strain_ids[0], seeded.strain_ids[1]
    seeded.sandbox.set_stock(s_off, countryCode="GBR", isAvailable=False)
    seeded.sandbox.set_stock(s_low, countryCode="GBR", stockQuantity=2)
    err = _refused(client, [(s_off, 1)], "strain_unavailable")
    assert err.details == {"strain_id": s_off, "country_code": "GBR"}
    err = _refused(client, [(s_low, "2.5")], "insufficient_stock")
    assert err.details["available"] == "2" and err.details["requested"] == "2.5"
    _refused(client, [(str(uuid.uuid4()), 1)], "strain_unavailable")
    # Stock only in another country does not count.
    seeded.sandbox.set_stock(s_off, countryCode="DEU", stockQuantity=50, isAvailable=True)
    _refused(client, [(s_off, 1)], "strain_unavailable")
    placement, _ = order_place(client=client, idempotency_key="fine", lines=[(s_low, 2)], execute="inline")
    assert placement.state == PlacementState.PLACED


def test_the_expected_total_is_retail_price_times_quantity(seeded):
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    placement, _ = order_place(
        client=client,
        idempotency_key="t",
        lines=[(seeded.strain_ids[0], "1.25"), (seeded.strain_ids[1], 3)],
        execute="inline",
    )
    (remote,) = seeded.remote_orders(cid)
    assert abs(Decimal(str(remote["totalAmount"])) - placement.expected_total) <= Decimal("0.01")


def test_a_strain_missing_in_the_country_is_refused_by_name(seeded):
    client = seeded.mirror_client(seeded.verified_client_ids()[0])
    strain_id = seeded.strain_ids[2]
    seeded.sandbox.set_stock(strain_id, countryCode="GBR", isAvailable=False)
    err = _refused(client, [(strain_id, 1)], "strain_unavailable")
    name = Strain.objects.get(drgreen_id=strain_id).name
    assert name and err.message == f"{name} is not available in GBR."


def test_stock_is_checked_in_the_first_shipping_rows_country():
    client = Client.objects.create(
        drgreen_id=uuid.uuid4(), email="ada@example.test", shipping_country_code="PRT"
    )
    assert shipping_country(client_for_checks(client.pk)) == "PRT"  # no rows: the projected one
    ShippingAddress.objects.create(client=client, position=1, country_code="DEU")
    first = ShippingAddress.objects.create(client=client, position=0, country_code="")
    assert shipping_country(client_for_checks(client.pk)) == "PRT"  # first row without a country
    first.country_code = "GBR"
    first.save()
    checked = client_for_checks(client.pk)
    assert shipping_country(checked) == "GBR" == client.primary_shipping_country_code
    assert "raw" in checked.get_deferred_fields()


def test_the_checks_read_the_client_as_the_orm_does_without_its_widest_fields():
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
    ours, theirs = client_for_checks(client.pk), Client.objects.get(pk=client.pk)
    for f in Client._meta.concrete_fields:
        if f.name in ("raw", "business_address"):
            assert f.attname in ours.get_deferred_fields()
        else:
            assert getattr(ours, f.attname) == getattr(theirs, f.attname), f.name
    assert ours.verified_at == when and ours.is_active is False and ours.first_shipping_country is None
    with pytest.raises(Client.DoesNotExist):
        client_for_checks(client.pk + 1000)


def test_a_client_rejected_after_approval_stays_active_and_is_refused_at_the_approval_gate(seeded):
    """Dr Green's rejection leaves ``isActive`` true (``rejectClients``), so the order POST is
    refused 409 ``Approval is REJECTED by admin``, and the mirror refuses the same way after."""
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    seeded.sandbox.reject_client(cid, "Prescription expired")
    placement, _ = order_place(
        client=client, idempotency_key="rejected", lines=[(seeded.strain_ids[0], 1)], execute="inline"
    )
    assert placement.state == PlacementState.REJECTED
    assert placement.rejection_code == "client_not_verified"
    assert "Approval is REJECTED by admin" in placement.rejection_message
    client = seeded.mirror_client(cid)
    assert (client.admin_approval, client.is_active, client.is_kyc_verified) == ("REJECTED", True, True)
    err = _refused(client, [(seeded.strain_ids[0], 1)], "client_not_verified")
    assert err.details == {"admin_approval": "REJECTED"}


def test_a_strain_without_a_location_in_the_country_is_recorded_and_refused(seeded):
    """The strain list for DEU leaves out a strain stocked only in GBR; its detail with
    ``?countryCode=DEU`` has no ``strainLocations`` at all (``getStrainById`` narrows them)
    and false/false/0 on top, which the mirror keeps as DEU's availability row."""
    body = people.create_client_body(contactNumber=str(7_000_000_000 + secrets.randbelow(10**9)))
    body["shipping"] = {**body["shipping"], "country": "Germany", "countryCode": "DEU"}
    cid = drgreen_client().create_client(body)["id"]
    seeded.sandbox.approve_client(cid)
    seeded.sandbox.kyc_pass(cid)
    client = seeded.mirror_client(cid)
    strain_id = seeded.strain_ids[0]
    detail = drgreen_client().get_strain(strain_id, country_code="DEU")
    assert detail["strainLocations"] == [] and detail["stockQuantity"] == 0

    err = _refused(client, [(strain_id, 1)], "strain_unavailable")
    assert err.details == {"strain_id": strain_id, "country_code": "DEU"}
    deu = StrainAvailability.objects.get(strain__drgreen_id=strain_id, country_code="DEU")
    assert (deu.is_active, deu.is_available, deu.stock_quantity) == (False, False, 0)
    # Only DEU was read: the GBR location no longer rides along in a DEU detail.
    rows = StrainAvailability.objects.filter(strain__drgreen_id=strain_id)
    assert list(rows.values_list("country_code", flat=True)) == ["DEU"]
