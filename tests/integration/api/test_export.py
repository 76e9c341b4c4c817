"""``GET /api/v1/me/export``: everything held about the caller, and nothing of anyone else."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from integration.models import (
    ApiToken,
    ClientRegistration,
    Notification,
    OrderPlacement,
    PlacementState,
    RegistrationState,
    StatusChange,
    TokenKind,
)

from .conftest import Api, error_of, make_client, make_order, make_sale, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/export"


@pytest.fixture
def owner_world(api_settings):
    owner, other = make_user(), make_user()
    mine, theirs = make_client(owner), make_client(other)
    order = make_order(mine, history=1)
    make_order(theirs, history=1)
    Notification.objects.create(
        status_change=StatusChange.objects.get(order=order), recipient=mine.email, template="order_approved"
    )
    OrderPlacement.objects.create(
        client=mine, idempotency_key="k1", request_hash="0" * 64, state=PlacementState.PLACED,
        order=order, order_drgreen_id=order.drgreen_id,
    )  # fmt: skip
    make_sale(mine, stage="ONGOING", order=order)
    ClientRegistration.objects.create(
        user=owner, email=mine.email, payload={"firstName": mine.first_name}, state=RegistrationState.CREATED
    )
    ClientRegistration.objects.create(
        user=owner, email="", payload={}, state=RegistrationState.EXPIRED, payload_purged_at=timezone.now()
    )
    return {"owner": owner, "other": other, "mine": mine, "theirs": theirs, "order": order}


def test_the_document_holds_everything_about_the_customer(owner_world, storefront_token):
    w = owner_world
    r = Api(token=storefront_token, customer_id=w["owner"].pk).get(URL)
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    doc = r.json()
    assert doc["account"]["id"] == w["owner"].pk and doc["account"]["email"] == w["owner"].email
    (client,) = doc["clients"]
    assert client["id"] == str(w["mine"].drgreen_id) and client["email"] == w["mine"].email
    assert client["shippingAddresses"][0]["postalCode"] == "TE1 1ST"
    (order,) = doc["orders"]
    assert order["id"] == str(w["order"].drgreen_id) and order["invoiceNumber"] == w["order"].invoice_number
    assert len(order["lines"]) == 2 and order["statusHistory"][0]["sequence"] == 1
    assert [p["state"] for p in doc["placements"]] == ["placed"]
    assert doc["sales"][0]["stage"] == "ONGOING"
    assert [n["template"] for n in doc["notifications"]] == ["order_approved"]
    regs = {r["state"]: r for r in doc["registrations"]}
    assert regs["created"]["payload"] == {"firstName": w["mine"].first_name}
    assert regs["expired"]["payload"] is None and regs["expired"]["payloadPurgedAt"]


def test_another_customers_data_is_never_in_it(owner_world, storefront_token):
    w = owner_world
    text = Api(token=storefront_token, customer_id=w["owner"].pk).get(URL).content.decode()
    for secret in (str(w["theirs"].drgreen_id), w["theirs"].email, w["other"].email):
        assert secret not in text
    assert json.loads(text)["account"]["id"] != w["other"].pk


def test_every_customer_auth_route_and_never_a_bare_storefront_token(owner_world, storefront_token, client):
    owner = owner_world["owner"]
    customer_token = ApiToken.issue(name="app", kind=TokenKind.CUSTOMER, user=owner)[1]
    assert Api(token=customer_token).get(URL).json()["account"]["id"] == owner.pk
    assert Api(user=owner).get(URL).json()["account"]["id"] == owner.pk
    bare = Api(token=storefront_token).get(URL)
    assert bare.status_code == 403 and error_of(bare)["code"] == "customer_required"
    assert error_of(Api().get(URL))["code"] == "not_authenticated"


def test_it_is_throttled(owner_world, storefront_token, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "export": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api = Api(token=storefront_token, customer_id=owner_world["owner"].pk)
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 429]


def test_it_is_in_the_schema(client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    op = schema["paths"]["/api/v1/me/export"]["get"]
    assert op["operationId"] == "me_export" and "200" in op["responses"] and "429" in op["responses"]
