"""A real Celery worker (Redis broker, PostgreSQL) killed in the middle of the order POST.

Only where the broker is Redis and the database PostgreSQL: the worker is a separate
process and must share the test database and the broker with this one. Dr Green (the
sandbox) finishes the order after the worker is gone; the beat sweep must adopt it once
the worker's lease runs out, never place it twice, and never lose it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from integration.models import OrderPlacement, PlacementState
from integration.services.checkout import order_place, placements_sweep
from integration.tasks.checkout import placement_execute

from .sandbox_fixtures import ORDERS_PATH

ROOT = Path(__file__).resolve().parents[4]


def _needs_real_infrastructure():
    if connection.vendor != "postgresql" or not django_settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs PostgreSQL and a Redis broker shared with a worker process")


def _start_worker(queue: str, settings, log: Path) -> subprocess.Popen:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}",
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "DRGREEN_API_URL": settings.DRGREEN["API_URL"],
        "DRGREEN_API_KEY": settings.DRGREEN["API_KEY"],
        "DRGREEN_SECRET_KEY": settings.DRGREEN["SECRET_KEY"],
        "PYTHONPATH": str(ROOT),
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "drgreen_store",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "INFO",
        "-n",
        f"{queue}@%h",
    ]
    handle = log.open("w")
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _forget_queue(queue: str) -> None:
    """Drop the killed worker's unacknowledged message from the broker (best effort)."""
    try:
        import redis

        r = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
        r.delete(queue)
        for tag, raw in r.hgetall("unacked").items():
            if queue.encode() in raw:
                r.hdel("unacked", tag)
                r.zrem("unacked_index", tag)
    except Exception:  # noqa: BLE001 - cleanup only
        pass


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_inside_the_order_post_is_recovered_exactly_once(seeded, settings, tmp_path):
    _needs_real_infrastructure()
    # The order POST takes 2.5 s at Dr Green; the settle time must outlast it.
    settings.DRGREEN_CHECKOUT = {**settings.DRGREEN_CHECKOUT, "SETTLE_S": 5.0}
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="latency", ms=2500, count=1)
    queue = f"checkout-test-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.log"
    worker = _start_worker(queue, settings, log)
    try:
        _wait_for(lambda: "ready." in log.read_text(), 60, f"the worker to start:\n{log.read_text()}")
        placement, _ = order_place(
            client=client, idempotency_key="killed", lines=[(seeded.strain_ids[0], "1.5")], execute="defer"
        )
        placement_execute.apply_async(args=[placement.pk], queue=queue)
        # The cart holds our lines: the worker has moved on to the (slow) order POST.
        _wait_for(lambda: seeded.sandbox.cart(cid)["items"], 30, "the worker to fill the cart")
        time.sleep(0.5)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        _forget_queue(queue)

    placement.refresh_from_db()
    assert placement.state == PlacementState.SUBMITTING  # the dead worker's claim
    assert placements_sweep() == {}  # its lease still runs: nobody touches it
    # Time passes: the lease runs out. From here on only the beat sweep acts.
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())

    def settled():
        placements_sweep()
        placement.refresh_from_db()
        return placement.state not in (PlacementState.UNKNOWN, PlacementState.SUBMITTING)

    _wait_for(settled, 40, "the sweep to settle the placement")
    assert placement.state == PlacementState.PLACED
    remote = seeded.remote_orders(cid)
    assert len(remote) == 1 and str(placement.order_drgreen_id) == remote[0]["id"]
    assert {ln["strainId"]: Decimal(str(ln["quantity"])) for ln in remote[0]["lines"]} == {
        seeded.strain_ids[0]: Decimal("1.5")
    }
    kinds = [(a.kind, a.outcome) for a in placement.attempts.order_by("number")]
    assert kinds[0] == ("place", "abandoned") and kinds[-1] == ("recover", "adopt"), json.dumps(kinds)
    assert all(kind == "recover" for kind, _ in kinds[1:])  # no second POST
