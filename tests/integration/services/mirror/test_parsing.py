import uuid
from decimal import Decimal

import pytest

from integration.services.mirror.parsing import (
    parse_bool,
    parse_decimal,
    parse_int,
    parse_status,
    parse_str,
    parse_uuid,
    parse_when,
    payload_redact,
)


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (9.09, 2, Decimal("9.09")),
        ("9.09", 2, Decimal("9.09")),
        (0.1 + 0.2, 2, Decimal("0.30")),
        (165, 2, Decimal("165.00")),
        (1.0005, 3, Decimal("1.001")),
        ("abc", 2, None),
        (None, 2, None),
        (True, 2, None),
        (float("inf"), 2, None),
        ("NaN", 2, None),
    ],
)
def test_parse_decimal(value, places, expected):
    assert parse_decimal(value, places=places) == expected


def test_scalars():
    assert parse_uuid("6f1c1b9e-7b0a-4c1e-9a3e-2f0d7c9b8a11") == uuid.UUID(
        "6f1c1b9e-7b0a-4c1e-9a3e-2f0d7c9b8a11"
    )
    assert parse_uuid("nope") is None
    assert parse_bool("true") is True and parse_bool(0) is False and parse_bool("yes") is None
    assert parse_status(" verified ") == "VERIFIED" and parse_status(None) == ""
    assert parse_str(820000001) == "820000001" and parse_str({"a": 1}) is None
    assert parse_int("3") == 3 and parse_int(2.5) is None and parse_int(-1) is None
    assert parse_when("2025-05-12T17:29:57.100Z").isoformat() == "2025-05-12T17:29:57.100000+00:00"
    assert parse_when("2025-05-12T17:29:57").tzinfo is not None
    assert parse_when("12/05/2025") is None


def test_redact_drops_medical_record_and_non_finite_numbers():
    payload = {
        "id": "x",
        "medicalRecord": {"dob": "1990-01-01"},
        "nested": [{"medicalRecord": 1, "v": float("nan")}],
    }
    assert payload_redact(payload) == {"id": "x", "nested": [{"v": None}]}
