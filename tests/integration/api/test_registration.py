"""Registration through the API against the sandbox: created and linked (201), kept and
queued when the KYC provider is down (202), per-field errors, profile with the three flags."""

from __future__ import annotations

import copy
import zlib

import pytest

from integration.models import ClientRegistration, RegistrationState

from .conftest import Api, error_of, make_user

pytestmark = pytest.mark.django_db(transaction=True)

FORM = {
    "firstName": "Testa",
    "lastName": "Quillfeather",
    "email": "testa@example.test",
    "phoneCode": "+44",
    "contactNumber": "7700900123",
    "shipping": {
        "address1": "1 Synthetic Lane",
        "address2": "",
        "city": "Testville",
        "state": "Testshire",
        "country": "United Kingdom",
        "countryCode": "GB",
        "postalCode": "TE1 1ST",
    },
    "medicalRecord": {
        "dob": "1990-04-01",
        "gender": "female",
        **{f"medicalHistory{i}": False for i in (0, 1, 2, 3, 4, 8, 9, 10, 12)},
        "medicalHistory5": ["none"],
        "medicalHistory13": "never",
        "medicalHistory14": ["never"],
    },
}


def form(email: str) -> dict:
    data = copy.deepcopy(FORM)
    # Email and phone are unique across every holder of the one sandbox, as at Dr Green.
    data["email"] = email
    data["contactNumber"] = str(7_000_000_000 + zlib.crc32(email.encode()) % 999_999_999)
    return data


def test_register_then_profile(shop, storefront_token):
    user = make_user()
    api = Api(token=storefront_token, customer_id=user.pk)
    assert api.get("/api/v1/me").json()["client"] is None

    r = api.post("/api/v1/me/registration", form(f"reg-{user.pk}-{shop.api_key[-8:]}@example.test"))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "created" and body["client"]["adminApproval"] == "PENDING"
    assert body["readableStatus"] == "Pending review by Dr Green"

    me = api.get("/api/v1/me").json()
    client = me["client"]
    assert (client["adminApproval"], client["canOrder"]) == ("PENDING", False)
    assert {"isKYCVerified", "isActive", "readableStatus"} <= set(client)
    assert client["shippingAddress"]["countryCode"] == "GBR"
    assert me["registration"]["correlationId"] == body["correlationId"]

    again = api.post("/api/v1/me/registration", form("another@example.test"))
    assert again.status_code == 409 and error_of(again)["code"] == "already_registered"


def test_kyc_provider_down_keeps_the_registration_and_answers_202(shop, storefront_token):
    shop.sandbox.add_fault(kind="kyc_unavailable")
    user = make_user()
    r = Api(token=storefront_token, customer_id=user.pk).post(
        "/api/v1/me/registration", form(f"kyc-{user.pk}-{shop.api_key[-8:]}@example.test")
    )
    assert r.status_code == 202, r.content
    assert r.json()["state"] == "pending" and r.json()["client"] is None
    assert ClientRegistration.objects.get(user=user).state == RegistrationState.PENDING


def test_mistakes_are_reported_per_field(shop, storefront_token):
    api = Api(token=storefront_token, customer_id=make_user().pk)
    r = api.post("/api/v1/me/registration", {**form("x@example.test"), "shipping": {"city": "Nowhere"}})
    assert r.status_code == 400
    assert set(error_of(r)["details"]["shipping"]) == {
        "address1",
        "address2",
        "state",
        "country",
        "countryCode",
        "postalCode",
    }
    bad_dob = form("y@example.test")
    bad_dob["medicalRecord"]["dob"] = "01/04/1990"
    r = api.post("/api/v1/me/registration", bad_dob)
    assert r.status_code == 400
    error = error_of(r)
    assert error["code"] == "invalid_registration" and "medicalRecord.dob" in error["details"]["fields"]
    assert ClientRegistration.objects.count() == 0
