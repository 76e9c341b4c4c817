"""Checkout through the API against the sandbox: one placement per Idempotency-Key, 201
then 200 on replay, 409 on a reused key with another body, codes for refusals, and the
placed order readable straight away."""

from __future__ import annotations

import uuid

import pytest

from integration.models import OrderPlacement

from .conftest import Api, error_of, make_client, make_user
from .sandbox_world import customer_for, verified_client_ids

pytestmark = pytest.mark.django_db(transaction=True)


def lines(holder, *quantities):
    return {
        "lines": [
            {"strainId": sid, "quantity": q} for sid, q in zip(holder.strain_ids, quantities, strict=False)
        ]
    }


def test_checkout_places_once_and_replays(shop, storefront_token):
    cid = verified_client_ids(shop)[0]
    api = Api(token=storefront_token, customer_id=customer_for(cid).pk)

    first = api.post("/api/v1/checkout", lines(shop, 2, "1.5"), HTTP_IDEMPOTENCY_KEY="cart-1")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["state"] == "placed" and body["idempotencyKey"] == "cart-1"
    assert body["order"]["id"] == shop.orders(cid)[0]["id"]
    assert body["order"]["displayStatus"]["code"] == "in_review"
    assert {(line["strainId"], line["quantity"]) for line in body["lines"]} == {
        (shop.strain_ids[0], "2"),
        (shop.strain_ids[1], "1.5"),
    }

    # Same key, same body (other spelling, other order of lines): the same placement, 200.
    again = api.post(
        "/api/v1/checkout",
        {
            "lines": [
                {"strainId": shop.strain_ids[1], "quantity": 1.5},
                {"strainId": shop.strain_ids[0], "quantity": "2.000"},
            ]
        },
        HTTP_IDEMPOTENCY_KEY="cart-1",
    )
    assert again.status_code == 200
    assert again.json()["correlationId"] == body["correlationId"]
    assert len(shop.orders(cid)) == 1

    # Same key, other body: 409, pointing at the first placement.
    other = api.post("/api/v1/checkout", lines(shop, 3), HTTP_IDEMPOTENCY_KEY="cart-1")
    assert other.status_code == 409
    error = error_of(other)
    assert error["code"] == "idempotency_key_reused"
    assert error["details"]["correlation_id"] == body["correlationId"]

    placement = api.get(f"/api/v1/placements/{body['correlationId']}").json()
    assert placement["state"] == "placed" and placement["order"]["id"] == body["order"]["id"]
    listed = api.get("/api/v1/orders").json()["results"]
    assert [o["correlationId"] for o in listed] == [body["correlationId"]]
    assert len(shop.orders(cid)) == 1


def test_the_key_is_per_customer(shop, storefront_token):
    a, b = (customer_for(cid) for cid in verified_client_ids(shop)[:2])
    ra = Api(token=storefront_token, customer_id=a.pk).post(
        "/api/v1/checkout", lines(shop, 1), HTTP_IDEMPOTENCY_KEY="same"
    )
    rb = Api(token=storefront_token, customer_id=b.pk).post(
        "/api/v1/checkout", lines(shop, 1), HTTP_IDEMPOTENCY_KEY="same"
    )
    assert ra.status_code == rb.status_code == 201
    assert ra.json()["correlationId"] != rb.json()["correlationId"]
    # b cannot read a's placement.
    r = Api(token=storefront_token, customer_id=b.pk).get(f"/api/v1/placements/{ra.json()['correlationId']}")
    assert r.status_code == 404


def test_refusals_have_stable_codes_and_leave_nothing_behind(shop, storefront_token):
    api = Api(token=storefront_token, customer_id=customer_for(verified_client_ids(shop)[0]).pk)
    unknown = api.post(
        "/api/v1/checkout",
        {"lines": [{"strainId": str(uuid.uuid4()), "quantity": 1}]},
        HTTP_IDEMPOTENCY_KEY="k-unknown",
    )
    assert unknown.status_code == 409 and error_of(unknown)["code"] == "strain_unavailable"
    too_much = api.post("/api/v1/checkout", lines(shop, 99999), HTTP_IDEMPOTENCY_KEY="k-stock")
    assert too_much.status_code == 409 and error_of(too_much)["code"] == "insufficient_stock"
    precise = api.post("/api/v1/checkout", lines(shop, "1.0005"), HTTP_IDEMPOTENCY_KEY="k-dec")
    assert precise.status_code == 400 and "quantity" in error_of(precise)["details"]["lines"]["0"]
    assert OrderPlacement.objects.count() == 0


def test_unverified_and_unregistered_customers(shop, storefront_token):
    pending = [cid for i, cid in enumerate(shop.client_ids) if i % 10 >= 7][0]
    r = Api(token=storefront_token, customer_id=customer_for(pending).pk).post(
        "/api/v1/checkout", lines(shop, 1), HTTP_IDEMPOTENCY_KEY="k"
    )
    assert r.status_code == 409
    assert error_of(r)["code"] in ("client_not_verified", "kyc_pending", "client_inactive")
    nobody = make_user()
    r = Api(token=storefront_token, customer_id=nobody.pk).post(
        "/api/v1/checkout", lines(shop, 1), HTTP_IDEMPOTENCY_KEY="k"
    )
    assert r.status_code == 409 and error_of(r)["code"] == "client_not_registered"


def test_checkout_is_throttled_tightly(shop, storefront_token, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "checkout": "2/min"},
    }
    user = make_user()
    make_client(user)
    api = Api(token=storefront_token, customer_id=user.pk)
    codes = [
        api.post("/api/v1/checkout", {"lines": []}, HTTP_IDEMPOTENCY_KEY=f"k{i}").status_code
        for i in range(3)
    ]
    assert codes == [400, 400, 429]


def test_a_stale_read_never_calls_dr_green_and_its_queued_refresh_brings_the_news(
    shop, storefront_token, memory_broker, settings
):
    from datetime import timedelta

    from integration.models import Order
    from integration.tasks.polling import order_refresh

    cid = verified_client_ids(shop)[0]
    api = Api(token=storefront_token, customer_id=customer_for(cid).pk)
    placed = api.post("/api/v1/checkout", lines(shop, 1), HTTP_IDEMPOTENCY_KEY="fresh").json()
    order_id = placed["order"]["id"]
    shop.sandbox.approve_order(order_id)  # Dr Green's admin approves; the mirror does not know yet
    Order.objects.filter(drgreen_id=order_id).update(
        last_synced_at=Order.objects.get(drgreen_id=order_id).last_synced_at - timedelta(seconds=60)
    )

    calls_before = shop.request_count()
    stale = api.get(f"/api/v1/orders/{order_id}/status").json()
    assert shop.request_count() == calls_before  # served from the mirror, no Dr Green call
    assert (stale["adminApproval"], stale["freshness"]["stale"], stale["freshness"]["refresh"]) == (
        "PENDING",
        True,
        "queued",
    )

    # What a worker does with the queued message.
    [(name, kwargs)] = memory_broker()
    assert name == order_refresh.name
    order_refresh.apply(kwargs=kwargs, throw=True)

    fresh = api.get(f"/api/v1/orders/{order_id}/status").json()
    assert fresh["adminApproval"] == "VERIFIED"
    assert fresh["displayStatus"]["code"] == "awaiting_payment"
    assert (fresh["freshness"]["stale"], fresh["freshness"]["refresh"]) == (False, "not_needed")
