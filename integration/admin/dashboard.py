"""The staff dashboard: the mirror beside Dr Green's own figures, revenue, sync health and
orders per day. Reads only local data: Dr Green's summaries come from the last snapshot a
task fetched (``services.summaries``), and the "fetch now" button only queues that task."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from integration.selectors import console as selectors
from integration.services.polling.freshness import sync_health
from integration.services.summaries import summaries_snapshot_latest

from . import task_refs
from .charts import bar_chart
from .enqueue import TaskUnavailable, enqueue

# A snapshot older than this is labelled stale on the page (the beat entry refreshes it every
# 15 minutes; the comparison is only meaningful between fetches that are close in time).
SNAPSHOT_STALE_AFTER_S = 30 * 60


def dashboard_view(request, *, admin_site):
    """``/admin/dashboard/``: staff (``admin_view`` checks that) who may view orders, which
    every console group can; the figures are aggregates over the mirror."""
    if not request.user.has_perm("integration.view_order"):
        raise PermissionDenied
    if request.method == "POST":
        return _queue_snapshot(request)
    now = timezone.now()
    snapshot = summaries_snapshot_latest()
    figures = (snapshot.stats or {}).get("figures") if snapshot else None
    comparison = selectors.compare_with_drgreen(figures)
    per_day = selectors.orders_per_day(today=now.date())
    health = selectors.sync_health_figures(now=now)
    freshness = sync_health(now=now)
    snapshot_age = (now - (snapshot.finished_at or snapshot.started_at)).total_seconds() if snapshot else None
    context = {
        **admin_site.each_context(request),
        # Disabled or failing webhook endpoints, for those who may see endpoints at all.
        "webhook_flags": (
            selectors.webhook_endpoints_flagged()
            if request.user.has_perm("integration.view_webhookendpoint")
            else None
        ),
        "title": "Dashboard",
        "subtitle": None,
        "now": now,
        "snapshot": snapshot,
        "snapshot_errors": (snapshot.stats or {}).get("errors", {}) if snapshot else {},
        "snapshot_stale": snapshot_age is None or snapshot_age > SNAPSHOT_STALE_AFTER_S,
        "comparison": comparison,
        "mismatches": sum(row.mismatch for rows in comparison.values() for row in rows),
        "status_counts": selectors.mirror_order_counts(),
        "revenue": selectors.revenue_table(),
        "health": health,
        "freshness": freshness,
        "last_sweep_at": (
            now - timedelta(seconds=freshness["staleness_seconds"])
            if freshness["staleness_seconds"] is not None
            else None
        ),
        "orders_chart": bar_chart(
            [(d.strftime("%d %b"), n) for d, n in per_day], title="Orders per day, last 30 days"
        ),
        "orders_30d": sum(n for _, n in per_day),
        "calls_chart": bar_chart(
            [(h.strftime("%H:00"), n) for h, n, _ in health.calls_per_hour],
            title="Dr Green calls per hour, last 24 hours",
            highlight=[i for i, (_, _, errors) in enumerate(health.calls_per_hour) if errors],
            label_every=4,
        ),
    }
    return TemplateResponse(request, "integration/admin/dashboard.html", context)


def _queue_snapshot(request):
    if not request.user.has_perm("integration.view_syncrun"):
        raise PermissionDenied
    try:
        result = enqueue(task_refs.SUMMARIES_SNAPSHOT, [request.user.pk])
    except TaskUnavailable:
        messages.error(request, "The summaries task is not installed.")
    else:
        if result.queued:
            messages.success(
                request, "Queued a fetch of Dr Green's summaries; reload in a minute to compare."
            )
        else:
            messages.error(request, "Could not queue the fetch: the task queue is not reachable.")
    return HttpResponseRedirect(reverse("admin:drgreen_dashboard"))
