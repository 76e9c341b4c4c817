"""The sync machinery's own records: runs, API calls, leases and the circuit breaker."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from integration.models import ApiCall, BreakerState, SyncLease, SyncRun

from .base import ReadOnlyAdmin
from .display import admin_link, badge, changelist_url, pre, pretty_json
from .filters import HttpStatusClassFilter


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "kind",
        "state_badge",
        "duration",
        "pages",
        "rows",
        "calls",
        "errors",
        "holder",
        "dry_run",
    )
    list_display_links = ("started_at",)
    list_filter = ("kind", "state", "dry_run")
    search_fields = ("holder",)
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-pk")
    fields = (
        ("kind", "state_badge", "dry_run"),
        ("started_at", "finished_at", "duration"),
        "holder",
        ("pages", "rows", "calls", "errors"),
        "api_calls_link",
        "stats_json",
        "traceback_pre",
    )
    readonly_fields = ("state_badge", "duration", "api_calls_link", "stats_json", "traceback_pre")

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj):
        return badge(obj.state)

    @admin.display(description="duration")
    def duration(self, obj):
        return f"{obj.duration_s:.1f} s" if obj.duration_s is not None else "running"

    @admin.display(description="API calls")
    def api_calls_link(self, obj):
        # A link rather than an inline: a reconcile can make thousands of calls.
        return format_html(
            '<a href="{}">Calls made by this run</a>', changelist_url(ApiCall, sync_run__id__exact=obj.pk)
        )

    @admin.display(description="stats")
    def stats_json(self, obj):
        return pretty_json(obj.stats)

    @admin.display(description="traceback / errors")
    def traceback_pre(self, obj):
        return pre(obj.traceback)


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "method",
        "path",
        "status_badge",
        "duration_ms",
        "attempt",
        "maybe_delivered",
        "correlation_id",
        "run_link",
    )
    list_display_links = ("created_at",)
    list_filter = (HttpStatusClassFilter, "method", "maybe_delivered", "route")
    search_fields = ("=correlation_id", "path")
    search_help_text = "A correlation id (exact) or part of a path."
    date_hierarchy = "created_at"
    list_select_related = ("sync_run",)
    ordering = ("-created_at", "-pk")
    fields = (
        ("method", "route"),
        "path",
        ("status_badge", "duration_ms", "attempt"),
        ("maybe_delivered", "correlation_id"),
        "error_pre",
        "run_link",
        "created_at",
    )
    readonly_fields = ("status_badge", "error_pre", "run_link")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        if obj.status is None:
            return format_html(
                '<span class="dg-badge dg-badge--bad" title="{}">{}</span>', obj.error[:300], "no response"
            )
        tone = "ok" if obj.status < 400 else "wait" if obj.status < 500 and obj.status != 429 else "bad"
        return format_html('<span class="dg-badge dg-badge--{}">{}</span>', tone, obj.status)

    @admin.display(description="error")
    def error_pre(self, obj):
        return pre(obj.error)

    @admin.display(description="run")
    def run_link(self, obj):
        return admin_link(obj.sync_run, obj.sync_run.kind if obj.sync_run else None)


@admin.register(SyncLease)
class SyncLeaseAdmin(ReadOnlyAdmin):
    list_display = ("name", "holder", "acquired_at", "expires_at", "live")
    ordering = ("name",)
    fields = ("name", "holder", "acquired_at", "expires_at", "live")
    readonly_fields = ("live",)

    @admin.display(description="held now", boolean=True)
    def live(self, obj):
        return obj.expires_at > timezone.now()


@admin.register(BreakerState)
class BreakerStateAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "state_badge",
        "failures",
        "opened_at",
        "opened_until",
        "last_error_short",
        "updated_at",
    )
    ordering = ("name",)
    fields = (
        "name",
        "state_badge",
        "failures",
        ("opened_at", "opened_until"),
        "last_error_pre",
        "updated_at",
    )
    readonly_fields = ("state_badge", "last_error_pre")

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj):
        return badge(obj.state)

    @admin.display(description="last error")
    def last_error_short(self, obj):
        return obj.last_error[:120] or "—"

    @admin.display(description="last error")
    def last_error_pre(self, obj):
        return pre(obj.last_error)
