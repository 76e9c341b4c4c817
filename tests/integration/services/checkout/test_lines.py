"""The requested lines: quantities, canonical form and hash, numbers on the wire (pure)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from integration.drgreen import js_stringify
from integration.services.checkout import lines_hash, lines_normalize
from integration.services.checkout.validation import wire_quantity
from integration.services.errors import ServiceError

S1, S2 = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))


class TestLines:
    @pytest.mark.parametrize(
        "quantity", [0, -1, "-0.5", "abc", "1.0001", "NaN", "Infinity", True, None, "", "1e6"]
    )
    def test_bad_quantities_are_invalid_quantity(self, quantity):
        with pytest.raises(ServiceError) as err:
            lines_normalize(lines=[{"strain_id": S1, "quantity": quantity}])
        assert err.value.code == "invalid_quantity" and err.value.details["line"] == 0

    @pytest.mark.parametrize("lines", [[], None, ()])
    def test_no_lines_is_empty_order(self, lines):
        with pytest.raises(ServiceError) as err:
            lines_normalize(lines=lines)
        assert err.value.code == "empty_order"

    @pytest.mark.parametrize("line", [{"strain_id": "nope", "quantity": 1}, "S1x1", {"quantity": 1}])
    def test_malformed_lines_are_invalid_line(self, line):
        with pytest.raises(ServiceError) as err:
            lines_normalize(lines=[line])
        assert err.value.code == "invalid_line"

    def test_same_body_in_any_spelling_hashes_the_same(self):
        a = lines_normalize(lines=[{"strain_id": S1, "quantity": 2}, {"strain_id": S2, "quantity": "0.5"}])
        b = lines_normalize(
            lines=[(S2, Decimal("0.500")), {"strainId": S1.upper(), "quantity": "1.5"}, (S1, 0.5)]
        )
        assert a == b and lines_hash(a) == lines_hash(b)
        assert lines_hash(a) != lines_hash(lines_normalize(lines=[(S1, 2), (S2, "0.501")]))

    @pytest.mark.parametrize(
        ("quantity", "wire", "json"),
        [
            ("2", 2, "2"),
            ("2.500", 2.5, "2.5"),
            ("0.001", 0.001, "0.001"),
            ("10.1", 10.1, "10.1"),
            ("7.0", 7, "7"),
        ],
    )
    def test_wire_quantities_are_javascript_numbers(self, quantity, wire, json):
        (line,) = lines_normalize(lines=[(S1, quantity)])
        sent = wire_quantity(line.quantity)
        assert sent == wire and type(sent) is type(wire)
        assert js_stringify({"quantity": sent}) == '{"quantity":' + json + "}"
