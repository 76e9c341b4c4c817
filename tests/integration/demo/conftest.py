"""The whole demo as ``python3 dev.py up`` runs it, and a headless Chromium to drive it.

``demo_stack`` starts ``drgreen_store.devserver`` (what ``dev.py up`` runs once the venv
exists) on free ports with its own ``var/`` folder, so it is the embedded-defaults app
(SQLite, filesystem broker, sandbox, web, worker, beat) whatever database the suite uses,
and stops it the way a person does: Ctrl-C.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Variables of the suite's own run that must not leak into the demo: it runs on the
# embedded defaults, like on a fresh laptop.
_SUITE_ONLY = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "DRGREEN_API_URL",
    "DRGREEN_API_KEY",
    "DRGREEN_SECRET_KEY",
    "DRGREEN_VAR_DIR",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class DemoStack:
    proc: subprocess.Popen
    web: str
    sandbox: str
    var: Path
    output: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.output)

    @property
    def token(self) -> str:
        return re.search(r"Storefront token\s+(\S+)", self.text).group(1)

    @property
    def customers(self) -> list[tuple[int, str, str]]:
        """(user id, name, country) as the banner lists them."""
        block = self.text.split("Demo customers", 1)[1].split("Ctrl-C", 1)[0]
        return [
            (int(m.group(1)), m.group(2).strip(), m.group(3))
            for m in re.finditer(r"^\s+(\d+)\s+(.+?)\s+([A-Z]{3})\s*$", block, re.M)
        ]

    def stop_like_ctrl_c(self, timeout: float = 60) -> int:
        os.killpg(self.proc.pid, signal.SIGINT)
        return self.proc.wait(timeout=timeout)


def _pump(stream, sink: list[str]) -> None:
    for line in stream:
        sink.append(line)


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory) -> Iterator[DemoStack]:
    var = tmp_path_factory.mktemp("demo-var")
    web_port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in _SUITE_ONLY}
    env.update(DRGREEN_VAR_DIR=str(var), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "drgreen_store.devserver", "--web-port", str(web_port)]
        + ["--sandbox-port", str(sandbox_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Its own process group, like a terminal's foreground job: Ctrl-C is sent to it.
        start_new_session=True,
        # A background job of a non-interactive shell inherits SIGINT ignored; a terminal's
        # foreground job does not. Restore the default so Ctrl-C behaves as for a person.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    stack = DemoStack(proc, f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{sandbox_port}", var)
    threading.Thread(target=_pump, args=(proc.stdout, stack.output), daemon=True).start()
    deadline = time.monotonic() + 240
    while "Ctrl-C stops everything" not in stack.text:
        if proc.poll() is not None or time.monotonic() > deadline:
            with_output = stack.text[-5000:]
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the demo did not start:\n{with_output}")
        time.sleep(0.5)
    try:
        yield stack
    finally:
        if proc.poll() is None:
            try:
                stack.stop_like_ctrl_c()
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page, name: str) -> Path:
    path = ARTIFACTS / f"demo-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
