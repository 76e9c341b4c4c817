"""Behaviours pinned to the backend source (``sandbox/FIDELITY.md`` lists each with its source).

Each test states what ``AutomatosAI/budstack-backend-main`` does and checks the sandbox does
the same: sales search, rejection, strain detail per country, the unguarded sales writes and
query validation.
"""

from __future__ import annotations

import json
import uuid

import requests

from sandbox.testing import SandboxProcess
from tests.sandbox.conftest import World

START_MSG = "startdate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY"
END_MSG = "endDate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY"


def _sales(world: World, search: str) -> list[str]:
    r = world.api.get("/dapp/sales", [("search", search), ("searchBy", "clientName")])
    assert r.status == 200, r.body
    return [s["client"]["id"] for s in r.data["sales"]]


def test_sales_search_matches_first_or_last_name_never_the_email(world: World) -> None:
    """``SaleService.getAllSales``: ``client.OR [firstName contains, lastName contains]``,
    case-insensitive, the whole term (no two-word split as for clients and orders)."""
    ada = world.client(firstName="Adaline", lastName="Quorn", email="zed.unique@example.com")
    bea = world.client(firstName="Beatrix", lastName="Adalwin", email="ada.other@example.com")
    assert _sales(world, ada["email"]) == []
    assert _sales(world, "zed.unique") == []
    assert _sales(world, "adal") == [ada["id"], bea["id"]]  # first name of one, last of the other
    assert _sales(world, "QUORN") == [ada["id"]]
    assert _sales(world, "Adaline Quorn") == []  # one term, matched against each name
    # The client and order lists do match the email, and split two words into first + last.
    r = world.api.get("/dapp/clients", [("search", ada["email"]), ("searchBy", "clientName")])
    assert [c["id"] for c in r.data["clients"]] == [ada["id"]]
    r = world.api.get("/dapp/clients", [("search", "Adaline Quorn"), ("searchBy", "clientName")])
    assert [c["id"] for c in r.data["clients"]] == [ada["id"]]


def test_a_sales_search_needs_search_by_but_an_order_search_does_not(world: World) -> None:
    """``getAllSaleDto.searchBy`` has ``@ValidateIf(o => o.search)`` and no ``@IsOptional``;
    ``GetAllOrderDto`` and ``GetAllClientDto`` add ``@IsOptional`` (the search is ignored)."""
    client = world.client()
    world.order(client, [(world.strain_ids[0], 1)])
    r = world.api.get("/dapp/sales", [("search", "x")])
    assert (r.status, r.body["message"]) == (
        400,
        "searchBy must be one of the following values: clientName, searchBy must be a string",
    )
    r = world.api.get("/dapp/sales", [("search", "x"), ("searchBy", "email")])
    assert (r.status, r.body["message"]) == (400, "searchBy must be one of the following values: clientName")
    assert world.api.get("/dapp/sales", [("searchBy", "clientName")]).status == 200
    r = world.api.get("/dapp/orders", [("search", "nobody-at-all")])
    assert r.status == 200 and r.data["pageMetaDto"]["itemCount"] == 1


def test_an_invalid_start_date_is_a_400_with_the_backends_message(world: World) -> None:
    """``GetAllOrderDto``/``GetAllClientDto``: ``@IsOptional @Type(() => Date) @IsDate({message})``;
    an Invalid Date is not null/undefined, so ``@IsOptional`` does not skip it."""
    for path in ("/dapp/orders", "/dapp/clients"):
        r = world.api.get(path, [("startDate", "not-a-date"), ("endDate", "2026-01-31")])
        assert (r.status, r.body["message"]) == (400, START_MSG), path
        r = world.api.get(path, [("startDate", "2026-13-01")])
        assert (r.status, r.body["message"]) == (400, START_MSG), path
        r = world.api.get(path, [("startDate", ""), ("endDate", "31/31/2026")])
        assert (r.status, r.body["message"]) == (400, f"{START_MSG}, {END_MSG}"), path
        assert world.api.get(path, [("startDate", "2026-01-01"), ("endDate", "2026-01-31")]).status == 200
        # V8 rolls 30 February over to 2 March instead of refusing it.
        assert world.api.get(path, [("startDate", "2026-02-30"), ("endDate", "2/30/2026")]).status == 200


