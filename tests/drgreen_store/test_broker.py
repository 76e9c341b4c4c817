"""The embedded filesystem broker: a message is taken whole and by exactly one consumer."""

from __future__ import annotations

import os
import threading
from queue import Empty

import pytest
from kombu import Connection

from drgreen_store import broker


def _connection(root):
    folders = {name: root / name for name in ("queue", "processed", "control")}
    for path in folders.values():
        path.mkdir(exist_ok=True)
    return Connection(
        "filesystem://",
        transport_options={
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
        },
    )


def test_the_configured_filesystem_url_picks_this_transport(settings):
    import drgreen_store.celery  # noqa: F401 - names the transport for filesystem://

    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("runs on the embedded broker only")
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    with Connection(settings.CELERY_BROKER_URL, transport_options=options) as conn:
        assert isinstance(conn.transport, broker.Transport)


def test_a_message_still_being_written_is_not_taken(tmp_path):
    with _connection(tmp_path) as conn:
        channel = conn.default_channel
        partial = tmp_path / "queue" / "1_x.jobs.msg.part"
        partial.write_bytes(b'{"body": "half')
        with pytest.raises(Empty):
            channel._get("jobs")
        assert partial.exists()
        channel._put("jobs", {"body": "whole"})
        assert channel._get("jobs") == {"body": "whole"}
        assert channel._size("jobs") == 0
        assert os.listdir(tmp_path / "processed") == []  # read, then removed


def test_a_message_appears_under_its_queue_name_only_when_complete(tmp_path, monkeypatch):
    renames = []

    def replace(src, dst):
        renames.append((open(src, "rb").read(), os.path.exists(dst)))
        os.rename(src, dst)

    monkeypatch.setattr(broker.os, "replace", replace)
    with _connection(tmp_path) as conn:
        conn.default_channel._put("jobs", {"body": "x" * 10_000})
        assert renames == [(b'{"body": "' + b"x" * 10_000 + b'"}', False)]
        assert conn.default_channel._get("jobs") == {"body": "x" * 10_000}


def test_concurrent_consumers_take_each_message_exactly_once(tmp_path):
    with _connection(tmp_path) as producer:
        for n in range(200):
            producer.default_channel._put("jobs", {"n": n})
    seen: list[int] = []
    errors: list[BaseException] = []

    def consume():
        with _connection(tmp_path) as conn:
            channel = conn.default_channel
            while True:
                try:
                    seen.append(channel._get("jobs")["n"])
                except Empty:
                    return
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=consume) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(seen) == list(range(200))
