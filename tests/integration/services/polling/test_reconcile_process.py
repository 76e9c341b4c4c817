"""The nightly reconcile as a child process: ``manage.py drgreen_reconcile --json``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from integration.models import Order, SyncRun
from integration.services.polling import reconcile_process
from integration.services.polling.reconcile_process import ReconcileChildFailed, mirror_reconcile_nightly

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def child_env(drgreen_holder, monkeypatch, tmp_path, settings):
    """The environment a worker would hand its child, pointed at this test's database (a
    child cannot see SQLite's in-memory test database) and at the sandbox holder."""
    if connection.vendor != "postgresql":
        pytest.skip("the child needs a database it can connect to: PostgreSQL")
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env = {
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "drgreen_store.settings_test",
        "CELERY_BROKER_URL": "memory://",
        "DRGREEN_VAR_DIR": str(tmp_path),
        "DRGREEN_API_URL": settings.DRGREEN["API_URL"],
        "DRGREEN_API_KEY": settings.DRGREEN["API_KEY"],
        "DRGREEN_SECRET_KEY": settings.DRGREEN["SECRET_KEY"],
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return drgreen_holder


def test_the_nightly_walk_runs_in_a_child_and_returns_its_outcome(child_env):
    child_env.seed(strains=2, clients=4, orders=9)
    outcome = mirror_reconcile_nightly(worker="celery@test", timeout_s=120)
    assert outcome["kind"] == "reconcile" and outcome["state"] == "succeeded", outcome
    assert outcome["stats"]["orders"]["created"] == 9
    assert Order.objects.count() == 9  # written by the child, visible here
    assert SyncRun.objects.get(pk=outcome["run_id"]).holder.startswith("celery@test")


def test_a_child_past_its_time_is_killed_and_reported(child_env):
    child_env.seed(strains=1, clients=1, orders=1)
    with pytest.raises(ReconcileChildFailed, match="did not finish within"):
        mirror_reconcile_nightly(worker="celery@test", timeout_s=0.05)


def test_a_child_without_an_outcome_is_reported_with_its_error(child_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
    with pytest.raises(ReconcileChildFailed, match="without an outcome"):
        mirror_reconcile_nightly(worker="celery@test", timeout_s=120)


def test_off_it_runs_in_this_process(drgreen_holder, settings, monkeypatch):
    settings.DRGREEN_SYNC = {**getattr(settings, "DRGREEN_SYNC", {}), "RECONCILE_IN_CHILD": False}
    monkeypatch.setattr(reconcile_process, "mirror_reconcile_child", None)  # never called
    drgreen_holder.seed(strains=1, clients=2, orders=3)
    outcome = mirror_reconcile_nightly(worker="inline", timeout_s=120)
    assert outcome["state"] == "succeeded" and Order.objects.count() == 3


def test_the_beat_task_runs_the_child(child_env):
    from integration.tasks.polling import mirror_reconcile as task

    child_env.seed(strains=1, clients=2, orders=5)
    outcome = task.apply().get()
    assert outcome["state"] == "succeeded" and outcome["stats"]["orders"]["created"] == 5
    assert Order.objects.count() == 5


# A worker in miniature: the real service, which runs the command as its child.
WORKER = """
import django
django.setup()
from integration.services.polling.reconcile_process import mirror_reconcile_child
mirror_reconcile_child(worker="celery@killed", timeout_s=600)
"""


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command (state, parent id, …), None once
    the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _state(pid: int) -> str | None:
    """The process's state letter (``Z``: ended, not yet reaped), None once it is gone."""
    fields = _stat(pid)
    return fields[0] if fields else None


def _children(pid: int) -> list[int]:
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return [child for child in pids if (fields := _stat(child)) and fields[1] == str(pid)]


def test_a_child_ends_with_its_worker_even_one_killed_outright(child_env):
    if not Path("/proc/self/stat").exists():
        pytest.skip("reads process states from /proc (Linux)")
    child_env.seed(strains=1, clients=2, orders=3)
    # Every Dr Green read takes 3 s: the child is mid-walk when its worker dies.
    child_env.sandbox.add_fault(method="GET", kind="latency", ms=3000, probability=1.0)
    worker = subprocess.Popen([sys.executable, "-c", WORKER], cwd=reconcile_process.MANAGE_PY.parent)
    try:
        deadline = time.monotonic() + 60
        while not (children := _children(worker.pid)) or not SyncRun.objects.exists():
            assert time.monotonic() < deadline and worker.poll() is None, "the walk did not start"
            time.sleep(0.1)
        (child,) = children
        assert _state(child) not in (None, "Z")
    finally:
        worker.kill()  # SIGKILL: nothing of the worker runs after it
        worker.wait()
    deadline = time.monotonic() + 30
    while _state(child) not in (None, "Z"):
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)  # not left walking into the next tests
            pytest.fail("the child walks on without its worker")
        time.sleep(0.1)
    assert SyncRun.objects.get().finished_at is None  # it was cut off mid-walk, not finished
