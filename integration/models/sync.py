"""Operational records of the sync machinery: runs, leases, the API-call ledger, the breaker."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SyncRun(models.Model):
    """One background sync attempt (sweep, heartbeat, KYC sweep, reconcile, refresh).

    Written outside the business transaction so that a failed run still leaves its
    traceback behind.
    """

    STATE_RUNNING = "running"
    STATE_SUCCEEDED = "succeeded"
    STATE_FAILED = "failed"
    STATE_PARTIAL = "partial"
    STATE_SKIPPED = "skipped"

    kind = models.CharField(max_length=32, db_index=True)
    state = models.CharField(max_length=16, default=STATE_RUNNING, db_index=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Worker / task id that ran it.
    holder = models.CharField(max_length=128, blank=True)
    dry_run = models.BooleanField(default=False)
    pages = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    traceback = models.TextField(blank=True)
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "-started_at"], name="syncrun_kind_started_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M:%S} {self.state}"

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SyncLease(models.Model):
    """A named lease in the database (works on SQLite and PostgreSQL alike): whoever holds
    an unexpired lease runs the sweep; the others skip."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    acquired_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or '-'} until {self.expires_at:%H:%M:%S}"


class ApiCall(models.Model):
    """Ledger of Dr Green HTTP calls, pruned by age. ``maybe_delivered`` marks failures after
    which the server may still have acted (the evidence an ambiguous POST needs)."""

    method = models.CharField(max_length=8)
    # Route template (``/dapp/orders/{orderId}``) for grouping; ``path`` is the concrete one.
    route = models.CharField(max_length=200, db_index=True)
    path = models.CharField(max_length=1000, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    maybe_delivered = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    sync_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="api_calls"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.method} {self.path or self.route} → {self.status or self.error[:40] or '?'}"


class BreakerState(models.Model):
    """The circuit breaker's shared state: ``closed`` (calls flow), ``open`` (paused until
    ``opened_until``), ``half_open`` (one probe allowed)."""

    name = models.CharField(max_length=64, primary_key=True)
    state = models.CharField(max_length=16, default="closed")
    failures = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    opened_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.state}"
