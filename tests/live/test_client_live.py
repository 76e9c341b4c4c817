"""The client's contract against a real deployment (read-only twins of tests/integration/drgreen).

Every assertion here is one the sandbox is built on (``sandbox/FIDELITY.md``), so a failure
means the sandbox, and the tests that trust it, have drifted from production.
"""

from __future__ import annotations

import uuid

import pytest

from integration.drgreen import DrGreenClient, NotFound, ValidationError

from .conftest import first_or_skip

pytestmark = pytest.mark.live

STATUS_KEYS = {"orderStatus", "adminApproval", "paymentStatus"}


def test_health_needs_no_signature(live_client: DrGreenClient):
    assert live_client.health()["data"] == "Success"


def test_a_guarded_summary_accepts_our_signature(live_client: DrGreenClient):
    """``GET /dapp/orders/summary`` signed ``{}``: the guard's cheapest check (facts §10.1)."""
    summary = live_client.order_summary()["summary"]
    assert {"PENDING", "VERIFIED", "REJECTED", "totalCount"} <= set(summary)
    clients = live_client.client_summary()["summary"]
    assert {"PENDING", "VERIFIED", "REJECTED", "totalCount"} <= set(clients)


def test_list_pages_carry_the_fields_the_store_reads(live_client: DrGreenClient):
    page = live_client.list_orders(take=5, order_by="desc")
    assert page.meta.take == 5 and page.meta.page == 1
    for order in page.items:
        assert STATUS_KEYS <= set(order) and "id" in order and "totalAmount" in order
    clients = live_client.list_clients(take=5, order_by="desc")
    for client in clients.items:
        assert {"id", "adminApproval", "isKYCVerified", "isActive", "clientCart", "shippings"} <= set(client)
    recent = live_client.list_recent_orders(take=3)
    assert len(recent.items) <= 3
    for order in recent.items:
        assert {"id", "orderStatus", "paymentStatus", "createdAt"} <= set(order)


def test_detail_gets_verify_by_template_and_by_concrete_path(live_client: DrGreenClient, live):
    """Detail GETs sign the route params (facts §2.3); a concrete path signs the same."""
    order = first_or_skip(live_client.list_orders(take=1, order_by="desc").items, "orders")
    detail = live_client.get_order(order["id"])
    assert detail["id"] == order["id"] and {"orderStatus", "paymentStatus"} <= set(detail)
    strict = DrGreenClient(live.url, live.api_key, live.secret_key, accept_empty_detail_signature=False)
    try:
        raw = strict.request("GET", f"/dapp/orders/{order['id']}")
        assert raw["data"]["orderDetails"]["id"] == order["id"]
        client_id = (order.get("client") or {}).get("id")
        if client_id:
            assert strict.get_client(client_id)["id"] == client_id
            page = strict.list_client_orders(client_id, take=5, order_by="desc")
            assert all("id" in o for o in page.items)
    finally:
        strict.close()


def test_missing_ids_are_not_found(live_client: DrGreenClient):
    with pytest.raises(NotFound):
        live_client.get_order(str(uuid.uuid4()))  # 200 with orderDetails: null
    with pytest.raises(NotFound):
        live_client.get_client(str(uuid.uuid4()))  # 500 "Client not found"


def test_strain_list_and_detail_by_country(live_client: DrGreenClient):
    strains = live_client.list_strains(country_code="GBR", take=5)
    for strain in strains.items:
        assert {"id", "name", "retailPrice", "strainLocations"} <= set(strain)
    strain = first_or_skip(live_client.list_strains(take=1).items, "strains")
    for code in ("GBR", "ZAF", "PRT"):
        detail = live_client.get_strain(strain["id"], country_code=code)
        codes = {(loc.get("location") or {}).get("countryCode") for loc in detail.get("strainLocations", [])}
        assert codes <= {code}, f"detail for {code} lists other countries: {codes}"
        if not codes:
            assert (detail["isActive"], detail["isAvailable"], detail["stockQuantity"]) == (False, False, 0)


def test_sales_search_matches_names_never_the_email(live_client: DrGreenClient):
    sale = first_or_skip(live_client.list_sales(take=20, order_by="desc").items, "sales")
    client = sale["client"]
    name = client.get("lastName") or client.get("firstName")
    if not name:
        pytest.skip("the newest sale's client has no name")
    by_name = live_client.list_sales(search=name, take=50, order_by="desc")
    assert any(s["client"]["id"] == client["id"] for s in by_name.items) or by_name.meta.has_next
    if client.get("email"):
        by_email = live_client.list_sales(search=client["email"], take=50)
        assert all(s["client"]["id"] != client["id"] for s in by_email.items)


def test_query_validation_messages(live_client: DrGreenClient):
    with pytest.raises(ValidationError) as err:
        live_client.list_orders(start_date="not-a-date", end_date="2026-01-31")
    assert "startdate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY" in err.value.message
    with pytest.raises(ValidationError) as err:
        live_client.request("GET", "/dapp/sales", params={"search": "x"})
    assert "searchBy must be one of the following values: clientName" in err.value.message


def test_a_search_with_tilde_star_and_accents_verifies(live_client: DrGreenClient):
    """The query is signed as ``URLSearchParams`` re-encodes it (``~`` → ``%7E``, ``*`` kept)."""
    page = live_client.list_clients(search="zz~q* é", take=1)
    assert page.items == [] or all("id" in c for c in page.items)


def test_writes_never_leave_the_process(live_client: DrGreenClient):
    """The suite's own safety net: a write is refused before it is sent."""
    from .conftest import WriteRefused

    with pytest.raises(WriteRefused):
        live_client.create_order(str(uuid.uuid4()))
