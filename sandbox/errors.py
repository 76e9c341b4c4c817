"""Exceptions that map onto the three real error body shapes (facts §4.1)."""

from __future__ import annotations

from http import HTTPStatus


def reason(status: int) -> str:
    """Nest's ``error`` field: the HTTP reason phrase."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class GuardError(Exception):
    """Thrown before the interceptor (guards, routing): Nest's default body."""

    def __init__(self, status: int, message: str, error: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error if error is not None else reason(status)

    def body(self) -> dict[str, object]:
        return {"message": self.message, "error": self.error, "statusCode": self.status}


class HttpError(Exception):
    """A Nest ``HttpException`` inside the handler: the interceptor's handled shape."""

    def __init__(self, status: int, message: str | list[str], error: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = ", ".join(message) if isinstance(message, list) else message
        self.error = error if error is not None else reason(status)


def bad_request(message: str | list[str]) -> HttpError:
    return HttpError(400, message)


def conflict(message: str) -> HttpError:
    return HttpError(409, message)


def not_found(message: str) -> HttpError:
    return HttpError(404, message)


class UnhandledError(Exception):
    """A plain ``Error`` inside the handler: the interceptor answers 500 with its message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ControlError(Exception):
    """A control-plane refusal: answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
