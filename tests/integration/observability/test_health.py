"""The database ping behind ``/readyz`` and ``/healthz``: ready when the database answers,
503 (and a log line) when it cannot be reached or its connection is dead."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError, connection

from integration.observability.health import database_ok

pytestmark = pytest.mark.django_db


def test_ready_when_the_database_answers(client):
    assert database_ok() is True
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}


def test_unavailable_when_the_database_cannot_be_reached(client, monkeypatch, caplog):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    with caplog.at_level(logging.WARNING, logger="integration.health"):
        r = client.get("/readyz")
    assert r.status_code == 503 and r.json() == {"status": "unavailable", "database": "unavailable"}
    assert "database unavailable" in caplog.text


def test_a_dead_connection_is_not_ready(monkeypatch, caplog):
    monkeypatch.setattr(connection, "is_usable", lambda: False)
    with caplog.at_level(logging.WARNING, logger="integration.health"):
        assert database_ok() is False
    assert "connection unusable" in caplog.text
