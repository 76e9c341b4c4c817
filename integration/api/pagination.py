"""Keyset ("cursor") pagination over a unique ordering.

DRF's ``CursorPagination`` positions on the first ordering field only and falls back to an
offset for ties, which skips or repeats rows when several share a value and rows move
(encode/django-rest-framework#7887). Here the cursor holds the *whole* sort key of the last
row, the last key field is the primary key, and the next page is "rows strictly after that
key" as one WHERE clause, so a page boundary is exact whatever is inserted meanwhile.

Cursors are opaque base64 JSON; a malformed one is a 400 ``validation_error``. Forward only:
a storefront lists newest first and loads more.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from integration.conf import drgreen_settings

from .filters import QuerySerializer

CURSOR_PARAM = "cursor"
PAGE_SIZE_PARAM = "pageSize"
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class KeyField:
    """One component of the sort key: a queryset field (or annotation) and its direction."""

    name: str
    descending: bool = False
    # "str", "int" or "datetime": what a cursor value must be (anything else is forged).
    kind: str = "str"

    @property
    def is_datetime(self) -> bool:
        return self.kind == "datetime"


class KeysetPagination:
    def __init__(self, *, keys: Sequence[KeyField]) -> None:
        if keys[-1].name not in ("pk", "id") or keys[-1].kind != "int":
            raise ValueError("the last key field must be the primary key (a unique tie-breaker)")
        self.keys = tuple(keys)

    @staticmethod
    def default_page_size() -> int:
        return drgreen_settings.api.page_size

    # -- parameters ----------------------------------------------------------------------

    class Params(QuerySerializer):
        cursor = serializers.CharField(required=False, max_length=512, allow_blank=False)
        pageSize = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)  # noqa: N815

    def _decode(self, raw: str) -> list[Any]:
        try:
            padded = raw + "=" * (-len(raw) % 4)
            values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
        except (binascii.Error, ValueError, UnicodeError):
            raise serializers.ValidationError({CURSOR_PARAM: ["Invalid cursor."]}) from None
        if not isinstance(values, list) or len(values) != len(self.keys):
            raise serializers.ValidationError({CURSOR_PARAM: ["Invalid cursor."]})
        decoded = []
        for key, value in zip(self.keys, values, strict=True):
            if key.is_datetime:
                try:
                    value = datetime.fromisoformat(value)
                except (TypeError, ValueError):
                    raise serializers.ValidationError({CURSOR_PARAM: ["Invalid cursor."]}) from None
                if value.tzinfo is None:  # we only ever issue aware timestamps
                    raise serializers.ValidationError({CURSOR_PARAM: ["Invalid cursor."]})
            elif key.kind == "int":
                if not isinstance(value, int) or isinstance(value, bool):
                    raise serializers.ValidationError({CURSOR_PARAM: ["Invalid cursor."]})
            elif not isinstance(value, str):
                raise serializers.ValidationError({CURSOR_PARAM: ["Invalid cursor."]})
            decoded.append(value)
        return decoded

    def _encode(self, row: Any) -> str:
        values = []
        for key in self.keys:
            value = getattr(row, key.name)
            values.append(value.isoformat() if key.is_datetime else value)
        raw = json.dumps(values, separators=(",", ":"), default=str).encode("utf-8")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def _after(self, values: list[Any]) -> Q:
        """Rows strictly after ``values`` in the sort order: (a > x) OR (a = x AND b > y) …"""
        condition = Q()
        for i in reversed(range(len(self.keys))):
            key = self.keys[i]
            lookup = "lt" if key.descending else "gt"
            step = Q(**{f"{key.name}__{lookup}": values[i]})
            if i < len(self.keys) - 1:
                step |= Q(**{key.name: values[i]}) & condition
            condition = step
        return condition

    def ordering(self) -> list[str]:
        return [f"-{k.name}" if k.descending else k.name for k in self.keys]

    # -- the page ------------------------------------------------------------------------

    def paginate(self, queryset: QuerySet, request: Request) -> tuple[list[Any], str | None]:
        params = self.Params(data=request.query_params)
        params.is_valid(raise_exception=True)
        size = params.validated_data.get("pageSize") or self.default_page_size()
        queryset = queryset.order_by(*self.ordering())
        cursor = params.validated_data.get("cursor")
        if cursor:
            queryset = queryset.filter(self._after(self._decode(cursor)))
        # One extra row says whether a next page exists without a COUNT query.
        rows = list(queryset[: size + 1])
        next_cursor = self._encode(rows[size - 1]) if len(rows) > size else None
        return rows[:size], next_cursor

    def response(self, request: Request, data: list[Any], next_cursor: str | None) -> Response:
        next_url = None
        if next_cursor:
            next_url = replace_query_param(request.build_absolute_uri(), CURSOR_PARAM, next_cursor)
        return Response({"results": data, "nextCursor": next_cursor, "next": next_url})


def paginated_response(
    *, pagination: KeysetPagination, serializer_class, queryset: QuerySet, request: Request, context=None
) -> Response:
    """HackSoft's ``get_paginated_response`` for a keyset page."""
    rows, next_cursor = pagination.paginate(queryset, request)
    data = serializer_class(rows, many=True, context=context or {"request": request}).data
    return pagination.response(request, data, next_cursor)


def page_serializer(name: str, item_serializer) -> type[serializers.Serializer]:
    """The schema of a page of ``item_serializer`` (for ``extend_schema``)."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "results": item_serializer(many=True),
            "nextCursor": serializers.CharField(
                allow_null=True, help_text="Pass as `cursor` for the next page."
            ),
            "next": serializers.URLField(
                allow_null=True, help_text="The next page's URL, or null at the end."
            ),
            "__module__": __name__,
        },
    )
