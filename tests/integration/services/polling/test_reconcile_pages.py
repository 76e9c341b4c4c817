"""How the reconcile handles each page: mapped ahead (in the fetch thread on PostgreSQL),
one failed page isolated, and the process (collector, switch interval) left alone: the
service runs inside Celery workers next to other tasks."""

from __future__ import annotations

import gc
import sys

import pytest

from integration.models import Order
from integration.services.polling import reconcile

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("prefetch", [True, False])
def test_a_page_that_fails_to_map_is_skipped_and_the_rest_of_the_walk_is_written(
    drgreen_holder, settings, monkeypatch, prefetch
):
    settings.DRGREEN_SYNC = {"RECONCILE_TAKE": 5, "RECONCILE_PREFETCH": prefetch}
    drgreen_holder.seed(strains=1, clients=3, orders=20)
    calls = []
    real = reconcile.orders_map_list

    def second_page_fails(items):
        calls.append(len(items))
        if len(calls) == 2:
            raise ValueError("odd payload")
        return real(items)

    monkeypatch.setattr(reconcile, "orders_map_list", second_page_fails)

    outcome = reconcile.mirror_reconcile(resources=("clients", "orders"))

    report = outcome.stats["orders"]
    assert outcome.state == "partial"
    assert report["errors"] == 1 and report["pages"] == 4
    assert not report["complete"] and report["tombstones"] == {}  # no evidence from a gap
    assert Order.objects.count() == 15  # the other pages landed
    assert outcome.stats["orders.page_errors"] == 1


def test_the_walk_leaves_the_collector_and_the_switch_interval_alone(drgreen_holder, settings):
    settings.DRGREEN_SYNC = {"RECONCILE_TAKE": 5}
    drgreen_holder.seed(strains=1, clients=3, orders=10)
    interval = sys.getswitchinterval()
    seen = []

    reconcile.mirror_reconcile(
        resources=("orders",), progress=lambda e: seen.append((gc.isenabled(), sys.getswitchinterval()))
    )

    assert seen and all(state == (True, interval) for state in seen)
    assert gc.isenabled() and gc.get_freeze_count() == 0
