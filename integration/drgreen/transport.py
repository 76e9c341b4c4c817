"""HTTP transport: pooled session, timeouts, GET-only retries, call records.

Rules that matter (facts §2.2, §4.3, §4.5):

* never an ``Authorization`` header: any value switches Dr Green's guard to JWT mode and every
  call fails. ``requests`` would add Basic auth from ``~/.netrc`` when ``trust_env`` is on, so
  the session runs with ``trust_env = False`` (no netrc, no proxy variables) and the header is
  stripped from every prepared request as a last line of defence;
* only GET is retried (transport errors, 429, 502/503/504). POST/PATCH/DELETE are never
  repeated here: creating a client, adding to a cart and creating an order are not idempotent;
* the body sent is exactly the bytes that were signed.
"""

from __future__ import annotations

import logging
import random as _random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from .errors import (
    DrGreenError,
    RateLimited,
    ServerError,
    TransportError,
    error_from_response,
)
from .signing import QueryPairs, form_encode

__all__ = ["CallRecord", "RawResponse", "Transport", "redact_path", "redact_query"]

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
# Query parameters whose values are personal data whatever they look like.
_SENSITIVE_QUERY_KEYS = frozenset({"search", "email", "phone", "contactnumber"})
_EMAIL_LIKE = re.compile(r"[^@\s/?&=]+@[^@\s/?&=]+")
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
USER_AGENT = "drgreen-store-client/0.1"


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt, safe to log: no keys, signatures, bodies or personal data."""

    method: str
    path: str
    status: int | None
    duration_ms: float
    correlation_id: str | None
    attempt: int
    maybe_delivered: bool
    error: str | None = None
    query: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RawResponse:
    """A successful (2xx) HTTP response."""

    status: int
    headers: Mapping[str, str]
    content: bytes


def redact_query(query: QueryPairs) -> tuple[tuple[str, str], ...]:
    """Hide search terms and anything email-like in query values."""
    return tuple(
        (key, REDACTED if key.lower() in _SENSITIVE_QUERY_KEYS or _EMAIL_LIKE.search(value) else value)
        for key, value in query
    )


def redact_path(path: str) -> str:
    """Hide email-like path segments (ids are fine; emails are personal data)."""
    return _EMAIL_LIKE.sub(REDACTED, path)


def _maybe_delivered(exc: requests.RequestException) -> bool:
    """Could the server have received (and acted on) the request?

    Only failures before the connection was established are "certainly not delivered":
    connection refused, DNS failure, connect timeout, TLS handshake. A read timeout, reset or
    remote close after we started sending may follow a committed write.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return True
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidHeader):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
        # NewConnectionError and NameResolutionError derive from ConnectTimeoutError.
        if isinstance(inner, urllib3.exceptions.ConnectTimeoutError):
            return False
        return True
    return True


def _describe(exc: requests.RequestException, delivered: bool) -> str:
    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    kind = type(exc).__name__
    if isinstance(inner, BaseException):
        kind = f"{kind}/{type(inner).__name__}"
    outcome = "the request may have been delivered" if delivered else "the request was not delivered"
    return f"{kind}: {outcome}"


class Transport:
    """Send signed requests to one Dr Green base URL; see the module docstring for the rules."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        get_retries: int = 3,
        on_call: Callable[[CallRecord], None] | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        max_retry_after: float = 30.0,
        pool_maxsize: int = 20,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.get_retries = max(0, int(get_retries))
        self.on_call = on_call
        self.sleep = sleep
        self.random = random
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        if session is None:
            session = requests.Session()
            # Retries are ours (GET only); urllib3's own retries must stay off.
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        # Even an injected session must not read ~/.netrc or proxy variables.
        session.trust_env = False
        self.session = session

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff before retry number ``attempt`` (1-based)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return self.random() * ceiling

    def _record(self, record: CallRecord) -> None:
        if self.on_call is None:
            return
        try:
            self.on_call(record)
        except Exception:  # a broken metrics hook must never fail an API call
            logger.exception("drgreen on_call hook failed")

    def _prepare(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> requests.PreparedRequest:
        prepared = self.session.prepare_request(
            requests.Request(method=method, url=url, headers=dict(headers), data=body)
        )
        # requests re-quotes URLs (e.g. %7E → ~); keep the exact query we signed on the wire.
        prepared.url = url
        prepared.headers.pop("Authorization", None)
        return prepared

    def send(
        self,
        method: str,
        path: str,
        *,
        query: QueryPairs | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        route: str | None = None,
        correlation_id: str | None = None,
    ) -> RawResponse:
        """Send one logical request; returns the 2xx response or raises a :class:`DrGreenError`.

        ``path`` is relative to the base URL and already percent-encoded; ``query`` pairs are
        form-encoded in the given order; ``route`` (the path template) is what call records show.
        """
        method = method.upper()
        query = query or []
        url = self.base_url + path + (f"?{form_encode(query)}" if query else "")
        all_headers: dict[str, str] = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        all_headers.update(headers or {})
        if correlation_id:
            all_headers["X-Correlation-Id"] = correlation_id
        record_path = redact_path(route or path)
        record_query = redact_query(query)
        attempts = 1 + (self.get_retries if method == "GET" else 0)

        def record(attempt: int, status, duration_ms: float, delivered: bool, error) -> None:
            # Every attempt leaves one record, whatever its outcome; only these fields vary.
            self._record(
                CallRecord(
                    method, record_path, status, duration_ms, correlation_id, attempt, delivered,
                    type(error).__name__ if error is not None else None, record_query,
                )
            )  # fmt: skip

        for attempt in range(1, attempts + 1):
            prepared = self._prepare(method, url, body, all_headers)
            started = time.monotonic()
            try:
                response = self.session.send(
                    prepared,
                    timeout=(self.connect_timeout, self.read_timeout),
                    allow_redirects=False,
                )
                content = response.content  # may raise if the connection dies mid-body
            except requests.RequestException as exc:
                delivered = _maybe_delivered(exc)
                error = TransportError(
                    _describe(exc, delivered), maybe_delivered=delivered, method=method, path=record_path
                )
                record(attempt, None, (time.monotonic() - started) * 1000, delivered, error)
                if attempt < attempts:
                    self.sleep(self.backoff(attempt))
                    continue
                # The original exception text embeds the URL (search terms, emails): keep it
                # out of tracebacks and logs, only its type is in the message.
                raise error from None

            duration_ms = (time.monotonic() - started) * 1000
            status = response.status_code
            if 200 <= status < 300:
                record(attempt, status, duration_ms, True, None)
                return RawResponse(status=status, headers=dict(response.headers), content=content)

            err: DrGreenError = error_from_response(
                status, content, response.headers, method=method, path=record_path
            )
            record(attempt, status, duration_ms, True, err)
            retry = status in _RETRY_STATUSES and (
                isinstance(err, RateLimited) or (isinstance(err, ServerError) and err.retryable)
            )
            if not retry or attempt >= attempts:
                raise err
            delay = self.backoff(attempt)
            if isinstance(err, RateLimited) and err.retry_after is not None:
                if err.retry_after > self.max_retry_after:
                    # Too long to block a worker: let the caller (e.g. a Celery task) reschedule.
                    raise err
                delay = err.retry_after
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
