"""Polling tasks: delivery options, retries, and real workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from drgreen_store.celery import app
from integration.drgreen import RateLimited, ServerError
from integration.models import Order, StatusChange, SyncRun
from integration.services.polling.reconcile import mirror_reconcile
from integration.tasks import base, polling

REPO = Path(__file__).resolve().parents[3]
OUR_TASKS = {
    "integration.orders_sweep",
    "integration.orders_heartbeat",
    "integration.clients_kyc_sweep",
    "integration.mirror_reconcile",
    "integration.logs_prune",
    "integration.order_refresh",
    "integration.client_refresh",
}


def test_every_task_is_idempotent_with_late_acks():
    app.loader.import_default_modules()
    for name in OUR_TASKS:
        task = app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost, name


def test_admin_task_paths_resolve_to_our_refresh_tasks():
    assert polling.order_refresh.name == "integration.order_refresh"
    assert polling.client_refresh.name == "integration.client_refresh"


def test_retry_countdown_is_jittered_backoff_but_never_before_retry_after():
    plain = [base.retry_countdown(ServerError("x"), 3) for _ in range(50)]
    assert all(0 <= c <= 2 * 2**3 for c in plain) and len(set(plain)) > 1
    limited = [base.retry_countdown(RateLimited("slow down", retry_after=45), 0) for _ in range(20)]
    assert all(c >= 45 for c in limited)
    assert base.retry_countdown(RateLimited("x", retry_after=None), 10) <= base.RETRY_BACKOFF_MAX


@pytest.mark.django_db(transaction=True)
def test_a_refresh_task_retries_a_429_and_succeeds(drgreen_holder, settings):
    settings.DRGREEN = {**settings.DRGREEN, "GET_RETRIES": 0}
    drgreen_holder.seed(strains=1, clients=2, orders=2)
    mirror_reconcile()
    target = Order.objects.first()
    drgreen_holder.sandbox.add_fault(
        kind="status",
        status=429,
        retry_after="7",
        method="GET",
        path=f"/api/v1/dapp/orders/{target.drgreen_id}",
        count=1,
    )
    drgreen_holder.sandbox.reset_stats()

    result = polling.order_refresh.apply(kwargs={"order_id": target.pk})  # eager: retries run inline

    assert result.successful(), result.traceback
    assert result.result["stats"]["found"] is True
    seen = drgreen_holder.sandbox.stats()["requests"]["by_route_status"]
    # The gateway's 429 is counted under the concrete path (it never reached a route).
    assert seen[f"GET /api/v1/dapp/orders/{target.drgreen_id}"] == {"429": 1}
    assert seen["GET /api/v1/dapp/orders/:orderId"] == {"200": 1}
    failed, ok = SyncRun.objects.filter(kind="refresh.order").order_by("pk")
    assert failed.state == "failed" and "RateLimited" in failed.stats["upstream_error"]
    assert ok.state == "succeeded"


# ---- real workers ------------------------------------------------------------------------------


def _needs_redis_and_postgres():
    if connection.vendor != "postgresql" or not django_settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip(
            "needs real concurrent workers: run with DATABASE_URL=postgres://… and "
            "CELERY_BROKER_URL=redis://… (the PostgreSQL CI run); the SQLite path of the same "
            "guarantee is tests/integration/services/polling/test_concurrency.py"
        )


def _start_worker(name: str, queue: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "drgreen_store", "worker", "-Q", queue, "-n", f"{name}@%h",
            "-c", "2", "--pool", "prefork", "--without-mingle", "--without-gossip", "-l", "warning",
        ],
        cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_and_overlapping_ticks_detect_each_transition_once(drgreen_holder, tmp_path):
    _needs_redis_and_postgres()
    sb = drgreen_holder.sandbox
    drgreen_holder.seed(strains=2, clients=8, orders=40)
    assert mirror_reconcile().state == "succeeded"
    targets = list(Order.objects.filter(admin_approval="VERIFIED", payment_status="PENDING")[:3])
    targets += list(Order.objects.filter(admin_approval="PENDING")[:3])
    for o in targets[:3]:
        sb.pay_order(str(o.drgreen_id))
    for o in targets[3:]:
        sb.approve_order(str(o.drgreen_id))
    Order.objects.active().update(next_poll_at=timezone.now() - timedelta(seconds=1))

    db = connection.settings_dict
    conf = django_settings.DRGREEN
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    auth = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    env = {
        **os.environ,
        # The workers must use the test database this test writes to.
        "DATABASE_URL": f"postgres://{auth}@{host}/{db['NAME']}",
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "DRGREEN_API_URL": conf["API_URL"],
        "DRGREEN_API_KEY": conf["API_KEY"],
        "DRGREEN_SECRET_KEY": conf["SECRET_KEY"],
        "DRGREEN_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(REPO),
    }
    queue = f"test-{uuid.uuid4().hex[:8]}"
    workers = [_start_worker(f"w{i}", queue, env, tmp_path / f"w{i}.log") for i in (1, 2)]
    try:
        # Overlapping beat ticks (as after a beat restart or a slow worker), a heartbeat and
        # refreshes of the very orders that changed, all queued at once to two workers.
        for _ in range(4):
            polling.orders_sweep.apply_async(queue=queue)
            polling.orders_heartbeat.apply_async(queue=queue)
        for o in targets:
            polling.order_refresh.apply_async(kwargs={"order_id": o.pk}, queue=queue)
            polling.order_refresh.apply_async(kwargs={"order_id": str(o.drgreen_id)}, queue=queue)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            refreshes = SyncRun.objects.filter(kind="refresh.order").exclude(state="running").count()
            sweeps = SyncRun.objects.filter(kind="orders.sweep").exclude(state="running").count()
            if refreshes == 2 * len(targets) and sweeps >= 1 and StatusChange.objects.count() >= len(targets):
                break
            time.sleep(0.5)
        time.sleep(2)  # let stragglers finish: a late duplicate must not add a change either
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(timeout=20)
            except subprocess.TimeoutExpired:
                w.kill()
    logs = "\n".join((tmp_path / f"w{i}.log").read_text() for i in (1, 2))
    assert SyncRun.objects.filter(kind="refresh.order").count() >= 2 * len(targets), logs[-3000:]
    for o in targets:
        assert StatusChange.objects.filter(order_id=o.pk).count() == 1, logs[-3000:]
    assert StatusChange.objects.count() == len(targets)
    holders = set(SyncRun.objects.values_list("holder", flat=True))
    assert any(h.startswith("w1@") for h in holders) and any(h.startswith("w2@") for h in holders)
