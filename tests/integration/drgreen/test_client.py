"""DrGreenClient over real HTTP against a scripted local server.

The server checks each signature against a canonical string written out literally in the test
(what Dr Green's guard would rebuild for that request), so these tests pin the wire format:
paths, query strings, bodies and which string is signed.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from integration.drgreen import AuthError, DrGreenClient, NotFound, ResponseFormatError, ValidationError

from .scripted_server import Received, Reply, envelope

GUARD_401 = Reply(401, {"message": "User is not authorized", "error": "Unauthorized", "statusCode": 401})


def verifies(req: Received, api_key: str, canonical: str) -> bool:
    """The server's check: createVerify("SHA256") with the PEM decoded from the api key."""
    if req.header("x-auth-apikey") != api_key or not req.header("x-auth-signature"):
        return False
    public_key = serialization.load_pem_public_key(base64.b64decode(api_key))
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    try:
        public_key.verify(
            base64.b64decode(req.header("x-auth-signature")),
            canonical.encode("utf-8"),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        return False
    return True


def guard(api_key: str, *canonicals: str, reply: Reply):
    """Answer ``reply`` if the signature verifies over one of ``canonicals``, else the guard's 401."""

    def respond(req: Received):
        return reply if any(verifies(req, api_key, c) for c in canonicals) else GUARD_401

    return respond


@pytest.fixture
def client(server, key_pair):
    c = DrGreenClient(server.base_url, *key_pair, sleep=lambda s: None)
    yield c
    c.close()


def meta(page, take, count):
    pages = -(-count // int(take))
    return {
        "page": page,
        "take": take,
        "itemCount": count,
        "pageCount": pages,
        "hasPreviousPage": int(page) > 1,
        "hasNextPage": int(page) < pages,
    }


def test_post_body_is_exactly_the_signed_js_string(server, client, key_pair):
    expected = (
        '{"items":[{"strainId":"s1","quantity":2},{"strainId":"s2","quantity":1.5}],"clientCartId":"cart-1"}'
    )
    server.default = guard(
        key_pair[0], expected, reply=Reply(201, envelope({"message": "2 items added to the cart"}, 201))
    )
    result = client.add_to_cart("cart-1", [("s1", 2), {"strainId": "s2", "quantity": 1.5}])
    assert result == {"message": "2 items added to the cart"}
    req = server.received[-1]
    assert (req.method, req.raw_path) == ("POST", "/api/v1/dapp/carts")
    assert req.body == expected.encode("utf-8")


def test_create_client_sends_raw_utf8_and_js_numbers(server, client, key_pair):
    payload = {
        "firstName": "José",
        "lastName": "Ø'Brien",
        "email": "jose@example.com",
        "medicalRecord": {"weight": 70.0, "dose": 0.0000001},
        "10": "x",
    }
    expected = (
        '{"10":"x","firstName":"José","lastName":"Ø\'Brien","email":"jose@example.com",'
        '"medicalRecord":{"weight":70,"dose":1e-7}}'
    )
    data = {
        "client": {"id": "cl-1", "email": "jose@example.com", "adminApproval": "PENDING"},
        "message": "KYC link has been sent to client at jose@example.com",
    }
    server.default = guard(key_pair[0], expected, reply=Reply(201, envelope(data, 201, data["message"])))
    created = client.create_client(payload)
    assert created == {"id": "cl-1", "email": "jose@example.com", "adminApproval": "PENDING"}
    assert server.received[-1].body == expected.encode("utf-8")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": "docs-id"}, {"id": "docs-id"}),
        (
            {"clientId": "cid", "kycLink": "https://kyc.example/x"},
            {"id": "cid", "kycLink": "https://kyc.example/x"},
        ),
        (
            {"client": {"id": "nested"}, "kycLink": "https://kyc.example/y"},
            {"id": "nested", "kycLink": "https://kyc.example/y"},
        ),
    ],
)
def test_create_client_response_variants(server, client, data, expected):
    server.default = Reply(201, envelope(data, 201))
    assert client.create_client({"email": "a@b.c"}) == expected


def test_create_client_without_any_id_is_a_format_error(server, client):
    server.default = Reply(201, envelope({"message": "ok"}, 201))
    with pytest.raises(ResponseFormatError):
        client.create_client({"email": "a@b.c"})


