"""Exactly-once detection when sweeps, heartbeats and refreshes race in threads.

This is the SQLite-path twin of the two-Celery-worker test in tests/integration/test_tasks.py
(which needs Redis + PostgreSQL): same services, same guarantee, real concurrency (a file
database with the app's WAL/busy-timeout settings on SQLite; PostgreSQL as is).
"""

from __future__ import annotations

import threading

from django.db import connection

from integration.models import Order, StatusChange
from integration.services.polling.due import orders_claim_due
from integration.services.polling.heartbeat import orders_heartbeat
from integration.services.polling.refresh import mirror_refresh
from integration.services.polling.sweeps import orders_sweep

from .holder import Clock, mirror, pick


def run_together(*calls) -> list[BaseException]:
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(fn) -> None:
        try:
            barrier.wait()
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_racing_sweeps_heartbeats_and_refreshes_record_each_change_once(
    concurrent_db, drgreen_holder, settings
):
    settings.DRGREEN_SYNC = {"LINES_PER_RUN": 0}
    sb = drgreen_holder.sandbox
    clock = Clock(drgreen_holder)
    # 3 of a 15% state from 40 orders failed about one run in twenty; 150 make it negligible.
    mirror(drgreen_holder, clients=8, orders=150, now=clock.now)
    targets = pick(admin_approval="VERIFIED", n=3) + pick(admin_approval="PENDING", n=2)
    for o in targets[:3]:
        sb.pay_order(str(o.drgreen_id))
    for o in targets[3:]:
        sb.approve_order(str(o.drgreen_id))
    now = clock.advance(minutes=70)

    errors = run_together(
        # Overlapping beat ticks (with and without the lease), a heartbeat, and refreshes of
        # the very orders that changed, all at once.
        lambda: orders_sweep(now=now, worker="w1"),
        lambda: orders_sweep(now=now, worker="w2"),
        lambda: orders_sweep(now=now, worker="w3", use_lease=False),
        lambda: orders_heartbeat(now=now, worker="w4"),
        *[lambda o=o: mirror_refresh(drgreen_id=o.drgreen_id, kind="order", now=now) for o in targets],
    )

    assert errors == []
    for o in targets:
        assert StatusChange.objects.filter(order_id=o.pk).count() == 1, o.drgreen_id
    assert StatusChange.objects.count() == len(targets)
    assert not Order.objects.exclude(claimed_by="").exists()  # every claim released


def test_concurrent_claimers_never_share_an_order(concurrent_db, drgreen_holder):
    clock = Clock(drgreen_holder)
    mirror(drgreen_holder, clients=5, orders=40, now=clock.now)
    now = clock.advance(minutes=70)
    due = Order.objects.active().count()
    got: dict[str, list[int]] = {}

    def claim(name: str) -> None:
        got[name] = orders_claim_due(
            token=name, now=now, horizon=now, until=now + clock_step, limit=due // 3 + 1
        )

    from datetime import timedelta

    clock_step = timedelta(minutes=5)
    errors = run_together(*[lambda n=f"w{i}": claim(n) for i in range(4)])

    assert errors == []
    claimed = [pk for pks in got.values() for pk in pks]
    assert len(claimed) == len(set(claimed)) == due
    for name, pks in got.items():
        assert set(Order.objects.filter(claimed_by=name).values_list("pk", flat=True)) == set(pks)
