"""``python -m bench.api``: order-status reads from the mirror versus asking Dr Green.

1. Start the sandbox, seed a holder (clients with orders), and fill a fresh database's
   mirror through the real sync path; every client gets a local customer.
2. Start gunicorn with the production config (``drgreen_store.gunicorn_conf``: its worker
   and thread counts) and ``bench.api_settings``, which adds a pass-through endpoint.
3. With the sandbox answering 150 ms late (latency fault), drive both endpoints with the
   same closed-loop load (16 concurrent clients, a new connection per request unless
   ``--keepalive``; random orders, each read as its customer through a storefront token):
   - mirror: ``GET /api/v1/orders/{id}/status`` (the storefront API);
   - proxy:  ``GET /bench/proxy/orders/{id}/status`` (same auth, then Dr Green's
     ``GET /dapp/orders/{id}`` on every request, as storefront proxies do today).

Targets: mirror throughput ≥ 20× the proxy's, mirror p99 ≤ 50 ms. The last line is one JSON
object. Options: ``--duration`` (s per side), ``--concurrency``, ``--orders``, ``--customers``.
``DATABASE_URL`` may name a PostgreSQL database: the benchmark creates, migrates and drops a
throwaway ``bench_<pid>_<name>`` next to it; default a temp SQLite. ``CACHE_URL`` picks the
shared Redis cache gunicorn's processes need (default ``redis://127.0.0.1:6379/15``).

What a mirror read costs, and how to compare two versions: on PostgreSQL a read is two
statements on a persistent connection (``CONN_MAX_AGE``; no per-request health check): the
token joined with the customer it acts for, then the order; plus the throttle's one Redis
call. gunicorn preloads the app, so no worker imports views while the load runs. On a
shared 2-core machine ``rps`` swings with other work; ``mirror_cpu_ms_per_request`` (the
server's own CPU, warm-up included) moves much less; ``mirror_loadgen_cpu_ms_per_request`` is
what the load generator takes from the same cores. Compare versions in back-to-back runs,
alternating, several of each, and report both columns; measured figures go in the README's
Benchmarks section or the change's report, not here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sandbox.testing import SandboxProcess

from .loadgen import run_load

REPO = Path(__file__).resolve().parent.parent
LATENCY_MS = 150


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(var_dir: str, sandbox: SandboxProcess, keys: dict, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.api_settings",
            "DRGREEN_VAR_DIR": var_dir,
            "DRGREEN_API_URL": sandbox.api_url,
            "DRGREEN_API_KEY": keys["apiKey"],
            "DRGREEN_SECRET_KEY": keys["secretKey"],
            # Production mode: no DEBUG query log, real secret; plain HTTP on loopback.
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_BEHIND_TLS_PROXY": "false",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_HOST": "127.0.0.1",
            "PORT": str(port),
            "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    env.setdefault("CELERY_BROKER_URL", "filesystem://")
    # Several gunicorn processes: production requires a shared cache for the throttles
    # (drgreen.E104 refuses to start otherwise), so the benchmark uses one too.
    env.setdefault("CACHE_URL", "redis://127.0.0.1:6379/15")
    return env


def _throwaway_database(env: dict[str, str], stack: contextlib.ExitStack) -> None:
    """Boot Django and migrate a database of the benchmark's own, dropped on exit: PostgreSQL →
    ``bench_<pid>_<name>`` next to ``DATABASE_URL``'s (never that one: a second run would meet
    the first one's users), SQLite → the var dir's file. gunicorn is pointed at it."""
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from .sync_common import fresh_database

    stack.enter_context(fresh_database())
    if connection.vendor == "postgresql":
        url = urllib.parse.urlsplit(env["DATABASE_URL"])
        name = urllib.parse.quote(connection.settings_dict["NAME"])
        env["DATABASE_URL"] = urllib.parse.urlunsplit(url._replace(path="/" + name))


def _prepare_mirror(*, customers: int) -> tuple[list[tuple[str, int]], str]:
    """Mirror the sandbox's orders through the sync path, link a customer to each client and
    issue a storefront token. Returns [(order id, customer id)], and the token."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from integration.models import ApiToken, Client, Order, TokenKind
    from integration.services.drgreen_api import drgreen_client
    from integration.services.mirror import orders_upsert_from_list

    client = drgreen_client()
    orders_upsert_from_list(items=list(client.iter_orders(take=500)), observed_at=timezone.now())
    users = get_user_model().objects
    for i, c in enumerate(Client.objects.order_by("pk")[:customers]):
        user = users.create_user(username=f"bench{i}", email=f"bench{i}@example.test", password=None)
        Client.objects.filter(pk=c.pk).update(user=user)
    pairs = list(
        Order.objects.filter(client__user__isnull=False).values_list("drgreen_id", "client__user_id")
    )
    token = ApiToken.issue(name="bench", kind=TokenKind.STOREFRONT)[1]
    connection.close()  # gunicorn has its own connections; the database is dropped at the end
    return [(str(o), u) for o, u in pairs], token


def _throttle_counts_clear() -> None:
    """Start with no throttle counts: every throwaway database numbers its customers from 1,
    so a run within a minute of the last (same shared cache) met its counts and got 429s."""
    from django.core.cache import cache

    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is not None:
        redis = client(write=True)
        keys = list(redis.scan_iter(match="*drgreen-api-throttle*"))
        if keys:
            redis.delete(*keys)


def _start_gunicorn(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:drgreen_store.gunicorn_conf",
        "drgreen_store.wsgi:application",
    ]
    # The server's log goes to a file: an undrained pipe would block the workers once full.
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process by the caller
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):  # noqa: S310
                return proc
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not become ready")


