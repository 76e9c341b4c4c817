"""The ``live`` suite itself must work: run it against the sandbox (seeded like a small real
holder) in a subprocess, with the live variables set. It is not marked ``live``: it proves in
every CI run that the suite an operator points at production has no broken test, and that
the sandbox passes the same contract checks production is held to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_live_suite_passes_against_the_sandbox(sandbox, tmp_path):
    keys = sandbox.new_keys()
    sandbox.seed(apiKey=keys["apiKey"], seed=4242, strains=4, clients=6, orders=12, countries=["GBR", "ZAF"])
    env = {
        **os.environ,
        "DRGREEN_LIVE_URL": sandbox.api_url,
        "DRGREEN_LIVE_API_KEY": keys["apiKey"],
        "DRGREEN_LIVE_SECRET_KEY": keys["secretKey"],
        # Its own throwaway database: the running session holds the test database.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "DRGREEN_VAR_DIR": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "live", "tests/live", "-q", "-p", "no:cacheprovider", "-rs"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    tail = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    assert "14 passed" in proc.stdout, tail  # nothing skipped for lack of data
