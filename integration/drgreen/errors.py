"""Typed errors for Dr Green responses and their classification (facts §4).

Dr Green answers errors in three body shapes (facts §4.1):

* the Nest guard default ``{"message","error","statusCode"}`` (auth failures, unknown routes);
* the interceptor for handled exceptions ``{"success":false,"message":"a, b","errorCode",
  "error","url","urlMethod"}`` with class-validator messages comma-joined;
* the same interceptor shape with HTTP 500 for unhandled errors.

The vendor docs describe a fourth, ``{"success":false,"statusCode","message","data":[...]}``.
Several "not found" cases use 200, 500 or 502 (facts §4.4). The HTTP status line is the truth
for the status; everything in the body is optional.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuthError",
    "Conflict",
    "DrGreenError",
    "NotFound",
    "RateLimited",
    "ResponseFormatError",
    "ServerError",
    "TransportError",
    "UpstreamUnavailable",
    "ValidationError",
    "error_from_response",
    "parse_retry_after",
    "split_messages",
]


class DrGreenError(Exception):
    """Base class of every error the Dr Green client raises.

    ``retryable`` says whether the same request may succeed later (a transient condition). It
    does not say the request is safe to repeat: for non-idempotent writes check
    ``TransportError.maybe_delivered`` and reconcile first.
    """

    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        messages: list[str] | None = None,
        body: Any = None,
        method: str | None = None,
        path: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.messages = messages if messages is not None else ([message] if message else [])
        self.body = body
        self.method = method
        self.path = path
        self.retryable = self.default_retryable if retryable is None else retryable

    def __str__(self) -> str:
        where = " ".join(part for part in (self.method, self.path) if part)
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        prefix = f"{status} {where}".strip()
        return f"{prefix}: {self.message}" if self.message else prefix


class AuthError(DrGreenError):
    """401 from the guard (bad signature, unknown key, no primary NFT) or a JWT-hijack 400."""


class ValidationError(DrGreenError):
    """400: validation failure or business rule rejected with Bad Request."""


class NotFound(DrGreenError):
    """The resource does not exist, however the endpoint chose to say so (404/200-null/500/502)."""


class Conflict(DrGreenError):
    """409: duplicates (email/phone) and order-creation business rules."""


class RateLimited(DrGreenError):
    """429 from the gateway; ``retry_after`` seconds when the response said so."""

    default_retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class UpstreamUnavailable(DrGreenError):
    """403 ``API not available``: Dr Green's KYC provider call failed; transient, not a permission."""

    default_retryable = True


class ServerError(DrGreenError):
    """5xx not classified as something more specific (including Envoy text bodies)."""


class TransportError(DrGreenError):
    """No HTTP response. ``maybe_delivered`` is True when the request may have reached the server."""

    default_retryable = True

    def __init__(self, message: str, *, maybe_delivered: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.maybe_delivered = maybe_delivered


class ResponseFormatError(DrGreenError):
    """A 2xx response whose body is not the JSON envelope we expect."""


# Messages that arrive as HTTP 400 but come from the JWT branch of the guard, which any
# Authorization header activates (facts §2.2).
_JWT_HIJACK_MESSAGES = frozenset(
    {
        "oops!, your session is expired",
        "no authorization header found in the request",
        "oops!, you need to login first",
    }
)
_NOT_FOUND_500 = frozenset({"client not found", "strain not found"})
_NOT_FOUND_502_PREFIXES = ("client cart not found", "cart item not found")
_RETRYABLE_5XX = frozenset({502, 503, 504})
_MAX_TEXT = 300

_OPENERS = {"(": ")", "[": "]", "{": "}"}


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char in _OPENERS:
            depth += 1
        elif char in _OPENERS.values():
            depth -= 1
    return depth <= 0 and text.count('"') % 2 == 0


def split_messages(message: Any) -> list[str]:
    """Split the interceptor's ``", "``-joined class-validator messages back into a list.

    A plain split would break messages that themselves contain ``", "`` such as
    ``orderBy must be one of the following values: asc, desc``. A fragment starts a new message
    only if it reads like one (contains a space) and the previous one is not inside brackets or
    quotes; otherwise it is glued back.
    """
    if message is None:
        return []
    if isinstance(message, list):
        return [str(m) for m in message]
    text = str(message)
    if not text:
        return []
    parts: list[str] = []
    for fragment in text.split(", "):
        if parts and (" " not in fragment.strip() or not _balanced(parts[-1])):
            parts[-1] = f"{parts[-1]}, {fragment}"
        else:
            parts.append(fragment)
    return parts


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        current = time.time() if now is None else now
        return max(0.0, when.timestamp() - current)
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        return None
    return seconds


def _decode_body(body: Any) -> Any:
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        stripped = body.strip()
        if stripped.startswith(("{", "[")):
            try:
                return json.loads(stripped)
            except ValueError:
                return body
    return body


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _extract_message(body: Any, status: int) -> tuple[str, list[str]]:
    if isinstance(body, Mapping):
        raw = body.get("message")
        data = body.get("data")
        # Docs variant: "Validation failed" plus the individual messages in data.
        if isinstance(data, list) and data and all(isinstance(m, str) for m in data):
            return ", ".join(data), list(data)
        if isinstance(raw, list):
            messages = [str(m) for m in raw]
            return ", ".join(messages), messages
        if isinstance(raw, str) and raw:
            return raw, split_messages(raw)
        error = body.get("error")
        if isinstance(error, str) and error:
            return error, [error]
        return f"HTTP {status}", []
    if isinstance(body, str) and body.strip():
        # Envoy and other proxies answer in plain text; keep it short for logs.
        text = " ".join(body.split())[:_MAX_TEXT]
        return text, [text]
    return f"HTTP {status}", []


def error_from_response(
    status: int,
    body: Any,
    headers: Mapping[str, str] | None = None,
    *,
    method: str | None = None,
    path: str | None = None,
) -> DrGreenError:
    """Classify an error response into the matching :class:`DrGreenError` subclass.

    ``body`` may be the decoded JSON, raw text or bytes. Unknown shapes fall back to the HTTP
    status; this function never raises.
    """
    decoded = _decode_body(body)
    try:
        message, messages = _extract_message(decoded, status)
    except Exception:  # defensive: a hostile body must not mask the HTTP error
        message, messages = f"HTTP {status}", []
    lowered = message.strip().lower()
    common: dict[str, Any] = {
        "status": status,
        "messages": messages,
        "body": decoded,
        "method": method,
        "path": path,
    }

    if status == 401:
        return AuthError(message, **common)
    if status == 400 and lowered in _JWT_HIJACK_MESSAGES:
        return AuthError(message, **common)
    if status in (400, 422):
        return ValidationError(message, **common)
    if status == 403:
        if lowered == "api not available":
            return UpstreamUnavailable(message, **common)
        return AuthError(message, **common)
    if status == 404:
        return NotFound(message, **common)
    if status == 409:
        return Conflict(message, **common)
    if status == 429:
        retry_after = parse_retry_after(_header(headers, "Retry-After"))
        return RateLimited(message, retry_after=retry_after, **common)
    if status == 500 and lowered in _NOT_FOUND_500:
        return NotFound(message, **common)
    if status == 502 and lowered.startswith(_NOT_FOUND_502_PREFIXES):
        return NotFound(message, **common)
    if status >= 500:
        return ServerError(message, retryable=status in _RETRYABLE_5XX, **common)
    if status == 408:
        return DrGreenError(message, retryable=True, **common)
    return DrGreenError(message, **common)
