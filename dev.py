#!/usr/bin/env python3
"""One entry point for a fresh machine that has only Python 3.11+.

    python3 dev.py up      # venv + deps, sandbox with demo data, migrate, web + worker + beat
    python3 dev.py test    # venv + dev deps, the whole test suite (extra args go to pytest)

Both create ``.venv`` on first use and reinstall only when a requirements file changes.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("DRGREEN_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _requirements_digest(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    return digest.hexdigest()


def ensure_venv(dev: bool) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - the user's python3 may be older
        sys.exit("drgreen-store needs Python 3.11 or newer.")
    if not PY.exists():
        print(f"creating virtualenv in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    req = ROOT / ("requirements-dev.txt" if dev else "requirements.txt")
    files = [ROOT / "requirements.txt", ROOT / "requirements-dev.txt"]
    stamp = VENV / (".installed-dev" if dev else ".installed")
    want = _requirements_digest(files)
    if stamp.exists() and stamp.read_text() == want:
        return
    print(f"installing {req.name} into {VENV}", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "-r", str(req)], check=True)
    stamp.write_text(want)


def run_foreground(cmd: list[str]) -> int:
    """Run ``cmd`` until it exits. Ctrl-C reaches it directly (same terminal process group),
    so here it only means "keep waiting while it shuts down": ``subprocess.call`` would
    kill it instead, cutting off its own clean shutdown. SIGTERM is passed on."""
    proc = subprocess.Popen(cmd)
    if os.name != "nt":
        signal.signal(signal.SIGTERM, lambda *_: proc.send_signal(signal.SIGTERM))
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("up", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if command == "test":
        ensure_venv(dev=True)
        return run_foreground([str(PY), "-m", "pytest", *rest])
    ensure_venv(dev=False)
    return run_foreground([str(PY), "-m", "drgreen_store.devserver", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
