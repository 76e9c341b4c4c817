"""Sales, reports, dashboard warts, body parsing and the process wrapper itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.testing import SandboxError, SandboxProcess
from tests.sandbox.conftest import Api, World


def test_dashboard_sums_are_null_for_a_new_holder(api: Api) -> None:
    d = api.get("/dapp/dashboard/summary").data
    assert list(d) == [
        "clientCount",
        "orderCount",
        "productCount",
        "estimateProfit",
        "totalProfit",
        "profitRecieved",
    ]
    assert (
        d["clientCount"],
        d["orderCount"],
        d["estimateProfit"],
        d["totalProfit"],
        d["profitRecieved"],
    ) == (
        0,
        0,
        None,
        None,
        0,
    )


def test_sales_summary_counts_clients_and_patch_by_query_id(world: World) -> None:
    client = world.client()
    world.order(client, [(world.strain_ids[0], 1)])
    world.order(client, [(world.strain_ids[0], 1)])
    summary = world.api.get("/dapp/sales/summary").data
    assert summary == {"summary": {"ONGOING": 2, "LEADS": 0, "CLOSED": 0, "totalCount": 1}, "count": 1}
    sale = world.api.get("/dapp/sales", [("stage", "ONGOING")]).data["sales"][0]
    assert sale["description"] is None and sale["client"]["id"] == client["id"]
    r = world.api.request(
        "PATCH",
        f"/dapp/sales?id={sale['id']}",
        body={"stage": "CLOSED", "description": "won", "orderId": "x"},
    )
    assert r.status == 200 and r.data["stage"] == "CLOSED" and r.data["description"] == "won"
    assert r.data["orderId"] == sale["orderId"]  # the body's orderId is stripped


def test_revenue_and_commission_summaries(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    order = world.order(client, [(world.strain_ids[0], 4)])
    sb.approve_order(order["id"])
    sb.pay_order(order["id"], method="FIAT")
    paid_only = world.api.get("/dapp/revenue/summary").data["summary"]
    assert paid_only == {"totalSales": round(order["totalAmount"]), "totalProfit": 0}
    sb.set_order_status(order["id"], "DELIVERED")
    assert world.api.get("/dapp/revenue/summary").data["summary"]["totalProfit"] == round(
        order["totalAmount"]
    )
    commissions = world.api.get("/dapp/commissions/summary").data["commissionSummary"]
    assert commissions["PENDING"]["amountInDollar"] == pytest.approx(order["agentProfit"])
    listed = world.api.get("/dapp/commissions").data["commissions"][0]
    assert listed["isPayable"] is True and listed["order"]["orderLogs"][0]["activity"] == "Delivered"


def test_invalid_json_body_is_a_400_before_the_guard(api: Api) -> None:
    r = api.request("POST", "/dapp/orders", raw_body=b'{"clientId": ', canonical="{}")
    assert r.status == 400 and r.body["error"] == "Bad Request" and "success" not in r.body


def test_recent_orders_are_newest_first_with_default_take(world: World) -> None:
    client = world.client()
    made = [world.order(client, [(world.strain_ids[0], 1)])["id"] for _ in range(3)]
    recent = world.api.get("/dapp/orders/recent", [("take", "2")]).data
    assert [o["id"] for o in recent["recentOrders"]] == made[::-1][:2]
    assert recent["pageMetaDto"]["take"] == "2" and recent["pageMetaDto"]["hasNextPage"] is True


def test_strain_detail_with_country_overrides(world: World, sb: SandboxProcess) -> None:
    sid = world.strain_ids[0]
    sb.set_stock(sid, countryCode="PRT", stockQuantity=0, isActive=False, isAvailable=False)
    d = world.api.get(f"/dapp/strains/{sid}", [("countryCode", "PRT")]).data
    assert (d["isAvailable"], d["isActive"], d["stockQuantity"]) == (False, False, 0)
    assert [loc["location"]["countryCode"] for loc in d["strainLocations"]] == ["PRT"]  # narrowed
    assert d["imageUrl"].startswith("https://prod-profiles-backend.s3.amazonaws.com/")
    listed = world.api.get("/dapp/strains", [("countryCode", "PRT")]).data["strains"]
    assert sid not in {s["id"] for s in listed}


def test_failed_start_surfaces_stderr() -> None:
    with pytest.raises(SandboxError, match="order-body-mode"):
        SandboxProcess(extra_args=["--order-body-mode", "nope"], start_timeout=10).start()


def test_cli_seed_env_token_and_file_db(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    env = {**os.environ, "SANDBOX_CONTROL_TOKEN": "from-env", "PYTHONPATH": str(Path(__file__).parents[2])}
    cmd = [
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        "--db",
        str(tmp_path / "s.db"),
        "--seed",
        "30",
        "--keys-out",
        str(keys_file),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("sandbox listening on http://127.0.0.1:")
        url = line.split()[-1]
        keys = json.loads(keys_file.read_text())
        api = Api(url + "/api/v1", keys["apiKey"], keys["secretKey"])
        assert api.get("/dapp/orders").data["pageMetaDto"]["itemCount"] == 30
        import requests

        assert requests.get(url + "/__sandbox__/stats", headers={"X-Sandbox-Token": "from-env"}, timeout=5).ok
        assert (
            requests.get(url + "/__sandbox__/stats", headers={"X-Sandbox-Token": "x"}, timeout=5).status_code
            == 401
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert (tmp_path / "s.db").exists()