def test_a_rejected_client_stays_active_and_orders_meet_the_approval_gate(
    world: World, sb: SandboxProcess
) -> None:
    """``rejectClients``/``updateClientStatus`` set approval, note and time, never ``isActive``:
    ``createOrder`` then passes the active check and stops at 409 ``Approval is REJECTED``."""
    client = world.client()  # approved (which activates) and KYC-passed
    world.add_to_cart(client, [(world.strain_ids[0], 1)])
    view = sb.reject_client(client["id"], "Documents unreadable")
    assert (view["adminApproval"], view["isActive"]) == ("REJECTED", True)
    r = world.api.post("/dapp/orders", {"clientId": client["id"]})
    assert (r.status, r.body["message"]) == (409, "Approval is REJECTED by admin")
    listed = world.api.get("/dapp/clients", [("adminApproval", "REJECTED")]).data["clients"]
    assert [(c["id"], c["isActive"], c["rejectionNote"]) for c in listed] == [
        (client["id"], True, "Documents unreadable")
    ]
    never_approved = world.client(verify=False)
    assert sb.reject_client(never_approved["id"])["isActive"] is False  # created inactive


def test_strain_detail_by_country_narrows_its_locations(world: World, sb: SandboxProcess) -> None:
    """``getStrainById``: ``strainLocations where location.countryCode``; the top-level flags
    and stock are the first (only) match's, else false/false/0. The bare ``@Query`` string is
    not validated."""
    sid = world.strain_ids[0]
    sb.set_stock(sid, countryCode="DEU", stockQuantity=7, isActive=True, isAvailable=False)
    path = f"/dapp/strains/{sid}"
    every = world.api.detail(path, strainId=sid).data
    assert sorted(loc["location"]["countryCode"] for loc in every["strainLocations"]) == ["DEU", "GBR"]
    assert "effects" not in every and every["strainId"] is None

    deu = world.api.get(path, [("countryCode", "DEU")]).data
    assert [loc["location"]["countryCode"] for loc in deu["strainLocations"]] == ["DEU"]
    assert (deu["isActive"], deu["isAvailable"], deu["stockQuantity"]) == (True, False, 7)

    for code in ("PRT", "GB", "xyz"):
        none = world.api.get(path, [("countryCode", code)])
        assert none.status == 200, none.body
        d = none.data
        assert d["strainLocations"] == []
        assert (d["isActive"], d["isAvailable"], d["stockQuantity"]) == (False, False, 0)


