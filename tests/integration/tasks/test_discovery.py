"""Celery finds every task and beat entry by itself: in a fresh process, loading Django
registers no task (nothing imports them by hand), and the worker's autodiscovery then
registers exactly the task names the app has always had; beat runs the same entries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

TASK_NAMES = {
    "integration.client_refresh",
    "integration.clients_kyc_sweep",
    "integration.logs_prune",
    "integration.mirror_reconcile",
    "integration.notification_resend",
    "integration.notification_send",
    "integration.notifications_send_pending",
    "integration.order_refresh",
    "integration.orders_heartbeat",
    "integration.orders_sweep",
    "integration.placement_execute",
    "integration.placement_recover",
    "integration.placements_recover_unknown",
    "integration.privacy_prune",
    "integration.registration_submit",
    "integration.registrations_retry_pending",
    "integration.summaries_snapshot",
    "integration.webhook_deliver",
    "integration.webhook_resend",
    "integration.webhooks_deliver_batch",
    "integration.webhooks_send_due",
}

BEAT_ENTRIES = {
    "checkout-placements-recover": "integration.placements_recover_unknown",
    "console-summaries-snapshot": "integration.summaries_snapshot",
    "drgreen-clients-kyc": "integration.clients_kyc_sweep",
    "drgreen-orders-heartbeat": "integration.orders_heartbeat",
    "drgreen-orders-sweep": "integration.orders_sweep",
    "drgreen-privacy-prune": "integration.privacy_prune",
    "drgreen-prune-logs": "integration.logs_prune",
    "drgreen-reconcile": "integration.mirror_reconcile",
    "notify-send-pending": "integration.notifications_send_pending",
    "onboarding-registrations-retry": "integration.registrations_retry_pending",
    "webhooks-send-due": "integration.webhooks_send_due",
}

PROBE = """
import json, sys
import django
django.setup()
from drgreen_store.celery import app
ours = lambda: sorted(n for n in app.tasks if n.startswith("integration."))
before = ours()
tasks_imported = "integration.tasks" in sys.modules
app.loader.import_default_modules()  # what `celery worker` and `celery beat` do at start
beat = {k: v["task"] for k, v in app.conf.beat_schedule.items()}
print(json.dumps({"before": before, "tasks_imported": tasks_imported, "after": ours(), "beat": beat}))
"""


def _probe() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "drgreen_store.settings", "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_autodiscovery_alone_registers_every_task_and_beat_runs_every_entry():
    seen = _probe()
    assert seen["before"] == [] and seen["tasks_imported"] is False  # no registration by hand
    assert set(seen["after"]) == TASK_NAMES
    assert seen["beat"] == BEAT_ENTRIES
    assert set(seen["beat"].values()) <= TASK_NAMES
