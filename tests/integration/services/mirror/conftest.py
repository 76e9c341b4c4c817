import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def t0():
    return T0


@pytest.fixture
def later():
    """later(n) → T0 + n minutes: successive observation times."""
    return lambda minutes: T0 + timedelta(minutes=minutes)


@pytest.fixture
def rng():
    return random.Random(1234)


@pytest.fixture
def real_sqlite_param_limit(monkeypatch):
    """Django 5.2 assumes SQLite's old 999-variable limit and splits bulk statements into
    batches by it; the linked SQLite allows far more (Django 6.0 reads the real limit).
    Query-count tests use the real limit so they count our statements, not that split."""
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        monkeypatch.setattr(connection.features, "max_query_params", limit)
