"""The ``live`` suite: read-only contract checks against a real Dr Green deployment.

Runs only when ``DRGREEN_LIVE_URL`` (base URL incl. ``/api/v1``), ``DRGREEN_LIVE_API_KEY`` and
``DRGREEN_LIVE_SECRET_KEY`` are set; otherwise every test here is skipped with the reason.
Read-only is enforced, not promised: any request other than GET/HEAD is refused before it
leaves the process, so a mistake in a test can never create a client, cart or order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from integration.drgreen import DrGreenClient

LIVE_VARS = ("DRGREEN_LIVE_URL", "DRGREEN_LIVE_API_KEY", "DRGREEN_LIVE_SECRET_KEY")


@dataclass(frozen=True)
class LiveTarget:
    url: str
    api_key: str
    secret_key: str


def live_target() -> LiveTarget | None:
    values = [os.environ.get(name, "").strip() for name in LIVE_VARS]
    return LiveTarget(*values) if all(values) else None


def _skip_reason() -> str:
    missing = ", ".join(name for name in LIVE_VARS if not os.environ.get(name, "").strip())
    return (
        f"live contract tests need a real Dr Green deployment: set {', '.join(LIVE_VARS)} "
        f"(missing: {missing}); see README, 'Checking the contract against Dr Green'"
    )


class WriteRefused(AssertionError):
    """A live test tried to send a write; the request never left the process."""


@pytest.fixture(autouse=True)
def _live_read_only(monkeypatch) -> Iterator[None]:
    """Skip without the live settings; with them, refuse every non-GET request."""
    if live_target() is None:
        pytest.skip(_skip_reason())
    send = requests.Session.send

    def read_only_send(self: requests.Session, request: requests.PreparedRequest, **kw: Any):
        if (request.method or "").upper() not in ("GET", "HEAD"):
            raise WriteRefused(f"live tests are read-only: refused {request.method} {request.url}")
        return send(self, request, **kw)

    monkeypatch.setattr(requests.Session, "send", read_only_send)
    yield


@pytest.fixture
def live() -> LiveTarget:
    target = live_target()
    assert target is not None
    return target


@pytest.fixture
def live_client(live: LiveTarget) -> Iterator[DrGreenClient]:
    client = DrGreenClient(live.url, live.api_key, live.secret_key, read_timeout=30.0)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def live_settings(live: LiveTarget, settings) -> LiveTarget:
    """Point the Django side (``drgreen_client()``) at the live deployment for one test."""
    settings.DRGREEN = {
        **settings.DRGREEN,
        "API_URL": live.url,
        "API_KEY": live.api_key,
        "SECRET_KEY": live.secret_key,
    }
    return live


def first_or_skip(items: list[dict[str, Any]], what: str) -> dict[str, Any]:
    if not items:
        pytest.skip(f"the live deployment has no {what} to check against")
    return items[0]
