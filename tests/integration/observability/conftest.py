"""Fixtures for the observability suite: the real configured log handler, captured."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest


class CapturedLog:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream
        self._swapped: list[tuple[logging.StreamHandler, object]] = []

    def attach(self) -> None:
        """Point the current console handler at our buffer. Call again after anything that
        re-runs Django's logging setup (a Celery worker's Django fixup does), which replaces
        the handler object."""
        handler = _console_handler()
        if all(h is not handler for h, _ in self._swapped):
            self._swapped.append((handler, handler.setStream(self.stream)))

    def detach(self) -> None:
        for handler, old in reversed(self._swapped):
            handler.setStream(old)
        self._swapped.clear()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


def _console_handler() -> logging.StreamHandler:
    for handler in logging.getLogger().handlers:
        if handler.get_name() == "console":
            return handler
    raise AssertionError("settings.LOGGING has no 'console' handler on the root logger")


@pytest.fixture
def captured_log() -> Iterator[CapturedLog]:
    """Everything the production ``console`` handler (settings.LOGGING) writes, at DEBUG for
    every logger, so third-party debug lines (urllib3's request lines) are included."""
    captured = CapturedLog(io.StringIO())
    captured.attach()
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.setLevel(old_level)
        captured.detach()


@pytest.fixture
def sandbox_keys(drgreen_holder) -> dict:
    """A fresh holder on the shared sandbox, configured as this test's Dr Green account."""
    return drgreen_holder.keys
