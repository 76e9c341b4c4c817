"""A small class-validator / class-transformer look-alike.

Nest's ValidationPipe (``whitelist: true, transform: true``) strips unknown
properties silently, runs every constraint of every property and joins all
messages with ``", "``. Message order matters to clients that split it, so
rules are listed per field in the order class-validator reports them, which is
the *reverse* of the decorator order in the DTO source (decorators apply
bottom-up); the docs' own sample ("startdate must be a valid date …, startDate
should not be empty") shows it. Fields are in class order, own fields before
inherited ``PaginationDto`` ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox import jsjson
from sandbox.countries import is_alpha3
from sandbox.errors import HttpError, UnhandledError

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
INVALID_DATE: Any = type("InvalidDate", (), {"__repr__": lambda self: "Invalid Date"})()


@dataclass(frozen=True)
class Rule:
    check: Callable[[Any], bool]
    text: str  # appended after the property name
    each: bool = False
    raw_message: Callable[[Any], str] | None = None  # custom validators with their own message

    def failed(self, value: Any) -> bool:
        if self.each and isinstance(value, list):
            return not all(self.check(v) for v in value)
        return not self.check(value)

    def message(self, prop: str, value: Any) -> str:
        if self.raw_message is not None:
            return self.raw_message(value)
        return f"{'each value in ' if self.each else ''}{prop} {self.text}"


@dataclass
class Field:
    name: str
    rules: Sequence[Rule] = ()
    optional: bool = False
    when: Callable[[dict[str, Any]], bool] | None = None
    transform: Callable[[Any], Any] | None = None
    nested: Sequence[Field] | None = None
    nested_each: bool = False
    default: Any = field(default=MISSING)


# ---- predicates -------------------------------------------------------------------------------

UUID_RE = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}", re.IGNORECASE)
EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
ISO8601_RE = re.compile(r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?")


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v and abs(v) != float("inf")


def is_string(v: Any) -> bool:
    return isinstance(v, str)


def not_empty(v: Any) -> bool:
    return v is not MISSING and v is not None and v != ""


def is_uuid(v: Any) -> bool:
    return isinstance(v, str) and UUID_RE.fullmatch(v) is not None


def is_int(v: Any) -> bool:
    return is_number(v) and float(v).is_integer()


def decimal_places(v: float) -> int:
    text = jsjson.format_number(v)
    return len(text.split(".", 1)[1]) if "." in text and "e" not in text else 0


# ---- rule factories ---------------------------------------------------------------------------


def r_string(each: bool = False) -> Rule:
    return Rule(is_string, "must be a string", each)


def r_not_empty(each: bool = False) -> Rule:
    return Rule(not_empty, "should not be empty", each)


def r_uuid() -> Rule:
    return Rule(is_uuid, "must be a UUID")


def r_int() -> Rule:
    return Rule(is_int, "must be an integer number")


def r_min(n: float) -> Rule:
    return Rule(lambda v: is_number(v) and v >= n, f"must not be less than {jsjson.format_number(n)}")


def r_in(values: Sequence[str], each: bool = False) -> Rule:
    allowed = frozenset(values)
    return Rule(
        lambda v: isinstance(v, str) and v in allowed,
        "must be one of the following values: " + ", ".join(values),
        each,
    )


r_enum = r_in


def r_bool() -> Rule:
    return Rule(lambda v: isinstance(v, bool), "must be a boolean value")


def r_object() -> Rule:
    return Rule(lambda v: isinstance(v, dict), "must be an object")


def r_array() -> Rule:
    return Rule(lambda v: isinstance(v, list), "must be an array")


def r_array_not_empty() -> Rule:
    return Rule(lambda v: isinstance(v, list) and len(v) > 0, "should not be empty")


def r_array_min(n: int) -> Rule:
    return Rule(lambda v: isinstance(v, list) and len(v) >= n, f"must contain at least {n} elements")


def r_number(max_decimals: int | None = None) -> Rule:
    def check(v: Any) -> bool:
        return is_number(v) and (max_decimals is None or decimal_places(v) <= max_decimals)

    return Rule(check, "must be a number conforming to the specified constraints")


def r_email() -> Rule:
    return Rule(lambda v: isinstance(v, str) and EMAIL_RE.fullmatch(v) is not None, "must be an email")


def r_alpha3() -> Rule:
    return Rule(is_alpha3, "must be a valid ISO31661 Alpha3 code")


def r_date_string() -> Rule:
    return Rule(
        lambda v: isinstance(v, str) and ISO8601_RE.fullmatch(v) is not None,
        "must be a valid ISO 8601 date string",
    )


def r_custom(check: Callable[[Any], bool], message: Callable[[Any], str]) -> Rule:
    return Rule(check, "", raw_message=message)


# ---- JavaScript conversions used by @Type / @Transform ----------------------------------------

_JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")


def js_to_number(v: Any) -> Any:
    """``Number(value)`` for query strings (NaN stays a float NaN)."""
    if v is MISSING or v is None:
        return v
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int | float):
        return v
    if isinstance(v, list):
        return js_to_number(v[0]) if len(v) == 1 else (0 if not v else float("nan"))
    if not isinstance(v, str):
        return float("nan")
    s = v.strip(" \t\n\r\x0b\x0c\u00a0\ufeff")
    if s == "":
        return 0
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", s):
        return int(s, 16)
    if re.fullmatch(r"0[oO][0-7]+", s):
        return int(s, 8)
    if re.fullmatch(r"0[bB][01]+", s):
        return int(s, 2)
    if _JS_DECIMAL.fullmatch(s):
        value = float(s.replace("Infinity", "inf"))
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return float("nan")


_DATE_FORMATS = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), "ymd"),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), "ymd"),
    (re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"), "mdy"),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), "mdy"),
)


def js_to_date(v: Any) -> Any:
    """``new Date(value)`` for the formats clients use; :data:`INVALID_DATE` stands for
    Invalid Date, which ``@IsOptional`` does not skip (it is neither null nor undefined)."""
    if v is MISSING or v is None:
        return v
    if not isinstance(v, str):
        return INVALID_DATE
    s = v.strip()
    for pattern, order in _DATE_FORMATS:
        m = pattern.fullmatch(s)
        if m:
            a, b, c = (int(x) for x in m.groups())
            y, mo, d = (a, b, c) if order == "ymd" else (c, a, b)
            if not (1 <= mo <= 12 and 1 <= d <= 31):
                return INVALID_DATE
            # V8 rolls a day past the month's end over (2026-02-30 is 2 March).
            return datetime(y, mo, 1, tzinfo=UTC) + timedelta(days=d - 1)
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return INVALID_DATE
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def json_array_transform(v: Any) -> Any:
    """``@Transform(({value}) => JSON.parse(value))``: a parse error escapes as a plain Error (500)."""
    if v is MISSING or v is None:
        return v
    text = v if isinstance(v, str) else ",".join(v) if isinstance(v, list) else str(v)
    try:
        return jsjson.parse(text)
    except ValueError:
        raise UnhandledError(f"Unexpected token in JSON: {text[:20]!r} is not valid JSON") from None


# ---- the engine -------------------------------------------------------------------------------


def _transform(fields: Sequence[Field], data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        value = data.get(f.name, MISSING) if isinstance(data, dict) else MISSING
        if value is MISSING and f.default is not MISSING:
            value = f.default
        if f.transform is not None and value is not MISSING:
            value = f.transform(value)
        if value is not MISSING:
            out[f.name] = value
    return out


def _validate(
    fields: Sequence[Field], data: dict[str, Any], prefix: str, errors: list[str]
) -> dict[str, Any]:
    values = _transform(fields, data)
    clean: dict[str, Any] = {}
    for f in fields:
        value = values.get(f.name, MISSING)
        if value is not MISSING:
            clean[f.name] = value
        if f.optional and (value is MISSING or value is None):
            continue
        if f.when is not None and not f.when(values):
            continue
        path = prefix + f.name
        if f.nested is not None and value is not MISSING and value is not None:
            if isinstance(value, dict):
                clean[f.name] = _validate(f.nested, value, path + ".", errors)
                continue
            if isinstance(value, list) and f.nested_each:
                cleaned_items: list[Any] = []
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        cleaned_items.append(_validate(f.nested, item, f"{path}.{i}.", errors))
                    else:
                        errors.append(f"{path}.nested property {i} must be either object or array")
                clean[f.name] = cleaned_items
                own = [r.message(f.name, value) for r in f.rules if r.failed(value)]
                errors.extend(prefix + m for m in own)
                continue
            if not isinstance(value, list):
                # class-validator reports this next to the property's own failing constraints.
                errors.append(f"{prefix}nested property {f.name} must be either object or array")
        check_value = None if value is MISSING else value
        for rule in f.rules:
            if rule.failed(check_value):
                errors.append(prefix + rule.message(f.name, check_value))
    return clean


def validate(fields: Sequence[Field], data: Any) -> dict[str, Any]:
    """Validate and whitelist; raise the interceptor's 400 with every message joined."""
    errors: list[str] = []
    clean = _validate(fields, data if isinstance(data, dict) else {}, "", errors)
    if errors:
        raise HttpError(400, errors)
    return clean


