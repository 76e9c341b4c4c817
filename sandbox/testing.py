"""Start a sandbox subprocess for tests and benchmarks, and drive its control plane.

Standard library only (``subprocess`` + ``urllib``) so any suite can use it::

    with SandboxProcess() as sb:
        keys = sb.new_keys()
        sb.seed(seed=1, strains=5, clients=3, orders=10, countries=["GBR"], apiKey=keys["apiKey"])
        client = DrGreenClient(sb.api_url, keys["apiKey"], keys["secretKey"])
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_REPO_ROOT = Path(__file__).resolve().parent.parent
READY_PREFIX = "sandbox listening on "


class SandboxError(RuntimeError):
    """The sandbox failed to start, or a control call answered non-2xx."""


class SandboxProcess:
    def __init__(
        self,
        *,
        port: int = 0,
        db_path: str | os.PathLike[str] | None = None,
        control_token: str = "test-token",  # noqa: S107 - test default, not a secret
        extra_args: Sequence[str] = (),
        host: str = "127.0.0.1",
        start_timeout: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self.db_path = None if db_path is None else str(db_path)
        self.control_token = control_token
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._url: str | None = None
        self._stderr_lines: list[str] = []

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> SandboxProcess:
        if self._proc is not None:
            return self
        cmd = [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--control-token",
            self.control_token,
            *self.extra_args,
        ]
        if self.db_path:
            cmd += ["--db", self.db_path]
        env = dict(os.environ)
        env["PYTHONPATH"] = str(_REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        self._proc = subprocess.Popen(
            cmd, cwd=_REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(self._proc.stdout, lines), daemon=True).start()
        threading.Thread(target=self._collect_stderr, daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                if self._proc.poll() is not None:
                    break
                continue
            if line is None:
                break
            if line.startswith(READY_PREFIX):
                self._url = line[len(READY_PREFIX) :].strip()
                self.port = int(self._url.rsplit(":", 1)[1])
                return self
        self.stop()
        time.sleep(0.1)
        raise SandboxError(f"sandbox did not become ready; stderr:\n{''.join(self._stderr_lines)[-4000:]}")

    @staticmethod
    def _pump(stream: Any, out: queue.Queue[str | None]) -> None:
        for line in stream:
            out.put(line)
        out.put(None)

    def _collect_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr_lines.append(line)
            del self._stderr_lines[:-500]

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def stderr(self) -> str:
        return "".join(self._stderr_lines)

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs (benchmarks read its CPU time)."""
        return self._proc.pid if self._proc is not None else None

    # -- addresses ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._url is None:
            raise SandboxError("sandbox is not running")
        return self._url

    @property
    def api_url(self) -> str:
        return self.url + "/api/v1"

    # -- control plane ------------------------------------------------------------------------

    def control(self, method: str, path: str, json: Any = None) -> dict[str, Any]:  # noqa: A002 - API name
        """Call ``/__sandbox__/<path>``; raise :class:`SandboxError` with the body on non-2xx."""
        full = path if path.startswith("/__sandbox__") else "/__sandbox__/" + path.lstrip("/")
        data = None if json is None else _json_dumps(json)
        # Always an http:// URL this object built itself, never user input.
        req = urllib.request.Request(self.url + full, data=data, method=method.upper())  # noqa: S310
        req.add_header("X-Sandbox-Token", self.control_token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310 - http URL built by us
                return _json_loads(resp.read())
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            raise SandboxError(f"{method} {full} -> {exc.code}: {body}") from None

    def new_keys(self) -> dict[str, Any]:
        return self.control("POST", "keys")

    def revoke_key(self, api_key: str) -> dict[str, Any]:
        return self.control("POST", "keys/revoke", {"apiKey": api_key})

    def seed(self, **kw: Any) -> dict[str, Any]:
        return self.control("POST", "seed", kw)

    def stats(self) -> dict[str, Any]:
        return self.control("GET", "stats")

    def reset_stats(self) -> dict[str, Any]:
        return self.control("DELETE", "stats")

    def add_fault(self, **kw: Any) -> dict[str, Any]:
        return self.control("POST", "faults", kw)

    def clear_faults(self) -> dict[str, Any]:
        return self.control("DELETE", "faults")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.control("POST", "clock", {"advance_seconds": seconds})

    def reset(self) -> dict[str, Any]:
        return self.control("POST", "reset")

    def orders(self, client_id: str | None = None) -> list[dict[str, Any]]:
        path = "orders" + (f"?clientId={client_id}" if client_id else "")
        return self.control("GET", path)["orders"]

    def clients(self) -> list[dict[str, Any]]:
        return self.control("GET", "clients")["clients"]

    def cart(self, client_id: str) -> dict[str, Any]:
        return self.control("GET", f"carts/{client_id}")

    def approve_client(self, client_id: str) -> dict[str, Any]:
        return self.control("POST", f"clients/{client_id}/approve")

    def reject_client(self, client_id: str, note: str = "Rejected in a test") -> dict[str, Any]:
        return self.control("POST", f"clients/{client_id}/reject", {"rejectionNote": note})

    def kyc_pass(self, client_id: str) -> dict[str, Any]:
        return self.control("POST", f"clients/{client_id}/kyc-pass")

    def approve_order(self, order_id: str) -> dict[str, Any]:
        return self.control("POST", f"orders/{order_id}/approve")

    def reject_order(self, order_id: str, note: str = "Rejected in a test") -> dict[str, Any]:
        return self.control("POST", f"orders/{order_id}/reject", {"rejectionNote": note})

    def pay_order(self, order_id: str, **kw: Any) -> dict[str, Any]:
        return self.control("POST", f"orders/{order_id}/pay", kw)

    def fail_payment(self, order_id: str) -> dict[str, Any]:
        return self.control("POST", f"orders/{order_id}/payment-failed")

    def set_order_status(self, order_id: str, status: str) -> dict[str, Any]:
        return self.control("POST", f"orders/{order_id}/status", {"orderStatus": status})

    def set_stock(self, strain_id: str, **kw: Any) -> dict[str, Any]:
        return self.control("POST", f"strains/{strain_id}/stock", kw)

    def set_config(self, **kw: Any) -> dict[str, Any]:
        return self.control("POST", "config", kw)


def _json_dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _json_loads(raw: bytes) -> dict[str, Any]:
    return json.loads(raw.decode("utf-8")) if raw else {}
