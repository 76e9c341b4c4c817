"""Tolerant parsing of Dr Green JSON at the boundary.

Every coercion returns ``None`` (unknown) instead of raising, and logs what it could not
read: one odd field must never cost the whole page. Numbers become ``Decimal`` through
``str()`` so 9.09 stays 9.09, quantized to the model field's places so an unchanged value
compares equal to what the database gives back.
"""

from __future__ import annotations

import functools
import logging
import math
import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

logger = logging.getLogger("integration.sync")

# Keys never stored in a raw payload: medical data stays with Dr Green (the store has no
# use for it), and the person's names, contact details and addresses live only in the
# columns mapped from them (so an erasure finds them there, and nowhere else).
REDACTED_KEYS = frozenset({
    "medicalRecord", "dob",
    "firstName", "lastName", "email", "phoneCode", "contactNumber",
    "address1", "address2", "landmark", "city", "state", "postalCode", "postCode",
    "rejectionNote",
})  # fmt: skip
# Exact types (not subclasses) that ``payload_redact`` returns as they are.
_PLAIN = frozenset({str, int, bool, type(None)})


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def first_dict(value: Any) -> dict:
    """The first object of a list (``shippings``, ``clientCart``…), or ``{}``."""
    for item in as_list(value):
        if isinstance(item, dict):
            return item
    return {}


def parse_uuid(value: Any, *, field: str = "id") -> uuid.UUID | None:
    if value is None or value == "":
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value if type(value) is str else str(value))
    except (ValueError, AttributeError, TypeError):
        logger.warning("sync: %s is not a UUID: %r", field, value)
        return None


def parse_str(value: Any, *, max_length: int | None = None) -> str | None:
    """A string, or ``None`` when absent. Numbers are stringified (``contactNumber`` is
    sometimes sent as one); objects are not strings."""
    if type(value) is str:
        text = value.strip()  # nearly every value: no type checks, no ``str()`` call
    elif value is None or isinstance(value, bool) or isinstance(value, dict | list):
        return None
    else:
        text = str(value).strip()
    if max_length is not None and len(text) > max_length:
        logger.warning("sync: truncating a %d-character value to %d", len(text), max_length)
        text = text[:max_length]
    return text


def parse_status(value: Any) -> str:
    """A status value as-is (upper-cased, trimmed); blank means unknown. Unknown *values*
    are kept: statuses are free strings."""
    text = parse_str(value, max_length=32)
    return text.upper() if text else ""


def parse_bool(value: Any, *, field: str = "flag") -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    logger.warning("sync: %s is not a boolean: %r", field, value)
    return None


@functools.cache
def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def parse_decimal(value: Any, *, places: int | None = None, field: str = "number") -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        if type(value) is float:  # what JSON numbers mostly are: no strip(), no str() of a str
            if not math.isfinite(value):
                raise InvalidOperation
            number = Decimal(repr(value))  # repr is str for a float: 9.09 stays 9.09
        elif isinstance(value, Decimal):
            number = value
        else:
            number = Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
        if places is not None:
            # The quantum once per number of places (it is a Decimal operation of its own).
            number = number.quantize(_quantum(places), rounding=ROUND_HALF_UP)
        return number
    except (InvalidOperation, ValueError, TypeError):
        logger.warning("sync: %s is not a number: %r", field, value)
        return None


def parse_int(value: Any, *, field: str = "count") -> int | None:
    number = parse_decimal(value, field=field)
    if number is None:
        return None
    if number != number.to_integral_value() or number < 0:
        logger.warning("sync: %s is not a non-negative integer: %r", field, value)
        return None
    return int(number)


def parse_when(value: Any, *, field: str = "timestamp") -> datetime | None:
    """ISO-8601 (``2025-05-12T17:29:57.100Z``); a naive value is taken as UTC."""
    if value is None or value == "":
        return None
    parsed = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        logger.warning("sync: %s is not a timestamp: %r", field, value)
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def payload_redact(payload: Any) -> Any:
    """The payload as stored in ``raw``: the same JSON minus ``REDACTED_KEYS`` (recursively),
    with NaN/Infinity (which Python's json accepts but a JSON column rejects) as null."""
    # Leaves that pass through unchanged are not recursed into: a page of orders has
    # hundreds of thousands of them, and a call each was most of the mapping time.
    if isinstance(payload, dict):
        if payload.keys().isdisjoint(REDACTED_KEYS):
            # Nothing to drop (one C-level set test over the smaller side, not a
            # membership test per key of the object in Python).
            return {str(k): v if type(v) in _PLAIN else payload_redact(v) for k, v in payload.items()}
        return {
            str(k): v if type(v) in _PLAIN else payload_redact(v)
            for k, v in payload.items()
            if k not in REDACTED_KEYS
        }
    if isinstance(payload, list | tuple):
        return [v if type(v) in _PLAIN else payload_redact(v) for v in payload]
    if isinstance(payload, float) and not math.isfinite(payload):
        return None
    return payload
