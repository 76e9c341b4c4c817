"""Plain-Python client for the Dr Green partner ("dapp") API. No Django imports here."""

from .client import DrGreenClient
from .errors import (
    AuthError,
    Conflict,
    DrGreenError,
    NotFound,
    RateLimited,
    ResponseFormatError,
    ServerError,
    TransportError,
    UpstreamUnavailable,
    ValidationError,
    error_from_response,
)
from .keys import KeyFormatError, generate_key_pair, load_api_key, load_secret_key, validate_key_pair
from .pagination import Page, PageMeta, iterate
from .signing import canonical_string, form_encode, js_stringify, sign
from .transport import CallRecord

__all__ = [
    "AuthError",
    "CallRecord",
    "Conflict",
    "DrGreenClient",
    "DrGreenError",
    "KeyFormatError",
    "NotFound",
    "Page",
    "PageMeta",
    "RateLimited",
    "ResponseFormatError",
    "ServerError",
    "TransportError",
    "UpstreamUnavailable",
    "ValidationError",
    "canonical_string",
    "error_from_response",
    "form_encode",
    "generate_key_pair",
    "iterate",
    "js_stringify",
    "load_api_key",
    "load_secret_key",
    "sign",
    "validate_key_pair",
]
