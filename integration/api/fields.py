"""Serializer fields that read input strictly.

DRF (like Python) reads any Unicode digit as a number: ``int("１２")``, ``Decimal("١٢")`` and
Django's date regex all accept them, and ``UUIDField`` turns the JSON number ``5`` into
``00000000-…-0005``. Numbers, dates and ids here are ASCII only, ids and text must be JSON
strings.
"""

from __future__ import annotations

from rest_framework import serializers

_NOT_ASCII = "Use ASCII digits (0-9)."


def _ascii_text(field: serializers.Field, data):
    if isinstance(data, str) and not data.isascii():
        field.fail("not_ascii")
    return data


class AsciiIntegerField(serializers.IntegerField):
    default_error_messages = {"not_ascii": _NOT_ASCII}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(_ascii_text(self, data))


class AsciiDecimalField(serializers.DecimalField):
    default_error_messages = {"not_ascii": _NOT_ASCII}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(_ascii_text(self, data))


class AsciiDateField(serializers.DateField):
    default_error_messages = {"not_ascii": _NOT_ASCII}

    def to_internal_value(self, value):
        return super().to_internal_value(_ascii_text(self, value))


class StrictUUIDField(serializers.UUIDField):
    """A UUID given as a JSON string of ASCII hex (an integer is not a UUID)."""

    default_error_messages = {"not_a_string": "Must be a UUID string.", "not_ascii": "Must be a UUID string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(_ascii_text(self, data))


class StrictRegexField(serializers.RegexField):
    """A ``RegexField`` that refuses non-string JSON values instead of ``str()``-ing them."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
