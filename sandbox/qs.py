"""Express "extended" query parsing (the ``qs`` package) and ``URLSearchParams`` output.

The real guard signs ``new URLSearchParams(req.query).toString()`` where ``req.query``
is ``qs.parse(rawQuery, {allowPrototypes: true})``. Reproducing both steps is the
only way to verify signatures exactly like production, including the odd cases:
``+``/``%20`` both decode to a space, repeated keys become arrays (signed
comma-joined), bracket keys become objects (signed ``[object Object]``), integer-like
keys move first, a key without ``=`` becomes ``key=``.

JS values are modelled as: ``str``; ``list`` for arrays (``HOLE`` marks sparse slots
until compaction); ``dict`` for objects (insertion ordered; JS key order is applied
when iterating with :func:`sandbox.jsjson.js_keys`).
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.jsjson import js_keys

DEPTH = 5
ARRAY_LIMIT = 20
PARAMETER_LIMIT = 1000


class _Hole:
    """A missing slot of a sparse JS array (``arr[3] = x`` on an empty array)."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<hole>"


HOLE = _Hole()

_PCT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_BRACKET = re.compile(r"\[[^\[\]]*\]")
_OBJECT_PROTOTYPE = frozenset(
    {
        "constructor",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "toString",
        "valueOf",
        "__defineGetter__",
        "__defineSetter__",
        "__lookupGetter__",
        "__lookupSetter__",
        "__proto__",
    }
)


class _URIError(Exception):
    pass


def decode_uri_component(text: str) -> str:
    """``decodeURIComponent``: raises on a stray ``%`` or malformed UTF-8."""
    if "%" not in text:
        return text

    def repl(match: re.Match[str]) -> str:
        raw = bytes.fromhex(match.group(0).replace("%", ""))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _URIError from exc

    decoded = _PCT_RUN.sub(repl, text)
    # Any '%' left over was not followed by two hex digits.
    if "%" in _PCT_RUN.sub("", text):
        raise _URIError
    return decoded


def qs_decode(text: str) -> str:
    """qs's default decoder: ``+`` -> space, then decodeURIComponent, falling back to the input."""
    without_plus = text.replace("+", " ")
    try:
        return decode_uri_component(without_plus)
    except _URIError:
        return without_plus


def _parse_values(raw: str) -> dict[str, Any]:
    clean = re.sub("%5B", "[", raw, flags=re.IGNORECASE)
    clean = re.sub("%5D", "]", clean, flags=re.IGNORECASE)
    parts = clean.split("&")[:PARAMETER_LIMIT]
    obj: dict[str, Any] = {}
    for part in parts:
        bracket_equals = part.find("]=")
        pos = part.find("=") if bracket_equals == -1 else bracket_equals + 1
        if pos == -1:
            key, val = qs_decode(part), ""
        else:
            key, val = qs_decode(part[:pos]), qs_decode(part[pos + 1 :])
        if key in obj:
            existing = obj[key]
            obj[key] = (existing if isinstance(existing, list) else [existing]) + [val]
        else:
            obj[key] = val
    return obj


def _parse_object(chain: list[str], val: Any) -> Any:
    leaf = val
    for root in reversed(chain):
        if root == "[]":
            leaf = list(leaf) if isinstance(leaf, list) else [leaf]
            continue
        clean = root[1:-1] if root.startswith("[") and root.endswith("]") else root
        obj: Any
        if root != clean and re.fullmatch(r"0|[1-9][0-9]*", clean) is not None and int(clean) <= ARRAY_LIMIT:
            index = int(clean)
            obj = [HOLE] * index + [leaf]
        elif clean != "__proto__":
            obj = {clean: leaf}
        else:
            obj = {}
        leaf = obj
    return leaf


def _parse_keys(given: str, val: Any) -> Any:
    if not given:
        return None
    first = _BRACKET.search(given)
    parent = given[: first.start()] if first else given
    keys: list[str] = []
    if parent:
        keys.append(parent)
    last_end = None
    count = 0
    for match in _BRACKET.finditer(given):
        if count >= DEPTH:
            # Deeper segments are kept verbatim as one key, like qs does.
            keys.append("[" + given[match.start() :] + "]")
            break
        keys.append(match.group(0))
        count += 1
        last_end = match.end()
    del last_end
    return _parse_object(keys, val)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict | list)


def _array_to_object(arr: list[Any]) -> dict[str, Any]:
    return {str(i): v for i, v in enumerate(arr) if v is not HOLE}


def merge(target: Any, source: Any) -> Any:
    """``qs/lib/utils.merge`` for the shapes the parser produces."""
    if source is None or source == "":
        return target
    if not _is_object(source):
        if isinstance(target, list):
            target.append(source)
        elif isinstance(target, dict):
            # allowPrototypes is on in Express, so even prototype names are assigned.
            target[source] = True
        else:
            return [target, source]
        return target
    if not _is_object(target):
        return [target] + (list(source) if isinstance(source, list) else [source])
    if isinstance(target, list) and isinstance(source, list):
        for i, item in enumerate(source):
            if item is HOLE:
                continue
            if i < len(target) and target[i] is not HOLE:
                if _is_object(target[i]) and _is_object(item):
                    target[i] = merge(target[i], item)
                else:
                    target.append(item)
            else:
                while len(target) < i:
                    target.append(HOLE)
                if i < len(target):
                    target[i] = item
                else:
                    target.append(item)
        return target
    merge_target = _array_to_object(target) if isinstance(target, list) else target
    src_items = _array_to_object(source).items() if isinstance(source, list) else source.items()
    for key, value in src_items:
        if key in merge_target:
            merge_target[key] = merge(merge_target[key], value)
        else:
            merge_target[key] = value
    return merge_target


def compact(value: Any) -> Any:
    """Drop holes from every array, as qs does before returning."""
    if isinstance(value, list):
        return [compact(v) for v in value if v is not HOLE]
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items()}
    return value


def parse(raw: str) -> dict[str, Any]:
    """``qs.parse(raw, {allowPrototypes: true})`` as Express 4 does for ``req.query``."""
    if not raw:
        return {}
    temp = _parse_values(raw)
    obj: dict[str, Any] = {}
    for key in js_keys(temp):
        new = _parse_keys(key, temp[key])
        if new is None:
            continue
        obj = merge(obj, new)
    return compact(obj)


def js_string(value: Any) -> str:
    """``String(value)`` for parsed query values."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join("" if v is None or v is HOLE else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)


_FORM_SAFE = frozenset(b"*-._0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def form_encode(text: str) -> str:
    """WHATWG application/x-www-form-urlencoded byte serializer (USVString input)."""
    data = _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")
    out = []
    for byte in data:
        if byte in _FORM_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def url_search_params(query: dict[str, Any]) -> str:
    """``new URLSearchParams(query).toString()`` for a record of JS values."""
    return "&".join(form_encode(k) + "=" + form_encode(js_string(query[k])) for k in js_keys(query))


def canonical_query(raw: str) -> str:
    """The string the real guard signs for a GET with a non-empty query."""
    return url_search_params(parse(raw))
