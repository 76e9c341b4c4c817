import uuid
from datetime import timedelta

import pytest

from integration.models import Client, ShippingAddress
from integration.services.mirror import (
    client_upsert_from_create,
    client_upsert_from_detail,
    clients_upsert_from_list,
    orders_upsert_from_list,
)

from . import payloads as p

pytestmark = pytest.mark.django_db


def _client(item) -> Client:
    return Client.objects.get(drgreen_id=item["id"])


def test_list_item_maps_flags_cart_and_country(t0):
    item = p.client_list_item(verifiedAt=None, email="Ada.Testperson@Example.com")
    result = clients_upsert_from_list(items=[item], observed_at=t0)
    client = _client(item)
    assert result.created == 1
    assert (client.admin_approval, client.is_kyc_verified, client.is_active) == ("PENDING", False, False)
    assert client.email == "ada.testperson@example.com"
    assert client.cart_id == uuid.UUID(item["clientCart"][0]["id"])
    assert (client.shipping_country, client.shipping_country_code) == ("South Africa", "")
    assert client.phone == "+27820000001" and client.phone_country_code == ""
    assert not client.is_stub
    assert not ShippingAddress.objects.exists()  # {country, currency} is not an address


def test_detail_maps_addresses_business_and_drops_medical_record(t0, later):
    listed = p.client_list_item(adminApproval="VERIFIED", verifiedAt="2026-01-12T08:00:00.000Z")
    clients_upsert_from_list(items=[listed], observed_at=t0)
    detail = p.client_detail(id=listed["id"])
    client_upsert_from_detail(payload=detail, observed_at=later(1))
    client = _client(listed)
    # verifiedAt is only in the list: the detail keeps it.
    assert client.verified_at.isoformat() == "2026-01-12T08:00:00+00:00"
    assert (client.is_kyc_verified, client.is_active) == (True, True)
    address = client.shipping_addresses.get()
    assert (address.postal_code, address.country_code, address.city) == ("8001", "ZAF", "Testville")
    assert address.drgreen_id == uuid.UUID(detail["shippings"][0]["id"])
    assert client.primary_shipping_country_code == "ZAF" == client.shipping_country_code
    assert (client.business_name, client.business_type) == ("Example Wellness Ltd", "clinic")
    assert client.business_address["postalCode"] == "8002"
    assert "medicalRecord" not in client.raw["clients.detail"]
    assert set(client.raw) == {"clients.list", "clients.detail"}


def test_detail_shippings_are_complete(t0, later):
    detail = p.client_detail()
    client_upsert_from_detail(payload=detail, observed_at=t0)
    moved = p.shipping_row(city="Newtown", countryCode="GBR", country="United Kingdom")
    client_upsert_from_detail(payload=dict(detail, shippings=[moved]), observed_at=later(1))
    client = _client(detail)
    assert [a.city for a in client.shipping_addresses.all()] == ["Newtown"]
    assert client.shipping_country_code == "GBR"


def test_our_registration_row_is_adopted_by_the_first_detail(t0):
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    ShippingAddress.objects.create(client=client, city="Testville", position=0)
    detail = p.client_detail(id=str(client.drgreen_id))
    client_upsert_from_detail(payload=detail, observed_at=t0)
    assert ShippingAddress.objects.get().drgreen_id == uuid.UUID(detail["shippings"][0]["id"])


def test_stub_is_completed_by_the_client_endpoint(t0, later):
    order = p.order_list_item()
    orders_upsert_from_list(items=[order], observed_at=later(5))
    assert _client(order["client"]).is_stub
    # Even a list read from *before* the order sighting completes the stub.
    item = p.client_list_item(id=order["client"]["id"], firstName="Ben", lastName="Examplename")
    result = clients_upsert_from_list(items=[item], observed_at=later(1))
    client = _client(item)
    assert result.updated == 1 and not client.is_stub
    assert client.admin_approval == "PENDING" and client.email == item["email"]


def test_kyc_poll_schedule(t0, later, rng):
    pending = p.client_list_item()
    settled = p.client_list_item(adminApproval="VERIFIED", isKYCVerified=True, isActive=True)
    rejected = p.client_list_item(adminApproval="REJECTED", rejectionNote="Documents unreadable")
    clients_upsert_from_list(items=[pending, settled, rejected], observed_at=t0, rng=rng)
    due = _client(pending).next_kyc_poll_at
    assert t0 + timedelta(minutes=4.5) <= due <= t0 + timedelta(minutes=5.5)
    assert _client(settled).next_kyc_poll_at is None
    assert _client(rejected).next_kyc_poll_at is None
    assert _client(rejected).rejection_note == "Documents unreadable"


def test_missing_and_null_flags_keep_known_values(t0, later):
    item = p.client_list_item(adminApproval="VERIFIED", isKYCVerified=True, isActive=True)
    clients_upsert_from_list(items=[item], observed_at=t0)
    clients_upsert_from_list(
        items=[dict(item, adminApproval=None, isKYCVerified=None, isActive="maybe")], observed_at=later(1)
    )
    client = _client(item)
    assert (client.admin_approval, client.is_kyc_verified, client.is_active) == ("VERIFIED", True, True)


def test_create_response_shapes(t0):
    backend = {"client": p.client_detail(drop=("shippings",)), "message": "KYC link has been sent"}
    docs = {"id": p.new_id()}
    integrator = {"clientId": p.new_id(), "kycLink": "https://kyc.example.com/x"}
    for payload in (backend, docs, integrator):
        assert client_upsert_from_create(payload=payload, observed_at=t0).created == 1
    assert Client.objects.count() == 3
    assert (
        not Client.objects.get(drgreen_id=backend["client"]["id"]).raw["clients.create"].get("medicalRecord")
    )


def test_approval_change_is_applied_and_settles_kyc_polling(t0, later):
    item = p.client_list_item(isKYCVerified=True)
    clients_upsert_from_list(items=[item], observed_at=t0)
    assert _client(item).next_kyc_poll_at is not None
    approved = dict(item, adminApproval="VERIFIED", isActive=True, verifiedAt="2026-03-01T12:03:00.000Z")
    result = clients_upsert_from_list(items=[approved], observed_at=later(5))
    client = _client(item)
    assert result.updated == 1
    assert (client.admin_approval, client.is_active, client.can_order) == ("VERIFIED", True, True)
    assert client.next_kyc_poll_at is None
