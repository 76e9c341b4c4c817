"""Container health checks: ``python -m integration.observability.probe web|worker|beat|sandbox``.

Exit 0 when the service is healthy, 1 otherwise (one line on stderr says why). The same
commands serve the compose file and the test that runs each service locally, so what is
tested is what the orchestrator runs.

- web: ``GET /readyz`` on ``127.0.0.1:$PORT`` (default 8000) answers 200.
- worker: this host's Celery node answers a control ping over the broker.
- beat: the schedule file was written within ``$BEAT_HEALTH_MAX_AGE_S`` (default 600 s);
  beat rewrites it every few minutes while it ticks.
- sandbox: ``GET /api/v1/public/healthStatus`` on ``127.0.0.1:$SANDBOX_PORT`` (default 8001).
"""

from __future__ import annotations

import glob
import os
import socket
import sys
import time
import urllib.request


def _http_ok(url: str) -> None:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - loopback URL built here
        if resp.status != 200:
            raise RuntimeError(f"{url} answered {resp.status}")


def beat_schedule_path() -> str:
    var = os.environ.get("DRGREEN_VAR_DIR", "/app/var")
    return os.environ.get("CELERY_BEAT_SCHEDULE_FILE", os.path.join(var, "celerybeat-schedule"))


def check(service: str) -> None:
    if service == "web":
        _http_ok(f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/readyz")
    elif service == "sandbox":
        _http_ok(f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT', '8001')}/api/v1/public/healthStatus")
    elif service == "beat":
        # shelve may add a suffix (.db, .dat) depending on the dbm module available.
        files = glob.glob(beat_schedule_path() + "*")
        if not files:
            raise RuntimeError("no beat schedule file yet")
        age = time.time() - max(os.path.getmtime(f) for f in files)
        if age > float(os.environ.get("BEAT_HEALTH_MAX_AGE_S", "600")):
            raise RuntimeError(f"beat schedule untouched for {age:.0f}s")
    elif service == "worker":
        from drgreen_store.celery import app

        node = os.environ.get("CELERY_NODE_NAME") or f"celery@{socket.gethostname()}"
        replies = app.control.ping(destination=[node], timeout=5.0)
        if not replies:
            raise RuntimeError(f"{node} did not answer a ping")
    else:
        raise SystemExit(f"unknown service {service!r}: web, worker, beat or sandbox")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        check(argv[0])
    except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy", with the reason
        print(f"{argv[0]} unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
