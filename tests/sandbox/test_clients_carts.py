"""Client creation rules and the cart's merge-by-add and stock checks."""

from __future__ import annotations

import uuid

from sandbox.testing import SandboxProcess
from tests.sandbox.conftest import Api, World, person


def test_create_client_defaults_cart_and_leads_sale(world: World, sb: SandboxProcess) -> None:
    body = person()
    r = world.api.post("/dapp/clients", {**body, "isActive": True, "unknownField": 1})
    assert r.status == 201
    assert r.body["statusCode"] == 201
    assert r.body["message"] == f"KYC link has been sent to client at {body['email']}"
    assert r.data["message"] == r.body["message"]
    client = r.data["client"]
    assert client["adminApproval"] == "PENDING"
    assert client["isKYCVerified"] is False and client["isActive"] is False
    assert "unknownField" not in client and client["medicalRecord"]["medicalHistory13"] == "never"
    view = next(c for c in sb.clients() if c["id"] == client["id"])
    assert sb.cart(client["id"])["items"] == [] and view["cartId"]
    sales = world.api.get("/dapp/sales").data["sales"]
    assert [(s["stage"], s["client"]["id"], s["orderId"]) for s in sales] == [("LEADS", client["id"], None)]


def test_duplicate_email_and_phone_are_409_across_holders(world: World, sb: SandboxProcess) -> None:
    first = person()
    assert world.api.post("/dapp/clients", first).status == 201
    other_keys = sb.new_keys()
    other = Api(sb.api_url, other_keys["apiKey"], other_keys["secretKey"])
    r = other.post("/dapp/clients", person(email=first["email"]))
    assert (
        r.status == 409
        and r.body["message"] == "Client Email ID already exists"
        and r.body["error"] == "Conflict"
    )
    r = other.post("/dapp/clients", person(contactNumber=first["contactNumber"]))
    assert r.status == 409 and r.body["message"] == "Phone Number already exists"


def test_kyc_unavailable_fault_makes_create_403(world: World, sb: SandboxProcess) -> None:
    sb.add_fault(kind="kyc_unavailable", method="POST", path="/api/v1/dapp/clients", count=1)
    r = world.api.post("/dapp/clients", person())
    assert r.status == 403 and r.body["message"] == "API not available" and r.body["error"] == "Forbidden"
    assert world.api.post("/dapp/clients", person()).status == 201


def test_client_detail_and_patch(world: World) -> None:
    client = world.client()
    d = world.api.detail(f"/dapp/clients/{client['id']}", clientId=client["id"]).data
    assert d["isActive"] is True and d["adminApproval"] == "VERIFIED" and d["isKYCVerified"] is True
    assert d["shippings"][0]["postalCode"] == "EX1 1AA" and d["clientCart"] == [{"id": client["cartId"]}]
    assert "verifiedAt" not in d and "rejectionNote" not in d
    new_shipping = {
        "address1": "2 Other Road",
        "address2": "",
        "city": "Sampleford",
        "state": "S",
        "country": "Portugal",
        "countryCode": "PRT",
        "postalCode": "1000-001",
    }
    r = world.api.patch(
        f"/dapp/clients/{client['id']}", {"lastName": "Renamed", "shipping": new_shipping, "isActive": False}
    )
    assert r.status == 200 and r.data["lastName"] == "Renamed" and r.data["isActive"] is True
    d = world.api.detail(f"/dapp/clients/{client['id']}", clientId=client["id"]).data
    assert d["shippings"][0]["countryCode"] == "PRT"
    bad = world.api.patch(f"/dapp/clients/{client['id']}", {"shipping": {"address1": "x"}})
    assert bad.status == 400 and "shipping.countryCode must be a string" in bad.body["message"]


def test_summary_and_picker(world: World, sb: SandboxProcess) -> None:
    a = world.client()
    b = world.client(verify=False)
    sb.reject_client(b["id"])
    world.client(verify=False)
    assert world.api.get("/dapp/clients/summary").data == {
        "summary": {"PENDING": 1, "VERIFIED": 1, "REJECTED": 1, "totalCount": 3}
    }
    picker = world.api.get("/dapp/clients/list").data
    assert "pageMetaDto" not in picker and [c["id"] for c in picker["clients"]] == [a["id"]]
    rejected = world.api.get("/dapp/clients", [("adminApproval", "REJECTED")]).data["clients"]
    assert rejected[0]["rejectionNote"] == "Rejected in a test"


def test_cart_add_merges_by_adding_and_lists_clients(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    s1, s2 = world.strain_ids[:2]
    r = world.add_to_cart(client, [(s1, 2)])
    assert r.status == 201 and r.body["message"] == "1 items added to the cart" == r.data["message"]
    r = world.add_to_cart(client, [(s1, 3), (s2, 1)])
    assert r.body["message"] == "2 items added to the cart"
    items = {i["strainId"]: i["quantity"] for i in sb.cart(client["id"])["items"]}
    assert items == {s1: 5, s2: 1}
    listed = world.api.get("/dapp/carts").data
    assert [c["id"] for c in listed["clients"]] == [client["id"]]
    cart = listed["clients"][0]["clientCart"][0]
    assert cart["totalQuatity"] == 6 and "totalQuantity" not in cart
    assert listed["pageMetaDto"]["itemCount"] == 1


def test_cart_stock_and_region_checks(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    s1 = world.strain_ids[0]
    r = world.add_to_cart(client, [(s1, 51)])
    assert r.status == 400
    assert r.body["message"] == f"Strain {s1} is not available in sufficient quantity in your region (GBR)"
    sb.set_stock(s1, countryCode="GBR", isAvailable=False)
    r = world.add_to_cart(client, [(s1, 1)])
    assert r.body["message"] == f"Strain {s1} is not available in your region (GBR)"
    sb.set_stock(s1, countryCode="GBR", isAvailable=True)
    r = world.api.post(
        "/dapp/carts", {"items": [{"strainId": s1, "quantity": 1}], "clientCartId": str(uuid.uuid4())}
    )
    assert r.status == 400 and r.body["message"] == "Client shipping address not found."
    r = world.api.post(
        "/dapp/carts", {"clientId": client["id"], "cartItems": [{"strainId": s1, "quantity": 1}]}
    )
    assert r.status == 400
    assert r.body["message"] == (
        "items must contain at least 1 elements, clientCartId must be a UUID, clientCartId must be a string, "
        "clientCartId should not be empty"
    )
    r = world.add_to_cart(client, [(s1, 0.0001)])  # type: ignore[list-item]
    assert r.body["message"] == (
        "items.0.quantity must be a number conforming to the specified constraints, "
        "items.0.quantity must not be less than 0.001"
    )


def test_cart_delete_one_strain_then_everything(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    s1, s2 = world.strain_ids[:2]
    world.add_to_cart(client, [(s1, 1), (s2, 2)])
    path = f"/dapp/carts/{client['cartId']}"
    r = world.api.delete(path + f"?strainId={s1}")
    assert r.status == 200 and r.body["message"] == "strain is deleted successfully from cart"
    assert [i["strainId"] for i in sb.cart(client["id"])["items"]] == [s2]
    r = world.api.delete(path + f"?strainId={s1}")
    assert r.status == 502 and r.body["message"] == "Cart Item not found with the given strain id"
    r = world.api.delete(path)
    assert r.status == 200 and r.data == {"message": "cart has been deleted successfully"}
    assert sb.cart(client["id"])["items"] == []
    assert world.api.get("/dapp/carts").data["clients"] == []
