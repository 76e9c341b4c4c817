"""Known-vector tests of the canonical strings (facts §2.3). Expected strings are written out
by hand from the rules: WHATWG form encoding for GETs with a query, path-params JSON for GETs
without one, JavaScript JSON.stringify of the body otherwise."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from integration.drgreen.jsjson import js_number
from integration.drgreen.signing import (
    build_query,
    canonical_string,
    form_encode,
    js_stringify,
    order_query,
    query_value,
)

# --- GET with a query: URLSearchParams(req.query).toString() -------------------------------

GET_QUERY_VECTORS = [
    ([("countryCode", "GBR"), ("page", "1"), ("take", "10")], "countryCode=GBR&page=1&take=10"),
    ([("search", "Blue Dream")], "search=Blue+Dream"),
    ([("search", "a~b*c")], "search=a%7Eb*c"),
    ([("search", "café")], "search=caf%C3%A9"),
    ([("q", "1+1=2 & 100%")], "q=1%2B1%3D2+%26+100%25"),
    ([("q", "-._")], "q=-._"),
    ([("q", "🌿")], "q=%F0%9F%8C%BF"),
    ([("q", "a/b:c?d#e")], "q=a%2Fb%3Ac%3Fd%23e"),
    ([("q", "'quote' \"dq\"")], "q=%27quote%27+%22dq%22"),
    ([("search", "")], "search="),
    ([("endDate", "2026-05-10T00:00:00.000Z")], "endDate=2026-05-10T00%3A00%3A00.000Z"),
    # JavaScript enumerates integer-like keys first, ascending; "01" is not integer-like.
    ([("b", "y"), ("2", "x"), ("1", "z")], "1=z&2=x&b=y"),
    ([("b", "y"), ("01", "x")], "b=y&01=x"),
    ([("a b", "c~")], "a+b=c%7E"),
]


@pytest.mark.parametrize(("query", "expected"), GET_QUERY_VECTORS)
def test_get_with_query_is_form_encoded(query, expected):
    assert canonical_string("GET", query=query, path_params=[("orderId", "ignored")]) == expected


def test_form_encode_keeps_the_given_order():
    assert form_encode([("take", "5"), ("page", "2")]) == "take=5&page=2"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("clientIds", ["c1", "c2"])], "clientIds=%5B%22c1%22%2C%22c2%22%5D"),
        ([("countryCodes", ("GBR",))], "countryCodes=%5B%22GBR%22%5D"),
        ([("isVerified", True), ("x", False)], "isVerified=true&x=false"),
        ([("take", 200), ("price", 1.0), ("ratio", 0.1)], "take=200&price=1&ratio=0.1"),
        ([("page", 1), ("status", None), ("orderBy", "asc")], "page=1&orderBy=asc"),
        ([("startDate", dt.date(2026, 4, 10))], "startDate=2026-04-10"),
        (
            [("id", uuid.UUID("12345678-1234-5678-1234-567812345678"))],
            "id=12345678-1234-5678-1234-567812345678",
        ),
    ],
)
def test_build_query_converts_filter_values(params, expected):
    assert canonical_string("GET", query=build_query(params)) == expected


def test_build_query_accepts_a_mapping_in_insertion_order():
    assert build_query({"take": 10, "page": 1}) == [("take", "10"), ("page", "1")]


@pytest.mark.parametrize("pairs", [[("a", "1"), ("a", "2")], [("a[b]", "1")], [("", "x")]])
def test_repeated_bracket_or_empty_keys_are_refused(pairs):
    with pytest.raises(ValueError):
        order_query(pairs)


def test_query_value_rejects_unknown_types():
    with pytest.raises(TypeError):
        query_value(object())


# --- GET without a query: JSON.stringify(req.params) ------------------------------------------


@pytest.mark.parametrize(
    ("path_params", "expected"),
    [
        (None, "{}"),
        ([], "{}"),
        ([("orderId", "603b3f1a-0c8e-4f0a")], '{"orderId":"603b3f1a-0c8e-4f0a"}'),
        ([("clientId", "c-1"), ("orderId", "o-2")], '{"clientId":"c-1","orderId":"o-2"}'),
        ({"strainId": "s-9"}, '{"strainId":"s-9"}'),
    ],
)
def test_get_without_query_signs_path_params(path_params, expected):
    assert canonical_string("GET", query=[], path_params=path_params) == expected


# --- every other method: JSON.stringify(req.body) ---------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "PUT"])
def test_non_get_without_body_signs_empty_object(method):
    assert canonical_string(method, query=[("strainId", "s")], path_params=[("cartId", "c")]) == "{}"


BODY_VECTORS = [
    ({"clientId": "abc"}, '{"clientId":"abc"}'),
    (
        {
            "items": [{"strainId": "s1", "quantity": 2}, {"strainId": "s2", "quantity": 1.5}],
            "clientCartId": "cart",
        },
        '{"items":[{"strainId":"s1","quantity":2},{"strainId":"s2","quantity":1.5}],"clientCartId":"cart"}',
    ),
    ({"10": "a", "b": 1, "2": "c"}, '{"2":"c","10":"a","b":1}'),
    ({"4294967294": 1, "4294967295": 2, "a": 3}, '{"4294967294":1,"4294967295":2,"a":3}'),
    ({"b": 1, "4294967295": 2, "0": 3}, '{"0":3,"b":1,"4294967295":2}'),
    ({1: "a", "x": 2}, '{"1":"a","x":2}'),
    ({"name": "José ☘", "note": "a/b"}, '{"name":"José ☘","note":"a/b"}'),
    ({"s": 'q" b\\ n\n t\t c\x01 \x7f'}, '{"s":"q\\" b\\\\ n\\n t\\t c\\u0001 \x7f"}'),
    ({"s": "\u2028"}, '{"s":"\u2028"}'),
    ({"s": "\ud83c\udf3f", "lone": "\ud800"}, '{"s":"🌿","lone":"\\ud800"}'),
    ({"ok": True, "no": False, "none": None, "list": []}, '{"ok":true,"no":false,"none":null,"list":[]}'),
    ({"nested": {"deep": {"x": [1, {"y": "z"}]}}}, '{"nested":{"deep":{"x":[1,{"y":"z"}]}}}'),
    (
        {"shipping": {"postalCode": "SW1A 1AA", "countryCode": "GBR"}, "email": "a+b@example.com"},
        '{"shipping":{"postalCode":"SW1A 1AA","countryCode":"GBR"},"email":"a+b@example.com"}',
    ),
    ({}, "{}"),
]


@pytest.mark.parametrize(("body", "expected"), BODY_VECTORS)
def test_non_get_signs_js_stringify_of_body(body, expected):
    assert canonical_string("POST", body=body) == expected


# --- JavaScript number formatting ------------------------------------------------------------

NUMBER_VECTORS = [
    (0, "0"),
    (-0.0, "0"),
    (100, "100"),
    (-7, "-7"),
    (1.5, "1.5"),
    (10.0, "10"),
    (0.1, "0.1"),
    (1e-6, "0.000001"),
    (1e-7, "1e-7"),
    (1.23e-18, "1.23e-18"),
    (1e20, "100000000000000000000"),
    (1e21, "1e+21"),
    (1.5e300, "1.5e+300"),
    (123456789.123, "123456789.123"),
    (-2.5e-10, "-2.5e-10"),
    (2**53, "9007199254740992"),
    (2**53 + 1, "9007199254740992"),
    (2**64, "18446744073709552000"),
    (10**400, "null"),
    (float("nan"), "null"),
    (float("inf"), "null"),
    (float("-inf"), "null"),
    (Decimal("9.090"), "9.09"),
    (Decimal("10.00"), "10"),
    (Decimal("0.0000001"), "1e-7"),
    (Decimal("NaN"), "null"),
]


@pytest.mark.parametrize(("value", "expected"), NUMBER_VECTORS)
def test_js_number_formatting(value, expected):
    assert js_number(value) == expected
    assert js_stringify([value]) == f"[{expected}]"


def test_js_stringify_scalars_and_types():
    assert js_stringify(None) == "null"
    assert js_stringify(True) == "true"
    assert js_stringify("x") == '"x"'
    assert js_stringify((1, 2)) == "[1,2]"
    with pytest.raises(TypeError):
        js_stringify({"when": dt.datetime(2026, 1, 1)})  # noqa: DTZ001 - type check only


def test_duplicate_keys_after_conversion_keep_first_position_and_last_value():
    # {1: ..} and {"1": ..} collide once the key is a string, like JSON.parse's last-wins.
    assert js_stringify({"a": 0, 1: "first", "1": "second"}) == '{"1":"second","a":0}'
