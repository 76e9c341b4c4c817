"""Envelope, pageMetaDto, the interceptor error shape, class-validator messages, not-found quirks."""

from __future__ import annotations

import uuid

from tests.sandbox.conftest import Api, World, person


def test_page_meta_strings_when_sent_numbers_when_defaulted(world: World) -> None:
    for _ in range(3):
        world.client(verify=False)
    r = world.api.get("/dapp/clients", [("page", "2"), ("take", "2")])
    assert r.body["success"] is True and r.body["statusCode"] == 200 and r.body["message"] == "Success"
    assert r.data["pageMetaDto"] == {
        "page": "2",
        "take": "2",
        "itemCount": 3,
        "pageCount": 2,
        "hasPreviousPage": True,
        "hasNextPage": False,
    }
    assert len(r.data["clients"]) == 1
    r = world.api.get("/dapp/clients")
    assert r.data["pageMetaDto"] == {
        "page": 1,
        "take": 10,
        "itemCount": 3,
        "pageCount": 1,
        "hasPreviousPage": False,
        "hasNextPage": False,
    }
    # limit is not a parameter: silently stripped, page size stays 10.
    assert world.api.get("/dapp/clients", [("limit", "1")]).data["pageMetaDto"]["take"] == 10


def test_default_sort_is_ascending_and_desc_reverses(world: World) -> None:
    made = [world.client(verify=False)["id"] for _ in range(3)]
    assert [c["id"] for c in world.api.get("/dapp/clients").data["clients"]] == made
    desc = world.api.get("/dapp/clients", [("orderBy", "desc")]).data["clients"]
    assert [c["id"] for c in desc] == made[::-1]


def test_pagination_validation_messages(api: Api) -> None:
    r = api.get("/dapp/orders", [("page", "0"), ("take", "x"), ("orderBy", "up")])
    assert r.status == 400
    assert r.body == {
        "success": False,
        "message": "orderBy must be one of the following values: asc, desc, page must not be less than 1, "
        "take must not be less than 1, take must be an integer number",
        "errorCode": 400,
        "error": "Bad Request",
        "url": "/api/v1/dapp/orders?page=0&take=x&orderBy=up",
        "urlMethod": "GET",
    }


def test_search_only_with_search_by_client_name(world: World) -> None:
    a = world.client(verify=False, firstName="Zephyrine")
    world.client(verify=False)
    assert len(world.api.get("/dapp/clients", [("search", "Zephyrine")]).data["clients"]) == 2
    found = world.api.get("/dapp/clients", [("search", "zephyrine"), ("searchBy", "clientName")]).data[
        "clients"
    ]
    assert [c["id"] for c in found] == [a["id"]]
    bad = world.api.get("/dapp/clients", [("search", "x"), ("searchBy", "email")])
    assert (
        bad.status == 400
        and bad.body["message"] == "searchBy must be one of the following values: clientName"
    )


def test_client_list_filters(world: World) -> None:
    verified = world.client()
    pending = world.client(verify=False)
    ids = lambda r: {c["id"] for c in r.data["clients"]}  # noqa: E731
    assert ids(world.api.get("/dapp/clients", [("adminApproval", "VERIFIED")])) == {verified["id"]}
    assert ids(world.api.get("/dapp/clients", [("status", "InActive")])) == {pending["id"]}
    assert ids(world.api.get("/dapp/clients", [("isVerified", "true")])) == {verified["id"]}
    assert ids(world.api.get("/dapp/clients", [("countryCodes", '["GBR"]')])) == {
        verified["id"],
        pending["id"],
    }
    assert ids(world.api.get("/dapp/clients", [("countryCodes", '["PRT"]')])) == set()
    listed = world.api.get("/dapp/clients", [("adminApproval", "VERIFIED")]).data["clients"][0]
    assert listed["clientLogs"][0]["activity"] == "Approved" and listed["verifiedAt"]
    bad = world.api.get("/dapp/clients", [("countryCodes", '"GBR"')])
    assert bad.status == 400 and bad.body["message"] == "countryCodes must be an array"


