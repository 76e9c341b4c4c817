"""Control plane: faults, clock, stats, reset, and seed determinism."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import pytest
import requests

from sandbox.testing import SandboxError, SandboxProcess
from tests.sandbox.conftest import Api, World, person


@pytest.fixture
def own_sb() -> Iterator[SandboxProcess]:
    """A private sandbox for tests that reset or need exact global counts."""
    with SandboxProcess(control_token="own-token") as proc:
        yield proc


def test_control_plane_requires_token(sb: SandboxProcess) -> None:
    r = requests.post(sb.url + "/__sandbox__/keys", headers={"X-Sandbox-Token": "wrong"}, timeout=5)
    assert r.status_code == 401
    with pytest.raises(SandboxError, match="404"):
        sb.control("POST", "nope")


def test_status_fault_with_count_and_envoy_body(world: World, sb: SandboxProcess) -> None:
    sb.add_fault(method="GET", path="/api/v1/dapp/orders/summary", kind="status", status=503, count=2)
    first = world.api.get("/dapp/orders/summary")
    assert first.status == 503 and "upstream connect error" in first.text and first.body is None
    assert world.api.get("/dapp/orders/summary").status == 503
    assert world.api.get("/dapp/orders/summary").status == 200
    sb.add_fault(method="GET", path="/api/v1/dapp/orders", kind="status", status=429, retry_after=7, count=1)
    r = world.api.get("/dapp/orders", [("take", "1")])  # the fault path ignores the query
    assert r.status == 429 and r.headers["Retry-After"] == "7"
    assert world.api.get("/dapp/orders/summary").status == 200  # other paths unaffected


def test_probability_faults_fire_until_deleted(world: World, sb: SandboxProcess) -> None:
    sb.add_fault(path="/api/v1/dapp/clients/summary", kind="status", status=502, probability=1.0)
    try:
        assert {world.api.get("/dapp/clients/summary").status for _ in range(5)} == {502}
    finally:
        sb.clear_faults()
    assert world.api.get("/dapp/clients/summary").status == 200
    sb.add_fault(path="/api/v1/dapp/clients/summary", kind="status", status=502, probability=0.5, seed=3)
    try:
        statuses = [world.api.get("/dapp/clients/summary").status for _ in range(40)]
    finally:
        sb.clear_faults()
    assert 5 <= statuses.count(502) <= 35 and statuses.count(200) == 40 - statuses.count(502)


def test_latency_fault(world: World, sb: SandboxProcess) -> None:
    sb.add_fault(method="GET", path="/api/v1/dapp/orders/summary", kind="latency", ms=300, count=1)
    start = time.monotonic()
    assert world.api.get("/dapp/orders/summary").status == 200
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    world.api.get("/dapp/orders/summary")
    assert time.monotonic() - start < 0.3


def test_drop_after_commit_really_commits(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    world.add_to_cart(client, [(world.strain_ids[0], 2)])
    sb.add_fault(method="POST", path="/api/v1/dapp/orders", kind="drop_after_commit", count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        world.api.post("/dapp/orders", {"clientId": client["id"]})
    landed = sb.orders(client["id"])
    assert len(landed) == 1 and landed[0]["lines"][0]["quantity"] == 2
    assert sb.cart(client["id"])["items"] == []
    assert sb.stats()["requests"]["by_route_status"]["POST /api/v1/dapp/orders"].get("dropped", 0) >= 1


def test_clock_moves_timestamps(world: World, sb: SandboxProcess) -> None:
    before = world.client(verify=False)
    sb.advance_clock(3 * 86400)
    try:
        after = world.client(verify=False)
    finally:
        sb.advance_clock(-3 * 86400)
    t0 = datetime.fromisoformat(before["createdAt"].replace("Z", "+00:00"))
    t1 = datetime.fromisoformat(after["createdAt"].replace("Z", "+00:00"))
    assert 3 * 86400 <= (t1 - t0).total_seconds() < 3 * 86400 + 60


def test_stats_by_method_route_and_status(own_sb: SandboxProcess) -> None:
    keys = own_sb.new_keys()
    api = Api(own_sb.api_url, keys["apiKey"], keys["secretKey"])
    own_sb.reset_stats()
    api.get("/dapp/orders/summary")
    api.get("/dapp/orders/summary", headers={"x-auth-signature": "bad"})
    api.detail(
        "/dapp/orders/00000000-0000-4000-8000-000000000000", orderId="00000000-0000-4000-8000-000000000000"
    )
    assert api.post("/dapp/clients", person()).status == 201
    stats = own_sb.stats()
    req = stats["requests"]
    assert req["total"] == 4
    assert req["by_method"] == {"GET": 3, "POST": 1}
    assert req["by_route"]["GET /api/v1/dapp/orders/summary"] == 2
    assert req["by_route"]["GET /api/v1/dapp/orders/:orderId"] == 1
    assert req["by_route_status"]["GET /api/v1/dapp/orders/summary"] == {"200": 1, "401": 1}
    assert req["by_status"] == {"200": 2, "401": 1, "201": 1}
    assert (stats["orders"], stats["clients"]) == (0, 1)


def test_seed_is_deterministic_and_reset_clears(own_sb: SandboxProcess) -> None:
    def snapshot() -> tuple[object, ...]:
        clients = [(c["id"], c["email"], c["adminApproval"], c["isKYCVerified"]) for c in own_sb.clients()]
        orders = [
            (
                o["id"],
                o["clientId"],
                o["orderStatus"],
                o["adminApproval"],
                o["paymentStatus"],
                o["totalAmount"],
                [(line["strainId"], line["quantity"]) for line in o["lines"]],
            )
            for o in own_sb.orders()
        ]
        return clients, orders

    spec = {"seed": 42, "strains": 5, "clients": 12, "orders": 60, "countries": ["GBR", "PRT"]}
    own_sb.reset()
    first = own_sb.seed(**spec)
    snap1 = snapshot()
    own_sb.reset()
    assert own_sb.orders() == [] and own_sb.clients() == []
    second = own_sb.seed(**spec)
    assert snapshot() == snap1 and first["strainIds"] == second["strainIds"]
    own_sb.reset()
    own_sb.seed(**{**spec, "seed": 43})
    assert snapshot() != snap1
    statuses = {o["orderStatus"] for o in own_sb.orders()} | {o["adminApproval"] for o in own_sb.orders()}
    assert {"PENDING", "DELIVERED", "VERIFIED", "REJECTED"} <= statuses
    created = sorted(o["createdAt"] for o in own_sb.orders())
    assert created[0][:7] != created[-1][:7]  # spread over months
    api = Api(own_sb.api_url, second["apiKey"], second["secretKey"])
    assert api.get("/dapp/orders").status == 401  # reset removed that holder's key


def test_seed_into_existing_holder_and_strains_per_country(sb: SandboxProcess, keys: dict[str, str]) -> None:
    out = sb.seed(seed=5, strains=2, clients=4, orders=8, countries=["ZAF", "DEU"], apiKey=keys["apiKey"])
    assert "secretKey" not in out
    api = Api(sb.api_url, keys["apiKey"], keys["secretKey"])
    assert api.get("/dapp/orders").data["pageMetaDto"]["itemCount"] == 8
    for code in ("ZAF", "DEU"):
        ids = {
            s["id"]
            for s in api.get("/dapp/strains", [("countryCode", code), ("take", "500")]).data["strains"]
        }
        assert set(out["strainIds"]) <= ids
    shipping_codes = {
        c["shippings"][0]["countryCode"] for c in sb.clients() if c["id"] in set(out["clientIds"])
    }
    assert shipping_codes == {"ZAF", "DEU"}
    with pytest.raises(SandboxError, match="400"):
        sb.seed(countries=["GB"], apiKey=keys["apiKey"])
