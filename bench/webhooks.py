"""``python -m bench.webhooks``: status changes pushed as signed webhooks to 3 endpoints.

1. A fresh database (``DATABASE_URL`` → a throwaway ``whbench_…`` PostgreSQL database;
   default SQLite in a temp folder) holding ``--orders`` orders adopted through the sync
   path, then 3 endpoints registered, each a real HTTP receiver in this process on
   127.0.0.1 that verifies every request with the Standard Webhooks reference library.
2. **Two Celery worker processes** (``--pool solo``) on ``CELERY_BROKER_URL`` (Redis is the
   meaningful choice) send the events; this process plays beat (the webhook sweep every
   10 s, as ``integration.schedule.webhooks`` says).
3. For ``--minutes`` (default 10) status changes arrive at ``--rate`` per hour (default
   10,000), each recorded by the real upsert path (``orders_upsert_from_list``: the
   ``StatusChange`` and its three events in one page transaction), one order at a time.
   Endpoint 3 is down (nothing listens: connections refused; ``--down-mode hang``: it takes
   connections and never answers) from ``--down-at`` for ``--down-minutes`` (default
   minutes 3 to 5).
4. Then the run waits (at most ``--drain-minutes``) for every event to be delivered: the
   down endpoint's events come back on the retry schedule (``DRGREEN_WEBHOOK_RETRY_SCHEDULE``,
   default 5 s, 300 s, …).

Measured, from the receivers' side: ``events`` (event rows), ``deliveries`` (distinct
(endpoint, webhook-id) received with a valid signature), lag from the change being recorded
to its first receipt (``p50_lag_s``/``p95_lag_s`` over the healthy endpoints, the target
being p95 ≤ 5 s; the down endpoint's separately), ``duplicate_events`` (a fact received on
one endpoint under two different webhook-ids: must be 0) and ``lost`` (a recorded change an
endpoint never received: must be 0). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .sync_common import throwaway_database_drop, throwaway_database_url, workers_start

ROOT = Path(__file__).resolve().parent.parent
STATUS_CYCLE = ("PENDING", "PROCESSING", "SHIPPED")


class Receiver:
    """A storefront server: verifies, records (webhook-id, fact, lag), answers 204."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.secret = ""
        self.lock = threading.Lock()
        self.first_seen: dict[str, float] = {}  # webhook-id → lag of its first receipt
        self.facts: dict[tuple, set[str]] = defaultdict(set)  # fact → webhook-ids
        self.requests = 0
        self.bad = 0
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.hung: socket.socket | None = None
        self.up()

    def up(self) -> None:
        from standardwebhooks import Webhook, WebhookVerificationError

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                at = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError:
                    with receiver.lock:
                        receiver.bad += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                data = payload["data"]
                fact = (payload["type"], data.get("orderId"), data.get("sequence"))
                occurred = datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00")).timestamp()
                msg_id = headers["webhook-id"]
                with receiver.lock:
                    receiver.requests += 1
                    receiver.facts[fact].add(msg_id)
                    receiver.first_seen.setdefault(msg_id, at - occurred)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self, *, hang: bool = False) -> None:
        """Nothing listens (connections refused), or with ``hang`` a socket that takes
        connections and never answers (every send waits for its timeout)."""
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None
        if hang:
            self.hung = socket.socket()
            self.hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.hung.bind(("127.0.0.1", self.port))
            self.hung.listen(4096)

    def back(self) -> None:
        if self.hung is not None:
            self.hung.close()  # the connections it held are reset
            self.hung = None
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{self.name}"


def boot(tmp: Path) -> str:
    from integration.drgreen.keys import generate_key_pair

    # Dr Green is never called here; the system checks still want a well-formed key pair.
    api_key, secret_key = generate_key_pair()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "drgreen_store.settings",
            "DRGREEN_VAR_DIR": str(tmp / "var"),
            "DRGREEN_API_KEY": api_key,
            "DRGREEN_SECRET_KEY": secret_key,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DRGREEN_WEBHOOKS_ALLOW_PRIVATE": "true",
            # No web processes here (harness + workers): a per-process cache is allowed.
            "WEB_CONCURRENCY": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    throwaway_database_url(prefix="whbench")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    return connection.vendor


