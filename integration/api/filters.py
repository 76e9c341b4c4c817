"""Base for query-string serializers.

DRF treats ``?field=`` (an empty value) of an optional field as if it were absent, the HTML
form convention. For an API that is a silent misreading: ``?endDate=`` or ``?pageSize=``
would be ignored instead of refused. Here an empty value is a validation error, except for
text fields that explicitly allow blank (e.g. ``search``).

Numbers, dates and ids in a query string are ASCII only (``?pageSize=１２`` is not 12): DRF
reads any Unicode digit, so this base refuses the others for every such field.
"""

from __future__ import annotations

from rest_framework import serializers

_NUMERIC = (
    serializers.IntegerField,
    serializers.DecimalField,
    serializers.FloatField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.UUIDField,
)


class QuerySerializer(serializers.Serializer):
    def to_internal_value(self, data):
        blank = {
            name: ["This field may not be blank."]
            for name, field in self.fields.items()
            if hasattr(data, "get") and data.get(name) == "" and not getattr(field, "allow_blank", False)
        }
        if blank:
            raise serializers.ValidationError(blank)
        not_ascii = {
            name: ["Use ASCII digits (0-9)."]
            for name, field in self.fields.items()
            if isinstance(field, _NUMERIC)
            and hasattr(data, "getlist")
            and any(not value.isascii() for value in data.getlist(name))
        }
        if not_ascii:
            raise serializers.ValidationError(not_ascii)
        return super().to_internal_value(data)
