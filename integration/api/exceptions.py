"""One error shape for every API failure, with stable machine codes.

``{"error": {"code": str, "message": str, "details": {...}, "retryable": bool}}``

* :class:`~integration.services.errors.ServiceError` (business rules) is translated one to
  one: its code, message, details, status and ``retryable``.
* Dr Green failures that escape a service become 502/503 with ``retryable``.
* DRF's own exceptions keep their status; validation errors list messages per field in
  ``details`` (nested serializers nest, list items are keyed by index).
* Anything else is a 500 ``internal_error`` with a generic message: the traceback goes to
  the log, never to the caller.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from integration.drgreen.errors import (
    AuthError,
    DrGreenError,
    RateLimited,
    ServerError,
    TransportError,
    UpstreamUnavailable,
)
from integration.services.errors import ServiceError

logger = logging.getLogger("integration.api")

# Stable codes for DRF's own exceptions (the ones a client can meet on any endpoint).
_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
    exceptions.ValidationError: "validation_error",
}

#: Every code the API itself can answer with, for the schema's description. Service codes
#: (checkout, onboarding) are listed by the views that can raise them.
GENERIC_ERROR_CODES: dict[str, str] = {
    "validation_error": "400: the request failed validation; `details` maps each field to its messages.",
    "parse_error": "400: the body is not valid JSON.",
    "json_too_deep": "400: JSON nested deeper than 32 levels (`details.maxDepth`).",
    "invalid_text": "400: a NUL character or a lone surrogate in the path, a query parameter, a header or "
    "the body (`details.where`).",
    "invalid_content_length": "400: the Content-Length header is not a number.",
    "payload_too_large": "413: the body is larger than the limit (`details.limitBytes`).",
    "idempotency_key_missing": "400: checkout needs an `Idempotency-Key` header.",
    "not_authenticated": "401: no credentials were sent.",
    "authentication_failed": "401: unknown, malformed or revoked token, or unknown customer.",
    "permission_denied": "403: the caller may not do this.",
    "customer_required": "403: the endpoint acts for one customer (storefront token without X-Customer-Id).",
    "staff_required": "403: staff only.",
    "not_found": "404: no such object for this caller (other customers' objects are not found either).",
    "method_not_allowed": "405",
    "not_acceptable": "406",
    "unsupported_media_type": "415: send application/json.",
    "throttled": "429: too many requests; `details.retryAfter` (also the Retry-After header).",
    "internal_error": "500: unexpected; no details are disclosed.",
    "drgreen_unavailable": "503 (retryable): Dr Green did not answer or is rate limiting us.",
    "drgreen_error": "502: Dr Green answered with an error we could not handle.",
}


def error_body(code: str, message: str, details: Any = None, *, retryable: bool = False) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}, "retryable": retryable}}


class ApiError(exceptions.APIException):
    """An API-level failure with a stable code (for conditions no service owns, such as a
    missing ``Idempotency-Key`` header)."""

    def __init__(self, code: str, message: str, *, status_code: int = 400, details: Any = None) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.details = details or {}


def _flatten_messages(detail: Any) -> Any:
    """DRF's ErrorDetail tree → plain strings, keeping the field structure."""
    if isinstance(detail, dict):
        return {str(key): _flatten_messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [str(item) for item in detail]
        return {str(i): _flatten_messages(item) for i, item in enumerate(detail) if item}
    return [str(detail)]


def _validation_details(detail: Any) -> dict[str, Any]:
    flat = _flatten_messages(detail)
    if isinstance(flat, list):
        return {"non_field_errors": flat}
    return flat


def _drgreen_response(exc: DrGreenError) -> Response:
    # Our own credentials being refused is a configuration problem: not the caller's to retry.
    if isinstance(exc, AuthError):
        return Response(
            error_body("drgreen_error", "Dr Green refused our credentials; staff have been alerted."),
            status=status.HTTP_502_BAD_GATEWAY,
        )
    if isinstance(exc, RateLimited | UpstreamUnavailable | TransportError):
        response = Response(
            error_body(
                "drgreen_unavailable", "Dr Green is unavailable right now; try again shortly.", retryable=True
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(int(retry_after) + 1)
        return response
    retryable = bool(exc.retryable) if isinstance(exc, ServerError) else False
    return Response(
        error_body("drgreen_error", "Dr Green could not process the request.", retryable=retryable),
        status=status.HTTP_502_BAD_GATEWAY,
    )


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's ``EXCEPTION_HANDLER``: every failure → the one error shape (see module docstring)."""
    if isinstance(exc, ServiceError):
        return Response(
            error_body(exc.code, exc.message, exc.details, retryable=exc.retryable), status=exc.status
        )
    if isinstance(exc, DrGreenError):
        logger.warning("Dr Green failure reached the API: %s", type(exc).__name__)
        return _drgreen_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, ApiError):
        return Response(error_body(exc.error_code, str(exc.detail), exc.details), status=exc.status_code)
    if isinstance(exc, exceptions.APIException):
        return _api_exception_response(exc)

    view = context.get("view")
    logger.exception("unhandled API error in %s", type(view).__name__ if view else "?", exc_info=exc)
    return Response(
        error_body("internal_error", "Something went wrong on our side."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _api_exception_response(exc: exceptions.APIException) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            error_body("validation_error", "The request is not valid.", _validation_details(exc.detail)),
            status=exc.status_code,
        )
    code = _DRF_CODES.get(type(exc))
    detail_code = exc.get_codes() if isinstance(exc.detail, str) else None
    if isinstance(detail_code, str) and detail_code not in ("error", "invalid", ""):
        # Permission classes carry their own code (customer_required, staff_required).
        if code is None or isinstance(exc, exceptions.PermissionDenied):
            code = detail_code
    message = str(exc.detail) if isinstance(exc.detail, str) else "Request failed."
    details: dict[str, Any] = {}
    if isinstance(exc, exceptions.Throttled):
        message = "Too many requests."
        if exc.wait is not None:
            details["retryAfter"] = int(exc.wait) + 1
            headers["Retry-After"] = str(int(exc.wait) + 1)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
    return Response(error_body(code or "error", message, details), status=exc.status_code, headers=headers)


# --- Django-level fallbacks for /api/ URLs that never reached a DRF view -------------------


def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def json_server_error(request):
    return JsonResponse(error_body("internal_error", "Something went wrong on our side."), status=500)
