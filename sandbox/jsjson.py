"""JavaScript-compatible ``JSON.parse`` / ``JSON.stringify``.

The real guard signs ``JSON.stringify(req.body)`` of the *parsed* body, and the
real responses are produced by ``JSON.stringify`` too, so both canonical strings
and response bodies must follow JavaScript's rules exactly: compact output, raw
UTF-8, integer-like keys first, and JavaScript number formatting
(``1.50`` -> ``1.5``, ``10.0`` -> ``10``, ``1e21`` -> ``1e+21``, ``1e-7`` -> ``1e-7``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

_MAX_SAFE = 2**53
_ARRAY_INDEX_MAX = 2**32 - 2
_INT_KEY = re.compile(r"0|[1-9][0-9]*")


def is_array_index(key: str) -> bool:
    """True when JavaScript treats ``key`` as an integer-like property name."""
    return bool(_INT_KEY.fullmatch(key)) and int(key) <= _ARRAY_INDEX_MAX


def js_keys(obj: dict[str, Any]) -> list[str]:
    """Own-property order of a JS object: integer-like keys ascending, then insertion order."""
    ints = sorted((k for k in obj if is_array_index(k)), key=int)
    if not ints:
        return list(obj)
    return ints + [k for k in obj if not is_array_index(k)]


def _js_int(text: str) -> int | float:
    # JS has only doubles: integers beyond 2**53 lose precision exactly like a float.
    value = int(text)
    return value if abs(value) < _MAX_SAFE else float(value)


def parse(text: str) -> Any:
    """``JSON.parse``: duplicate keys keep the last value (at the first key's position)."""
    return json.loads(text, parse_int=_js_int, parse_constant=_reject_constant)


def _reject_constant(name: str) -> Any:
    # Python accepts NaN/Infinity literals; JSON.parse does not.
    raise ValueError(f"Unexpected token '{name[0]}'")


def format_number(value: int | float) -> str:
    """``Number.prototype.toString`` for finite numbers; non-finite -> ``null`` (as stringify)."""
    if isinstance(value, bool):  # pragma: no cover - callers handle bools first
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) < 10**21:
            return str(value)
        value = float(value)
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    # repr() yields the shortest round-tripping digits, as JS does; only the layout differs.
    sign_bit, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    digits = list(digit_tuple)
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1  # type: ignore[operator]
    k = len(digits)
    n = k + int(exponent)
    s = "".join(map(str, digits))
    sign = "-" if sign_bit else ""
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + s
    e = n - 1
    exp = ("+" if e > 0 else "-") + str(abs(e))
    if k == 1:
        return sign + s + "e" + exp
    return sign + s[0] + "." + s[1:] + "e" + exp


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    return f"\\u{ord(ch):04x}"


def format_string(value: str) -> str:
    """Quote a string the way well-formed ``JSON.stringify`` does (lone surrogates escaped)."""
    # Python keeps valid pairs as one astral char, so any surrogate left here is lone.
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, value) + '"'


def stringify(value: Any) -> str:
    """``JSON.stringify(value)`` with no replacer and no indentation."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int | float):
        out.append(format_number(value))
    elif isinstance(value, str):
        out.append(format_string(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key in js_keys(value):
            if not first:
                out.append(",")
            first = False
            out.append(format_string(str(key)))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        _write_items(value, out)
        out.append("]")
    else:
        raise TypeError(f"cannot stringify {type(value).__name__}")


def _write_items(items: Iterable[Any], out: list[str]) -> None:
    first = True
    for item in items:
        if not first:
            out.append(",")
        first = False
        _write(item, out)


_PLACEHOLDER = "\x00jsnum:"
_PLACEHOLDER_RE = re.compile(r'"\\u0000jsnum:([^"]*)"')
_FAST = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False)


_DIGITS = frozenset("0123456789")


class _Compat:
    """Rewrite what CPython's C encoder would print differently from JavaScript.

    Integral floats become ints (``10.0`` -> ``10``); floats whose ``repr`` layout
    differs from JS (below 1e-4, or huge) become placeholders patched after encoding;
    dicts with integer-like keys are reordered. Primitives are handled inline because
    this runs over every value of every response.
    """

    def __init__(self) -> None:
        self.placeholders = 0

    def number(self, value: float | int) -> Any:
        if type(value) is float:
            if value.is_integer() and -1e21 < value < 1e21:
                return int(value)
            if 1e-4 <= abs(value) < 1e16 or value != value:
                return value
        elif -(10**21) < value < 10**21:
            return value
        self.placeholders += 1
        return _PLACEHOLDER + format_number(value)

    def convert(self, value: Any) -> Any:
        t = type(value)
        if t is dict:
            out = {}
            reorder = False
            for k, v in value.items():
                if k[:1] in _DIGITS:
                    reorder = True
                tv = type(v)
                if tv is str or tv is bool or v is None:
                    out[k] = v
                elif tv is int or tv is float:
                    out[k] = self.number(v)
                else:
                    out[k] = self.convert(v)
            if reorder:
                out = {k: out[k] for k in js_keys(out)}
            return out
        if t is list or t is tuple:
            return [self.convert(v) for v in value]
        if t is int or t is float:
            return self.number(value)
        return value


def fast_stringify(value: Any) -> str:
    """Same output as :func:`stringify`, using the C JSON encoder for the bulk of the work."""
    compat = _Compat()
    text = _FAST.encode(compat.convert(value))
    if compat.placeholders or "\\u0000jsnum:" in text:
        if text.count("\\u0000jsnum:") != compat.placeholders:
            raise ValueError("placeholder collision")  # a string looked like a placeholder
        text = _PLACEHOLDER_RE.sub(lambda m: m.group(1), text)
    return text


def dumps_bytes(value: Any) -> bytes:
    """Stringify and encode as UTF-8 (fast path; lone surrogates fall back to the exact writer)."""
    try:
        return fast_stringify(value).encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        return stringify(value).encode("utf-8")
