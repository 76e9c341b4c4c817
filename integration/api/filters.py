"""Base for query-string serializers.

DRF treats ``?field=`` (an empty value) of an optional field as if it were absent, the HTML
form convention. For an API that is a silent misreading: ``?endDate=`` or ``?pageSize=``
would be ignored instead of refused. Here an empty value is a validation error, except for
text fields that explicitly allow blank (e.g. ``search``).
"""

from __future__ import annotations

from rest_framework import serializers


class QuerySerializer(serializers.Serializer):
    def to_internal_value(self, data):
        blank = {
            name: ["This field may not be blank."]
            for name, field in self.fields.items()
            if hasattr(data, "get") and data.get(name) == "" and not getattr(field, "allow_blank", False)
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)
