"""Client onboarding against the sandbox: payload rules, 409 inside and outside the holder,
the KYC provider being down, an unanswered create, readable statuses."""

from __future__ import annotations

import copy
import re
import uuid
import zlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from integration.drgreen import DrGreenClient
from integration.models import Client, ClientRegistration, RegistrationState
from integration.services.errors import ServiceError
from integration.services.onboarding import (
    client_readable_status,
    client_register,
    link_proof_confirm,
    registration_payload_build,
    registration_readable_status,
    registrations_retry_due,
)
from tests.integration.services.checkout import sandbox_fixtures as fx

# The checkout tests' holder (the shared drgreen_holder plus checkout settings).
holder = fx.holder

FORM = {
    "firstName": "Testa",
    "lastName": "Quillfeather",
    "email": "Testa.Quillfeather@Example.com",
    "phoneCode": "44",
    "phoneCountryCode": "gb",
    "contactNumber": "7700 900 123",
    "shipping": {
        "address1": "1 Synthetic Lane",
        "address2": "",
        "city": "Testville",
        "state": "Testshire",
        "country": "United Kingdom",
        "countryCode": "GB",
        "postCode": "TE1 1ST",
    },
    "medicalRecord": {
        "dob": "1990-04-01",
        "gender": "female",
        **{f"medicalHistory{i}": False for i in (0, 1, 2, 3, 4, 8, 9, 10, 12)},
        "medicalHistory5": ["none"],
        "medicalHistory13": "never",
        "medicalHistory14": ["never"],
    },
    "favouriteColour": "teal",
}


def form(email=None, **changes):
    data = copy.deepcopy(FORM)
    if email:
        # Email and phone are unique across every holder of the one sandbox, as at Dr Green.
        data["email"] = email
        data["contactNumber"] = str(7_000_000_000 + zlib.crc32(email.lower().encode()) % 999_999_999)
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return data


class TestPayload:
    def test_the_body_is_what_dr_green_requires(self):
        body = registration_payload_build(data=form())
        assert body["email"] == "testa.quillfeather@example.com"
        assert body["phoneCode"] == "+44" and body["contactNumber"] == "7700900123"
        assert body["phoneCountryCode"] == "GB"
        assert body["shipping"]["countryCode"] == "GBR"
        assert body["shipping"]["postalCode"] == "TE1 1ST" and "postCode" not in body["shipping"]
        assert body["shipping"]["address2"] == ""
        assert body["medicalRecord"]["medicalHistory5"] == ["none"]
        assert "favouriteColour" not in body

    @pytest.mark.parametrize(
        ("changes", "path"),
        [
            ({"medicalRecord": None}, "medicalRecord"),
            ({"shipping__postCode": None}, "shipping.postalCode"),
            ({"shipping__countryCode": "Britain"}, "shipping.countryCode"),
            ({"email": "not-an-email"}, "email"),
            ({"medicalRecord__dob": "01/04/1990"}, "medicalRecord.dob"),
            ({"medicalRecord__medicalHistory3": None}, "medicalRecord.medicalHistory3"),
            ({"medicalRecord__medicalHistory14": ["never", "vaporizing"]}, "medicalRecord.medicalHistory14"),
            ({"medicalRecord__medicalHistory7": ["anxiety"]}, "medicalRecord.medicalHistory7Relation"),
            ({"contactNumber": "12"}, "contactNumber"),
            # Digits are ASCII: other scripts' digits are not read as a phone number.
            ({"contactNumber": "٧٧٠٠٩٠٠١٢٣"}, "contactNumber"),
            ({"contactNumber": "７７００９００１２３"}, "contactNumber"),
            ({"phoneCode": "+٤٤"}, "phoneCode"),
            ({"medicalRecord__dob": "１９９０-04-01"}, "medicalRecord.dob"),
        ],
    )
    def test_mistakes_are_reported_per_field(self, changes, path):
        with pytest.raises(ServiceError) as err:
            registration_payload_build(data=form(**changes))
        assert err.value.code == "invalid_registration" and err.value.status == 400
        assert path in err.value.details["fields"]

    @pytest.mark.parametrize(("given", "sent"), [("ZA", "ZAF"), ("zaf", "ZAF"), ("UK", "GBR"), ("PT", "PRT")])
    def test_country_codes_become_alpha3(self, given, sent):
        body = registration_payload_build(data=form(shipping__countryCode=given))
        assert body["shipping"]["countryCode"] == sent


pytestmark_db = pytest.mark.django_db(transaction=True)


@pytest.fixture
def email():
    """Emails are unique across *all* holders of the one sandbox, as at Dr Green."""
    return f"testa.quillfeather.{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def user(email):
    return get_user_model().objects.create_user("testa", email, "pw-not-used")


def _remote_emails(holder):
    return [c["email"] for c in holder.sandbox.clients()]


@pytestmark_db
def test_a_registration_creates_mirrors_and_links_the_client(holder, user, email):
    registration = client_register(user=user, data=form(email.upper()))
    assert registration.state == RegistrationState.CREATED
    client = registration.client
    assert client.user_id == user.pk and client.email == email
    assert client.admin_approval == "PENDING" and client.cart_id is not None
    assert client.shipping_country_code == "GBR"
    assert "medicalRecord" not in registration.payload  # Dr Green keeps it, we do not
    assert _remote_emails(holder).count(email) == 1
    assert client_readable_status(client=client) == "Pending review by Dr Green"


