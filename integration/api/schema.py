"""OpenAPI pieces shared by every view: the auth schemes, the error response, the
``X-Customer-Id`` header and helpers that attach them to each operation."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .authentication import CUSTOMER_HEADER


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "integration.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Token <token>` (or `Bearer <token>`). Tokens are issued with "
                "`manage.py drgreen_token create` and shown once. Kinds: **storefront** (a "
                "storefront server; acts for the customer named in the `X-Customer-Id` header, "
                "or reads the catalogue without it), **customer** (bound to one customer), "
                "**staff** (staff endpoints). Revoked tokens are refused with 401."
            ),
        }


class CustomerSessionScheme(OpenApiAuthenticationExtension):
    target_class = "integration.api.authentication.CustomerSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "A logged-in Django session (customer, or staff for staff endpoints). "
            "Unsafe methods also need the CSRF token in `X-CSRFToken`.",
        }


class ApiAutoSchema(AutoSchema):
    """Names components after the view that nests them: ``StrainListApi.OutputSerializer``
    → ``StrainListOutput`` (HackSoft's nested Input/Output serializers all share two class
    names, which would otherwise collide in the schema)."""

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        suffix = "Request" if direction == "request" and name.endswith("Request") else ""
        base = name[: -len(suffix)] if suffix else name
        qualname = type(serializer).__qualname__
        if "." not in qualname or base != _short(qualname.rsplit(".", 1)[-1]):
            return name  # an explicit component name, or a top-level class
        parts = [_short(part) for part in qualname.split(".") if part != "<locals>"]
        return "".join(parts) + suffix


def _short(name: str) -> str:
    for suffix in ("Serializer", "Api"):
        if name.endswith(suffix) and name != suffix:
            name = name[: -len(suffix)]
    return name


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `validation_error`.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    details = serializers.DictField(
        help_text="Extra data; for `validation_error`, the messages per field.",
    )
    retryable = serializers.BooleanField(help_text="True when the same request may succeed later.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


CUSTOMER_HEADER_PARAMETER = OpenApiParameter(
    name=CUSTOMER_HEADER,
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "With a **storefront** token: the local user id of the customer the storefront acts "
        "for. Unknown, inactive or staff ids are refused (401). Not allowed with other tokens."
    ),
)

_STATUS_TEXT = {
    400: "Invalid request (`validation_error` with per-field `details`, `parse_error`, `json_too_deep`, "
    "`invalid_text`: NUL or a lone surrogate anywhere).",
    401: "Missing, invalid or revoked credentials (`not_authenticated`, `authentication_failed`).",
    403: "Authenticated but not allowed (`customer_required`, `staff_required`, `permission_denied`).",
    404: "Not found for this caller (`not_found`).",
    405: "Method not allowed (`method_not_allowed`).",
    406: "Not acceptable (`not_acceptable`).",
    409: "Conflict.",
    413: "Request body too large (`payload_too_large`; the limit in `details.limitBytes`).",
    415: "Unsupported media type (`unsupported_media_type`).",
    429: "Throttled (`throttled`); see `Retry-After`.",
    502: "Dr Green answered with an error (`drgreen_error`).",
    503: "Dr Green unavailable (`drgreen_unavailable`, `retryable: true`).",
}

_COMMON = (400, 401, 403, 405, 406, 413, 415, 429)


def error_responses(*statuses: int, extra: dict[int, str] | None = None) -> dict[int, OpenApiResponse]:
    """Error responses for ``extend_schema(responses=...)``: the common ones (400, 401, 403,
    405, 406, 413, 415, 429) plus ``statuses``; ``extra`` overrides the description per status
    (to list the service codes an endpoint can answer with)."""
    out: dict[int, OpenApiResponse] = {}
    for code in sorted(set(_COMMON) | set(statuses)):
        text = (extra or {}).get(code, _STATUS_TEXT.get(code, "Error."))
        out[code] = OpenApiResponse(ErrorSerializer, description=text, examples=_examples(code))
    return out


def _examples(status: int) -> list[OpenApiExample]:
    if status == 400:
        return [
            OpenApiExample(
                "validation_error",
                value={
                    "error": {
                        "code": "validation_error",
                        "message": "The request is not valid.",
                        "details": {"pageSize": ["Ensure this value is less than or equal to 100."]},
                        "retryable": False,
                    }
                },
                status_codes=["400"],
                response_only=True,
            )
        ]
    return []


def describe_errors(result, generator, request, public):
    """Postprocessing hook: append the table of generic error codes to the API description
    (endpoint-specific codes are in each operation's error responses)."""
    from .exceptions import GENERIC_ERROR_CODES

    rows = "\n".join(f"| `{code}` | {text} |" for code, text in GENERIC_ERROR_CODES.items())
    info = result.setdefault("info", {})
    info["description"] = (
        info.get("description", "") + "\n\n## Error codes\n\n| code | meaning |\n|---|---|\n" + rows
    )
    return result