# ---- shared DTO pieces ------------------------------------------------------------------------

PAGINATION: list[Field] = [
    Field("orderBy", [r_enum(["asc", "desc"])], optional=True, default="asc"),
    Field("page", [r_min(1), r_int()], optional=True, transform=js_to_number, default=1),
    Field("take", [r_min(1), r_int()], optional=True, transform=js_to_number, default=10),
]

START_DATE_MSG = "startdate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY"
END_DATE_MSG = "endDate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY"


def _valid_date(v: Any) -> bool:
    return isinstance(v, datetime)


def date_fields(required: bool) -> list[Field]:
    """``startDate``/``endDate``: optional on list DTOs, required on ``filterByDate``."""
    start_rules = [r_custom(_valid_date, lambda _v: START_DATE_MSG)]
    end_rules = [r_custom(_valid_date, lambda _v: END_DATE_MSG)]
    if required:
        start_rules.append(r_not_empty())
        end_rules.append(r_not_empty())
    return [
        Field("startDate", start_rules, optional=not required, transform=js_to_date),
        Field("endDate", end_rules, optional=not required, transform=js_to_date),
    ]


def json_array_field(name: str, extra: Sequence[Rule] = ()) -> Field:
    return Field(
        name, [*extra, r_string(each=True), r_array()], optional=True, transform=json_array_transform
    )


def search_fields(*, search_by_optional: bool = True) -> list[Field]:
    """``search`` + ``searchBy`` (``@ValidateIf(o => o.search)``). Clients and orders also mark
    ``searchBy`` ``@IsOptional`` (a search without it is silently ignored); the sales DTO does
    not, so there a ``search`` without ``searchBy`` is a 400."""
    return [
        Field("search", [r_string()], optional=True),
        Field(
            "searchBy",
            [r_enum(["clientName"]), r_string()],
            optional=search_by_optional,
            when=lambda o: bool(o.get("search")),
        ),
    ]


def date_window(q: dict[str, Any]) -> tuple[str, str] | None:
    """createdAt bounds for ``startDate``..``endDate`` (end inclusive by +1 day, as the source)."""
    start, end = q.get("startDate"), q.get("endDate")
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return None
    from sandbox.store import iso

    return iso(start), iso(end + timedelta(days=1))


def uuid_param(name: str, value: str) -> None:
    """Path params validated by ``@IsUUID() @IsString() @IsNotEmpty()`` DTOs."""
    if not is_uuid(value):
        raise HttpError(400, [f"{name} must be a UUID"])