def _cpu_seconds(master_pid: int) -> float:
    """User + system CPU of gunicorn's master and workers so far (Linux /proc): the server's
    own cost per request, which stays meaningful when other processes share the cores."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [master_pid]
    try:
        for task in os.listdir(f"/proc/{master_pid}/task"):
            with open(f"/proc/{master_pid}/task/{task}/children") as fh:
                pids += [int(p) for p in fh.read().split()]
    except OSError:
        return float("nan")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _request_factory(path_template: str, pairs: list[tuple[str, int]], token: str):
    def make(rng: random.Random) -> bytes:
        order_id, customer_id = rng.choice(pairs)
        return (
            f"GET {path_template.format(order_id)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Token {token}\r\nX-Customer-Id: {customer_id}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode("ascii")

    return make


def _measure(name: str, gunicorn: subprocess.Popen, **load) -> dict:
    cpu_before, own_before = _cpu_seconds(gunicorn.pid), time.process_time()
    result = run_load(**load)
    cpu = _cpu_seconds(gunicorn.pid) - cpu_before
    own = time.process_time() - own_before
    summary = _side(name, result)
    # Includes the warm-up requests' CPU; divided by the recorded ones, a slight overestimate.
    summary["server_cpu_ms_per_request"] = round(cpu * 1000 / max(1, summary["requests"]), 2)
    # The load generator's own CPU (this process), taken from the same two cores.
    summary["loadgen_cpu_ms_per_request"] = round(own * 1000 / max(1, summary["requests"]), 2)
    print(
        f"{'':>6}  server CPU {summary['server_cpu_ms_per_request']} ms/request, "
        f"load generator {summary['loadgen_cpu_ms_per_request']} ms/request",
        flush=True,
    )
    return summary


def _side(name: str, result) -> dict:
    ok = result.statuses.get(200, 0)
    summary = {
        "rps": round(result.rps, 1),
        "p50_ms": round(result.percentile(50), 2),
        "p99_ms": round(result.percentile(99), 2),
        "requests": len(result.latencies_ms),
        "ok": ok,
        "non_200": {str(k): v for k, v in result.statuses.items() if k != 200},
        "errors": result.errors,
    }
    print(
        f"{name:>6}: {summary['rps']:8.1f} req/s  p50 {summary['p50_ms']:7.2f} ms  "
        f"p99 {summary['p99_ms']:7.2f} ms  ({summary['requests']} requests, {ok} ok)",
        flush=True,
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per side")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument(
        "--keepalive",
        action="store_true",
        help="reuse connections (gthread then accepts unevenly, see loadgen)",
    )
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        var_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-api-"))
        sandbox = stack.enter_context(SandboxProcess())
        keys = sandbox.new_keys()
        sandbox.seed(
            apiKey=keys["apiKey"],
            seed=7,
            strains=10,
            clients=args.customers,
            orders=args.orders,
            countries=["GBR"],
        )
        port = _free_port()
        env = _environment(var_dir, sandbox, keys, port)
        _throwaway_database(env, stack)
        print(f"mirroring {args.orders} orders of {args.customers} clients…", flush=True)
        pairs, token = _prepare_mirror(customers=args.customers)
        _throttle_counts_clear()
        gunicorn = _start_gunicorn(env, port, Path(var_dir) / "gunicorn.log")
        try:
            from drgreen_store import gunicorn_conf

            workers, threads = gunicorn_conf.workers, gunicorn_conf.threads
            print(
                f"gunicorn: {workers} workers × {threads} threads; {len(pairs)} orders; "
                f"concurrency {args.concurrency}; sandbox latency {LATENCY_MS} ms",
                flush=True,
            )
            sandbox.add_fault(kind="latency", ms=LATENCY_MS)
            load = {
                "host": "127.0.0.1",
                "port": port,
                "concurrency": args.concurrency,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "keepalive": args.keepalive,
            }
            mirror_request = _request_factory("/api/v1/orders/{}/status", pairs, token)
            proxy_request = _request_factory("/bench/proxy/orders/{}/status", pairs, token)
            mirror = _measure("mirror", gunicorn, make_request=mirror_request, **load)
            calls_before = sandbox.stats()["requests"]["total"]
            proxy = _measure("proxy", gunicorn, make_request=proxy_request, **load)
            proxy_calls = sandbox.stats()["requests"]["total"] - calls_before
        finally:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=10)
            except subprocess.TimeoutExpired:
                gunicorn.kill()

    ratio = mirror["rps"] / proxy["rps"] if proxy["rps"] else float("inf")
    report = {
        "mirror_rps": mirror["rps"],
        "proxy_rps": proxy["rps"],
        "ratio": round(ratio, 1),
        "mirror_p50_ms": mirror["p50_ms"],
        "mirror_p99_ms": mirror["p99_ms"],
        "proxy_p50_ms": proxy["p50_ms"],
        "proxy_p99_ms": proxy["p99_ms"],
        "mirror_cpu_ms_per_request": mirror["server_cpu_ms_per_request"],
        "proxy_cpu_ms_per_request": proxy["server_cpu_ms_per_request"],
        "mirror_loadgen_cpu_ms_per_request": mirror["loadgen_cpu_ms_per_request"],
        "load_average_1m": round(os.getloadavg()[0], 2),
        "mirror_non_200": mirror["non_200"],
        "proxy_non_200": proxy["non_200"],
        "proxy_drgreen_calls": proxy_calls,
        "concurrency": args.concurrency,
        "keepalive": args.keepalive,
        "gunicorn_workers": workers,
        "gunicorn_threads": threads,
        "sandbox_latency_ms": LATENCY_MS,
        "database": "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite",
        # Only answered reads count: a 429 or an error is cheaper than a read.
        "targets_met": ratio >= 20 and mirror["p99_ms"] <= 50 and not mirror["non_200"],
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
