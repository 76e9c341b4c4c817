"""Fixtures for the sandbox suite: one sandbox process per session and a tiny independent signer.

The signer deliberately shares no code with ``sandbox`` or ``integration.drgreen``: it
builds canonical strings with the standard library (or takes literal ones from the
test), so a passing test means two independent implementations agree.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.testing import SandboxProcess


def sign(secret_key: str, message: str) -> str:
    key = serialization.load_pem_private_key(base64.b64decode(secret_key), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return base64.b64encode(key.sign(message.encode("utf-8"), ec.ECDSA(hashes.SHA256()))).decode("ascii")


def form_encode(text: str) -> str:
    """WHATWG form encoding via the stdlib: quote_plus keeps ``~``, the WHATWG set does not."""
    return urllib.parse.quote_plus(text, safe="*").replace("~", "%7E")


def query_canonical(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{form_encode(k)}={form_encode(v)}" for k, v in pairs)


def compact(obj: Any) -> str:
    """JSON.stringify for bodies made of strings, ints, bools, lists and dicts (no floats)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Resp:
    status: int
    body: Any
    text: str
    headers: Any

    @property
    def data(self) -> Any:
        return self.body["data"]


class Api:
    """Signs and sends requests like a well-behaved client; every knob can be overridden."""

    def __init__(self, base_url: str, api_key: str, secret_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.secret_key = secret_key
        self.session = requests.Session()
        self.session.trust_env = False  # no ~/.netrc Authorization header

    def request(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        raw_query: str | None = None,
        body: Any = None,
        raw_body: bytes | None = None,
        canonical: str | None = None,
        headers: dict[str, str] | None = None,
        signature: str | None = None,
    ) -> Resp:
        qs = (
            raw_query
            if raw_query is not None
            else urllib.parse.urlencode(query or [], quote_via=urllib.parse.quote)
        )
        url = self.base_url + path + (f"?{qs}" if qs else "")
        if canonical is None:
            if method == "GET":
                canonical = query_canonical(query) if query else "{}"
            else:
                canonical = compact(body) if body is not None else "{}"
        data = raw_body if raw_body is not None else (compact(body).encode() if body is not None else None)
        h = {
            "x-auth-apikey": self.api_key,
            "x-auth-signature": signature if signature is not None else sign(self.secret_key, canonical),
            "Content-Type": "application/json",
        }
        h.update(headers or {})
        r = self.session.request(method, url, data=data, headers=h, timeout=30)
        try:
            parsed = r.json()
        except ValueError:
            parsed = None
        return Resp(r.status_code, parsed, r.text, r.headers)

    def get(self, path: str, query: list[tuple[str, str]] | None = None, **kw: Any) -> Resp:
        return self.request("GET", path, query=query, **kw)

    def detail(self, path: str, **params: str) -> Resp:
        """A bodiless detail GET, signed with the route params JSON in route order."""
        return self.request("GET", path, canonical=compact(params))

    def post(self, path: str, body: Any = None, **kw: Any) -> Resp:
        return self.request("POST", path, body=body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Resp:
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path: str, body: Any = None, **kw: Any) -> Resp:
        return self.request("DELETE", path, body=body, **kw)


def person(**overrides: Any) -> dict[str, Any]:
    """A synthetic, valid CreateClientDto body (generated names, example.com email)."""
    tag = secrets.token_hex(4)
    body: dict[str, Any] = {
        "firstName": f"Testfirst{tag}",
        "lastName": f"Testlast{tag}",
        "email": f"person.{tag}@example.com",
        "phoneCode": "+44",
        "phoneCountryCode": "GB",
        "contactNumber": str(7_000_000_000 + secrets.randbelow(999_999_999)),
        "shipping": {
            "address1": "1 Sample Road",
            "address2": "",
            "landmark": "",
            "city": "Exampleton",
            "state": "Testshire",
            "country": "United Kingdom",
            "countryCode": "GBR",
            "postalCode": "EX1 1AA",
        },
        "medicalRecord": {
            "dob": "1990-01-01",
            "gender": "Female",
            "medicalHistory0": False,
            "medicalHistory1": False,
            "medicalHistory2": False,
            "medicalHistory3": False,
            "medicalHistory4": False,
            "medicalHistory5": ["none"],
            "medicalHistory8": False,
            "medicalHistory9": False,
            "medicalHistory10": False,
            "medicalHistory12": False,
            "medicalHistory13": "never",
            "medicalHistory14": ["never"],
        },
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def sb() -> Iterator[SandboxProcess]:
    with SandboxProcess() as proc:
        yield proc


@pytest.fixture
def keys(sb: SandboxProcess) -> dict[str, Any]:
    return sb.new_keys()


@pytest.fixture
def api(sb: SandboxProcess, keys: dict[str, Any]) -> Api:
    return Api(sb.api_url, keys["apiKey"], keys["secretKey"])


@dataclass
class World:
    """A holder with a small catalogue in one country and helpers to make ready-to-order clients."""

    sb: SandboxProcess
    api: Api
    keys: dict[str, Any]
    strain_ids: list[str]
    country: str

    def client(self, *, verify: bool = True, **overrides: Any) -> dict[str, Any]:
        body = person(**overrides)
        body["shipping"] = {**body["shipping"], "countryCode": self.country}
        r = self.api.post("/dapp/clients", body)
        assert r.status == 201, r.body
        client = r.data["client"]
        if verify:
            self.sb.approve_client(client["id"])
            self.sb.kyc_pass(client["id"])
        view = next(c for c in self.sb.clients() if c["id"] == client["id"])
        return {
            **client,
            "cartId": view["cartId"],
            "email": body["email"],
            "contactNumber": body["contactNumber"],
        }

    def add_to_cart(self, client: dict[str, Any], items: list[tuple[str, int]]) -> Resp:
        return self.api.post(
            "/dapp/carts",
            {"items": [{"strainId": s, "quantity": q} for s, q in items], "clientCartId": client["cartId"]},
        )

    def order(self, client: dict[str, Any], items: list[tuple[str, int]]) -> dict[str, Any]:
        assert self.add_to_cart(client, items).status == 201
        r = self.api.post("/dapp/orders", {"clientId": client["id"]})
        assert r.status == 201, r.body
        return r.data


@pytest.fixture
def world(sb: SandboxProcess, keys: dict[str, Any], api: Api) -> World:
    seeded = sb.seed(seed=7, strains=3, clients=0, orders=0, countries=["GBR"], apiKey=keys["apiKey"])
    for sid in seeded["strainIds"]:
        sb.set_stock(sid, countryCode="GBR", stockQuantity=50, isActive=True, isAvailable=True)
    return World(sb, api, keys, seeded["strainIds"], "GBR")