def test_sales_writes_have_no_guard_and_validate_their_dto(world: World, sb: SandboxProcess) -> None:
    """``SaleController``: ``POST``/``PATCH dapp/sales`` carry no ``@UseGuards``;
    ``createSaleDto`` requires ``nftId``/``clientId``/``orderId`` UUIDs; ``PATCH`` takes the id
    from the query (``SaleIdDto``), unknown id → 500 ``sale not found``."""
    client = world.client()
    order = world.order(client, [(world.strain_ids[0], 1)])
    url = sb.api_url + "/dapp/sales"
    anonymous = requests.Session()
    anonymous.trust_env = False

    r = anonymous.post(url, json={"clientId": client["id"], "stage": "LEADS"}, timeout=10)
    assert r.status_code == 400
    assert r.json()["message"] == (
        "nftId must be a UUID, nftId must be a string, nftId should not be empty, "
        "orderId must be a UUID, orderId must be a string, orderId should not be empty"
    )
    body = {"nftId": world.keys["nftId"], "clientId": client["id"], "orderId": order["id"]}
    r = anonymous.post(url, json=body, timeout=10)  # the order already has its sale: orderId @unique
    assert (r.status_code, r.json()["message"]) == (500, "failed while creating sale")
    r = anonymous.post(url, json={**body, "orderId": str(uuid.uuid4())}, timeout=10)
    assert (r.status_code, r.json()["message"]) == (500, "key not found")  # Prisma P2003

    sale = world.api.get("/dapp/sales").data["sales"][0]
    r = anonymous.patch(url, json={"id": sale["id"], "stage": "CLOSED"}, timeout=10)
    assert (r.status_code, r.json()["message"]) == (
        400,
        "id must be a UUID, id must be a string, id should not be empty",
    )
    r = anonymous.patch(url, params={"id": sale["id"]}, json={"stage": "WON"}, timeout=10)
    assert (r.status_code, r.json()["message"]) == (
        400,
        "stage must be one of the following values: LEADS, ONGOING, CLOSED",
    )
    r = anonymous.patch(url, params={"id": str(uuid.uuid4())}, json={"stage": "CLOSED"}, timeout=10)
    assert (r.status_code, r.json()["message"]) == (500, "sale not found")
    r = anonymous.patch(url, params={"id": sale["id"]}, json={"stage": "CLOSED"}, timeout=10)
    assert r.status_code == 200
    assert list(r.json()["data"]) == [
        "id", "stage", "description", "createdAt", "updatedAt", "nftId", "clientId", "orderId"
    ]  # fmt: skip
    assert (r.json()["data"]["stage"], r.json()["data"]["orderId"]) == ("CLOSED", order["id"])


def test_order_summary_counts_by_admin_approval(world: World, sb: SandboxProcess) -> None:
    """``OrderService`` summary: counts per ``adminApproval`` (all three keys) + ``totalCount``."""
    client = world.client()
    first = world.order(client, [(world.strain_ids[0], 1)])
    world.order(client, [(world.strain_ids[0], 1)])
    sb.approve_order(first["id"])
    assert world.api.get("/dapp/orders/summary").data == {
        "summary": {"PENDING": 1, "VERIFIED": 1, "REJECTED": 0, "totalCount": 2}
    }


def test_cart_add_rewrites_the_cart_request_strains_first(world: World, sb: SandboxProcess) -> None:
    """``CartsRepository.addToCart``: request items + cart rows merged by strain (quantities
    added), then ``deleteMany`` + ``createMany``: every row new and stamped now, request first."""
    client = world.client()
    s1, s2 = world.strain_ids[:2]
    assert world.add_to_cart(client, [(s1, 2)]).body["message"] == "1 items added to the cart"
    sb.advance_clock(3600)
    try:
        r = world.add_to_cart(client, [(s2, 1), (s1, 3)])
    finally:
        sb.advance_clock(-3600)
    assert (r.status, r.body["message"]) == (201, "2 items added to the cart")
    items = sb.cart(client["id"])["items"]
    assert [(i["strainId"], i["quantity"]) for i in items] == [(s2, 1), (s1, 5)]
    assert len({i["createdAt"] for i in items}) == 1  # the old row was rewritten too
    order = world.api.post("/dapp/orders", {"clientId": client["id"]}).data
    lines = sb.orders(client["id"])[0]["lines"]
    assert [(ln["strainId"], ln["quantity"]) for ln in lines] == [(s2, 1), (s1, 5)]
    assert order["totalAmount"] > 0


def test_strain_list_planet_names_match_whole_names(world: World) -> None:
    """``getAllStrains``: ``planets.some.planetDetail.name in planetNames`` (insensitive), not
    a fragment match like ``feelings``/``helpsWith``."""
    sid = world.strain_ids[0]
    planet = world.api.detail(f"/dapp/strains/{sid}", strainId=sid).data["planets"][0]["planetDetail"]["name"]

    def listed(names: list[str]) -> set[str]:
        r = world.api.get("/dapp/strains", [("planetNames", json.dumps(names)), ("take", "50")])
        assert r.status == 200, r.body
        return {s["id"] for s in r.data["strains"]}

    assert sid in listed([planet.upper()])
    assert sid not in listed([planet[:-1]])
