"""``python -m bench.checkout_chaos``: the checkout chaos run on the production path, from
the storefront's POST to a final placement state, counted from the sandbox's own records.

1. A sandbox with one seeded holder (``--clients`` clients, strains stocked in GBR), a
   throwaway database (``DATABASE_URL`` → ``bench_<pid>_<name>`` next to the one named;
   default SQLite in a temp folder), the clients and catalogue mirrored, a local customer
   per orderable client and one storefront token.
2. The production processes: gunicorn (one process, ``--web-threads`` threads) serving the
   app (``bench.checkout_chaos_settings``: the mirror counts as fresh, as in steady
   state), ``--workers`` Celery worker processes (``bench.soak_worker``, solo pool, on the
   real clock) on the configured broker (``CELERY_BROKER_URL``: Redis; else the embedded
   filesystem broker), and beat's interval entries sent on their schedule
   (``bench.soak_threads.Beat``: the placements sweep every 30 s is the safety net).
3. Faults on every Dr Green request for the whole run (``chaos_faults``: 10% dropped
   after commit, 5% 503, 5% 429, 20% +15 ms).
4. The storefront: ``--checkouts`` ``POST /api/v1/checkout`` (storefront token +
   ``X-Customer-Id`` + ``Idempotency-Key``) released at ``--rate`` per second in a
   shuffled order, ``--checkouts / --clients`` per client, so a client's placements queue
   behind each other; ``--duplicate-share`` of them are sent twice at the same instant (a
   double click). A 429/503 answer is retried with the same key, as a storefront would.
   The default rate (2/s) keeps two workers on a shared 2-core host below saturation, so
   the run measures the placement protocol (turns, back-offs, recovery rounds); at 5/s it
   measures the workers' capacity too (``first_attempt_p50_s`` grows with the backlog).
5. Once ``--kill-at`` of the checkouts are sent, worker 1 is killed with SIGKILL and
   restarted ``--restart-after`` seconds later (a supervisor, which also restarts a
   worker that exits on its own: ``worker_crashes``).
6. The run ends when every placement is final (or after ``--limit-s``). Reported:
   ``accepted`` (placed), ``remote_orders`` (the sandbox's orders of the holder),
   ``duplicates``, ``lost`` (accepted checkouts without a final placement), ``left_unknown``,
   ``final_p50_s``/``final_p90_s`` (from the placement's commit to its final state),
   ``first_attempt_p50_s``/``p90_s`` (commit to the first Dr Green call: the broker's queue
   and waiting for the client's turn), ``give_ups`` (``MaxRetriesExceeded`` in the
   workers' logs) with their error records, the seconds the workers spent per task, and
   the host's load average (other processes share its cores).

Targets: 0 duplicates, 0 lost, 0 unknown, 0 give-ups, p90 ≤ 60 s (issue 15 point 2).
The last line is one JSON object; the run's folder is kept: the workers' and gunicorn's
logs, and ``placements.jsonl`` (each placement's attempts, in seconds after its commit).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sandbox.testing import SandboxProcess

from . import soak_clock
from .api import _free_port, _start_gunicorn
from .checkout_chaos_report import first_attempt_waits, placements_timeline, worker_logs
from .sync_common import boot_django, fresh_database

REPO = Path(__file__).resolve().parent.parent
FINAL = ("placed", "rejected", "needs_staff")


def _environment(tmp: Path, port: int) -> dict[str, str]:
    """The harness's environment (set by ``boot_django``) plus what the servers need."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.checkout_chaos_settings",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_BEHIND_TLS_PROXY": "false",
            # One web process: the per-process cache is allowed (throttles, refresh marks).
            "WEB_CONCURRENCY": "1",
            "GUNICORN_HOST": "127.0.0.1",
            "PORT": str(port),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp / "mail"),
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
    )
    from django.db import connection

    if connection.vendor == "postgresql":  # the throwaway database, not the one named
        url = urllib.parse.urlsplit(env["DATABASE_URL"])
        name = urllib.parse.quote(connection.settings_dict["NAME"])
        env["DATABASE_URL"] = urllib.parse.urlunsplit(url._replace(path="/" + name))
    return env


