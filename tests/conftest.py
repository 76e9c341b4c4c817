"""Fixtures shared by every suite: one Dr Green sandbox per session, a fresh holder per test.

``sandbox`` is a real simulator process (real HTTP, real signing). ``drgreen_holder``
creates a new holder (fresh API keys, so nothing another test seeded is visible), points
``settings.DRGREEN`` at it, and clears faults and stats around the test. Nothing here
mocks the HTTP layer.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections

from sandbox.testing import SandboxProcess

_seeds = itertools.count(1000)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxProcess]:
    """One sandbox process for the session (use ``drgreen_holder`` for isolation)."""
    with SandboxProcess() as proc:
        yield proc


@dataclass
class SandboxHolder:
    """A sandbox holder (API key pair) wired into ``settings.DRGREEN`` for one test."""

    sandbox: SandboxProcess
    keys: dict[str, Any]
    strain_ids: list[str] = field(default_factory=list)
    client_ids: list[str] = field(default_factory=list)

    @property
    def api_key(self) -> str:
        return self.keys["apiKey"]

    def seed(self, **kw: Any) -> dict[str, Any]:
        """``POST /__sandbox__/seed`` for this holder (strains, clients, orders, countries)."""
        if "seed" not in kw:  # not setdefault: a test with its own seed leaves the others' alone
            kw["seed"] = next(_seeds)
        kw.setdefault("countries", ["GBR"])
        result = self.sandbox.seed(apiKey=self.api_key, **kw)
        self.strain_ids += result["strainIds"]
        self.client_ids += result["clientIds"]
        return result

    def orders(self, client_id: str | None = None) -> list[dict[str, Any]]:
        """The sandbox's own view of this holder's orders (control plane, not the dapp API).

        The control plane lists every holder's orders; keep this holder's only."""
        return [o for o in self.sandbox.orders(client_id) if o.get("nftId") == self.keys["nftId"]]

    def request_count(self, route: str | None = None) -> int:
        """Dr Green API requests the sandbox served (``route`` like ``"GET /dapp/orders"``)."""
        stats = self.sandbox.stats()["requests"]
        if route is None:
            return stats["total"]
        return stats["by_route"].get(route, 0)


@pytest.fixture
def drgreen_holder(sandbox, settings) -> Iterator[SandboxHolder]:
    """A fresh sandbox holder; ``settings.DRGREEN`` points at it for the test."""
    sandbox.clear_faults()
    sandbox.reset_stats()
    keys = sandbox.new_keys()
    settings.DRGREEN = {
        **settings.DRGREEN,
        "API_URL": sandbox.api_url,
        "API_KEY": keys["apiKey"],
        "SECRET_KEY": keys["secretKey"],
        "READ_TIMEOUT": 10.0,
    }
    try:
        yield SandboxHolder(sandbox, keys)
    finally:
        sandbox.clear_faults()


_db_template: dict[str, str] = {}


@contextlib.contextmanager
def _sqlite_file_connection(path: str) -> Iterator[None]:
    # The in-memory test database's connection is kept aside, not closed: closing it would
    # destroy that database for the rest of the session.
    alias = DEFAULT_DB_ALIAS
    original_settings = connections.settings[alias]
    original = connections[alias]
    file_settings = {**copy.deepcopy(original_settings), "NAME": path}
    wrapper = original.__class__(file_settings, alias)
    connections.settings[alias] = file_settings
    connections[alias] = wrapper
    try:
        yield
    finally:
        wrapper.close()
        connections[alias] = original
        connections.settings[alias] = original_settings


@pytest.fixture
def concurrent_db(transactional_db, tmp_path, tmp_path_factory) -> Iterator[None]:
    """A database several threads can write at once, as in production.

    PostgreSQL needs nothing. SQLite's test database is a shared-cache in-memory one whose
    table locks fail at once instead of waiting; for this test a migrated file database with
    the app's own settings (WAL, busy timeout) takes its place.
    """
    if connection.vendor != "sqlite":
        yield
        return
    if "path" not in _db_template:
        path = str(tmp_path_factory.mktemp("concurrent-db") / "template.sqlite3")
        with _sqlite_file_connection(path):
            call_command("migrate", verbosity=0, interactive=False)
            connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _db_template["path"] = path
    db_file = tmp_path / "db.sqlite3"
    shutil.copyfile(_db_template["path"], db_file)
    with _sqlite_file_connection(str(db_file)):
        yield
