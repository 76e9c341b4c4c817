"""JavaScript-compatible ``JSON.stringify`` for Python values.

Dr Green's guard does not verify the bytes we send: it re-serialises the body Express parsed
with ``JSON.stringify`` and verifies the signature over *that* string (facts §2.3.2). So what we
sign (and send) must be a fixed point of ``JSON.stringify(JSON.parse(s))``. Python's ``json``
module differs from JavaScript in number formatting (``10.0``, ``1e-07``), in key order
(JavaScript moves integer-like keys first) and in escaping defaults; this module reproduces the
JavaScript behaviour.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["is_array_index", "js_key_order", "js_number", "js_string", "js_stringify"]

# JavaScript represents every number as an IEEE double; integers beyond 2**53 lose precision
# when the server's JSON.parse reads them, so we print them the way JavaScript will.
_MAX_SAFE_INT = 2**53
# ECMAScript "array index": canonical numeric string of an integer in [0, 2**32 - 2].
_MAX_ARRAY_INDEX = 2**32 - 2

_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
# Characters JSON.stringify escapes: quote, backslash, C0 controls and lone surrogates
# (well-formed JSON.stringify, ES2019). Everything else, including U+2028/U+2029 and DEL,
# is emitted raw.
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')


def is_array_index(key: str) -> bool:
    """True if ``key`` is an integer-like property name that JavaScript orders first."""
    if not key or not key.isascii() or not key.isdigit():
        return False
    if len(key) > 1 and key[0] == "0":
        return False  # "01" is not canonical, so it stays a plain string key
    return int(key) <= _MAX_ARRAY_INDEX


def js_key_order(keys: list[str]) -> list[str]:
    """Order property names as JavaScript enumerates them.

    Integer-like keys come first in ascending numeric order; the rest keep insertion order.
    """
    indices = sorted((k for k in keys if is_array_index(k)), key=int)
    return indices + [k for k in keys if not is_array_index(k)]


def _format_finite_double(value: float) -> str:
    """Number::toString for a finite, non-zero double (ECMA-262 §6.1.6.1.20)."""
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digit string that round-trips, which is what JavaScript uses.
    decimal_value = Decimal(repr(abs(value))).normalize()
    _, digit_tuple, exponent = decimal_value.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(str(d) for d in digit_tuple)
    k = len(digits)
    n = exponent + k  # value = 0.digits × 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        exp_text = ("+" if e >= 0 else "-") + str(abs(e))
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = mantissa + "e" + exp_text
    return sign + text


def js_number(value: int | float | Decimal) -> str:
    """Format a number exactly like JavaScript's ``JSON.stringify`` would.

    ``10.0`` → ``10``, ``1e-7`` → ``1e-7``, ``1e21`` → ``1e+21``, ``-0.0`` → ``0``,
    NaN/±Infinity → ``null``, integers beyond 2**53 as the nearest double prints.
    """
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int):
        if abs(value) <= _MAX_SAFE_INT:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            return "null"  # JSON.parse yields Infinity, which JSON.stringify writes as null
    elif isinstance(value, Decimal):
        try:
            value = float(value)
        except (InvalidOperation, ValueError):
            return "null"
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value == 0:
        return "0"  # covers -0.0: JavaScript prints it as 0
    return _format_finite_double(value)


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    return f"\\u{ord(char):04x}"


def js_string(text: str) -> str:
    """Quote a string like ``JSON.stringify`` (raw UTF-8, ``/`` not escaped)."""
    if any("\ud800" <= c <= "\udfff" for c in text):
        # Python may hold a surrogate *pair* as two code points; JavaScript sees one character
        # and prints it raw, so join pairs first and only escape the lone ones.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, text) + '"'


def _key_text(key: object) -> str:
    # Mirrors what the key becomes after a JSON round trip on the server.
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int | float | Decimal):
        return js_number(key)
    if isinstance(key, uuid.UUID):
        return str(key)
    raise TypeError(f"unsupported JSON object key type: {type(key).__name__}")


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(js_string(value))
    elif isinstance(value, int | float | Decimal):
        out.append(js_number(value))
    elif isinstance(value, uuid.UUID):
        out.append(js_string(str(value)))
    elif isinstance(value, Mapping):
        # A plain dict keeps the first position and the last value of a repeated key, which
        # is what JSON.parse does with duplicate keys.
        merged: dict[str, Any] = {}
        for key, item in value.items():
            merged[_key_text(key)] = item
        out.append("{")
        for i, key in enumerate(js_key_order(list(merged))):
            if i:
                out.append(",")
            out.append(js_string(key))
            out.append(":")
            _encode(merged[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"value of type {type(value).__name__} is not JSON serialisable")


def js_stringify(obj: Any) -> str:
    """Return what JavaScript's ``JSON.stringify(JSON.parse(<our JSON of obj>))`` prints.

    Compact, raw UTF-8, integer-like keys first, JavaScript number formatting. Supports
    dict/Mapping, list/tuple, str, int, float, Decimal, bool, None and UUID (as a string).
    """
    out: list[str] = []
    _encode(obj, out)
    return "".join(out)
