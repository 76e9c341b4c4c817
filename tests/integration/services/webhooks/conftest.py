from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from integration.services import webhooks

from .receiver import Receiver


def _serving() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serving()


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    """Another receiver, for a second endpoint."""
    yield from _serving()


@pytest.fixture
def allow_private(settings):
    """Tests deliver to 127.0.0.1 over http, which production refuses."""
    settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = True
    settings.DRGREEN_WEBHOOK_RETRY_JITTER = 0.2


@pytest.fixture
def endpoint(allow_private, receiver):
    """An endpoint for every event type, pointing at the receiver: (endpoint, secret)."""
    created = webhooks.endpoint_create(url=receiver.url(), description="test receiver")
    return created.endpoint, created.secret


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (a receiver that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hung_port() -> Iterator[int]:
    """A port on 127.0.0.1 that takes connections and never answers (a hung receiver):
    it listens but never accepts, so the kernel completes the handshake and keeps the body."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield s.getsockname()[1]