def test_list_orders_query_and_signature(server, client, key_pair):
    expected = (
        "page=1&take=20&orderBy=desc&status=PENDING&clientIds=%5B%22c1%22%2C%22c2%22%5D"
        "&search=Jane+Doe&searchBy=clientName"
    )
    data = {"orders": [{"id": "o1", "adminApproval": "VERIFIED"}], "pageMetaDto": meta("1", "20", 1)}
    server.default = guard(key_pair[0], expected, reply=Reply(200, envelope(data)))
    page = client.list_orders(
        take=20, order_by="desc", status="PENDING", client_ids=["c1", "c2"], search="Jane Doe"
    )
    assert server.received[-1].raw_path == "/api/v1/dapp/orders?" + expected
    assert page.items == [{"id": "o1", "adminApproval": "VERIFIED"}]
    assert (page.meta.page, page.meta.take, page.meta.has_next) == (1, 20, False)


def test_tilde_and_star_in_a_search_are_encoded_like_url_search_params(server, client, key_pair):
    expected = "countryCode=GBR&page=1&take=50&orderBy=asc&search=a%7Eb*+%C3%A9"
    data = {"strains": [], "pageMetaDto": meta("1", "50", 0)}
    server.default = guard(key_pair[0], expected, reply=Reply(200, envelope(data)))
    client.list_strains(country_code="GBR", search="a~b* é")
    assert server.received[-1].query == expected


def test_detail_get_signs_path_params_in_route_order(server, client, key_pair):
    details = {"id": "o-2", "orderStatus": "PENDING"}
    server.default = guard(
        key_pair[0],
        '{"clientId":"c-1","orderId":"o-2"}',
        reply=Reply(200, envelope({"orderDetails": details})),
    )
    assert client.get_client_order("c-1", "o-2") == details
    assert server.received[-1].raw_path == "/api/v1/dapp/clients/c-1/orders/o-2"
    assert client.detail_signature_variant == "params"
    assert server.count() == 1


def test_singular_client_routes(server, client, key_pair):
    data = {"transactions": [{"id": "t1", "status": "FAILED"}], "pageMetaDto": meta(1, 10, 1)}
    server.default = guard(key_pair[0], '{"clientId":"c-1"}', reply=Reply(200, envelope(data)))
    page = client.list_client_transactions("c-1")
    assert server.received[-1].raw_path == "/api/v1/dapp/client/c-1/transactions"
    assert page.items[0]["id"] == "t1"
    server.default = guard(
        key_pair[0],
        "page=1&take=5&orderBy=desc",
        reply=Reply(200, envelope({"orders": [], "pageMetaDto": meta("1", "5", 0)})),
    )
    client.list_client_orders("c-1", take=5, order_by="desc")
    assert server.received[-1].raw_path == "/api/v1/dapp/client/c-1/orders?page=1&take=5&orderBy=desc"


def test_detail_get_falls_back_once_to_empty_object_and_remembers(server, client, key_pair):
    row = {"id": "c-1", "email": "x@example.com"}
    server.default = guard(key_pair[0], "{}", reply=Reply(200, envelope(row)))  # a docs-style server
    assert client.get_client("c-1") == row
    assert server.count() == 2
    assert client.detail_signature_variant == "empty"
    assert client.get_client("c-1") == row
    assert server.count() == 3  # remembered: straight to {}


def test_detail_get_with_bad_keys_fails_after_one_fallback(server, client):
    server.default = GUARD_401
    with pytest.raises(AuthError):
        client.get_order("o-1")
    assert server.count() == 2
    assert client.detail_signature_variant is None


def test_detail_fallback_can_be_disabled(server, key_pair):
    server.default = guard(key_pair[0], "{}", reply=Reply(200, envelope({"id": "s1"})))
    strict = DrGreenClient(server.base_url, *key_pair, accept_empty_detail_signature=False)
    with pytest.raises(AuthError):
        strict.get_strain("s1")
    assert server.count() == 1
    docs_mode = DrGreenClient(server.base_url, *key_pair, accept_empty_detail_signature=True)
    assert docs_mode.get_strain("s1") == {"id": "s1"}
    assert server.count() == 2


def test_no_fallback_once_path_params_are_known_to_work(server, client, key_pair):
    server.script.append(
        guard(key_pair[0], '{"orderId":"o-1"}', reply=Reply(200, envelope({"orderDetails": {"id": "o-1"}})))
    )
    client.get_order("o-1")
    server.default = GUARD_401  # e.g. the key was revoked later
    with pytest.raises(AuthError):
        client.get_order("o-1")
    assert server.count() == 2


def test_order_detail_null_is_not_found(server, client):
    server.default = Reply(200, envelope({"orderDetails": None}))
    with pytest.raises(NotFound) as info:
        client.get_order("missing")
    assert info.value.status == 200