def drop_database() -> None:
    throwaway_database_drop(prefix="whbench")


def start_workers(n: int, tmp: Path) -> list[subprocess.Popen]:
    return workers_start(
        count=n, log_dir=tmp, command=["celery", "-A", "drgreen_store", "worker"], node="whbench"
    )


def order_item(order_id: str, client_id: str, status: str) -> dict:
    """A ``GET /dapp/orders`` item (synthetic), as the list sweep reads it."""
    return {
        "id": order_id,
        "invoiceNumber": f"DG_BENCH_{order_id[:8]}",
        "orderStatus": status,
        "adminApproval": "VERIFIED",
        "paymentStatus": "PAID",
        "totalAmount": 9.09,
        "createdAt": "2026-02-01T10:00:00.000Z",
        "client": {
            "id": client_id,
            "firstName": "Bench",
            "lastName": "Person",
            "shippings": [{"countryCode": "ZAF"}],
        },
        "shipping": {"country": "South Africa", "countryCode": "ZAF", "currency": None},
    }


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="drgreen-whbench-"))
    if args.retry_schedule:
        os.environ["DRGREEN_WEBHOOK_RETRY_SCHEDULE"] = args.retry_schedule
    database = boot(tmp)
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count, Sum
    from django.utils import timezone

    from drgreen_store.celery import app
    from integration.models import StatusChange, WebhookAttempt, WebhookEvent
    from integration.services import webhooks
    from integration.services.mirror import orders_upsert_from_list

    broker = settings.CELERY_BROKER_URL.split(":", 1)[0]
    if broker == "filesystem":
        print("webhooks bench: WARNING use CELERY_BROKER_URL=redis://… for a meaningful run", flush=True)
    app.control.purge()

    # The orders exist before the endpoints, so the run's events are its status changes.
    orders = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(args.orders)]
    state = {oid: 0 for oid, _ in orders}
    for i in range(0, len(orders), 200):
        orders_upsert_from_list(items=[order_item(o, c, STATUS_CYCLE[0]) for o, c in orders[i : i + 200]])
    receivers = [Receiver(f"shop{i + 1}") for i in range(3)]
    for r in receivers:
        r.secret = webhooks.endpoint_create(url=r.url, description=f"bench {r.name}").secret
    started_at = timezone.now()
    workers = start_workers(args.workers, tmp)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(10.0):
            try:
                webhooks.events_send_due()
            except Exception as exc:  # noqa: BLE001 - a tick lost is the next tick's work
                print(f"webhooks bench: sweep failed: {exc}", flush=True)
            finally:
                connection.close()

    threading.Thread(target=beat, daemon=True).start()
    print(
        f"webhooks bench: {database}, broker {broker}, {args.workers} workers, {args.rate:g} changes/h "
        f"for {args.minutes:g} min, endpoint 3 down at {args.down_at:g} min for {args.down_minutes:g} min, "
        f"{tmp}",
        flush=True,
    )

    interval = 3600.0 / args.rate
    t0 = time.monotonic()
    end = t0 + args.minutes * 60
    down_from, down_to = t0 + args.down_at * 60, t0 + (args.down_at + args.down_minutes) * 60
    changes = 0
    tick = t0
    while tick < end:
        now = time.monotonic()
        if receivers[2].server is not None and down_from <= now < down_to:
            receivers[2].down(hang=args.down_mode == "hang")
            print(f"webhooks bench: endpoint 3 down ({args.down_mode})", flush=True)
        elif receivers[2].server is None and now >= down_to:
            receivers[2].back()
            print("webhooks bench: endpoint 3 back", flush=True)
        if now < tick:
            time.sleep(min(tick - now, 0.05))
            continue
        order_id, client_id = orders[changes % len(orders)]
        state[order_id] += 1
        orders_upsert_from_list(
            items=[order_item(order_id, client_id, STATUS_CYCLE[state[order_id] % len(STATUS_CYCLE)])]
        )
        changes += 1
        tick += interval
        if changes % 500 == 0:
            print(f"webhooks bench: {changes} changes", flush=True)
    if receivers[2].server is None:
        receivers[2].back()
    produced_s = time.monotonic() - t0
    print(f"webhooks bench: {changes} changes in {produced_s:.0f}s; draining", flush=True)

    deadline = time.monotonic() + args.drain_minutes * 60
    while time.monotonic() < deadline:
        if not WebhookEvent.objects.exclude(state=WebhookEvent.STATE_DELIVERED).exists():
            break
        time.sleep(1.0)
    time.sleep(1.0)  # the last responses reach the receivers' books
    drained_s = time.monotonic() - t0 - produced_s
    stop.set()
    for w in workers:
        w.terminate()
    for w in workers:
        w.wait(timeout=60)

    recorded = list(
        StatusChange.objects.filter(detected_at__gte=started_at).values_list("order__drgreen_id", "sequence")
    )
    expected = {("order.status_changed", str(o), s) for o, s in recorded}
    lost = sum(len(expected - set(r.facts)) for r in receivers)
    duplicates = sum(sum(1 for ids in r.facts.values() if len(ids) > 1) for r in receivers)
    healthy = [lag for r in receivers[:2] for lag in r.first_seen.values()]
    down = list(receivers[2].first_seen.values())
    states = dict(WebhookEvent.objects.values_list("state").annotate(n=Count("id")).order_by())
    # Sends that got no HTTP answer, and the worker time they held (a hung receiver's cost).
    unanswered = WebhookAttempt.objects.filter(http_status__isnull=True).aggregate(
        n=Count("id"), ms=Sum("duration_ms")
    )
    summary = {
        "database": database,
        "broker": broker,
        "workers": args.workers,
        "minutes": args.minutes,
        "rate_per_hour": args.rate,
        "status_changes": len(recorded),
        "events": WebhookEvent.objects.count(),
        "deliveries": sum(len(r.first_seen) for r in receivers),
        "requests": sum(r.requests for r in receivers),
        "bad_signatures": sum(r.bad for r in receivers),
        "p50_lag_s": round(pct(healthy, 0.50), 3),
        "p95_lag_s": round(pct(healthy, 0.95), 3),
        "max_lag_s": round(max(healthy, default=0.0), 3),
        "down_endpoint_p50_lag_s": round(pct(down, 0.50), 3),
        "down_endpoint_p95_lag_s": round(pct(down, 0.95), 3),
        "down_mode": args.down_mode,
        "unanswered_attempts": unanswered["n"],
        "unanswered_worker_s": round((unanswered["ms"] or 0) / 1000, 1),
        "event_states": states,
        "duplicate_events": duplicates,
        "lost": lost,
        "drain_s": round(drained_s, 1),
    }
    connection.close()
    drop_database()
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long changes arrive")
    parser.add_argument("--rate", type=float, default=10_000.0, help="status changes per hour")
    parser.add_argument("--orders", type=int, default=500, help="orders the changes are spread over")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--down-at", type=float, default=3.0, help="minutes into the run endpoint 3 goes down"
    )
    parser.add_argument("--down-minutes", type=float, default=2.0)
    parser.add_argument(
        "--down-mode",
        choices=("refused", "hang"),
        default="refused",
        help="down as nothing listening, or as a receiver that never answers",
    )
    parser.add_argument(
        "--drain-minutes", type=float, default=15.0, help="limit on the wait for the last events"
    )
    parser.add_argument("--retry-schedule", default="", help="override DRGREEN_WEBHOOK_RETRY_SCHEDULE")
    summary = run(parser.parse_args(argv))
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
