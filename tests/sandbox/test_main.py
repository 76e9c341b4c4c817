"""``python -m sandbox``: the well-known control token only on loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str, env_token: str | None = None) -> subprocess.Popen:
    env = {"PATH": "/usr/bin:/bin"}
    if env_token is not None:
        env["SANDBOX_CONTROL_TOKEN"] = env_token
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "sandbox.example"])
@pytest.mark.parametrize("token", [None, "", "sandbox-dev-token"])
def test_the_default_token_is_refused_off_loopback(host, token):
    proc = _start("--host", host, env_token=token)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "default control token" in err, (out, err)


@pytest.mark.parametrize(
    ("args", "token"),
    [(("--host", "127.0.0.1"), None), (("--host", "0.0.0.0"), "a-random-token-0123456789")],
)
def test_loopback_or_a_real_token_starts(args, token):
    proc = _start(*args, env_token=token)
    try:
        assert "sandbox listening on" in proc.stdout.readline()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
