"""Known-vector tests of the sandbox's canonical-string machinery (literal expectations)."""

from __future__ import annotations

import pytest

from sandbox import jsjson, qs


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("countryCode=GBR&page=1&take=10", "countryCode=GBR&page=1&take=10"),
        ("search=Blue%20Dream", "search=Blue+Dream"),
        ("search=Blue+Dream", "search=Blue+Dream"),
        ("a=1&a=2", "a=1%2C2"),
        ("a[]=1&a[]=2", "a=1%2C2"),
        ("a[b]=1", "a=%5Bobject+Object%5D"),
        ("a%5Bb%5D=1", "a=%5Bobject+Object%5D"),
        ("b=y&2=x&1=z", "1=z&2=x&b=y"),
        ("flag", "flag="),
        ("page=", "page="),
        ("x=~", "x=%7E"),
        ("x=*", "x=*"),
        ("x=%C3%A9", "x=%C3%A9"),
        ("x=\u00c3\u00a9", "x=%C3%83%C2%A9"),  # raw UTF-8 bytes in a URL reach qs as latin-1 chars
        ("x=é", "x=%C3%A9"),
        ("x=%2B", "x=%2B"),
        ("x=%25", "x=%25"),
        ("x=a%26b", "x=a%26b"),
        ("x=%zz", "x=%25zz"),  # malformed escape: qs keeps the text undecoded
        ("clientIds=%5B%22c1%22%5D", "clientIds=%5B%22c1%22%5D"),
        ("a[0]=x&a[1]=y", "a=x%2Cy"),
        ("a[25]=x", "a=%5Bobject+Object%5D"),  # above arrayLimit: an object
        ("=x&b=2", "b=2"),  # empty key dropped
        ("[a]=1", "a=1"),
        ("x=1&x[y]=2", "x=1%2C%5Bobject+Object%5D"),
    ],
)
def test_url_search_params_of_qs_parse(raw: str, expected: str) -> None:
    assert qs.canonical_query(raw) == expected


def test_qs_parse_shapes() -> None:
    assert qs.parse("a=1&a=2&b[c]=3&d") == {"a": ["1", "2"], "b": {"c": "3"}, "d": ""}
    assert qs.parse("") == {}
    assert qs.parse("&") == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.5, "1.5"),
        (10.0, "10"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (1.5e300, "1.5e+300"),
        (10**22, "1e+22"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "0"),
        (100, "100"),
        (1e20, "100000000000000000000"),
        (2.5e-8, "2.5e-8"),
        (-1.25, "-1.25"),
    ],
)
def test_js_number_formatting(value: float, expected: str) -> None:
    assert jsjson.format_number(value) == expected


def test_js_stringify_key_order_unicode_and_parse_quirks() -> None:
    parsed = jsjson.parse('{"b":1,"10":2,"a":"é/\\u2028","2":[1.50,10.0,1e21,1e-7],"b":3}')
    assert jsjson.stringify(parsed) == '{"2":[1.5,10,1e+21,1e-7],"10":2,"b":3,"a":"é/\u2028"}'


def test_js_stringify_escapes() -> None:
    assert jsjson.stringify({"s": 'q"\\\n\t\x01'}) == '{"s":"q\\"\\\\\\n\\t\\u0001"}'
    assert jsjson.stringify({"lone": "\ud800"}) == '{"lone":"\\ud800"}'
    assert jsjson.stringify({"n": None, "t": True, "f": False, "e": [], "o": {}}) == (
        '{"n":null,"t":true,"f":false,"e":[],"o":{}}'
    )


def test_big_integers_lose_precision_like_js() -> None:
    assert jsjson.stringify(jsjson.parse('{"n":9007199254740993}')) == '{"n":9007199254740992}'


def test_non_integer_like_numeric_keys_keep_insertion_order() -> None:
    assert jsjson.stringify({"b": 1, "01": 2, "1": 3, "-1": 4}) == '{"1":3,"b":1,"01":2,"-1":4}'
