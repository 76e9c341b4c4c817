"""Checkout placements: the committed intent behind each order, and their recovery."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from integration.models import OrderPlacement, PlacementAttempt, PlacementState

from . import task_refs
from .base import ReadOnlyAdmin, ReadOnlyInline
from .display import admin_link, badge, money, pretty_json
from .privacy import AccessLoggedChangelist

# States a recovery can move: the outcome is unknown, or a person was asked to look. A placed
# or rejected placement is settled, and a new/submitting one is still in its own request.
RECOVERABLE_STATES = (PlacementState.UNKNOWN, PlacementState.NEEDS_STAFF, PlacementState.RETRY_SAFE)


class PlacementAttemptInline(ReadOnlyInline):
    model = PlacementAttempt
    fields = (
        "number",
        "kind",
        "outcome_badge",
        "http_status",
        "maybe_delivered",
        "started_at",
        "posted_at",
        "finished_at",
        "error",
        "evidence_json",
    )
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "attempts (with the evidence each one saw)"

    @admin.display(description="outcome")
    def outcome_badge(self, obj):
        return badge(obj.outcome or "running")

    @admin.display(description="evidence")
    def evidence_json(self, obj):
        return pretty_json(obj.evidence)


@admin.register(OrderPlacement)
class OrderPlacementAdmin(AccessLoggedChangelist, ReadOnlyAdmin):
    access_log_view = "placement"
    list_display = (
        "created_at",
        "correlation_id",
        "state_badge",
        "client_link",
        "expected",
        "attempt_count",
        "order_link",
        "next_recovery_at",
    )
    list_display_links = ("created_at", "correlation_id")
    list_filter = ("state", "rejection_code", "currency")
    search_fields = ("idempotency_key", "client__email", "client__last_name", "order__invoice_number")
    search_help_text = (
        "Idempotency key, customer email or name, invoice; or paste a correlation, client or order id."
    )
    uuid_search_fields = ("correlation_id", "client__drgreen_id", "order_drgreen_id")
    date_hierarchy = "created_at"
    list_select_related = ("client", "order")
    ordering = ("-created_at", "-pk")
    inlines = (PlacementAttemptInline,)
    actions = ("recover",)
    fields = (
        "correlation_id",
        "state_badge",
        "client_link",
        ("idempotency_key", "request_hash"),
        "lines_json",
        ("expected", "currency"),
        ("rejection_code", "rejection_message"),
        "order_link",
        ("attempt_count", "submitted_at", "placed_at"),
        "next_recovery_at",
        ("created_at", "updated_at"),
    )
    readonly_fields = ("state_badge", "client_link", "order_link", "expected", "lines_json")

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj):
        label = PlacementState(obj.state).label if obj.state in PlacementState.values else obj.state
        return badge(obj.state, label=label)

    @admin.display(description="client", ordering="client__last_name")
    def client_link(self, obj):
        return admin_link(obj.client)

    @admin.display(description="order")
    def order_link(self, obj):
        if obj.order is not None:
            return admin_link(obj.order)
        return format_html("{}", obj.order_drgreen_id or "—")

    @admin.display(description="expected total", ordering="expected_total")
    def expected(self, obj):
        return money(obj.expected_total, obj.currency)

    @admin.display(description="lines as requested")
    def lines_json(self, obj):
        return pretty_json(obj.lines)

    @admin.action(description="Recover selected placements from Dr Green (queued)", permissions=["queue"])
    def recover(self, request, queryset):
        eligible = queryset.filter(state__in=RECOVERABLE_STATES)
        skipped = queryset.exclude(state__in=RECOVERABLE_STATES).count()
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped} placement(s): settled (placed/rejected) or still being submitted.",
                messages.WARNING,
            )
        self.queue_task(
            request, eligible, ref=task_refs.PLACEMENT_RECOVER, what="placements", done="a recovery"
        )
