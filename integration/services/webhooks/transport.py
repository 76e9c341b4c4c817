"""One HTTP POST to a checked address (see ``ssrf``): no redirects, no retries, a deadline."""

from __future__ import annotations

import time
from dataclasses import dataclass

import certifi
import urllib3

from .ssrf import Target

USER_AGENT = "drgreen-store-webhooks/1"


@dataclass(frozen=True)
class Response:
    status: int | None
    error: str
    duration_ms: int


def post(target: Target, *, body: bytes, headers: dict[str, str], timeout_s: float) -> Response:
    """POST ``body`` to ``target``; ``status`` None when no HTTP answer came back. A
    redirect is an answer like any non-2xx: following it would leave the checked address."""
    timeout = urllib3.Timeout(total=timeout_s)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False)
    all_headers = {
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        **headers,
    }
    started = time.monotonic()
    try:
        with pool:
            resp = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=all_headers,
                redirect=False,
                retries=False,
                preload_content=False,
                timeout=timeout,
            )
            try:
                resp.read(64 * 1024)  # drain a little; the body is never stored
            finally:
                resp.release_conn()
            status, error = resp.status, ""
    except urllib3.exceptions.HTTPError as exc:
        status, error = None, _describe(exc)
    return Response(status=status, error=error, duration_ms=int((time.monotonic() - started) * 1000))


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    # urllib3 messages hold the pool repr and the URL path, never a header or the body.
    return f"{name}: {text}"[:500]
