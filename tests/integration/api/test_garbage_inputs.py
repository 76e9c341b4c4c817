"""Every operation of the published schema swept with garbage, the way an attacker would
send it: no answer is a 5xx, every refusal has the documented error shape, and the classic
ones get their stable code (413 ``payload_too_large`` with the limit, 400 for depth,
encoding and type errors, ASCII-only numbers and ids, no integer UUIDs).

Deterministic (a fixed list, no generator): it runs on SQLite and on PostgreSQL, where NUL
in text or ``jsonb`` would otherwise reach the database.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from integration.models import OrderPlacement, PlacementState

from .conftest import error_of, make_client, make_order, make_strain, make_user
from .test_registration import form

pytestmark = pytest.mark.django_db(transaction=True)

GARBAGE_VALUES = [
    1,
    -1,
    1.5,
    True,
    None,
    "",
    "x" * 5000,
    [],
    {},
    [[[]]],
    "１２",
    "١٢",
    "²",
    "00000000-0000-0000-0000-00000000000１",
    12345678901234567890123,
]
QUERY_VALUES = [
    "",
    "\x00",
    "a\x00b",
    "１２",
    "١٢",
    "²",
    "-1",
    "0",
    "9" * 40,
    "1e309",
    "NaN",
    "x" * 3000,
    "[]",
]
CUSTOMER_IDS = ["²", "１", "١", "1\x00", "-1", "9" * 40, "0x1", "1.0", " ", "\ud800", "1 1"]
AUTHORIZATIONS = [
    "Token \x00",
    "Token ²",
    "Token " + "a" * 5000,
    "Bearer",
    "Token a b",
    "Basic eDp5",
    "Token \ud800",
    "Token 中",
]
PATH_VALUES = ["1", "²", "0", "x" * 300, "00000000-0000-0000-0000-00000000000１", "%00", "..%2F..%2Fetc"]


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


@dataclass
class Probe:
    label: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str = "application/json"
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def _valid_body(path: str, strain_id: str) -> dict:
    if path.endswith("/checkout"):
        return {"lines": [{"strainId": strain_id, "quantity": "1"}]}
    if path.endswith("/registration"):
        return form(f"sweep-{uuid.uuid4().hex[:10]}@example.test")
    if path.endswith("/confirm"):
        return {"code": "123456"}
    return {}


def _variants(body: dict, schema: dict, node: dict, prefix: str = ""):
    """The body with one property (top level and one nesting down) swapped for garbage."""
    node = _resolve(schema, node)
    for name, prop in (node.get("properties") or {}).items():
        for value in GARBAGE_VALUES:
            changed = json.loads(json.dumps(body))
            changed[name] = value
            yield f"{prefix}{name}={value!r:.20}", changed
        prop = _resolve(schema, prop)
        inner = body.get(name)
        if prop.get("type") == "array" and isinstance(inner, list) and inner and isinstance(inner[0], dict):
            for label, item in _variants(inner[0], schema, prop["items"], f"{prefix}{name}[0]."):
                yield label, {**body, name: [item]}
        elif isinstance(inner, dict) and prop.get("properties"):
            for label, sub in _variants(inner, schema, prop, f"{prefix}{name}."):
                yield label, {**body, name: sub}


def probes(schema: dict, method: str, path: str, params: dict, strain_id: str) -> list[Probe]:
    op = schema["paths"][path][method]
    url = path.format(**params)
    out: list[Probe] = []
    for value in CUSTOMER_IDS:
        out.append(Probe(f"X-Customer-Id {value!r}", method, url, headers={"HTTP_X_CUSTOMER_ID": value}))
    for value in AUTHORIZATIONS:
        out.append(Probe(f"Authorization {value[:12]!r}", method, url, headers={"HTTP_AUTHORIZATION": value}))
    out.append(Probe("header NUL", method, url, headers={"HTTP_IDEMPOTENCY_KEY": "k\x00"}))
    out.append(Probe("long idempotency key", method, url, headers={"HTTP_IDEMPOTENCY_KEY": "k" * 10000}))
    names = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"] + ["cursor", "pageSize"]
    for name in names:
        for value in QUERY_VALUES:
            out.append(Probe(f"?{name}={value!r:.20}", method, url, query=f"{name}={_quote(value)}"))
    out.append(Probe("query bad utf-8", method, url, query="search=%ED%A0%80&country=%FF"))
    out.append(Probe("query NUL key", method, url, query="%00=1"))
    for value in PATH_VALUES:
        if "{" in path:
            templated = path
            for key in params:
                templated = templated.replace("{" + key + "}", value)
            out.append(Probe(f"path {value!r:.20}", method, templated))
    if method in ("post", "put", "patch"):
        out += _body_probes(schema, op, method, url, path, strain_id)
    return out


def _body_probes(schema, op, method, url, path, strain_id) -> list[Probe]:
    base = _valid_body(path, strain_id)
    raw = {
        "3 MB": b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}',
        "deep 50000": b"[" * 50_000 + b"]" * 50_000,
        "deep 40 objects": b'{"a":' * 40 + b"1" + b"}" * 40,
        "NUL": json.dumps({**base, "firstName": "a\u0000b"}).encode(),
        "NUL key": b'{"\\u0000": 1}',
        "lone surrogate": json.dumps({**base, "lastName": "\ud800"}).encode(),
        "surrogate in medical record": json.dumps(
            {**base, "medicalRecord": {**(base.get("medicalRecord") or {}), "medicalConditions": ["\udfff"]}}
        ).encode(),
        "invalid utf-8": b'{"firstName": "\xff\xfe"}',
        "NaN": b'{"x": NaN}',
        "Infinity": b'{"lines": [{"strainId": "' + strain_id.encode() + b'", "quantity": Infinity}]}',
        "1e309": b'{"lines": [{"strainId": "' + strain_id.encode() + b'", "quantity": 1e309}]}',
        "not json": b"{",
        "empty": b"",
        "list": b"[]",
        "string": b'"x"',
        "null": b"null",
        "number": b"12",
    }
    out = [Probe(label, method, url, body=body) for label, body in raw.items()]
    out.append(Probe("text/plain", method, url, body=b"hello", content_type="text/plain"))
    out.append(Probe("form", method, url, body=b"a=1", content_type="application/x-www-form-urlencoded"))
    request = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if request:
        for label, body in _variants(base, schema, request):
            out.append(Probe(label, method, url, body=json.dumps(body).encode()))
    return out


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def send(caller: dict[str, str], probe: Probe, idempotency: bool):
    """One request with the caller's headers, each overridable by the probe (a fresh client:
    APIClient.credentials() would win over the probe's own)."""
    extra = {**caller, **probe.headers}
    if idempotency and "HTTP_IDEMPOTENCY_KEY" not in extra:
        extra["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4())
    if probe.query:
        extra["QUERY_STRING"] = probe.query
    client = APIClient()
    if probe.body is None:
        return client.generic(probe.method.upper(), probe.path, **extra)
    return client.generic(probe.method.upper(), probe.path, probe.body, probe.content_type, **extra)


@pytest.fixture
def world(shop_own_seed, storefront_token, staff_token):
    owner, newcomer = make_user(), make_user()
    client = make_client(owner)
    strain = make_strain("Sweep Kush")
    order = make_order(client, strain=strain, history=1)
    placement = OrderPlacement.objects.create(
        client=client,
        idempotency_key="sweep",
        request_hash="0" * 64,
        lines=[],
        state=PlacementState.PLACED,
        order=order,
    )
    token = f"Token {storefront_token}"
    return {
        "owner": {"HTTP_AUTHORIZATION": token, "HTTP_X_CUSTOMER_ID": str(owner.pk)},
        "newcomer": {"HTTP_AUTHORIZATION": token, "HTTP_X_CUSTOMER_ID": str(newcomer.pk)},
        "staff": {"HTTP_AUTHORIZATION": f"Token {staff_token}"},
        "params": {"order_id": str(order.drgreen_id), "correlation_id": str(placement.correlation_id)},
        "strain_id": str(strain.drgreen_id),
    }


SCHEMA_OPERATIONS = sorted(
    (method, path) for path, ops in _schema()["paths"].items() for method in ops if method != "parameters"
)


def test_the_sweep_covers_every_published_operation():
    assert len(SCHEMA_OPERATIONS) >= 15


@pytest.mark.parametrize(("method", "path"), SCHEMA_OPERATIONS)
def test_no_garbage_gets_a_5xx(world, method, path):
    schema = _schema()
    caller = (
        world["staff"] if "/staff/" in path else world["newcomer" if "/registration" in path else "owner"]
    )
    seen = 0
    for probe in probes(schema, method, path, world["params"], world["strain_id"]):
        r = send(caller, probe, idempotency=path.endswith("/checkout"))
        assert r.status_code < 500, (probe.label, r.status_code, r.content[:300])
        if r.status_code >= 400:
            error_of(r)  # the documented shape, whatever the garbage
        seen += 1
    assert seen >= 40


def _post(caller: dict, path: str, body: bytes, **extra):
    return APIClient().generic("POST", path, body, "application/json", **{**caller, **extra})


def test_the_classic_ones_get_their_codes(world):
    api = world["owner"]
    big = _post(api, "/api/v1/checkout", b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    assert big.status_code == 413
    assert error_of(big)["code"] == "payload_too_large"
    assert error_of(big)["details"] == {"limitBytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}

    deep = _post(api, "/api/v1/checkout", b"[" * 50_000 + b"]" * 50_000, HTTP_IDEMPOTENCY_KEY="d")
    assert deep.status_code == 400 and error_of(deep)["code"] == "json_too_deep"

    for body in (b'{"lines": "\\u0000"}', b'{"lines": ["\\ud800"]}', b'{"\\udfff": 1}'):
        r = _post(api, "/api/v1/checkout", body, HTTP_IDEMPOTENCY_KEY="t")
        assert r.status_code == 400 and error_of(r)["code"] == "invalid_text", body

    r = APIClient().get("/api/v1/me", **{**api, "HTTP_X_CUSTOMER_ID": "²"})
    assert r.status_code == 401 and error_of(r)["code"] == "authentication_failed"

    r = APIClient().get("/api/v1/orders", {"pageSize": "１２"}, **api)
    assert r.status_code == 400 and error_of(r)["code"] == "validation_error"
    assert "pageSize" in error_of(r)["details"]


@pytest.mark.parametrize(
    "line",
    [
        {"quantity": "１２"},
        {"quantity": "١٢"},
        {"quantity": True},
        {"strainId": 5},
        {"strainId": 0},
        {"strainId": "00000000-0000-0000-0000-00000000000１"},
    ],
)
def test_checkout_reads_numbers_and_ids_from_ascii_only(world, line):
    body = {"lines": [{"strainId": world["strain_id"], "quantity": "1", **line}]}
    key = str(uuid.uuid4())
    r = APIClient().post("/api/v1/checkout", body, format="json", HTTP_IDEMPOTENCY_KEY=key, **world["owner"])
    assert r.status_code == 400 and error_of(r)["code"] == "validation_error", r.content
    assert not OrderPlacement.objects.exclude(idempotency_key="sweep").exists()


def test_a_lone_surrogate_in_the_medical_record_is_refused_before_anything_is_kept(world, shop_own_seed):
    data = form(f"surrogate-{uuid.uuid4().hex[:8]}@example.test")
    data["medicalRecord"]["medicalConditions"] = ["\ud800"]
    body = json.dumps(data).encode()  # json escapes it as "\ud800"
    r = _post(world["newcomer"], "/api/v1/me/registration", body)
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_text"
    from integration.models import ClientRegistration

    assert not ClientRegistration.objects.exists()
    assert shop_own_seed.request_count("POST /dapp/clients") == 0


def test_non_api_pages_refuse_nul_too(client, admin_user):
    client.force_login(admin_user)
    r = client.get("/admin/integration/client/", {"q": "a\x00b"})
    assert r.status_code == 400


OUTSIDE_THE_SCHEMA = ["/metrics", "/healthz", "/livez", "/readyz", "/api/schema/", "/admin/login/"]


@pytest.mark.parametrize("path", OUTSIDE_THE_SCHEMA)
def test_paths_outside_the_schema_survive_garbage_too(client, path):
    for extra in (
        {"HTTP_AUTHORIZATION": "Token \x00"},
        {"HTTP_AUTHORIZATION": "Bearer 中"},
        {"HTTP_X_CUSTOMER_ID": "²"},
        {"QUERY_STRING": "format=%00"},
        {"QUERY_STRING": "next=%ED%A0%80"},
    ):
        assert client.get(path, **extra).status_code < 500, extra
    big = client.generic("POST", path, b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "application/json")
    assert big.status_code in (403, 405, 413), big.status_code
