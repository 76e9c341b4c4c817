"""drgreen_reconcile, drgreen_refresh and drgreen_prune_logs: output, summaries, exit codes."""

from __future__ import annotations

import gc
import io
import json
import sys
import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from integration.management.commands import drgreen_reconcile
from integration.models import ApiCall, Client, Order, SyncRun

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_reconcile_prints_progress_and_a_counted_summary(drgreen_holder):
    drgreen_holder.seed(strains=2, clients=5, orders=12)
    code, out, err = run("drgreen_reconcile")
    assert code == 0, err
    assert "orders         page 1/1  rows 12" in out
    assert "Reconcile summary" in out
    assert "orders   pages     1  rows      12  created     12" in out
    assert "complete yes" in out and "errors   0" in out
    assert Order.objects.count() == 12


def test_reconcile_tunes_its_own_process_while_walking_and_restores_it(drgreen_holder, settings, monkeypatch):
    settings.DRGREEN_SYNC = {"RECONCILE_TAKE": 5}
    drgreen_holder.seed(strains=1, clients=3, orders=10)
    interval = sys.getswitchinterval()
    seen = []
    real = drgreen_reconcile.mirror_reconcile

    def watched(**kwargs):
        inner = kwargs["progress"]
        kwargs["progress"] = lambda e: (seen.append((gc.isenabled(), sys.getswitchinterval())), inner(e))
        return real(**kwargs)

    monkeypatch.setattr(drgreen_reconcile, "mirror_reconcile", watched)
    code, _, err = run("drgreen_reconcile", "--only", "orders", "--no-progress")

    assert code == 0, err
    assert seen and all(state == (False, drgreen_reconcile.SWITCH_INTERVAL_S) for state in seen)
    assert gc.isenabled() and gc.get_freeze_count() == 0 and sys.getswitchinterval() == interval


def test_reconcile_restores_its_process_when_the_run_fails(drgreen_holder, monkeypatch):
    interval = sys.getswitchinterval()

    def boom(**kwargs):
        raise RuntimeError("walk failed")

    monkeypatch.setattr(drgreen_reconcile, "mirror_reconcile", boom)
    with pytest.raises(RuntimeError):
        run("drgreen_reconcile", "--no-progress")
    assert gc.isenabled() and gc.get_freeze_count() == 0 and sys.getswitchinterval() == interval


def test_process_tuning_leaves_a_collector_already_disabled_alone():
    gc.disable()
    try:
        with drgreen_reconcile.process_tuned():
            assert not gc.isenabled() and gc.get_freeze_count() == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_reconcile_dry_run_writes_nothing(drgreen_holder):
    drgreen_holder.seed(strains=2, clients=5, orders=12)
    code, out, _ = run("drgreen_reconcile", "--dry-run", "--no-progress")
    assert code == 0
    assert "dry run: nothing written" in out and "created     12" in out
    assert "page 1/" not in out
    assert Order.objects.count() == 0 and Client.objects.count() == 0
    assert SyncRun.objects.get(kind="reconcile").dry_run


def test_reconcile_exits_non_zero_when_a_resource_fails(drgreen_holder, settings):
    settings.DRGREEN = {**settings.DRGREEN, "GET_RETRIES": 0}
    drgreen_holder.seed(strains=2, clients=5, orders=12)
    drgreen_holder.sandbox.add_fault(kind="status", status=502, method="GET", path="/api/v1/dapp/sales")
    code, out, err = run("drgreen_reconcile", "--no-progress")
    assert code == 1
    assert "sales    pages     0" in out and "complete NO" in out
    assert "reconcile not clean" in err and "incomplete=sales" in err
    # The other resources were still reconciled (per-resource isolation).
    assert Order.objects.count() == 12


def test_reconcile_refuses_unknown_resources():
    with pytest.raises(CommandError, match="unknown resources: widgets"):
        call_command("drgreen_reconcile", "--only", "orders,widgets")


def test_refresh_an_order_and_a_client_by_id_and_pk(drgreen_holder):
    drgreen_holder.seed(strains=1, clients=3, orders=3)
    run("drgreen_reconcile", "--no-progress")
    order = Order.objects.first()
    code, out, _ = run("drgreen_refresh", str(order.drgreen_id))
    assert code == 0 and f"refreshed order {order.drgreen_id}" in out
    assert Order.objects.get(pk=order.pk).lines_synced_at is not None
    client = Client.objects.first()
    code, out, _ = run("drgreen_refresh", str(client.pk), "--kind", "client")
    assert code == 0 and f"refreshed client {client.drgreen_id}" in out


def test_refresh_of_an_unknown_id_fails(drgreen_holder):
    code, _, err = run("drgreen_refresh", str(uuid.uuid4()))
    assert code == 1 and "Dr Green does not know" in err
    with pytest.raises(CommandError, match="needs --kind"):
        call_command("drgreen_refresh", "42")


def test_prune_logs_deletes_by_age():
    now = timezone.now()
    old_run = SyncRun.objects.create(kind="orders.sweep", started_at=now - timedelta(days=40))
    SyncRun.objects.create(kind="orders.sweep", started_at=now - timedelta(days=1))
    ApiCall.objects.create(
        method="GET", route="/dapp/orders", created_at=now - timedelta(days=40), sync_run=old_run
    )
    ApiCall.objects.create(method="GET", route="/dapp/orders", created_at=now - timedelta(days=2))

    code, out, _ = run("drgreen_prune_logs", "--dry-run")
    assert code == 0 and "would delete 1 API calls and 1 sync runs" in out
    assert ApiCall.objects.count() == 2

    code, out, _ = run("drgreen_prune_logs", "--days", "1", "--sync-run-days", "30")
    assert "deleted 2 API calls and 1 sync runs" in out
    assert ApiCall.objects.count() == 0 and SyncRun.objects.count() == 1
    with pytest.raises(CommandError, match="negative"):
        call_command("drgreen_prune_logs", "--days", "-1")


def test_reconcile_json_prints_only_the_outcome_under_the_worker_named(drgreen_holder):
    drgreen_holder.seed(strains=1, clients=2, orders=4)
    code, out, err = run("drgreen_reconcile", "--json", "--worker", "nightly@w1")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1  # no progress, no summary: one JSON line for the nightly task
    outcome = json.loads(lines[0])
    assert outcome["state"] == "succeeded" and outcome["stats"]["orders"]["created"] == 4
    assert SyncRun.objects.get(pk=outcome["run_id"]).holder.startswith("nightly@w1")


def test_reconcile_json_still_prints_the_outcome_when_not_clean(drgreen_holder):
    drgreen_holder.seed(strains=1, clients=2, orders=4)
    drgreen_holder.sandbox.add_fault(kind="status", status=503, method="GET", path="/api/v1/dapp/orders")
    code, out, _ = run("drgreen_reconcile", "--json", "--only", "orders", "--ignore-breaker")
    assert code == 1
    outcome = json.loads(out.strip().splitlines()[-1])
    assert outcome["kind"] == "reconcile" and (outcome["errors"] or outcome["state"] != "succeeded")
