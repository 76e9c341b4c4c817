"""Point 1 of privacy by design: medical answers only until Dr Green has them, sealed at
rest while waiting, purged after the retention period; no personal keys in raw payloads
or the call ledger."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from integration.crypto import DataKeyError, is_sealed
from integration.models import ApiCall, Client, ClientRegistration, RegistrationState
from integration.services.onboarding import client_register, registrations_retry_due
from integration.services.privacy.retention import privacy_prune, registrations_purge_expired
from tests.integration.services.checkout import sandbox_fixtures as fx
from tests.integration.services.test_onboarding import form

holder = fx.holder
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def email():
    return f"privacy.{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def user(email):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(f"u{uuid.uuid4().hex[:8]}", email, "pw-not-used")


def marked_form(email, marker):
    return form(email, medicalRecord__prescriptionsSupplements=marker)


def stored_payload(pk) -> str:
    """The column as the database holds it (no ORM conversion)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM integration_clientregistration WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_waiting_registration_is_sealed_at_rest_and_opens_for_the_retry(holder, user, email):
    marker = f"MARKER{uuid.uuid4().hex}"
    holder.sandbox.add_fault(method="POST", path=fx.CLIENTS_PATH, kind="kyc_unavailable", count=1)
    registration = client_register(user=user, data=marked_form(email, marker))
    assert registration.state == RegistrationState.PENDING
    stored = stored_payload(registration.pk)
    assert is_sealed(stored) and marker not in stored and email not in stored
    registration.refresh_from_db()
    assert registration.payload["medicalRecord"]["prescriptionsSupplements"] == marker
    assert registrations_retry_due(now=timezone.now() + timedelta(hours=1)) == {RegistrationState.CREATED: 1}
    registration.refresh_from_db()
    assert "medicalRecord" not in registration.payload  # Dr Green has it now
    assert is_sealed(stored_payload(registration.pk))


def test_the_mirror_keeps_no_personal_keys_in_raw_payloads(holder, user, email):
    registration = client_register(user=user, data=form(email))
    client = Client.objects.get(pk=registration.client_id)
    assert client.email == email  # the column holds what the store needs
    for payload in client.raw.values():
        for key in ("medicalRecord", "email", "firstName", "lastName", "contactNumber"):
            assert key not in payload
        for shipping in payload.get("shippings") or []:
            assert "address1" not in shipping and "postalCode" not in shipping


def test_a_refused_registration_drops_the_medical_record(holder, user, email):
    with pytest.raises(Exception):  # noqa: B017 - registration_invalid, asserted in test_onboarding
        client_register(user=user, data=form(email, medicalRecord__medicalConditions=["made_up_condition"]))
    registration = ClientRegistration.objects.get(email=email)
    assert registration.state == RegistrationState.INVALID
    assert "medicalRecord" not in registration.payload and registration.payload["email"] == email


def test_the_ledger_keeps_no_search_terms(holder, user, email):
    # An unanswered create makes the retry look the email up (GET /dapp/clients?search=...).
    holder.sandbox.add_fault(method="POST", path=fx.CLIENTS_PATH, kind="drop_after_commit", count=1)
    client_register(user=user, data=form(email))
    registrations_retry_due(now=timezone.now() + timedelta(hours=1))
    searches = ApiCall.objects.filter(path__contains="search=")
    assert searches.exists()
    assert not ApiCall.objects.filter(path__icontains=email).exists()
    assert all("search=[redacted]" in c.path for c in searches)


def test_registrations_never_sent_are_purged_after_the_retention_period(holder, user, email, settings):
    settings.DRGREEN_PRIVACY = {"REGISTRATION_RETENTION_DAYS": 30}
    holder.sandbox.add_fault(method="POST", path=fx.CLIENTS_PATH, kind="kyc_unavailable", count=1)
    waiting = client_register(user=user, data=form(email))
    assert registrations_purge_expired(now=timezone.now() + timedelta(days=29))["registrations_expired"] == 0
    counts = privacy_prune(now=timezone.now() + timedelta(days=31))
    assert counts["registrations_expired"] == 1
    waiting.refresh_from_db()
    assert waiting.state == RegistrationState.EXPIRED and waiting.payload == {} and waiting.email == ""
    assert waiting.payload_purged_at is not None
    # Never sent again, whatever the sweep finds.
    assert registrations_retry_due(now=timezone.now() + timedelta(days=40)) == {}


def test_a_sent_registration_drops_its_copy_after_the_retention_period(holder, user, email):
    done = client_register(user=user, data=form(email))
    assert done.payload["email"] == email
    counts = registrations_purge_expired(now=timezone.now() + timedelta(days=31), days=30)
    assert counts == {"registrations_expired": 0, "registrations_dropped": 1}
    done.refresh_from_db()
    assert done.payload == {} and done.state == RegistrationState.CREATED


def test_rotation_re_encrypts_with_the_newest_key(holder, user, email, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.DRGREEN_DATA_KEYS = old
    holder.sandbox.add_fault(method="POST", path=fx.CLIENTS_PATH, kind="kyc_unavailable", count=1)
    registration = client_register(user=user, data=form(email))
    sealed_old = stored_payload(registration.pk)
    assert Fernet(old.encode()).decrypt(sealed_old.encode())
    settings.DRGREEN_DATA_KEYS = f"{new},{old}"
    call_command("drgreen_rotate_data_keys")
    settings.DRGREEN_DATA_KEYS = new  # the old key is gone: the rows still open
    registration.refresh_from_db()
    assert registration.payload["email"] == email
    settings.DRGREEN_DATA_KEYS = old
    with pytest.raises(DataKeyError):
        registration.refresh_from_db()