def test_get_strain_with_country_signs_the_query(server, client, key_pair):
    server.default = guard(key_pair[0], "countryCode=ZAF", reply=Reply(200, envelope({"id": "s1"})))
    assert client.get_strain("s1", country_code="ZAF") == {"id": "s1"}
    assert server.received[-1].raw_path == "/api/v1/dapp/strains/s1?countryCode=ZAF"


def test_delete_signs_the_empty_body_not_the_query(server, client, key_pair):
    msg = {"message": "strain is deleted successfully from cart"}
    server.default = guard(key_pair[0], "{}", reply=Reply(200, envelope(msg)))
    assert client.remove_cart_strain("cart-1", "s-1") == msg
    req = server.received[-1]
    assert (req.method, req.raw_path, req.body) == ("DELETE", "/api/v1/dapp/carts/cart-1?strainId=s-1", b"")
    client.empty_cart("cart-1")
    assert server.received[-1].raw_path == "/api/v1/dapp/carts/cart-1"


def test_update_sale_puts_the_id_in_query_and_body(server, client, key_pair):
    expected = '{"id":"sale-1","stage":"CLOSED"}'
    reply = Reply(200, envelope({"id": "sale-1", "stage": "CLOSED"}))
    server.default = guard(key_pair[0], expected, reply=reply)
    client.update_sale("sale-1", {"stage": "CLOSED"})
    req = server.received[-1]
    assert (req.method, req.raw_path) == ("PATCH", "/api/v1/dapp/sales?id=sale-1")
    assert req.body == expected.encode()


def test_path_params_are_percent_encoded(server, client):
    server.default = Reply(200, envelope({"orderDetails": {"id": "a/b c"}}))
    client.get_order("a/b c")
    assert server.received[-1].raw_path == "/api/v1/dapp/orders/a%2Fb%20c"


def test_health_is_unsigned(server, client):
    server.default = Reply(200, envelope("Success"))
    assert client.health()["data"] == "Success"
    req = server.received[-1]
    assert req.raw_path == "/api/v1/public/healthStatus"
    assert req.header("x-auth-apikey") is None and req.header("x-auth-signature") is None


@pytest.mark.parametrize("body", [b"<html>gateway</html>", b"[1,2]", b""])
def test_non_envelope_2xx_is_a_format_error(server, client, body):
    server.default = Reply(200, body)
    with pytest.raises(ResponseFormatError):
        client.order_summary()


def test_success_false_in_a_200_is_an_error(server, client):
    server.default = Reply(200, {"success": False, "message": "Client is not active", "errorCode": 400})
    with pytest.raises(ValidationError) as info:
        client.dashboard_summary()
    assert info.value.status == 400


def test_recent_orders_wrapper_and_lists_of_reports(server, client):
    server.default = Reply(200, envelope({"recentOrders": [{"id": "r1"}], "pageMetaDto": meta(1, 10, 1)}))
    assert client.list_recent_orders().items == [{"id": "r1"}]
    assert server.received[-1].raw_path == "/api/v1/dapp/orders/recent"
    point = {"name": "Friday", "value": 50, "date": "2026-04-24T00:00:00.000Z"}
    server.default = Reply(200, envelope([point]))
    chart = client.revenue_chart_data(start_date="2026-04-10", end_date="2026-05-10")
    assert chart[0]["value"] == 50
    assert server.received[-1].query == "startDate=2026-04-10&endDate=2026-05-10"


def test_iter_orders_walks_pages_over_http(server, client):
    rows = [{"id": f"o{i}"} for i in range(5)]

    def respond(req: Received):
        q = {k: v[0] for k, v in parse_qs(req.query).items()}
        page, take = int(q["page"]), int(q["take"])
        chunk = rows[(page - 1) * take : page * take]
        return Reply(200, envelope({"orders": chunk, "pageMetaDto": meta(q["page"], q["take"], len(rows))}))

    server.default = respond
    assert [o["id"] for o in client.iter_orders(take=2, status="PENDING")] == [f"o{i}" for i in range(5)]
    assert [r.query for r in server.received] == [
        f"page={p}&take=2&orderBy=asc&status=PENDING" for p in (1, 2, 3)
    ]


def test_find_client_by_email_needs_an_exact_match(server, client):
    items = [{"id": "1", "email": "ann.lee@example.com.au"}, {"id": "2", "email": "Ann.Lee@Example.com"}]
    server.default = Reply(200, envelope({"clients": items, "pageMetaDto": meta("1", "50", 2)}))
    assert client.find_client_by_email("ann.lee@example.com")["id"] == "2"
    expected = "page=1&take=50&orderBy=asc&search=ann.lee%40example.com&searchBy=clientName"
    assert server.received[-1].query == expected
    assert client.find_client_by_email("ann@example.com") is None
