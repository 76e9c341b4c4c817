"""Prometheus metrics, read from the database at scrape time.

The app runs as several processes (gunicorn workers, Celery workers, beat), so in-process
counters would each see a slice. Everything here is computed from shared tables instead,
so any web process answers the same numbers:

- ``drgreen_api_calls{route,method,status}``: Dr Green calls in the last
  ``DRGREEN_METRICS_WINDOW_S`` seconds, from the ``ApiCall`` ledger (``status="error"``
  for a transport failure); ``drgreen_api_call_duration_seconds_{sum,count}`` alongside.
- ``drgreen_sweep_lag_seconds``: how late the most overdue active order is for its next
  poll (0 when nothing is overdue): the number that grows when polling falls behind.
- ``drgreen_sync_last_success_age_seconds{kind}``: time since each kind of sync run last
  succeeded (sweep, heartbeat, kyc, reconcile …).
- ``drgreen_placements{state}``: order placements by state (``unknown`` and
  ``needs_staff`` are the ones to alert on).
- ``drgreen_breaker_state{name,state}`` (1 for the current state),
  ``drgreen_breaker_failures{name}``.
- ``drgreen_notifications{state}`` and ``drgreen_status_changes_total``.
- ``drgreen_webhook_deliveries{state}``: webhook events by state (pending, delivered,
  failed); ``drgreen_webhook_attempts{outcome}`` in the window (2xx, 4xx, 5xx, error);
  ``drgreen_webhook_delivery_lag_seconds``: a histogram of fact → delivered for events
  delivered in the window; ``drgreen_webhook_oldest_pending_seconds``: the age of the oldest
  event still waiting for an active endpoint (the number that grows when delivery falls
  behind); ``drgreen_webhook_endpoints{state}`` (active, failing, disabled).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Min, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from integration.conf import drgreen_settings
from integration.models import (
    ApiCall,
    BreakerState,
    Notification,
    Order,
    OrderPlacement,
    StatusChange,
    SyncRun,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
)

BREAKER_STATES = ("closed", "open", "half_open")
PLACEMENT_STATES = ("new", "submitting", "placed", "unknown", "retry_safe", "needs_staff", "rejected")


def metrics_window_s() -> int:
    return drgreen_settings.operations.metrics_window_s


class DrGreenCollector(Collector):
    """Collects every metric above in a handful of aggregate queries (none per row)."""

    def collect(self):
        now = timezone.now()
        yield from self._api_calls(now)
        yield from self._sweep_lag(now)
        yield from self._sync_runs(now)
        yield from self._placements()
        yield from self._breakers()
        yield from self._notifications()
        yield from self._webhooks(now)

    def _api_calls(self, now):
        window = metrics_window_s()
        calls = GaugeMetricFamily(
            "drgreen_api_calls",
            f"Dr Green API calls in the last {window}s by route template, method and status",
            labels=["route", "method", "status"],
        )
        dur_sum = GaugeMetricFamily(
            "drgreen_api_call_duration_seconds_sum",
            f"Total time spent in Dr Green calls in the last {window}s",
            labels=["route", "method"],
        )
        rows = (
            ApiCall.objects.filter(created_at__gte=now - timedelta(seconds=window))
            .values("route", "method", "status")
            .annotate(n=Count("id"), ms=Sum("duration_ms"))
            .order_by()
        )
        durations: dict[tuple[str, str], float] = {}
        for row in rows:
            status = str(row["status"]) if row["status"] is not None else "error"
            calls.add_metric([row["route"], row["method"], status], row["n"])
            key = (row["route"], row["method"])
            durations[key] = durations.get(key, 0.0) + (row["ms"] or 0) / 1000.0
        for (route, method), seconds in sorted(durations.items()):
            dur_sum.add_metric([route, method], seconds)
        window_g = GaugeMetricFamily("drgreen_metrics_window_seconds", "Window of the windowed metrics")
        window_g.add_metric([], window)
        yield calls
        yield dur_sum
        yield window_g

    def _sweep_lag(self, now):
        oldest_due = (
            Order.objects.active().filter(next_poll_at__lte=now).aggregate(m=Min("next_poll_at"))["m"]
        )
        lag = GaugeMetricFamily(
            "drgreen_sweep_lag_seconds",
            "How overdue the most overdue active order is for its next poll (0 = on time)",
        )
        lag.add_metric([], max(0.0, (now - oldest_due).total_seconds()) if oldest_due else 0.0)
        due = GaugeMetricFamily("drgreen_orders_due", "Active orders whose next poll time has passed")
        due.add_metric([], Order.objects.active().filter(next_poll_at__lte=now).count())
        yield lag
        yield due

    def _sync_runs(self, now):
        age = GaugeMetricFamily(
            "drgreen_sync_last_success_age_seconds",
            "Seconds since the last successful sync run of each kind",
            labels=["kind"],
        )
        rows = (
            SyncRun.objects.filter(state=SyncRun.STATE_SUCCEEDED)
            .values("kind")
            .annotate(last=Max("finished_at"))
            .order_by("kind")
        )
        for row in rows:
            if row["last"] is not None:
                age.add_metric([row["kind"]], max(0.0, (now - row["last"]).total_seconds()))
        failed = GaugeMetricFamily(
            "drgreen_sync_runs_failed",
            f"Failed sync runs in the last {metrics_window_s()}s by kind",
            labels=["kind"],
        )
        since = now - timedelta(seconds=metrics_window_s())
        for row in (
            SyncRun.objects.filter(started_at__gte=since, state=SyncRun.STATE_FAILED)
            .values("kind")
            .annotate(n=Count("id"))
            .order_by("kind")
        ):
            failed.add_metric([row["kind"]], row["n"])
        yield age
        yield failed

    def _placements(self):
        gauge = GaugeMetricFamily("drgreen_placements", "Order placements by state", labels=["state"])
        counts = dict(OrderPlacement.objects.values_list("state").annotate(n=Count("id")).order_by())
        for state in sorted(set(PLACEMENT_STATES) | set(counts)):
            gauge.add_metric([state], counts.get(state, 0))
        yield gauge

    def _breakers(self):
        state = GaugeMetricFamily(
            "drgreen_breaker_state", "Circuit breaker state (1 = current)", labels=["name", "state"]
        )
        failures = GaugeMetricFamily(
            "drgreen_breaker_failures", "Consecutive upstream failures counted", labels=["name"]
        )
        rows = list(BreakerState.objects.order_by("name"))
        if not rows:
            # No failure recorded yet: the breaker has never left "closed".
            rows = [BreakerState(name="drgreen")]
        for row in rows:
            for value in sorted(set(BREAKER_STATES) | {row.state}):
                state.add_metric([row.name, value], 1.0 if row.state == value else 0.0)
            failures.add_metric([row.name], row.failures)
        yield state
        yield failures

    def _notifications(self):
        gauge = GaugeMetricFamily(
            "drgreen_notifications", "Customer notifications by state", labels=["state"]
        )
        for st, n in Notification.objects.values_list("state").annotate(n=Count("id")).order_by("state"):
            gauge.add_metric([st], n)
        yield gauge
        changes = CounterMetricFamily("drgreen_status_changes", "Order status changes recorded")
        changes.add_metric([], StatusChange.objects.count())
        yield changes
        stale = Order.objects.active().aggregate(
            n=Count("id", filter=Q(next_poll_at__isnull=True)),
        )["n"]
        unscheduled = GaugeMetricFamily(
            "drgreen_orders_unscheduled", "Active orders with no next poll time (never swept)"
        )
        unscheduled.add_metric([], stale)
        yield unscheduled

    def _webhooks(self, now):
        deliveries = GaugeMetricFamily(
            "drgreen_webhook_deliveries", "Webhook events by state", labels=["state"]
        )
        counts = dict(WebhookEvent.objects.values_list("state").annotate(n=Count("id")).order_by())
        for state in sorted(set(WebhookEvent.STATES) | set(counts)):
            deliveries.add_metric([state], counts.get(state, 0))
        yield deliveries

        since = now - timedelta(seconds=metrics_window_s())
        attempts = GaugeMetricFamily(
            "drgreen_webhook_attempts", "Webhook delivery attempts in the window", labels=["outcome"]
        )
        row = WebhookAttempt.objects.filter(started_at__gte=since).aggregate(
            ok=Count("id", filter=Q(http_status__gte=200, http_status__lt=300)),
            client=Count("id", filter=Q(http_status__gte=300, http_status__lt=500)),
            server=Count("id", filter=Q(http_status__gte=500)),
            error=Count("id", filter=Q(http_status__isnull=True)),
        )
        for label, key in (("2xx", "ok"), ("3xx_4xx", "client"), ("5xx", "server"), ("error", "error")):
            attempts.add_metric([label], row[key])
        yield attempts

        lag = ExpressionWrapper(F("delivered_at") - F("occurred_at"), output_field=DurationField())
        delivered = WebhookEvent.objects.filter(delivered_at__gte=since).annotate(lag=lag)
        buckets = {b: Count("id", filter=Q(lag__lte=timedelta(seconds=b))) for b in LAG_BUCKETS_S}
        agg = delivered.aggregate(
            n=Count("id"), total=Sum("lag"), **{f"le_{b}": c for b, c in buckets.items()}
        )
        histogram = HistogramMetricFamily(
            "drgreen_webhook_delivery_lag_seconds",
            "Fact recorded → webhook delivered, for events delivered in the window",
        )
        histogram.add_metric(
            [],
            buckets=[(str(float(b)), agg[f"le_{b}"]) for b in LAG_BUCKETS_S] + [("+Inf", agg["n"])],
            sum_value=agg["total"].total_seconds() if agg["total"] else 0.0,
        )
        yield histogram

        oldest = WebhookEvent.objects.filter(
            state=WebhookEvent.STATE_PENDING, endpoint__is_active=True
        ).aggregate(at=Min("occurred_at"))["at"]
        pending = GaugeMetricFamily(
            "drgreen_webhook_oldest_pending_seconds", "Age of the oldest webhook event not yet delivered"
        )
        pending.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield pending

        endpoints = GaugeMetricFamily(
            "drgreen_webhook_endpoints", "Webhook endpoints by state", labels=["state"]
        )
        row = WebhookEndpoint.objects.aggregate(
            active=Count("id", filter=Q(is_active=True, failing_since__isnull=True)),
            failing=Count("id", filter=Q(is_active=True, failing_since__isnull=False)),
            disabled=Count("id", filter=Q(is_active=False)),
        )
        for state in ("active", "failing", "disabled"):
            endpoints.add_metric([state], row[state])
        yield endpoints


LAG_BUCKETS_S = (0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600)


def render_metrics() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DrGreenCollector())
    return generate_latest(registry)
