"""The nightly reconcile in a process of its own: ``manage.py drgreen_reconcile --json``.

The walk runs fastest with the collector paused and a short GIL switch interval (see
``bench.reconcile``), settings that would change every other task of a Celery worker; only
the command may set them, for its own process. So the beat task runs the command as a child
process and returns its outcome (``DRGREEN_SYNC["RECONCILE_IN_CHILD"]``; off: in the worker).
The child ends with its worker, even one killed outright (``--parent-pid``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from integration.conf import drgreen_settings

from .reconcile import mirror_reconcile

MANAGE_PY = Path(__file__).resolve().parents[3] / "manage.py"


class ReconcileChildFailed(RuntimeError):
    """The child ended without an outcome (killed at the time limit, crashed)."""


def mirror_reconcile_nightly(*, dry_run: bool = False, worker: str, timeout_s: float) -> dict[str, Any]:
    """The nightly walk's outcome (``SyncOutcome.as_dict()``), run where the settings say."""
    if not drgreen_settings.sync.reconcile_in_child:
        return mirror_reconcile(dry_run=dry_run, worker=worker).as_dict()
    return mirror_reconcile_child(dry_run=dry_run, worker=worker, timeout_s=timeout_s)


def mirror_reconcile_child(*, dry_run: bool = False, worker: str, timeout_s: float) -> dict[str, Any]:
    """Run the command with this process's environment; killed after ``timeout_s``. Its
    lease (renewed every page) keeps any other walk out while it runs."""
    cmd = [sys.executable, str(MANAGE_PY), "drgreen_reconcile", "--json", "--worker", worker]
    cmd += ["--parent-pid", str(os.getpid())]  # a worker killed outright takes its child along
    if dry_run:
        cmd.append("--dry-run")
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and command, no shell
            cmd, capture_output=True, text=True, timeout=timeout_s, cwd=MANAGE_PY.parent, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ReconcileChildFailed(f"the reconcile did not finish within {timeout_s:.0f} s; killed") from exc
    lines = done.stdout.strip().splitlines()
    try:
        outcome = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = done.stderr.strip()[-1000:]
        message = f"the reconcile exited {done.returncode} without an outcome: {tail}"
        raise ReconcileChildFailed(message) from None
    if not isinstance(outcome, dict):
        raise ReconcileChildFailed(f"the reconcile printed no outcome (exit {done.returncode})")
    return outcome
