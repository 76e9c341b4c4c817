"""A concrete path of a known dapp route signs exactly like its template form (facts §2.3).

The scripted server accepts only the canonical string Dr Green's guard would rebuild
(``JSON.stringify(req.params)`` for a bodiless GET without a query), written out literally.
"""

from __future__ import annotations

import json

import pytest

from integration.drgreen import AuthError, DrGreenClient
from integration.drgreen.routes import DAPP_ROUTES, match_route

from .scripted_server import Reply, envelope
from .test_client import GUARD_401, guard

OID = "603b3f1a-8f7e-4a43-9f0e-0c3b6d1f2a11"
CID = "1f0c2b7e-3d4a-4b5c-8d6e-7f8091a2b3c4"

# (concrete path, canonical the guard rebuilds, route label)
SIGNATURE_MATRIX = [
    (f"/dapp/orders/{OID}", json.dumps({"orderId": OID}, separators=(",", ":")), "/dapp/orders/{orderId}"),
    (f"/dapp/clients/{CID}", f'{{"clientId":"{CID}"}}', "/dapp/clients/{clientId}"),
    (f"/dapp/client/{CID}/orders", f'{{"clientId":"{CID}"}}', "/dapp/client/{clientId}/orders"),
    (f"/dapp/client/{CID}/transactions", f'{{"clientId":"{CID}"}}', "/dapp/client/{clientId}/transactions"),
    (
        f"/dapp/clients/{CID}/orders/{OID}",
        f'{{"clientId":"{CID}","orderId":"{OID}"}}',
        "/dapp/clients/{clientId}/orders/{orderId}",
    ),
    ("/dapp/strains/s-1", '{"strainId":"s-1"}', "/dapp/strains/{strainId}"),
    # Static siblings are declared first, so they are not parameters.
    ("/dapp/orders/summary", "{}", "/dapp/orders/summary"),
    ("/dapp/orders/recent", "{}", "/dapp/orders/recent"),
    ("/dapp/clients/list", "{}", "/dapp/clients/list"),
    ("/dapp/clients/summary", "{}", "/dapp/clients/summary"),
    ("/dapp/sales/summary", "{}", "/dapp/sales/summary"),
    ("/dapp/commissions/managers/summary", "{}", "/dapp/commissions/managers/summary"),
    # Express: case-insensitive, an optional trailing slash, params decoded.
    (f"/DAPP/Orders/{OID}/", f'{{"orderId":"{OID}"}}', "/dapp/orders/{orderId}"),
    ("/dapp/orders/a%2Fb%20c", '{"orderId":"a/b c"}', "/dapp/orders/{orderId}"),
    # An undeclared sibling is the parameter route's (there is no dapp /clients/export).
    ("/dapp/clients/export", '{"clientId":"export"}', "/dapp/clients/{clientId}"),
]


@pytest.fixture
def client(server, key_pair):
    c = DrGreenClient(server.base_url, *key_pair, sleep=lambda s: None)
    yield c
    c.close()


@pytest.mark.parametrize(("path", "canonical", "route"), SIGNATURE_MATRIX)
def test_concrete_paths_sign_their_route_params(server, client, key_pair, path, canonical, route):
    server.default = guard(key_pair[0], canonical, reply=Reply(200, envelope({"ok": True})))
    calls = []
    traced = DrGreenClient(server.base_url, *key_pair, on_call=calls.append)
    assert traced.request("GET", path)["data"] == {"ok": True}
    assert server.count() == 1  # accepted at once: no fallback was needed
    assert server.received[-1].raw_path == "/api/v1" + path
    assert calls[-1].path == route
    traced.close()