def _start_worker(n: int, env: dict[str, str], tmp: Path, incarnation: int) -> subprocess.Popen:
    log = open(tmp / f"worker{n}.{incarnation}.log", "wb")  # noqa: SIM115 - lives with the worker
    return subprocess.Popen(
        [sys.executable, "-m", "bench.soak_worker", "--pool", "solo", "-n", f"chaos{n}@%h",
         "--loglevel", "INFO", "--without-mingle", "--without-gossip"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _prepare(clients_wanted: int) -> tuple[list[tuple[int, list[str]]], list[str], str]:
    """Mirror clients and strains; a customer per orderable client; a storefront token.
    Returns [(customer id, [its client's id])], the strain ids in stock, the token."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from integration.models import ApiToken, Client, Strain, TokenKind
    from integration.services.polling.reconcile import mirror_reconcile

    mirror_reconcile(resources=("clients", "strains"), use_breaker=False)
    users = get_user_model().objects
    customers = []
    for i, client in enumerate(c for c in Client.objects.order_by("pk") if c.can_order):
        if i >= clients_wanted:
            break
        user = users.create_user(username=f"chaos{i}", email=f"chaos{i}@example.test", password=None)
        Client.objects.filter(pk=client.pk).update(user=user)
        customers.append(user.pk)
    strains = [str(s) for s in Strain.objects.values_list("drgreen_id", flat=True)]
    token = ApiToken.issue(name="chaos", kind=TokenKind.STOREFRONT)[1]
    connection.close()
    return customers, strains, token


class Storefront:
    """POSTs checkouts as a storefront server does, retrying 429/503 with the same key."""

    def __init__(self, port: int, token: str) -> None:
        self.url = f"http://127.0.0.1:{port}/api/v1/checkout"
        self.token = token
        self.statuses: Counter = Counter()
        self.retries = 0
        self.accepted: set[str] = set()  # keys answered 200/201
        self.refused: Counter = Counter()
        self.lock = threading.Lock()

    def post(self, customer: int, key: str, lines: list[dict]) -> None:
        body = json.dumps({"lines": lines}).encode()
        headers = {
            "Authorization": f"Token {self.token}",
            "X-Customer-Id": str(customer),
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        }
        for _ in range(30):
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
                    status, retry_after, payload = response.status, None, {}
            except urllib.error.HTTPError as exc:
                status, retry_after = exc.code, exc.headers.get("Retry-After")
                payload = json.loads(exc.read() or b"{}")
            with self.lock:
                self.statuses[status] += 1
            if status in (200, 201):
                with self.lock:
                    self.accepted.add(key)
                return
            if status not in (429, 503):
                with self.lock:
                    self.refused[(payload.get("error") or {}).get("code") or str(status)] += 1
                return
            with self.lock:
                self.retries += 1
            time.sleep(min(10.0, float(retry_after or 1)))
        with self.lock:
            self.refused["gave_up"] += 1


def _jobs(rng: random.Random, customers: list[int], strains: list[str], checkouts: int, dup: float):
    jobs = []
    for i in range(checkouts):
        picks = rng.sample(strains, k=rng.randint(1, min(3, len(strains))))
        lines = [{"strainId": s, "quantity": str(rng.randint(1, 4000) / 1000)} for s in picks]
        jobs.append((customers[i % len(customers)], f"wchaos-{i}", lines, rng.random() < dup))
    rng.shuffle(jobs)  # a client's checkouts arrive at random moments, some close together
    return jobs


def _unsettled(prefix: str) -> int:
    from django.db import connection

    from integration.models import OrderPlacement

    try:
        return (
            OrderPlacement.objects.filter(idempotency_key__startswith=prefix).exclude(state__in=FINAL).count()
        )
    finally:
        connection.close()


def run(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="drgreen-checkout-chaos-"))
    soak_clock.configure(speed=1.0)  # the workers and beat thread read it: real time here
    rng = random.Random(args.seed)
    with SandboxProcess(db_path=tmp / "sandbox.sqlite3", start_timeout=60) as sb:
        keys = sb.new_keys()
        sb.seed(apiKey=keys["apiKey"], seed=args.seed, strains=8, clients=args.clients * 2, countries=["GBR"])
        boot_django(api_url=sb.api_url, keys=keys, var_dir=str(tmp / "var"))
        from django.conf import settings

        from tests.integration.services.checkout.chaos import ChaosResult, chaos_count, chaos_faults

        from .soak_threads import Beat

        with fresh_database() as db:
            customers, strains, token = _prepare(args.clients)
            port = _free_port()
            env = _environment(tmp, port)
            broker = settings.CELERY_BROKER_URL.split(":", 1)[0]
            from drgreen_store.celery import app

            app.control.purge()  # nothing left over from an earlier run on the same broker
            print(f"checkout_chaos: {db}, broker {broker}, {len(customers)} customers, {tmp}", flush=True)
            procs: list[subprocess.Popen] = []
            gunicorn = _start_gunicorn(
                {**env, "GUNICORN_THREADS": str(args.web_threads)}, port, tmp / "web.log"
            )
            procs.append(gunicorn)
            workers = {n: _start_worker(n, env, tmp, 1) for n in range(1, args.workers + 1)}
            beat = Beat()
            beat.start()
            before = {o["id"] for o in sb.orders() if o.get("nftId") == keys["nftId"]}
            chaos_faults(sb)
            store = Storefront(port, token)
            jobs = _jobs(rng, customers, strains, args.checkouts, args.duplicate_share)
            killed = {"at_s": None, "restarted_at_s": None}
            started = time.monotonic()
            load_start = round(os.getloadavg()[0], 2)
            kill_after = int(args.kill_at * len(jobs))

            incarnations = itertools.count(2)
            crashes: list[str] = []

            def supervise() -> None:
                """Restart a worker that exited on its own (a supervisor's job), and say so."""
                for n, proc in list(workers.items()):
                    if proc.poll() is not None:
                        crashes.append(
                            f"worker{n} exit {proc.returncode} at {time.monotonic() - started:.0f} s"
                        )
                        print(f"checkout_chaos: {crashes[-1]}; restarted", flush=True)
                        workers[n] = _start_worker(n, env, tmp, next(incarnations))

            def submit(n: int, customer: int, key: str, lines: list, gate) -> None:
                time.sleep(max(0.0, started + n / args.rate - time.monotonic()))
                if gate is not None:
                    try:
                        gate.wait(timeout=10)
                    except threading.BrokenBarrierError:
                        pass
                store.post(customer, key, lines)

            try:
                with ThreadPoolExecutor(args.storefront_threads) as pool:
                    futures = []
                    for n, (customer, key, lines, duplicate) in enumerate(jobs):
                        gate = threading.Barrier(2) if duplicate else None
                        futures.append(pool.submit(submit, n, customer, key, lines, gate))
                        if duplicate:
                            futures.append(pool.submit(submit, n, customer, key, lines, gate))
                    while killed["at_s"] is None and not all(f.done() for f in futures):
                        if time.monotonic() - started >= kill_after / args.rate:
                            workers[1].send_signal(signal.SIGKILL)
                            workers[1].wait()
                            killed["at_s"] = round(time.monotonic() - started, 1)
                            print(f"checkout_chaos: worker 1 killed at {killed['at_s']} s", flush=True)
                            time.sleep(args.restart_after)
                            workers[1] = _start_worker(1, env, tmp, next(incarnations))
                            killed["restarted_at_s"] = round(time.monotonic() - started, 1)
                        supervise()
                        time.sleep(0.1)
                    for future in futures:
                        future.result()
                sent_s = time.monotonic() - started
                print(f"checkout_chaos: {len(jobs)} checkouts sent in {sent_s:.0f} s", flush=True)
                while time.monotonic() - started < args.limit_s and _unsettled("wchaos-"):
                    supervise()
                    time.sleep(1.0)
                seconds = time.monotonic() - started
            finally:
                beat.stop.set()
                for proc in [*procs, *workers.values()]:
                    proc.terminate()
                for proc in [*procs, *workers.values()]:
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                sb.clear_faults()
            result = chaos_count(
                ChaosResult(checkouts=len(jobs)), sandbox=sb, nft_id=keys["nftId"], before=before,
                key_prefix="wchaos-",
            )  # fmt: skip
            placements_timeline(tmp / "placements.jsonl", "wchaos-")
            from django.db import connection

            connection.close()
    logs = worker_logs(tmp)
    queue_p50, queue_p90 = first_attempt_waits(tmp / "placements.jsonl")
    details = result.as_dict()
    print("stragglers", json.dumps(details["stragglers"]), flush=True)
    return {
        "checkouts": len(jobs),
        "duplicate_submits": sum(1 for job in jobs if job[3]),
        "accepted_by_api": len(store.accepted),
        "accepted": result.accepted,
        "remote_orders": result.remote_orders,
        "duplicates": result.duplicates,
        "doubled_lines": result.doubled_lines,
        "foreign_orders": result.foreign_orders,
        "orphan_orders": result.orphan_orders,
        "lost": len(store.accepted) - sum(details["states"].values()) + result.left_in_flight,
        "left_unknown": result.left_unknown,
        "states": details["states"],
        "final_p50_s": result.final_p50_s,
        "final_p90_s": result.final_p90_s,
        "give_ups": logs["max_retries_exceeded"],
        "error_records": logs["error_records"],
        "tracebacks": logs["tracebacks"],
        "first_attempt_p50_s": queue_p50,
        "first_attempt_p90_s": queue_p90,
        "task_busy_s": logs["task_busy_s"],
        "task_runs": logs["task_runs"],
        # Other processes on the host share its cores with the workers.
        "load_average_1m": [load_start, round(os.getloadavg()[0], 2)],
        "api_statuses": {str(k): v for k, v in sorted(store.statuses.items())},
        "api_retries": store.retries,
        "api_refused": dict(store.refused),
        "place_attempts": details["place_attempts"],
        "worker_killed_at_s": killed["at_s"],
        "worker_restarted_at_s": killed["restarted_at_s"],
        # Workers that exited on their own (the filesystem broker can fail a reader that
        # meets a message file still being written), restarted like the killed one.
        "worker_crashes": crashes,
        "beat_sends": beat.sent,
        "seconds": round(seconds, 1),
        "rate_per_s": args.rate,
        "workers": args.workers,
        "database": db.split(":", 1)[0],
        "broker": broker,
        "run_dir": str(tmp),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.checkout_chaos", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--checkouts", type=int, default=300)
    parser.add_argument("--clients", type=int, default=60, help="customers the checkouts are spread over")
    parser.add_argument("--rate", type=float, default=2.0, help="checkouts released per second")
    parser.add_argument("--duplicate-share", type=float, default=0.10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--storefront-threads", type=int, default=16)
    parser.add_argument("--kill-at", type=float, default=0.5, help="share sent before the kill")
    parser.add_argument("--restart-after", type=float, default=5.0, help="seconds until restarted")
    parser.add_argument("--limit-s", type=float, default=1200.0, help="give up waiting after this long")
    parser.add_argument("--seed", type=int, default=99)
    summary = run(parser.parse_args(argv))
    print(json.dumps(summary), flush=True)
    ok = (
        summary["duplicates"] == 0
        and summary["lost"] == 0
        and summary["left_unknown"] == 0
        and summary["give_ups"] == 0
        and summary["remote_orders"] == summary["accepted"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
