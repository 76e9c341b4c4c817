"""The DualAuthGuard as seen over HTTP: every request shape, the hijack, the Nest 401 body."""

from __future__ import annotations

import uuid

from sandbox.testing import SandboxProcess
from tests.sandbox.conftest import Api, World, compact, sign

NEST_401 = {"message": "User is not authorized", "error": "Unauthorized", "statusCode": 401}


def test_health_needs_no_auth(sb: SandboxProcess) -> None:
    import requests

    r = requests.get(sb.api_url + "/public/healthStatus", timeout=5)
    assert r.json() == {"success": True, "statusCode": 200, "message": "Success", "data": "Success"}


def test_bodiless_get_without_params_signs_empty_object(api: Api) -> None:
    r = api.get("/dapp/orders/summary")
    assert r.status == 200
    assert r.data == {"summary": {"PENDING": 0, "VERIFIED": 0, "REJECTED": 0, "totalCount": 0}}


def test_get_with_query_signs_the_reencoded_query(world: World) -> None:
    r = world.api.get("/dapp/strains", [("countryCode", "GBR"), ("search", "a ~*é+%&b"), ("take", "5")])
    assert r.status == 200, r.body


def test_plus_and_percent20_are_the_same_canonical(api: Api) -> None:
    for raw in ("search=two%20words&searchBy=clientName", "search=two+words&searchBy=clientName"):
        r = api.get("/dapp/clients", raw_query=raw, canonical="search=two+words&searchBy=clientName")
        assert r.status == 200, (raw, r.body)


def test_repeated_key_and_bracket_key_canonicals(api: Api) -> None:
    # Both reach validation (400), which proves the guard accepted the signature.
    r = api.get("/dapp/orders", raw_query="status=PENDING&status=PAID", canonical="status=PENDING%2CPAID")
    assert r.status == 400
    r = api.get("/dapp/orders", raw_query="search[x]=1", canonical="search=%5Bobject+Object%5D")
    assert r.status == 400
    assert r.body["message"] == "search must be a string"


def test_integer_like_keys_are_signed_first(api: Api) -> None:
    r = api.get("/dapp/orders", raw_query="take=2&5=x", canonical="5=x&take=2")
    assert r.status == 200, r.body
    r = api.get("/dapp/orders", raw_query="take=2&5=x", canonical="take=2&5=x")
    assert r.status == 401


def test_key_without_equals_is_signed_with_empty_value(api: Api) -> None:
    assert api.get("/dapp/orders", raw_query="flag", canonical="flag=").status == 200
    assert api.get("/dapp/orders", raw_query="flag", canonical="flag").status == 401


def test_detail_get_signs_route_params_in_route_order(world: World) -> None:
    client = world.client()
    order = world.order(client, [(world.strain_ids[0], 1)])
    ok = world.api.detail(
        f"/dapp/clients/{client['id']}/orders/{order['id']}", clientId=client["id"], orderId=order["id"]
    )
    assert ok.status == 200 and ok.data["orderDetails"]["id"] == order["id"]
    swapped = compact({"orderId": order["id"], "clientId": client["id"]})
    bad = world.api.request("GET", f"/dapp/clients/{client['id']}/orders/{order['id']}", canonical=swapped)
    assert bad.status == 401 and bad.body == NEST_401
    assert (
        world.api.detail(f"/dapp/strains/{world.strain_ids[0]}", strainId=world.strain_ids[0]).status == 200
    )
    assert world.api.detail(f"/dapp/client/{client['id']}/orders", clientId=client["id"]).status == 200


def test_empty_object_on_detail_get_refused_unless_toggled(sb: SandboxProcess, world: World) -> None:
    client = world.client()
    path = f"/dapp/clients/{client['id']}"
    assert world.api.request("GET", path, canonical="{}").status == 401
    try:
        sb.set_config(acceptEmptyDetailSignature=True)
        assert world.api.request("GET", path, canonical="{}").status == 200
        assert world.api.detail(path, clientId=client["id"]).status == 200
    finally:
        sb.set_config(acceptEmptyDetailSignature=False)
    assert world.api.request("GET", path, canonical="{}").status == 401


