"""Order creation (checks in source order, effects in one transaction) and the order lifecycle."""

from __future__ import annotations

import re

import pytest

from sandbox.testing import SandboxError, SandboxProcess
from tests.sandbox.conftest import World


def test_order_create_checks_in_source_order(world: World, sb: SandboxProcess) -> None:
    import uuid

    r = world.api.post("/dapp/orders", {"clientId": str(uuid.uuid4())})
    assert (r.status, r.body["message"]) == (400, "Client is not found")
    client = world.client(verify=False)
    r = world.api.post("/dapp/orders", {"clientId": client["id"]})
    assert (r.status, r.body["message"]) == (400, "Client is not active")
    sb.approve_client(client["id"])  # approval activates; KYC still missing
    r = world.api.post("/dapp/orders", {"clientId": client["id"]})
    assert (r.status, r.body["message"]) == (409, "Client is not KYC verified")
    sb.kyc_pass(client["id"])
    r = world.api.post("/dapp/orders", {"clientId": client["id"]})
    assert (r.status, r.body["message"]) == (409, "Client does not have any item in the cart")
    s1 = world.strain_ids[0]
    world.add_to_cart(client, [(s1, 10)])
    sb.set_stock(s1, countryCode="GBR", stockQuantity=5)
    r = world.api.post("/dapp/orders", {"clientId": client["id"]})
    name = next(s["name"] for s in sb.control("GET", "strains")["strains"] if s["id"] == s1)
    assert (r.status, r.body["message"]) == (409, f"{name} does not enough quantity")
    sb.set_stock(s1, countryCode="GBR", isActive=False)
    assert (
        world.api.post("/dapp/orders", {"clientId": client["id"]}).body["message"] == f"{name} is not active"
    )
    sb.set_stock(s1, countryCode="GBR", isAvailable=False)
    assert (
        world.api.post("/dapp/orders", {"clientId": client["id"]}).body["message"]
        == f"{name} is not available"
    )
    assert sb.orders(client["id"]) == []


@pytest.mark.parametrize("approval", ["PENDING", "REJECTED"])
def test_approval_gate_message(world: World, sb: SandboxProcess, approval: str) -> None:
    client = world.client(verify=False)
    sb.control(
        "POST",
        f"clients/{client['id']}/set",
        {"isActive": True, "isKYCVerified": True, "adminApproval": approval},
    )
    r = world.api.post("/dapp/orders", {"clientId": client["id"]})
    assert (r.status, r.body["message"]) == (409, f"Approval is {approval} by admin")


