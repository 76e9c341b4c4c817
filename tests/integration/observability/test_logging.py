"""The production log handler writes JSON, carries the correlation id, and never lets a
secret or a person's data through, whichever way the code under it tries to log them."""

from __future__ import annotations

import base64
import logging

import pytest

from integration.drgreen import generate_key_pair, load_secret_key, sign
from integration.models import ApiToken, Client
from integration.services.drgreen_api import correlation_scope, drgreen_client

from . import people

logger = logging.getLogger("integration.tests.observability")


def test_each_line_is_one_json_object_with_the_correlation_id(captured_log):
    with correlation_scope("req-0123456789"):
        logger.info("inside a unit of work", extra={"drgreen_route": "/dapp/orders", "duration_ms": 12.5})
    logger.warning("outside any unit of work")

    inside, outside = captured_log.records[-2:]
    assert inside["message"] == "inside a unit of work"
    assert inside["correlation_id"] == "req-0123456789"
    assert inside["drgreen_route"] == "/dapp/orders"
    assert inside["duration_ms"] == 12.5
    assert inside["level"] == "INFO" and inside["logger"] == "integration.tests.observability"
    assert outside["correlation_id"] is None and outside["level"] == "WARNING"


@pytest.mark.django_db
def test_secrets_never_reach_the_log_output(captured_log, settings):
    api_key, secret_key = generate_key_pair()
    settings.DRGREEN = {**settings.DRGREEN, "API_KEY": api_key, "SECRET_KEY": secret_key}
    _, clear_token = ApiToken.issue(name="storefront", kind="storefront")
    signature = sign(load_secret_key(secret_key), '{"clientId":"4d7c3c52-0000-4000-8000-000000000001"}')
    pem = base64.b64decode(secret_key).decode()
    pem_body_line = pem.splitlines()[1]

    logger.info("configured with %s / %s", api_key, secret_key)
    logger.info(f"token in an f-string: {clear_token}")
    logger.info(
        "outgoing",
        extra={"headers": {"Authorization": f"Bearer {clear_token}", "x-auth-signature": signature}},
    )
    logger.info("raw header line: x-auth-signature: %s x-auth-apikey: %s", signature, api_key)
    logger.info("Authorization: Token %s", clear_token)
    logger.info("decoded key:\n%s", pem)
    logger.info("settings dump", extra={"drgreen": {"SECRET_KEY": secret_key, "api_key": api_key}})
    try:
        raise RuntimeError(f"signing failed for key {secret_key} with {signature}")
    except RuntimeError:
        logger.exception("with a traceback")

    out = captured_log.text
    for leaked in (secret_key, api_key, clear_token, clear_token[4:], signature, pem_body_line):
        assert leaked not in out
    assert "BEGIN EC PRIVATE KEY" not in out and "BEGIN PRIVATE KEY" not in out
    assert out.count("[redacted]") >= 10
    assert len(captured_log.records) == 8  # every line still arrived, and parses


@pytest.mark.django_db
def test_personal_data_never_reaches_the_log_output(captured_log):
    client = Client.objects.create(
        drgreen_id="0b9f8e2a-1111-4222-8333-444455556666",
        first_name=people.FIRST,
        last_name=people.LAST,
        email=people.EMAIL,
        phone_code=people.PHONE_CODE,
        contact_number=people.CONTACT,
    )
    payload = {
        "id": str(client.drgreen_id),
        "firstName": people.FIRST,
        "lastName": people.LAST,
        "email": people.EMAIL,
        "contactNumber": people.CONTACT,
        "shippings": [{"address1": "12 Lanternfield Row", "postalCode": "EX1 1AA", "countryCode": "GBR"}],
    }

    logger.info("synced client %s", client)  # a model's __str__ is the person's name
    logger.info("mirror row", extra={"client": payload})
    medical = {"medicalRecord": {"dob": "1990-04-01", "prescriptionsSupplements": "Quietleaf tincture"}}
    logger.info("registration body", extra={"body": medical, "medicalHistory5": ["ptsd"]})
    logger.info("welcome mail to %s, SMS to %s", people.EMAIL, people.PHONE_INTL)
    logger.info("dialled %s%s", people.PHONE_CODE, people.CONTACT)
    logger.info("GET /api/v1/dapp/clients?search=%s+%s&searchBy=clientName", people.FIRST, people.LAST)
    try:
        raise ValueError(f"Dr Green said: email {people.EMAIL} already exists")
    except ValueError:
        logger.exception("registration failed")

    out = captured_log.text
    for leaked in (
        people.FIRST,
        people.LAST,
        people.EMAIL,
        people.CONTACT,
        people.PHONE_INTL,
        "Lanternfield",
        "Quietleaf",
        "1990-04-01",
        "ptsd",
    ):
        assert leaked not in out
    # Identity survives as the primary key and the Dr Green id, which is what an operator needs.
    assert f"<integration.Client pk={client.pk}>" in out
    assert str(client.drgreen_id) in out


@pytest.mark.django_db
def test_a_real_signed_dr_green_conversation_logs_no_secret_or_person(captured_log, sandbox_keys):
    """The client's own call hook, urllib3's debug request lines and the ledger logger all
    see real traffic here: a signed create with a person in the body and a name search."""
    client = drgreen_client()
    with correlation_scope("corr-conversation-1"):
        created = client.create_client(people.create_client_body())
        client.list_clients(search=f"{people.FIRST} {people.LAST}")
        client.get_client(created["id"] if "id" in created else created["client"]["id"])

    out = captured_log.text
    assert "drgreen call POST /dapp/clients -> 201" in out
    calls = [r for r in captured_log.records if r["logger"] == "integration.drgreen.calls"]
    assert len(calls) >= 3 and {c["correlation_id"] for c in calls} == {"corr-conversation-1"}
    for leaked in (
        sandbox_keys["secretKey"],
        sandbox_keys["apiKey"],
        people.FIRST,
        people.LAST,
        "marchbanks",
        "Lanternfield",
        "Quietleaf",
        "1990-04-01",
        "ptsd",
    ):
        assert leaked not in out


def test_the_text_format_is_tagged_and_redacted_too():
    from integration.logging import CorrelationIdFilter, RedactingFilter, TextFormatter

    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "mail %s token %s", (people.EMAIL, "dgs_abcdefghijkl"), None
    )
    with correlation_scope("corr-text-1"):
        for f in (CorrelationIdFilter(), RedactingFilter()):
            f.filter(record)
    line = TextFormatter().format(record)
    assert "[corr-text-1]" in line
    assert people.EMAIL not in line and "abcdefghijkl" not in line
