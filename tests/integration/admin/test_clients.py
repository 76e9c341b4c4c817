"""The client page: shipping, orders, sales, KYC and approval with its readable text;
registrations shown in summary, never the medical record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integration.admin.clients import registration_summary
from integration.admin.display import client_standing
from integration.models import Client, ClientRegistration

from .conftest import make_client, make_order


@pytest.mark.parametrize(
    "approval,kyc,active,text",
    [
        ("VERIFIED", True, True, "Verified — can place orders"),
        ("VERIFIED", False, True, "KYC verification required"),
        # Dr Green creates clients inactive until approved: still "pending", not "disabled"
        ("PENDING", False, False, "Pending review by Dr Green"),
        ("REJECTED", True, True, "Application rejected"),
        ("VERIFIED", True, False, "Account disabled"),
        (
            "",
            None,
            None,
            "Pending review by Dr Green — approval, KYC, active flag not fetched from Dr Green yet",
        ),
        ("VERIFIED", None, True, "KYC verification required — KYC not fetched from Dr Green yet"),
        ("ON_HOLD", True, True, "Pending review by Dr Green (Dr Green says adminApproval=ON_HOLD)"),
    ],
)
def test_readable_status(approval, kyc, active, text):
    assert client_standing(Client(admin_approval=approval, is_kyc_verified=kyc, is_active=active)) == text


def test_client_page_shows_standing_addresses_orders_and_sales(staff_client):
    client = make_client(admin_approval="PENDING", is_kyc_verified=False)
    order = make_order(client)
    html = staff_client.get(reverse("admin:integration_client_change", args=[client.pk])).content.decode()
    assert "Pending review by Dr Green" in html
    assert 'title="PENDING"' in html
    assert "Example Road" in html and "NW1 0AA" in html  # shipping address inline
    assert reverse("admin:integration_order_change", args=[order.pk]) in html  # orders inline
    assert "ONGOING" in html  # sales inline
    assert "Checkout placements" in html or "checkout placements" in html
    assert f"/clients/{client.drgreen_id}" in html  # Dr Green console link


def test_client_list_counts_orders(staff_client):
    client = make_client()
    make_order(client)
    make_order(client)
    response = staff_client.get(reverse("admin:integration_client_changelist"), {"q": client.email})
    (row,) = response.context["cl"].result_list
    assert row.order_count == 2


MEDICAL = {
    "dob": "1990-01-01",
    "gender": "female",
    "medicalHistory5": ["ptsd"],
    "medicalConditions": ["insomnia"],
}


def test_registration_summary_never_includes_medical_data():
    payload = {
        "firstName": "Ava",
        "lastName": "Nguyen",
        "email": "ava@example.test",
        "phoneCode": "+44",
        "contactNumber": "7700900123",
        "shipping": {"address1": "12 Example Street", "city": "London", "countryCode": "GBR"},
        "medicalRecord": MEDICAL,
    }
    summary = registration_summary(payload)
    text = repr(summary)
    assert summary["medical record"] == "given (not shown here)"
    assert summary["shipping"] == "London, GBR"
    for secret in ("1990-01-01", "ptsd", "insomnia", "female", "12 Example Street"):
        assert secret not in text


def test_registration_page_shows_summary_only(staff_client):
    reg = ClientRegistration.objects.create(
        email="ava@example.test",
        payload={
            "firstName": "Ava",
            "lastName": "Nguyen",
            "email": "ava@example.test",
            "medicalRecord": MEDICAL,
        },
        state="unknown",
    )
    for url in (
        reverse("admin:integration_clientregistration_change", args=[reg.pk]),
        reverse("admin:integration_clientregistration_changelist"),
    ):
        html = staff_client.get(url).content.decode()
        for secret in ("1990-01-01", "ptsd", "insomnia", "medicalHistory5"):
            assert secret not in html, (url, secret)
    html = staff_client.get(
        reverse("admin:integration_clientregistration_change", args=[reg.pk])
    ).content.decode()
    assert "given (not shown here)" in html and "Ava Nguyen" in html
