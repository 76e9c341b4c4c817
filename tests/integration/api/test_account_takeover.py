"""Account takeover by email, tried as an attacker: registering with the email of an
existing Dr Green client of this store gets nothing of it until the code mailed to that
address comes back (single use, 30 minutes, 5 attempts, throttled)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core import mail
from django.utils import timezone

from integration.models import Client, ClientLinkProof, ClientRegistration, RegistrationState
from integration.services.onboarding.email_proof import MAX_ATTEMPTS, MAX_PROOFS_PER_CLIENT_PER_HOUR

from .conftest import Api, error_of, make_user
from .test_registration import form

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def victim(shop_own_seed):
    """A verified patient of this store at Dr Green that no local user holds yet."""
    client_id = shop_own_seed.client_ids[0]
    shop_own_seed.sandbox.approve_client(client_id)
    shop_own_seed.sandbox.kyc_pass(client_id)
    (remote,) = [c for c in shop_own_seed.sandbox.clients() if c["id"] == client_id]
    return remote


def _attack_form(victim: dict) -> dict:
    data = form(f"attacker-{uuid.uuid4().hex[:10]}@example.test")
    data["email"] = victim["email"].upper()  # case does not matter to Dr Green
    return data


def _code_from_mailbox(to: str) -> str:
    sent = [m for m in mail.outbox if m.to == [to]]
    assert sent, [m.to for m in mail.outbox]
    return re.search(r"code: (\d{6})", sent[-1].body).group(1)


def _shows_nothing_of(body: str, victim: dict) -> None:
    for secret in (victim["firstName"], victim["lastName"], victim["id"], "VERIFIED"):
        assert secret not in body, secret
    shipping = victim.get("shippings") or victim.get("shipping") or []
    for address in shipping if isinstance(shipping, list) else [shipping]:
        if address.get("address1"):
            assert address["address1"] not in body


def test_registering_with_a_patients_email_shows_nothing_and_sends_a_code_to_that_email(
    shop_own_seed, storefront_token, victim
):
    attacker = make_user()
    api = Api(token=storefront_token, customer_id=attacker.pk)
    r = api.post("/api/v1/me/registration", _attack_form(victim))
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["state"] == "proof_required" and body["client"] is None
    assert body["error"]["code"] == "email_proof_required"
    assert "check your email" in body["error"]["message"].lower()
    _shows_nothing_of(r.content.decode(), victim)

    # The code went to the address on the Dr Green record, nowhere else.
    assert [m.to for m in mail.outbox] == [[victim["email"]]]
    me = api.get("/api/v1/me")
    assert me.json()["client"] is None
    _shows_nothing_of(me.content.decode(), victim)
    assert api.get("/api/v1/orders").json()["results"] == []
    checkout = api.client.post(
        "/api/v1/checkout",
        {"items": [{"strainId": str(uuid.uuid4()), "quantity": 1}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert checkout.status_code in (400, 403, 409) and checkout.status_code != 201, checkout.content
    assert not Client.objects.filter(user=attacker).exists()
    assert "medicalRecord" not in ClientRegistration.objects.get(user=attacker).payload


def test_guessing_the_code_is_limited_and_the_right_code_links_once(shop_own_seed, storefront_token, victim):
    owner = make_user()
    api = Api(token=storefront_token, customer_id=owner.pk)
    assert api.post("/api/v1/me/registration", _attack_form(victim)).status_code == 202
    code = _code_from_mailbox(victim["email"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for bad in ("１２３４５６", "١٢٣٤٥٦", "12345", "1234567", "12345\n", 123456, None, "12\x003456"):
        r = api.post("/api/v1/me/registration/confirm", {"code": bad})
        expected = "invalid_text" if "\x00" in str(bad) else "validation_error"
        assert r.status_code == 400 and error_of(r)["code"] == expected, (bad, r.content)
    r = api.post("/api/v1/me/registration/confirm", {"code": wrong})
    assert r.status_code == 400 and error_of(r)["code"] == "link_code_invalid"
    assert Client.objects.filter(user=owner).count() == 0

    r = api.post("/api/v1/me/registration/confirm", {"code": code})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "linked" and r.json()["client"]["id"] == victim["id"]
    assert api.get("/api/v1/me").json()["client"]["id"] == victim["id"]
    # Single use.
    again = api.post("/api/v1/me/registration/confirm", {"code": code})
    assert again.status_code == 400 and error_of(again)["code"] == "link_code_invalid"


def test_a_code_dies_after_five_wrong_guesses(shop_own_seed, storefront_token, victim, api_settings):
    api_settings.REST_FRAMEWORK = {
        **api_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **api_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "registration_confirm": "100/min",
        },
    }
    attacker = make_user()
    api = Api(token=storefront_token, customer_id=attacker.pk)
    api.post("/api/v1/me/registration", _attack_form(victim))
    code = _code_from_mailbox(victim["email"])
    guesses = [f"{(int(code) + i) % 1_000_000:06d}" for i in range(1, MAX_ATTEMPTS + 1)]
    for guess in guesses:
        assert error_of(api.post("/api/v1/me/registration/confirm", {"code": guess}))["code"] == (
            "link_code_invalid"
        )
    r = api.post("/api/v1/me/registration/confirm", {"code": code})
    assert r.status_code == 400 and error_of(r)["code"] == "link_code_invalid"
    assert not Client.objects.filter(user=attacker).exists()


def test_guesses_are_throttled(shop_own_seed, storefront_token, victim, api_settings):
    rates = api_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    api_settings.REST_FRAMEWORK = {
        **api_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "registration_confirm": "10/hour"},  # the default
    }
    attacker = make_user()
    api = Api(token=storefront_token, customer_id=attacker.pk)
    codes = [api.post("/api/v1/me/registration/confirm", {"code": "000000"}).status_code for _ in range(12)]
    assert codes[:10] == [400] * 10 and codes[10:] == [429, 429]


def test_an_expired_code_is_refused(shop_own_seed, storefront_token, victim):
    owner = make_user()
    api = Api(token=storefront_token, customer_id=owner.pk)
    api.post("/api/v1/me/registration", _attack_form(victim))
    code = _code_from_mailbox(victim["email"])
    # The 30 minutes pass (moved in the database: no wall-clock waiting).
    ClientLinkProof.objects.update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    r = api.post("/api/v1/me/registration/confirm", {"code": code})
    assert r.status_code == 400 and error_of(r)["code"] == "link_code_invalid"


def test_another_callers_code_is_useless(shop_own_seed, storefront_token, victim):
    owner, attacker = make_user(), make_user()
    Api(token=storefront_token, customer_id=owner.pk).post("/api/v1/me/registration", _attack_form(victim))
    code = _code_from_mailbox(victim["email"])
    api = Api(token=storefront_token, customer_id=attacker.pk)
    api.post("/api/v1/me/registration", _attack_form(victim))
    # The attacker's own code went to the victim too; the owner's code does not fit it.
    r = api.post("/api/v1/me/registration/confirm", {"code": code})
    assert r.status_code == 400 and not Client.objects.filter(user=attacker).exists()


def test_a_client_whose_user_was_deleted_needs_the_same_proof(shop_own_seed, storefront_token, victim):
    first = make_user()
    api = Api(token=storefront_token, customer_id=first.pk)
    api.post("/api/v1/me/registration", _attack_form(victim))
    assert (
        api.post("/api/v1/me/registration/confirm", {"code": _code_from_mailbox(victim["email"])}).status_code
        == 200
    )
    first.delete()
    assert Client.objects.get(drgreen_id=victim["id"]).user_id is None
    mail.outbox.clear()

    attacker = make_user()
    api = Api(token=storefront_token, customer_id=attacker.pk)
    r = api.post("/api/v1/me/registration", _attack_form(victim))
    assert r.status_code == 202 and r.json()["state"] == "proof_required" and r.json()["client"] is None
    assert [m.to for m in mail.outbox] == [[victim["email"]]]
    assert api.get("/api/v1/me").json()["client"] is None


def test_the_victims_inbox_is_not_flooded(shop_own_seed, storefront_token, victim, api_settings):
    api_settings.REST_FRAMEWORK = {
        **api_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **api_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "registration": "0",
        },
    }
    answers = []
    for _ in range(MAX_PROOFS_PER_CLIENT_PER_HOUR + 2):
        api = Api(token=storefront_token, customer_id=make_user().pk)
        answers.append(api.post("/api/v1/me/registration", _attack_form(victim)).json()["state"])
    # Same answer every time (nothing tells the caller the cap holds), mail only up to it.
    assert set(answers) == {RegistrationState.PROOF_REQUIRED}
    assert len(mail.outbox) == MAX_PROOFS_PER_CLIENT_PER_HOUR


def test_an_email_held_by_another_customer_gets_the_same_answer_and_no_code(
    shop_own_seed, storefront_token, victim
):
    owner = make_user()
    api = Api(token=storefront_token, customer_id=owner.pk)
    unheld = api.post("/api/v1/me/registration", _attack_form(victim)).json()
    assert (
        api.post("/api/v1/me/registration/confirm", {"code": _code_from_mailbox(victim["email"])}).status_code
        == 200
    )
    mail.outbox.clear()

    attacker = Api(token=storefront_token, customer_id=make_user().pk)
    r = attacker.post("/api/v1/me/registration", _attack_form(victim))
    assert r.status_code == 202
    keys = ("state", "client", "error", "readableStatus", "kycLink")
    assert {k: r.json()[k] for k in keys} == {k: unheld[k] for k in keys}
    assert mail.outbox == []
    _shows_nothing_of(r.content.decode(), victim)
