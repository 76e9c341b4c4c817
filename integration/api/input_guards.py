"""Input the server cannot serve is a 4xx before any view, database or Dr Green sees it.

* :class:`InputGuardMiddleware` (every path): a body declared larger than
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` → 413 ``payload_too_large`` (the limit in ``details``); a
  malformed ``Content-Length`` → 400; NUL or a lone surrogate in the path, a query parameter
  or a header → 400 ``invalid_text`` (PostgreSQL refuses NUL in text and ``jsonb``, and a
  surrogate cannot be encoded for Dr Green). ``/api/`` answers in the API's error shape.
* :class:`StrictJSONParser` (DRF): the same text rule for every string (keys too) of a JSON
  body, nesting deeper than :data:`MAX_JSON_DEPTH` → 400 ``json_too_deep``, and a body read
  past the limit (no ``Content-Length``) → 413.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from rest_framework.parsers import JSONParser

from integration.services.text import text_is_bad

from .exceptions import ApiError

MAX_JSON_DEPTH = 32


def body_limit() -> int:
    return int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or 2_621_440)


def _error(code: str, message: str, details: dict | None = None, *, status: int) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}, "retryable": False}}


def too_large_error() -> tuple[dict, int]:
    limit = body_limit()
    return (
        _error(
            "payload_too_large",
            f"The request body is larger than {limit} bytes.",
            {"limitBytes": limit},
            status=413,
        ),
        413,
    )


class ApiInputError(ApiError):
    """An input the server will not read (size, depth, encoding)."""

    def __init__(self, body: dict, status_code: int) -> None:
        error = body["error"]
        super().__init__(error["code"], error["message"], status_code=status_code, details=error["details"])


class InputGuardMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        refused = self._refusal(request)
        if refused is not None:
            body, status = refused
            if request.path.startswith("/api/"):
                return JsonResponse(body, status=status)
            return HttpResponse(body["error"]["message"] + "\n", status=status, content_type="text/plain")
        return self.get_response(request)

    @staticmethod
    def _refusal(request) -> tuple[dict, int] | None:
        raw_length = request.META.get("CONTENT_LENGTH") or ""
        if raw_length:
            if not (raw_length.isascii() and raw_length.isdigit()):
                return _error("invalid_content_length", "Content-Length must be digits.", status=400), 400
            if int(raw_length) > body_limit():
                return too_large_error()
        where = _bad_text_in(request)
        if where:
            return (
                _error(
                    "invalid_text",
                    "NUL characters and lone surrogates are not accepted.",
                    {"where": where},
                    status=400,
                ),
                400,
            )
        return None


def _bad_text_in(request) -> str:
    if text_is_bad(request.path_info):
        return "path"
    for key, values in request.GET.lists():
        if text_is_bad(key) or any(text_is_bad(v) for v in values):
            return "query"
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and text_is_bad(value):
            return "header"
    return ""


def json_check(value: Any) -> None:
    """Raise ``ApiInputError`` for nesting past :data:`MAX_JSON_DEPTH` or bad text anywhere
    (iterative: a deep document cannot exhaust the stack here)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and text_is_bad(key):
                    raise _bad_text()
                stack.append((child, depth + 1))
        elif isinstance(item, str) and text_is_bad(item):
            raise _bad_text()


def _too_deep() -> ApiInputError:
    body = _error(
        "json_too_deep",
        f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.",
        {"maxDepth": MAX_JSON_DEPTH},
        status=400,
    )
    return ApiInputError(body, 400)


def _bad_text() -> ApiInputError:
    body = _error(
        "invalid_text", "NUL characters and lone surrogates are not accepted.", {"where": "body"}, status=400
    )
    return ApiInputError(body, 400)


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RequestDataTooBig:
            raise ApiInputError(*too_large_error()) from None
        except RecursionError:
            raise _too_deep() from None
        json_check(data)
        return data
