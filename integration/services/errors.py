"""The one error type services raise for business-rule failures.

Every failure a customer or staff member can cause or see has a stable machine ``code``
(documented in the OpenAPI schema), a human ``message``, optional per-field ``details``, the
HTTP ``status`` the API maps it to, and whether retrying later may succeed. Views never
invent codes: they translate ``ServiceError`` one to one.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A business-rule failure with a stable code (see the module docstring)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        status: int = 400,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.status = status
        self.retryable = retryable

    def __repr__(self) -> str:
        return f"ServiceError(code={self.code!r}, status={self.status})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "details": self.details,
            "retryable": self.retryable,
        }


class UpstreamError(ServiceError):
    """Dr Green could not be reached or failed; the request may be retried later."""

    def __init__(self, message: str, *, code: str = "drgreen_unavailable", status: int = 503, **kwargs: Any):
        kwargs.setdefault("retryable", True)
        super().__init__(code, message, status=status, **kwargs)
