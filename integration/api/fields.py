"""Serializer fields that read input strictly: text must be a JSON string (no number quietly
turned into one), numbers and ids ASCII only."""

from __future__ import annotations

from rest_framework import serializers


class StrictRegexField(serializers.RegexField):
    """A ``RegexField`` that refuses non-string JSON values instead of ``str()``-ing them."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
