"""Canonical strings and signatures exactly as Dr Green's guard rebuilds them (facts §2.3).

The server never verifies our raw bytes. It rebuilds a string from what Express parsed:

* ``GET`` with ≥1 query parameter → ``new URLSearchParams(req.query).toString()``;
* ``GET`` without a query → ``JSON.stringify(req.params)`` (route path parameters, route order);
* every other method → ``JSON.stringify(req.body)`` (``{}`` without a body).

and verifies an ECDSA secp256k1 / SHA-256 signature (DER, base64) over it.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from .jsjson import is_array_index, js_number, js_stringify

__all__ = [
    "QueryPairs",
    "build_query",
    "canonical_string",
    "form_encode",
    "js_stringify",
    "order_query",
    "query_value",
    "sign",
]

QueryPairs = list[tuple[str, str]]

# WHATWG application/x-www-form-urlencoded byte serializer: these bytes stay as they are,
# space becomes "+", everything else is %XX with upper-case hex. Note that this differs from
# urllib.parse.quote_plus for "~" (encoded here) and "*" (kept here).
_FORM_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")


def _form_encode_component(text: str) -> str:
    out: list[str] = []
    for byte in text.encode("utf-8"):
        if byte in _FORM_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def form_encode(params: Iterable[tuple[str, str]]) -> str:
    """WHATWG form-urlencode ``(key, value)`` pairs in the order given (URLSearchParams rules)."""
    return "&".join(f"{_form_encode_component(key)}={_form_encode_component(value)}" for key, value in params)


def query_value(value: Any) -> str:
    """Convert a Python filter value into the text we put in the query string.

    Booleans become ``true``/``false`` (what the DTOs expect), lists and dicts become compact
    JSON text (Dr Green's JSON-array filters such as ``clientIds``), numbers use JavaScript
    formatting, dates ISO format.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return js_number(value)
    if isinstance(value, list | tuple | Mapping):
        return js_stringify(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date):  # datetime is a date subclass; both have isoformat()
        return value.isoformat()
    raise TypeError(f"unsupported query value type: {type(value).__name__}")


def order_query(pairs: Sequence[tuple[str, str]]) -> QueryPairs:
    """Validate query pairs and put them in the order the server re-serialises them.

    Express's ``qs`` parser turns the query into a JavaScript object, so integer-like keys end
    up first (ascending) and the rest keep our order. Repeated keys would become arrays and
    bracket keys nested objects, both of which sign differently, so we refuse them.
    """
    seen: set[str] = set()
    for key, value in pairs:
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("query keys and values must be strings; use build_query() to convert")
        if not key:
            raise ValueError("empty query parameter name")
        if "[" in key or "]" in key:
            raise ValueError(f"bracket query keys are not supported: {key!r}")
        if key in seen:
            raise ValueError(f"repeated query parameter: {key!r}")
        seen.add(key)
    indices = sorted((p for p in pairs if is_array_index(p[0])), key=lambda p: int(p[0]))
    return indices + [p for p in pairs if not is_array_index(p[0])]


def build_query(params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> QueryPairs:
    """Turn a mapping or pair list of filters into ordered string pairs, dropping ``None`` values."""
    if not params:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    pairs = [(str(key), query_value(value)) for key, value in items if value is not None]
    return order_query(pairs)


def canonical_string(
    method: str,
    *,
    query: Sequence[tuple[str, str]] | None = None,
    body: object | None = None,
    path_params: Sequence[tuple[str, str]] | Mapping[str, str] | None = None,
) -> str:
    """The string the Dr Green guard verifies for a request (facts §2.3).

    ``query`` is the list of query pairs as sent, ``body`` the JSON body object (``None`` when
    there is no body), ``path_params`` the route parameters in route order.
    """
    if method.upper() == "GET":
        if query:
            return form_encode(order_query(list(query)))
        if path_params is None:
            return "{}"
        items = path_params.items() if isinstance(path_params, Mapping) else path_params
        return js_stringify(dict(items))
    # Every non-GET method signs the parsed body; the query string is ignored.
    if body is None:
        return "{}"
    return js_stringify(body)


def sign(private_key: ec.EllipticCurvePrivateKey, canonical: str) -> str:
    """ECDSA (key's curve, secp256k1 for Dr Green) over SHA-256 of the UTF-8 canonical string.

    Returns the DER signature, base64-encoded, as the ``x-auth-signature`` header expects.
    """
    der = private_key.sign(canonical.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(der).decode("ascii")
