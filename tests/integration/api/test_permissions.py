"""Every endpoint of the schema, walked as its owner, as another customer and anonymously.

The table must name every operation the OpenAPI schema publishes, so a new endpoint cannot
ship without deciding who may call it. Another customer must never see the owner's
objects: their ids, the owner's client id and email never appear in any response.
"""

from __future__ import annotations

import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

from integration.models import OrderPlacement, PlacementState

from .conftest import Api, error_of, make_client, make_order, make_sale, make_strain, make_user

pytestmark = pytest.mark.django_db

# (method, path) → (owner's status, another customer's status, anonymous status).
# Customer endpoints answer 404 to another customer for the owner's objects (never 403:
# existence is not disclosed); staff endpoints are 403 for customers.
WALK = {
    ("get", "/api/v1/health"): (200, 200, 200),
    ("get", "/api/v1/strains"): (200, 200, 401),
    ("get", "/api/v1/me"): (200, 200, 401),
    ("post", "/api/v1/me/registration"): (409, 409, 401),
    ("post", "/api/v1/me/registration/confirm"): (400, 400, 401),
    ("get", "/api/v1/me/export"): (200, 200, 401),
    ("post", "/api/v1/checkout"): (400, 400, 401),
    ("get", "/api/v1/placements/{correlation_id}"): (200, 404, 401),
    ("get", "/api/v1/orders"): (200, 200, 401),
    ("get", "/api/v1/orders/{order_id}"): (200, 404, 401),
    ("get", "/api/v1/orders/{order_id}/status"): (200, 404, 401),
    ("get", "/api/v1/staff/sales"): (403, 403, 401),
    ("get", "/api/v1/staff/sales/summary"): (403, 403, 401),
    ("get", "/api/v1/staff/revenue/strains"): (403, 403, 401),
    ("get", "/api/v1/staff/orders/counts"): (403, 403, 401),
    ("get", "/api/v1/staff/orders/{order_id}"): (403, 403, 401),
}


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(method, path) for path, ops in schema["paths"].items() for method in ops}


def test_the_walk_covers_every_published_operation():
    assert schema_operations() == set(WALK)


@pytest.fixture
def world(storefront_token, staff_token):
    owner, other = make_user(), make_user()
    owner_client = make_client(owner)
    make_client(other)
    strain = make_strain("Owner Kush")
    order = make_order(owner_client, strain=strain, history=1)
    placement = OrderPlacement.objects.create(
        client=owner_client,
        idempotency_key="owner-key",
        request_hash="0" * 64,
        lines=[{"strain_id": str(strain.drgreen_id), "quantity": "1"}],
        state=PlacementState.PLACED,
        order=order,
        order_drgreen_id=order.drgreen_id,
    )
    make_sale(owner_client, stage="CLOSED", order=order)
    secrets = [
        str(order.drgreen_id),
        str(placement.correlation_id),
        str(owner_client.drgreen_id),
        owner_client.email,
        order.invoice_number,
        "owner-key",
    ]
    return {
        "owner": Api(token=storefront_token, customer_id=owner.pk),
        "other": Api(token=storefront_token, customer_id=other.pk),
        "anon": Api(),
        "staff": Api(token=staff_token),
        "params": {"order_id": str(order.drgreen_id), "correlation_id": str(placement.correlation_id)},
        "secrets": secrets,
    }


def _call(api: Api, method: str, path: str, params: dict):
    url = path.format(**params)
    query = {"country": "GBR"} if path.endswith("/strains") else None
    body = {"lines": []} if path.endswith("/checkout") else {}
    extra = {"HTTP_IDEMPOTENCY_KEY": "owner-key"} if path.endswith("/checkout") else {}
    if method == "get":
        return api.get(url, query, **extra)
    return api.request(method, url, body, **extra)


@pytest.mark.parametrize(("method", "path"), sorted(WALK))
def test_walk(world, method, path):
    owner_status, other_status, anon_status = WALK[(method, path)]
    params = world["params"]

    r = _call(world["owner"], method, path, params)
    assert r.status_code == owner_status, r.content

    r = _call(world["other"], method, path, params)
    assert r.status_code == other_status, r.content
    text = r.content.decode()
    for secret in world["secrets"]:
        assert secret not in text, (secret, text)

    r = _call(world["anon"], method, path, params)
    assert r.status_code == anon_status, r.content
    if anon_status == 401:
        assert error_of(r)["code"] == "not_authenticated"
    for secret in world["secrets"]:
        assert secret not in r.content.decode()


@pytest.mark.parametrize(("method", "path"), sorted(k for k in WALK if "/staff/" in k[1]))
def test_staff_endpoints_serve_staff(world, method, path):
    assert _call(world["staff"], method, path, world["params"]).status_code == 200


def test_unknown_ids_look_like_someone_elses(world):
    # A random id and another customer's id are indistinguishable (same status and body).
    other = world["other"]
    mine_missing = other.get(f"/api/v1/orders/{uuid.uuid4()}")
    theirs = other.get(f"/api/v1/orders/{world['params']['order_id']}")
    assert mine_missing.status_code == theirs.status_code == 404
    assert mine_missing.json() == theirs.json()
