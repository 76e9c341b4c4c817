from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration.drgreen import generate_key_pair

from .scripted_server import ScriptedServer


@pytest.fixture(scope="session")
def key_pair() -> tuple[str, str]:
    return generate_key_pair()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer().start()
    try:
        yield srv
    finally:
        srv.stop()