@pytest.mark.parametrize(
    ("template", "params", "concrete", "canonical"),
    [
        ("/dapp/orders/{orderId}", {"orderId": OID}, f"/dapp/orders/{OID}", f'{{"orderId":"{OID}"}}'),
        ("/dapp/clients/{clientId}/orders/{orderId}", {"orderId": OID, "clientId": CID},
         f"/dapp/clients/{CID}/orders/{OID}", f'{{"clientId":"{CID}","orderId":"{OID}"}}'),
        ("/dapp/strains/{strainId}", {"strainId": "s 1"}, "/dapp/strains/s%201", '{"strainId":"s 1"}'),
    ],
)  # fmt: skip
def test_template_and_concrete_forms_send_the_same_signed_request(
    server, key_pair, template, params, concrete, canonical
):
    server.default = guard(key_pair[0], canonical, reply=Reply(200, envelope({"x": 1})))
    strict = DrGreenClient(server.base_url, *key_pair, accept_empty_detail_signature=False)
    assert strict.request("GET", template, path_params=params)["data"] == {"x": 1}
    assert strict.request("GET", concrete)["data"] == {"x": 1}
    strict.close()
    assert [r.raw_path for r in server.received] == ["/api/v1" + concrete] * 2


def test_a_concrete_detail_path_falls_back_to_the_docs_signature(server, client, key_pair):
    """The detail-GET fallback (path params, then ``{}`` once, remembered) applies to it too."""
    server.default = guard(key_pair[0], "{}", reply=Reply(200, envelope({"orderDetails": {"id": OID}})))
    assert client.request("GET", f"/dapp/orders/{OID}")["data"]["orderDetails"]["id"] == OID
    assert server.count() == 2 and client.detail_signature_variant == "empty"


def test_bad_keys_on_a_concrete_detail_path_still_fail(server, client):
    server.default = GUARD_401
    with pytest.raises(AuthError):
        client.request("GET", f"/dapp/orders/{OID}")


def test_query_and_writes_on_concrete_paths_keep_their_own_rules(server, client, key_pair):
    server.default = guard(key_pair[0], "countryCode=DEU", reply=Reply(200, envelope({"id": "s-1"})))
    client.request("GET", "/dapp/strains/s-1", params={"countryCode": "DEU"})
    server.default = guard(key_pair[0], "{}", reply=Reply(200, envelope({"message": "ok"})))
    client.request("DELETE", "/dapp/carts/cart-1")
    body = {"firstName": "Quillon"}
    server.default = guard(key_pair[0], '{"firstName":"Quillon"}', reply=Reply(200, envelope({"id": CID})))
    client.request("PATCH", f"/dapp/clients/{CID}", json=body)
    assert server.count() == 3


def test_an_unknown_concrete_path_signs_the_params_given_or_nothing(server, client, key_pair):
    server.default = guard(key_pair[0], "{}", reply=Reply(200, envelope({"ok": True})))
    client.request("GET", "/dapp/unknown/thing")
    server.default = guard(key_pair[0], '{"a":"1"}', reply=Reply(200, envelope({"ok": True})))
    client.request("GET", "/dapp/unknown/thing", path_params={"a": "1"})
    assert server.count() == 2


def test_the_route_table_is_ordered_like_express_would_match():
    """Every static route is declared before a parameter sibling that would swallow it."""
    for i, (method, template) in enumerate(DAPP_ROUTES):
        if "{" in template:
            continue
        found = match_route(method, template)
        assert found == (template, []), (method, template, found, i)


def test_a_query_written_into_the_path_is_signed_like_params(server, client, key_pair):
    ok = Reply(200, envelope({"ok": 1}))
    server.default = guard(key_pair[0], "take=5&search=Blue+Dream&flag=", reply=ok)
    client.request("GET", "/dapp/orders?take=5&search=Blue%20Dream&flag")
    assert server.received[-1].raw_path == "/api/v1/dapp/orders?take=5&search=Blue+Dream&flag="
    client.request("GET", "/dapp/orders?take=5", params={"search": "Blue Dream", "flag": ""})
    assert server.count() == 2
    # A bare "?" is no query: the route params are signed.
    server.default = guard(key_pair[0], f'{{"orderId":"{OID}"}}', reply=Reply(200, envelope({"ok": 1})))
    client.request("GET", f"/dapp/orders/{OID}?")
    assert server.count() == 3


def test_a_path_without_its_leading_slash_is_the_same_request(server, client, key_pair):
    server.default = guard(key_pair[0], f'{{"orderId":"{OID}"}}', reply=Reply(200, envelope({"ok": 1})))
    client.request("GET", f"dapp/orders/{OID}")
    assert server.received[-1].raw_path == f"/api/v1/dapp/orders/{OID}" and server.count() == 1
