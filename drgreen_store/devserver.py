"""Run the whole app locally on the embedded defaults: ``python3 dev.py up``.

Starts the Dr Green sandbox (seeded with demo data and a generated key pair on first
run), migrates, prepares the demo (staff login, storefront token, demo customers; see
``manage.py drgreen_demo_setup``), then runs web, one Celery worker and exactly one beat,
and prints the URLs and logins. Ctrl-C stops every child cleanly. State lives in ``var/``
(or ``$DRGREEN_VAR_DIR``) so a second run picks up where the first stopped.

Each child runs in its own process group: the terminal's Ctrl-C reaches only this
supervisor, which then stops the children in reverse order (beat before the worker
before web before the sandbox) and waits for them, so no child is cut off mid-write and
none outlives the command.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = {"seed": 7, "strains": 24, "clients": 40, "orders": 200, "countries": ["GBR", "PRT", "ZAF", "THA"]}


def _var_dir() -> Path:
    path = Path(os.environ.get("DRGREEN_VAR_DIR") or ROOT / "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _control(base: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(  # noqa: S310 - local sandbox only
        f"{base}/__sandbox__{path}",
        data=data,
        method=method,
        headers={"X-Sandbox-Token": token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310 - local sandbox only
        return json.loads(resp.read() or b"{}")


def _wait_http(url: str, procs: list[subprocess.Popen], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit(f"[dev] a process exited while waiting for {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - local only
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"[dev] {url} did not come up within {timeout:.0f}s")


class Supervisor:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[tuple[str, subprocess.Popen]] = []

    def spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        print(f"[dev] starting {name}: {' '.join(cmd[1:])}", flush=True)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, start_new_session=os.name != "nt")
        self.children.append((name, proc))
        return proc

    @property
    def procs(self) -> list[subprocess.Popen]:
        return [p for _, p in self.children]

    def stop_all(self, grace: float = 15.0) -> None:
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                print(f"[dev] stopping {name}", flush=True)
                # SIGTERM: celery finishes the running task (warm shutdown), runserver and
                # the sandbox close cleanly.
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    print(f"[dev] {name} did not stop in {grace:.0f}s; killing it", flush=True)
                    proc.kill()
                    proc.wait(timeout=5)
            if os.name != "nt":
                # Anything the child left behind in its group (a pool process) goes too.
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--web-port", type=int, default=8000)
    parser.add_argument("--sandbox-port", type=int, default=8001)
    parser.add_argument("--no-sandbox", action="store_true", help="use DRGREEN_API_URL/KEY/SECRET as set")
    args = parser.parse_args(argv)

    # A terminal closing (SIGHUP) or a `kill` (SIGTERM) stops everything like Ctrl-C does.
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, _raise_interrupt)

    var = _var_dir()
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("DRGREEN_VAR_DIR", str(var))
    env.setdefault("LOG_FORMAT", "text")  # readable on a laptop; JSON in production
    env.setdefault("DJANGO_DEBUG", "true")  # settings default to production (DEBUG off)
    env.setdefault("DRGREEN_DEMO", "true")
    # Demo pace: a storefront read of an active order older than 5 s queues a refresh, so the
    # demo page sees what you do on the control page within seconds (production: 30 s).
    env.setdefault("DRGREEN_API_ACTIVE_TTL_S", "5")
    env.setdefault("DRGREEN_API_REFRESH_DEDUPE_S", "3")
    # The demo storefront's webhook receiver is this web server, on http://127.0.0.1.
    env.setdefault("DRGREEN_WEBHOOKS_ALLOW_PRIVATE", "true")
    token = env.setdefault("SANDBOX_CONTROL_TOKEN", "sandbox-dev-token")
    sup = Supervisor(env)
    web = f"http://127.0.0.1:{args.web_port}"

    try:
        if not args.no_sandbox:
            sandbox_url = f"http://127.0.0.1:{args.sandbox_port}"
            sandbox_db = var / "sandbox.sqlite3"
            keys_file = var / "dev-keys.json"
            if not sandbox_db.exists():
                keys_file.unlink(missing_ok=True)  # keys of a sandbox that no longer exists
            sup.spawn(
                "sandbox",
                [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(args.sandbox_port),
                 "--db", str(sandbox_db), "--control-token", token],
            )  # fmt: skip
            _wait_http(f"{sandbox_url}/api/v1/public/healthStatus", sup.procs)
            if not keys_file.exists():
                print("[dev] first run: generating a Dr Green key pair and seeding demo data", flush=True)
                keys = _control(sandbox_url, token, "POST", "/keys")
                _control(sandbox_url, token, "POST", "/seed", {"apiKey": keys["apiKey"], **SEED})
                keys_file.write_text(json.dumps(keys))
                keys_file.chmod(0o600)
            keys = json.loads(keys_file.read_text())
            env["DRGREEN_API_URL"] = f"{sandbox_url}/api/v1"
            env["DRGREEN_API_KEY"] = keys["apiKey"]
            env["DRGREEN_SECRET_KEY"] = keys["secretKey"]
            env["SANDBOX_URL"] = sandbox_url

        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True)
        banner = ""
        if env.get("DRGREEN_DEMO", "").lower() in ("1", "true", "yes", "on"):
            demo = subprocess.run(
                [*manage, "drgreen_demo_setup", "--base-url", web],
                cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            banner = demo.stdout

        sup.spawn("web", [*manage, "runserver", f"127.0.0.1:{args.web_port}", "--noreload"])
        celery = [sys.executable, "-m", "celery", "-A", "drgreen_store"]
        sup.spawn("worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"])
        schedule = str(var / "celerybeat-schedule")
        sup.spawn("beat", [*celery, "beat", "--loglevel", "INFO", "--schedule", schedule])
        _wait_http(f"{web}/readyz", sup.procs)
        print(
            "\n[dev] drgreen-store is running:\n"
            f"  web       {web}/\n"
            f"  admin     {web}/admin/\n"
            + ("" if args.no_sandbox else f"  sandbox   http://127.0.0.1:{args.sandbox_port}/\n")
            + banner
            + "\n  Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(p.poll() is None for p in sup.procs):
            time.sleep(0.5)
        gone = [name for name, p in sup.children if p.poll() is not None]
        print(f"[dev] {', '.join(gone)} exited; stopping the rest", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\n[dev] stopping", flush=True)
        return 0
    finally:
        # Ignore further Ctrl-C while the children shut down, so none is left behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sup.stop_all()
        print("[dev] stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
