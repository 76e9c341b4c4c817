"""The dashboard reads the mirror and the last snapshot; the snapshot task fetches Dr Green."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from integration.admin.charts import bar_chart
from integration.drgreen.errors import ServerError
from integration.models import ApiCall, BreakerState, Order, SyncRun
from integration.selectors import console as selectors
from integration.services import summaries

from .conftest import make_order, make_strain

URL = "admin:drgreen_dashboard"


class FakeDrGreen:
    """Stands in for the signed client: answers the three summary endpoints."""

    def __init__(self, *, fail: set[str] = frozenset()):
        self.fail = fail
        self.calls: list[str] = []

    def _answer(self, name, value):
        self.calls.append(name)
        if name in self.fail:
            raise ServerError("upstream 502", status=502)
        return value

    def order_summary(self):
        return self._answer(
            "orders", {"summary": {"PENDING": 1, "VERIFIED": 5, "REJECTED": 0, "totalCount": 6}}
        )

    def client_summary(self):
        return self._answer(
            "clients", {"summary": {"PENDING": 0, "VERIFIED": 2, "REJECTED": 0, "totalCount": 2}}
        )

    def dashboard_summary(self):
        return self._answer("dashboard", {"clientCount": 2, "orderCount": 6, "productCount": 210})


@pytest.fixture
def no_drgreen(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the dashboard called Dr Green inside a request")

    monkeypatch.setattr(summaries, "drgreen_client", boom)


def test_snapshot_service_stores_figures_in_a_sync_run(db, monkeypatch):
    fake = FakeDrGreen()
    monkeypatch.setattr(summaries, "drgreen_client", lambda: fake)
    run = summaries.summaries_snapshot_fetch(holder="test")
    assert fake.calls == ["orders", "clients", "dashboard"]
    assert run.state == SyncRun.STATE_SUCCEEDED and run.kind == "summaries"
    assert run.stats["figures"]["orders"]["summary"]["VERIFIED"] == 5
    assert summaries.summaries_snapshot_latest() == run


def test_snapshot_keeps_partial_figures_and_the_last_good_one(db, monkeypatch):
    monkeypatch.setattr(summaries, "drgreen_client", lambda: FakeDrGreen())
    good = summaries.summaries_snapshot_fetch()
    monkeypatch.setattr(summaries, "drgreen_client", lambda: FakeDrGreen(fail={"clients"}))
    partial = summaries.summaries_snapshot_fetch()
    assert partial.state == SyncRun.STATE_PARTIAL
    assert "clients" in partial.stats["errors"] and "orders" in partial.stats["figures"]
    monkeypatch.setattr(
        summaries, "drgreen_client", lambda: FakeDrGreen(fail={"orders", "clients", "dashboard"})
    )
    failed = summaries.summaries_snapshot_fetch()
    assert failed.state == SyncRun.STATE_FAILED
    # a failed fetch does not hide the last figures
    assert summaries.summaries_snapshot_latest() == partial != good


def test_dashboard_compares_mirror_with_snapshot_and_highlights_mismatches(staff_client, no_drgreen):
    for _ in range(5):
        make_order(status=("PENDING", "VERIFIED", "PENDING"))
    make_order(status=("PENDING", "PENDING", "PENDING"))
    make_order(status=("PENDING", "REJECTED", "PENDING"))  # Dr Green's snapshot says 0 REJECTED
    SyncRun.objects.create(
        kind="summaries",
        state="succeeded",
        finished_at=timezone.now(),
        stats={
            "figures": {
                "orders": {"summary": {"PENDING": 1, "VERIFIED": 5, "REJECTED": 0, "totalCount": 6}},
                "clients": {"summary": {"PENDING": 0, "VERIFIED": 7, "REJECTED": 0, "totalCount": 7}},
                "dashboard": {"clientCount": 7, "orderCount": 6, "productCount": 210},
            }
        },
    )
    response = staff_client.get(reverse(URL))
    assert response.status_code == 200
    orders = {row.label: row for row in response.context["comparison"]["orders"]}
    assert not orders["adminApproval = VERIFIED"].mismatch
    assert orders["adminApproval = REJECTED"].mismatch  # mirror 1, Dr Green 0
    assert orders["total"].mismatch  # 7 vs 6
    html = response.content.decode()
    assert html.count('class="dg-mismatch"') == response.context["mismatches"] >= 3
    assert "differ" in html


def test_dashboard_without_snapshot_says_not_fetched(staff_client, no_drgreen):
    html = staff_client.get(reverse(URL)).content.decode()
    assert "have not been fetched yet" in html
    assert "not fetched" in html
    assert 'class="dg-mismatch"' not in html


def test_fetch_button_only_queues_the_task(
    staff_client, staff_user, monkeypatch, no_drgreen, django_capture_on_commit_callbacks
):
    from integration.admin import enqueue as enqueue_module

    sent = []

    class Task:
        name = "t"

        def apply_async(self, kwargs):
            sent.append(kwargs)

    monkeypatch.setattr(enqueue_module, "import_string", lambda path: Task())
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse(URL), follow=True)
    assert sent == [{"requested_by": staff_user.pk}]
    assert "Queued a fetch" in response.content.decode()


def test_revenue_table_counts_paid_and_delivered(db):
    kush = make_strain("Synthetic Kush")
    haze = make_strain("Test Haze")
    make_order(strain=kush, status=("DELIVERED", "VERIFIED", "PAID"), lines=2)
    make_order(strain=kush, status=("PENDING", "VERIFIED", "PAID"))
    make_order(strain=haze, status=("PENDING", "PENDING", "PENDING"))  # unpaid: not revenue
    rows = selectors.revenue_table()
    assert [r["strain_name"] for r in rows] == ["Synthetic Kush"]
    (kush_row,) = rows
    assert kush_row["paid"] == Decimal("27.27")
    assert kush_row["delivered"] == Decimal("18.18")
    assert kush_row["orders"] == 2 and kush_row["grams"] == Decimal("3")


def test_orders_per_day_fills_gaps(db):
    today = timezone.now().date()
    make_order(created_days_ago=0)
    make_order(created_days_ago=0)
    make_order(created_days_ago=3)
    make_order(created_days_ago=40)  # outside the window
    series = dict(selectors.orders_per_day(today=today, days=30))
    assert len(series) == 30
    assert series[today] == 2 and series[today - timedelta(days=3)] == 1
    assert sum(series.values()) == 3


def test_sync_health_figures(db):
    now = timezone.now()
    SyncRun.objects.create(kind="orders.sweep", state="failed", started_at=now - timedelta(hours=2))
    latest = SyncRun.objects.create(
        kind="orders.sweep", state="succeeded", started_at=now - timedelta(minutes=1)
    )
    other = SyncRun.objects.create(kind="orders.heartbeat", state="succeeded", started_at=now)
    for status in (200, 200, 503, None):
        ApiCall.objects.create(
            method="GET", route="/dapp/orders", status=status, created_at=now - timedelta(minutes=5)
        )
    ApiCall.objects.create(
        method="GET", route="/dapp/orders", status=409, created_at=now - timedelta(hours=3)
    )
    BreakerState.objects.create(name="drgreen", state="open")
    health = selectors.sync_health_figures(now=now)
    assert [r.pk for r in health.last_runs] == [other.pk, latest.pk]
    assert (health.calls_last_hour, health.errors_last_hour) == (4, 2)
    assert health.error_rate_last_hour == 0.5
    assert (health.calls_24h, health.errors_24h) == (5, 2)  # 409 is the caller's problem, not upstream's
    assert [b.state for b in health.breakers] == ["open"]


def test_chart_is_inline_svg_and_escapes_labels():
    svg = str(bar_chart([("<b>", 3), ("two", 0)], title="a & b"))
    assert svg.startswith("<svg") and "http://www.w3.org/2000/svg" in svg
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "a &amp; b" in svg


def test_dashboard_page_has_chart_and_no_external_assets(staff_client, no_drgreen):
    make_order()
    html = staff_client.get(reverse(URL)).content.decode()
    assert "<svg" in html and "dg-bar" in html
    assert "cdn" not in html.lower()
    for marker in ('src="http', "src='http", 'href="http'):
        assert marker not in html


def test_dashboard_is_staff_only(client, db):
    from django.contrib.auth.models import User

    response = client.get(reverse(URL))
    assert response.status_code == 302 and "/login/" in response["Location"]
    User.objects.create_user("shopper", password="pw-123-not-used", is_staff=False)
    client.login(username="shopper", password="pw-123-not-used")
    assert client.get(reverse(URL)).status_code == 302
    User.objects.create_user("bare", password="pw-123-not-used", is_staff=True)
    client.login(username="bare", password="pw-123-not-used")
    assert client.get(reverse(URL)).status_code == 403  # staff without the store's permissions


def test_dashboard_query_count_is_constant(staff_client, no_drgreen, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(reverse(URL)).status_code == 200
        return len(ctx.captured_queries)

    make_order()
    count()
    small = count()
    for i in range(6):
        make_order(status=("PENDING", "VERIFIED", f"ODD{i}"), created_days_ago=i)
    assert count() == small
    assert Order.objects.count() == 7


def test_dashboard_says_whether_the_mirror_is_fresh(staff_client, no_drgreen):
    html = staff_client.get(reverse(URL)).content.decode()
    assert "The mirror is <strong>stale</strong>" in html and "no order sweep has succeeded yet" in html
    now = timezone.now()
    SyncRun.objects.create(kind="orders.sweep", state="succeeded", started_at=now, finished_at=now)
    html = staff_client.get(reverse(URL)).content.decode()
    assert "The mirror is <strong>fresh</strong>" in html and "last successful order sweep" in html


def test_snapshot_skips_while_the_breaker_is_open(db, monkeypatch):
    def boom():
        raise AssertionError("called Dr Green with the breaker open")

    monkeypatch.setattr(summaries, "drgreen_client", boom)
    BreakerState.objects.create(
        name="drgreen", state="open", opened_until=timezone.now() + timedelta(minutes=5)
    )
    run = summaries.summaries_snapshot_fetch()
    assert run.state == SyncRun.STATE_SKIPPED
    assert summaries.summaries_snapshot_latest() is None


def test_snapshot_task_is_registered_and_scheduled():
    from drgreen_store.celery import app
    from integration.schedule import BEAT_SCHEDULE

    app.loader.import_default_modules()  # what the worker does: autodiscovery registers the tasks
    entry = BEAT_SCHEDULE["console-summaries-snapshot"]
    assert entry["task"] == "integration.summaries_snapshot" in app.tasks