def test_chart_endpoints_require_dates_with_the_docs_message(api: Api) -> None:
    for path in ("/dapp/clients/chart-data", "/dapp/orders/status-breakdown", "/dapp/revenue/chart-data"):
        r = api.get(path)
        assert r.status == 400
        assert r.body["message"].endswith(
            "startdate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY, startDate should not be empty, "
            "endDate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY, endDate should not be empty"
        )
    ok = api.get("/dapp/clients/chart-data", [("startDate", "2026-01-01"), ("endDate", "2026-01-31")])
    assert ok.status == 200 and ok.data == []


def test_malformed_uuids_are_400(api: Api) -> None:
    assert api.detail("/dapp/orders/nope", orderId="nope").body["message"] == "orderId must be a UUID"
    assert api.detail("/dapp/clients/nope", clientId="nope").body["message"] == "clientId must be a UUID"
    r = api.detail("/dapp/clients/a/orders/b", clientId="a", orderId="b")
    assert r.body["message"] == "clientId must be a UUID, orderId must be a UUID"


def test_alpha2_country_code_rejected(api: Api) -> None:
    r = api.get("/dapp/strains", [("countryCode", "GB")])
    assert r.status == 400 and r.body["message"] == "countryCode must be a valid ISO31661 Alpha3 code"


def test_not_found_quirks(api: Api) -> None:
    missing = str(uuid.uuid4())
    r = api.detail(f"/dapp/orders/{missing}", orderId=missing)
    assert r.status == 200 and r.data == {"orderDetails": None}
    r = api.detail(f"/dapp/clients/{missing}", clientId=missing)
    assert r.status == 500
    assert r.body == {
        "success": False,
        "message": "Client not found",
        "errorCode": 500,
        "error": "Internal Server Error",
        "url": f"/api/v1/dapp/clients/{missing}",
        "urlMethod": "GET",
    }
    r = api.patch(f"/dapp/clients/{missing}", {"firstName": "X"})
    assert r.status == 404 and r.body["message"] == "Client not found" and r.body["error"] == "Not Found"
    r = api.detail(f"/dapp/strains/{missing}", strainId=missing)
    assert r.status == 500 and r.body["message"] == "strain not found"
    r = api.delete(f"/dapp/carts/{missing}")
    assert (
        r.status == 502 and r.body["message"] == "Client Cart not found" and r.body["error"] == "Bad Gateway"
    )
    r = api.detail(f"/dapp/client/{missing}/orders", clientId=missing)
    assert r.status == 200 and r.data["orders"] == []


def test_create_client_validation_messages(api: Api) -> None:
    r = api.post("/dapp/clients", {"firstName": "A", "email": "Mixed@Example.com", "phoneCode": "+44"})
    assert r.status == 400
    assert r.body["message"] == (
        "Email must be in lowercase., contactNumber must be a string, contactNumber should not be empty, "
        "shipping should not be empty, shipping must be an object, "
        "medicalRecord should not be empty, medicalRecord must be an object"
    )
    body = person()
    body["shipping"] = {**body["shipping"], "countryCode": "GB"}
    del body["shipping"]["postalCode"]
    body["shipping"]["postCode"] = "X"  # the docs' spelling is stripped
    r = api.post("/dapp/clients", body)
    assert r.body["message"] == (
        "shipping.countryCode must be a valid ISO31661 Alpha3 code, shipping.postalCode must be a string"
    )
    body = person()
    body["medicalRecord"] = {
        **body["medicalRecord"],
        "medicalHistory5": ["none", "ptsd"],
        "medicalHistory13": "x",
    }
    del body["medicalRecord"]["medicalHistory0"]
    r = api.post("/dapp/clients", body)
    assert r.body["message"] == (
        "medicalRecord.medicalHistory0 should not be empty, "
        "medicalRecord.medicalHistory0 must be a boolean value, "
        'medicalRecord."Never" or "None" cannot be selected along with other options \'none,ptsd\', '
        "medicalRecord.medicalHistory13 must be one of the following values: "
        "everyday, every_other_day, 1_2_times_per_week, never"
    )