def test_post_signs_js_stringify_of_parsed_body_not_the_bytes(world: World) -> None:
    client = world.client()
    pretty = b'{ "clientCartId" : "%s",\n  "items": [ {"quantity": 1.0, "strainId": "%s"} ] }' % (
        client["cartId"].encode(),
        world.strain_ids[0].encode(),
    )
    cart_id, strain_id = client["cartId"], world.strain_ids[0]
    canonical = f'{{"clientCartId":"{cart_id}","items":[{{"quantity":1,"strainId":"{strain_id}"}}]}}'
    r = world.api.request("POST", "/dapp/carts", raw_body=pretty, canonical=canonical)
    assert r.status == 201, r.body
    as_sent = pretty.decode()
    assert world.api.request("POST", "/dapp/carts", raw_body=pretty, canonical=as_sent).status == 401


def test_bodiless_delete_signs_empty_object_even_with_query(world: World) -> None:
    client = world.client()
    world.add_to_cart(client, [(world.strain_ids[0], 1)])
    r = world.api.request(
        "DELETE", f"/dapp/carts/{client['cartId']}?strainId={world.strain_ids[0]}", canonical="{}"
    )
    assert r.status == 200, r.body


def test_non_json_content_type_means_empty_body(api: Api) -> None:
    r = api.request(
        "POST",
        "/dapp/orders",
        raw_body=b'{"clientId":"x"}',
        canonical="{}",
        headers={"Content-Type": "text/plain"},
    )
    assert r.status == 400
    assert (
        r.body["message"]
        == "clientId must be a UUID, clientId must be a string, clientId should not be empty"
    )


def test_authorization_header_hijacks_the_guard(api: Api) -> None:
    r = api.get("/dapp/orders/summary", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status == 401
    assert r.body == {"message": "Oops!, you need to login first", "error": "Unauthorized", "statusCode": 401}


def test_missing_headers_bad_signature_unknown_and_revoked_keys(sb: SandboxProcess, api: Api) -> None:
    import requests

    bare = requests.get(sb.api_url + "/dapp/orders/summary", timeout=5)
    assert bare.status_code == 401 and bare.json() == NEST_401
    assert api.get("/dapp/orders/summary", signature=sign(api.secret_key, "something else")).body == NEST_401
    assert api.get("/dapp/orders/summary", signature="not base64 at all!").body == NEST_401
    other = sb.new_keys()
    foreign = Api(sb.api_url, other["apiKey"], api.secret_key)  # right format, wrong key pair
    assert foreign.get("/dapp/orders/summary").body == NEST_401
    unknown = Api(sb.api_url, "dW5rbm93bg==", api.secret_key)
    assert unknown.get("/dapp/orders/summary").body == NEST_401
    sb.revoke_key(api.api_key)
    assert api.get("/dapp/orders/summary").body == NEST_401


def test_unknown_route_is_nest_404_before_auth(sb: SandboxProcess) -> None:
    import requests

    r = requests.get(sb.api_url + "/dapp/nope?x=1", timeout=5)
    assert r.status_code == 404
    assert r.json() == {
        "message": "Cannot GET /api/v1/dapp/nope?x=1",
        "error": "Not Found",
        "statusCode": 404,
    }
    r = requests.put(sb.api_url + "/dapp/orders", timeout=5)
    assert r.json()["message"] == "Cannot PUT /api/v1/dapp/orders"


def test_keys_look_like_the_servers(keys: dict[str, str]) -> None:
    import base64

    assert len(keys["apiKey"]) == 232 and len(keys["secretKey"]) == 316
    assert base64.b64decode(keys["apiKey"]).startswith(b"-----BEGIN PUBLIC KEY-----\n")
    assert base64.b64decode(keys["secretKey"]).startswith(b"-----BEGIN PRIVATE KEY-----\n")


def test_holder_scoping(world: World, sb: SandboxProcess) -> None:
    client = world.client()
    other_keys = sb.new_keys()
    other = Api(sb.api_url, other_keys["apiKey"], other_keys["secretKey"])
    r = other.detail(f"/dapp/clients/{client['id']}", clientId=client["id"])
    assert r.status == 500 and r.body["message"] == "Client not found"
    assert other.get("/dapp/clients").data["clients"] == []
    # The order detail is not scoped (facts §4.4): another holder can read it.
    order = world.order(client, [(world.strain_ids[0], 1)])
    assert (
        other.detail(f"/dapp/orders/{order['id']}", orderId=order["id"]).data["orderDetails"]["id"]
        == order["id"]
    )
    assert str(uuid.UUID(order["id"])) == order["id"]