def test_order_effects_cart_stock_sale_invoice(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    s1, s2 = world.strain_ids[:2]
    prices = {s["id"]: s for s in sb.control("GET", "strains")["strains"]}
    world.add_to_cart(client, [(s1, 2), (s2, 3)])
    r = world.api.post(
        "/dapp/orders", {"clientId": client["id"], "orderLines": [{"strainId": s1, "quantity": 99}]}
    )
    assert r.status == 201 and r.body["statusCode"] == 201
    order = r.data
    assert (order["orderStatus"], order["adminApproval"], order["paymentStatus"]) == ("PENDING",) * 3
    assert re.fullmatch(rf"DG_\d{{13}}{client['id']}", order["invoiceNumber"])
    expected_total = prices[s1]["retailPrice"] * 2 + prices[s2]["retailPrice"] * 3
    assert order["totalAmount"] == pytest.approx(expected_total)
    assert sb.cart(client["id"])["items"] == []
    stored = sb.orders(client["id"])
    assert [(line["strainId"], line["quantity"]) for line in stored[0]["lines"]] == [(s1, 2), (s2, 3)]
    assert stored[0]["sale"]["stage"] == "ONGOING"
    stock = sb.set_stock(s1, countryCode="GBR")["locations"]
    assert stock == [{"countryCode": "GBR", "stockQuantity": 48, "isActive": True, "isAvailable": True}]
    sales = world.api.get("/dapp/sales").data["sales"]
    assert [(s["stage"], s["orderId"]) for s in sales] == [("ONGOING", order["id"])]
    second = world.order(client, [(s1, 1)])
    stages = {s["orderId"]: s["stage"] for s in world.api.get("/dapp/sales").data["sales"]}
    assert stages == {order["id"]: "ONGOING", second["id"]: "ONGOING"}


def test_stock_reaching_zero_turns_availability_off(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    s1 = world.strain_ids[0]
    sb.set_stock(s1, countryCode="GBR", stockQuantity=2)
    world.order(client, [(s1, 2)])
    loc = sb.set_stock(s1, countryCode="GBR")["locations"][0]
    assert loc["stockQuantity"] == 0 and loc["isAvailable"] is False
    ids = [
        s["id"]
        for s in world.api.get("/dapp/strains", [("countryCode", "GBR"), ("take", "100")]).data["strains"]
    ]
    assert s1 not in ids


def test_list_detail_recent_shapes(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    s1 = world.strain_ids[0]
    order = world.order(client, [(s1, 2)])
    listed = world.api.get("/dapp/orders").data["orders"][0]
    assert listed["adminApproval"] == "PENDING" and "updatedAt" not in listed
    assert listed["_count"] == {"orderLines": 1} and listed["totalQuantity"] == 2
    assert listed["localPrice"]["currency"] == "GBP" and listed["shipping"]["countryCode"] == "GBR"
    detail = world.api.detail(f"/dapp/orders/{order['id']}", orderId=order["id"]).data["orderDetails"]
    assert "adminApproval" not in detail and "rejectionNote" not in detail
    assert detail["deliveryFee"] == 6 and detail["totalOrdered"] == 1 and detail["totalQuantity"] == 2
    assert detail["localPrice"]["location"] == {"country": "United Kingdom", "currency": "GBP"}
    recent = world.api.get("/dapp/orders/recent").data
    assert [o["id"] for o in recent["recentOrders"]] == [order["id"]]
    assert not {"adminApproval", "invoiceNumber", "totalAmount"} & set(recent["recentOrders"][0])
    assert recent["pageMetaDto"]["itemCount"] == 1


def test_detail_totals_follow_current_prices(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    s1 = world.strain_ids[0]
    order = world.order(client, [(s1, 2)])
    sb.set_stock(s1, countryCode="GBR", retailPrice=12.5, wholeSalePrice=10)
    detail = world.api.detail(f"/dapp/orders/{order['id']}", orderId=order["id"]).data["orderDetails"]
    assert detail["totalAmount"] == 25 and detail["totalProfit"] == 5
    assert world.api.get("/dapp/orders").data["orders"][0]["totalAmount"] == order["totalAmount"]


def test_list_filters_and_sorting(world: World, sb: SandboxProcess) -> None:
    a, b = world.client(), world.client()
    s1 = world.strain_ids[0]
    o1 = world.order(a, [(s1, 1)])
    o2 = world.order(b, [(s1, 1)])
    o3 = world.order(a, [(s1, 1)])
    ids = lambda q: [o["id"] for o in world.api.get("/dapp/orders", q).data["orders"]]  # noqa: E731
    assert ids([]) == [o1["id"], o2["id"], o3["id"]]
    assert ids([("orderBy", "desc")]) == [o3["id"], o2["id"], o1["id"]]
    assert ids([("clientIds", f'["{a["id"]}"]')]) == [o1["id"], o3["id"]]
    assert ids([("clientId", b["id"])]) == [o1["id"], o2["id"], o3["id"]]  # not a filter: stripped
    sb.approve_order(o3["id"])
    # Both approvals could land in the same millisecond (verifiedAt's precision), and a tie
    # sorts by insertion; a second apart, the order by verifiedAt is the only one possible.
    sb.advance_clock(1)
    try:
        sb.approve_order(o1["id"])
    finally:
        sb.advance_clock(-1)
    assert ids([("adminApproval", "VERIFIED")]) == [o3["id"], o1["id"]]  # by verifiedAt
    assert ids([("status", "PENDING"), ("paymentStatus", "PAID")]) == []
    verified = world.api.get("/dapp/orders", [("adminApproval", "VERIFIED")]).data["orders"][0]
    assert verified["orderLogs"][0]["activity"] == "Approved"


def test_status_flow_payment_and_delivery(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    order = world.order(client, [(world.strain_ids[0], 1)])
    with pytest.raises(SandboxError, match="409"):
        sb.set_order_status(order["id"], "SHIPPED")  # not VERIFIED yet
    sb.approve_order(order["id"])
    paid = sb.pay_order(order["id"])
    assert paid["paymentStatus"] == "PAID" and len(paid["invoiceNumber"]) == 32
    assert not paid["invoiceNumber"].startswith("DG_")
    listed = world.api.get("/dapp/orders").data["orders"][0]
    assert (
        listed["transactions"] == [{"method": "CRYPTO"}] and listed["invoiceNumber"] == paid["invoiceNumber"]
    )
    assert world.api.get("/dapp/commissions").data["commissions"][0]["amountInDollar"] == pytest.approx(
        order["agentProfit"]
    )
    sb.set_order_status(order["id"], "SHIPPED")
    with pytest.raises(SandboxError, match="Wrong order status flow"):
        sb.set_order_status(order["id"], "PROCESSING")
    sb.set_order_status(order["id"], "DELIVERED")
    with pytest.raises(SandboxError, match="Wrong order status flow"):
        sb.set_order_status(order["id"], "DELIVERED")
    assert sb.orders(client["id"])[0]["sale"]["stage"] == "CLOSED"
    revenue = world.api.get("/dapp/revenue").data
    assert (
        revenue["strains"][0]["strainId"] == world.strain_ids[0] and revenue["pageMetaDto"]["itemCount"] == 1
    )
    dash = world.api.get("/dapp/dashboard/summary").data
    assert dash["orderCount"] == 1 and dash["totalProfit"] == pytest.approx(order["agentProfit"])
    assert dash["estimateProfit"] is None and "profitRecieved" in dash


def test_failed_payment_and_rejection(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    s1 = world.strain_ids[0]
    order = world.order(client, [(s1, 1)])
    failed = sb.fail_payment(order["id"])
    assert failed["paymentStatus"] == "PENDING" and failed["invoiceNumber"] == order["invoiceNumber"]
    txs = world.api.detail(f"/dapp/client/{client['id']}/transactions", clientId=client["id"]).data
    assert [t["status"] for t in txs["transactions"]] == ["FAILED"]
    before = sb.set_stock(s1, countryCode="GBR")["locations"][0]["stockQuantity"]
    sb.reject_order(order["id"], "Out of policy")
    after = sb.set_stock(s1, countryCode="GBR")["locations"][0]["stockQuantity"]
    assert before == after  # stock is not returned on rejection
    rejected = world.api.get("/dapp/orders", [("adminApproval", "REJECTED")]).data["orders"][0]
    assert rejected["rejectionNote"] == "Out of policy"
    with pytest.raises(SandboxError, match="409"):
        sb.set_order_status(order["id"], "PROCESSING")


def test_docs_mode_honours_order_lines(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    s1, s2 = world.strain_ids[:2]
    world.add_to_cart(client, [(s2, 1)])
    try:
        sb.set_config(orderBodyMode="docs")
        body = {
            "clientId": client["id"],
            "orderLines": [{"strainId": s1, "quantity": 4}],
            "paymentMethod": "FIAT",
        }
        r = world.api.post("/dapp/orders", body)
        assert r.status == 201, r.body
        r = world.api.post("/dapp/orders", {"clientId": client["id"]})
        assert r.status == 400 and "orderLines must contain at least 1 elements" in r.body["message"]
    finally:
        sb.set_config(orderBodyMode="cart")
    stored = sb.orders(client["id"])
    assert [(line["strainId"], line["quantity"]) for line in stored[0]["lines"]] == [(s1, 4)]
    assert stored[0]["paymentMethod"] == "FIAT"
    assert [i["strainId"] for i in sb.cart(client["id"])["items"]] == [s2]  # cart untouched in docs mode


def test_client_orders_lack_admin_approval(world: World) -> None:
    client = world.client()
    order = world.order(client, [(world.strain_ids[0], 3)])
    r = world.api.get(f"/dapp/client/{client['id']}/orders", [("orderBy", "desc"), ("take", "20")])
    item = r.data["orders"][0]
    assert item["id"] == order["id"] and "adminApproval" not in item and item["totalQuantity"] == 3
    assert r.data["pageMetaDto"]["take"] == "20"