@pytestmark_db
def test_a_409_for_our_own_client_links_it_and_never_hands_it_to_someone_else(holder, user, email):
    first = client_register(user=user, data=form(email.upper()))
    again = client_register(user=user, data=form(email.upper()))
    assert again.pk != first.pk and again.state == RegistrationState.LINKED
    assert again.client_id == first.client_id
    other = get_user_model().objects.create_user("someone", "someone@example.com", "pw-not-used")
    # Someone else gets the answer an unheld client gets ("check your email"), and no code:
    # nothing tells them this email is a customer's here.
    taken = client_register(user=other, data=form(email.upper()))
    assert taken.state == RegistrationState.PROOF_REQUIRED and taken.client is None
    assert mail.outbox == []
    with pytest.raises(ServiceError) as err:
        link_proof_confirm(user=other, code="000000")
    assert err.value.code == "link_code_invalid"
    assert Client.objects.get(pk=first.client_id).user_id == user.pk


@pytestmark_db
def test_a_409_for_another_stores_client_is_a_clear_error(holder, user, email):
    other_keys = holder.sandbox.new_keys()
    with DrGreenClient(holder.sandbox.api_url, other_keys["apiKey"], other_keys["secretKey"]) as other_store:
        other_store.create_client(registration_payload_build(data=form(email.upper())))
    with pytest.raises(ServiceError) as err:
        client_register(user=user, data=form(email.upper()))
    assert err.value.code == "client_exists_elsewhere" and err.value.status == 409
    registration = ClientRegistration.objects.get()
    assert registration.state == RegistrationState.FOREIGN and registration.client is None
    assert not Client.objects.exists()


@pytestmark_db
def test_kyc_provider_down_keeps_the_registration_and_retries_later(holder, user, email):
    holder.sandbox.add_fault(method="POST", path=fx.CLIENTS_PATH, kind="kyc_unavailable", count=1)
    registration = client_register(user=user, data=form(email.upper()))
    assert registration.state == RegistrationState.PENDING
    assert registration.last_error_code == "kyc_unavailable"
    assert registration.payload["medicalRecord"]["dob"] == "1990-04-01"  # nothing typed is lost
    assert registration.next_attempt_at > timezone.now()
    assert email not in _remote_emails(holder)
    assert registration_readable_status(registration=registration).startswith("Registration received")
    assert registrations_retry_due() == {}  # not due yet
    assert registrations_retry_due(now=timezone.now() + timedelta(hours=1)) == {RegistrationState.CREATED: 1}
    registration.refresh_from_db()
    assert registration.client.user_id == user.pk


@pytestmark_db
def test_an_unanswered_create_is_looked_up_before_sending_again(holder, user, email):
    holder.sandbox.add_fault(method="POST", path=fx.CLIENTS_PATH, kind="drop_after_commit", count=1)
    registration = client_register(user=user, data=form(email.upper()))
    assert registration.state == RegistrationState.UNKNOWN
    # Found by its email, the client cannot be told apart from someone else's: the code
    # mailed to that address (here the customer's own) links it.
    due = registrations_retry_due(now=timezone.now() + timedelta(hours=1))
    assert due == {RegistrationState.PROOF_REQUIRED: 1}
    assert _remote_emails(holder).count(email) == 1
    registration.refresh_from_db()
    assert registration.client is None and not Client.objects.filter(user=user).exists()
    (message,) = mail.outbox
    assert message.to == [email]
    code = re.search(r"code: (\d{6})", message.body).group(1)
    linked = link_proof_confirm(user=user, code=code)
    assert linked.pk == registration.pk and linked.state == RegistrationState.LINKED
    assert linked.client.user_id == user.pk


@pytestmark_db
def test_dr_green_refusing_the_details_is_reported(holder, user, email):
    with pytest.raises(ServiceError) as err:
        client_register(user=user, data=form(email, medicalRecord__medicalConditions=["made_up_condition"]))
    assert err.value.code == "registration_invalid" and "medicalConditions" in err.value.message
    # Our plain message naming our own field, not Dr Green's text.
    assert err.value.message.startswith("Dr Green could not accept these details.")
    assert ClientRegistration.objects.get().state == RegistrationState.INVALID


@pytest.mark.parametrize(
    ("approval", "kyc", "active", "text"),
    [
        ("PENDING", False, False, "Pending review by Dr Green"),
        ("", None, None, "Pending review by Dr Green"),
        ("REJECTED", True, False, "Application rejected"),
        ("VERIFIED", False, True, "KYC verification required"),
        ("VERIFIED", True, False, "Account disabled"),
        ("VERIFIED", True, True, "Verified — can place orders"),
    ],
)
def test_readable_status(approval, kyc, active, text):
    client = Client(admin_approval=approval, is_kyc_verified=kyc, is_active=active)
    assert client_readable_status(client=client) == text


@pytestmark_db
@pytest.mark.parametrize("bad", ["\x00", "\ud800", "a\udfffb"])
def test_nul_and_lone_surrogates_are_refused_before_anything_is_kept_or_sent(holder, user, email, bad):
    with pytest.raises(ServiceError) as err:
        client_register(user=user, data=form(email, medicalRecord__medicalConditions=[bad]))
    assert err.value.code == "invalid_registration" and err.value.status == 400
    assert not ClientRegistration.objects.exists()
    assert email not in _remote_emails(holder)
