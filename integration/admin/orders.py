"""Orders: the page staff open when a customer asks "where is my order?"."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from integration.models import Notification, Order, OrderLine, Sale, StatusChange
from integration.selectors.console import STAGE_LABELS, order_stage, orders_waiting_long

from . import task_refs
from .base import MirroredAdmin, ReadOnlyInline
from .display import admin_link, badge, html_table, money
from .filters import (
    AdminApprovalFilter,
    OrderPlacementFilter,
    OrderStatusFilter,
    PaymentStatusFilter,
    PresentAtDrGreenFilter,
)
from .privacy import AccessLoggedChangelist


def changes_html(change: StatusChange):
    """``admin_approval: PENDING → VERIFIED`` per changed field, with badges."""
    if not change.fields_changed:
        return format_html("{}", "first seen" if not change.fingerprint_before else "—")
    return format_html_join(
        mark_safe("<br>"),  # noqa: S308 - a constant
        "{}: {} → {}",
        ((c.get("field", "?"), badge(c.get("before")), badge(c.get("after"))) for c in change.fields_changed),
    )


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("position", "strain_name", "quantity", "unit_retail_price", "line_amount", "strain_drgreen_id")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "lines (strain name and prices as ordered)"


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ("sequence", "what_changed", "after", "source", "observed_at", "detected_at", "notified")
    readonly_fields = fields
    verbose_name_plural = "status history"
    ordering = ("sequence",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("notifications")

    @admin.display(description="what changed")
    def what_changed(self, obj):
        return changes_html(obj)

    @admin.display(description="statuses after (order / approval / payment)")
    def after(self, obj):
        return format_html(
            "{} {} {}", badge(obj.order_status), badge(obj.admin_approval), badge(obj.payment_status)
        )

    @admin.display(description="customer told")
    def notified(self, obj):
        rows = obj.notifications.all()  # prefetched
        if not rows:
            return "—"
        return format_html_join(" ", "{} {}", ((n.channel, badge(n.state)) for n in rows))


class OrderSaleInline(ReadOnlyInline):
    model = Sale
    fk_name = "order"
    fields = ("stage_badge", "description", "created_at", "last_synced_at")
    readonly_fields = fields
    verbose_name_plural = "sales pipeline entries"

    @admin.display(description="stage")
    def stage_badge(self, obj):
        return badge(obj.stage)


class WaitingLongFilter(admin.SimpleListFilter):
    """Orders sitting in their stage longer than usual (``selectors.WAIT_LIMITS``): the list
    the admin index's attention panel links to."""

    title = "waiting on Dr Green"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("long", "longer than usual")]

    def queryset(self, request, queryset):
        if self.value() == "long":
            return queryset.filter(pk__in=orders_waiting_long(now=timezone.now()).values("pk"))
        return queryset


def _placement(order: Order):
    # Reverse one-to-one: with select_related a missing placement is cached, not re-queried.
    try:
        return order.placement
    except ObjectDoesNotExist:
        return None


@admin.register(Order)
class OrderAdmin(AccessLoggedChangelist, MirroredAdmin):
    # The list and the page show the customer's name and email (``customer``).
    access_log_view = "order"

    def logged_clients(self, objects):
        return [o.client for o in objects if o.client_id]

    refresh_task = task_refs.ORDER_REFRESH
    refresh_noun = "orders"

    list_display = (
        "invoice",
        "customer",
        "order_status_badge",
        "admin_approval_badge",
        "payment_status_badge",
        "total",
        "shipping_country_code",
        "placement_state",
        "created_at",
        "last_synced_at",
    )
    list_display_links = ("invoice",)
    list_filter = (
        AdminApprovalFilter,
        OrderStatusFilter,
        PaymentStatusFilter,
        "shipping_country_code",
        OrderPlacementFilter,
        WaitingLongFilter,
        PresentAtDrGreenFilter,
        "origin",
    )
    search_fields = ("invoice_number", "client__first_name", "client__last_name", "client__email")
    search_help_text = "Invoice number, customer name or email; or paste an order, client or correlation id."
    uuid_search_fields = ("drgreen_id", "client__drgreen_id", "placement__correlation_id")
    date_hierarchy = "created_at"
    list_select_related = ("client", "placement")
    ordering = ("-created_at", "-pk")
    inlines = (OrderLineInline, StatusChangeInline, OrderSaleInline)

    fieldsets = (
        (
            "Order",
            {
                "fields": (
                    "invoice_number",
                    "customer",
                    ("order_status_badge", "admin_approval_badge", "payment_status_badge"),
                    "stage",
                    "rejection_note",
                    ("verified_at", "rejected_at"),
                )
            },
        ),
        (
            "Amounts",
            {"fields": ("total", "total_amount", "delivery_fee", ("total_quantity", "line_count"))},
        ),
        ("Shipping", {"fields": ("shipping_country_code", "shipping_drgreen_id")}),
        ("Checkout", {"fields": ("placement_link", "origin")}),
        ("Customer notifications", {"fields": ("notifications_table",)}),
        (
            "Polling",
            {
                "classes": ("collapse",),
                "fields": (
                    ("poll_tier", "next_poll_at"),
                    ("claimed_by", "claimed_until"),
                    ("status_fingerprint", "status_sequence", "status_observed_at"),
                    "lines_synced_at",
                ),
            },
        ),
    )
    readonly_fields = (
        "customer",
        "order_status_badge",
        "admin_approval_badge",
        "payment_status_badge",
        "stage",
        "total",
        "placement_link",
        "notifications_table",
    )

    @admin.display(description="invoice", ordering="invoice_number")
    def invoice(self, obj):
        return obj.invoice_number or f"{str(obj.drgreen_id)[:8]}…"

    @admin.display(description="customer", ordering="client__last_name")
    def customer(self, obj):
        if obj.client is None:
            return obj.client_drgreen_id or "—"
        return admin_link(
            obj.client, f"{obj.client} <{obj.client.email}>" if obj.client.email else str(obj.client)
        )

    @admin.display(description="orderStatus", ordering="order_status")
    def order_status_badge(self, obj):
        return badge(obj.order_status)

    @admin.display(description="adminApproval", ordering="admin_approval")
    def admin_approval_badge(self, obj):
        return badge(obj.admin_approval)

    @admin.display(description="paymentStatus", ordering="payment_status")
    def payment_status_badge(self, obj):
        return badge(obj.payment_status)

    @admin.display(description="total", ordering="total_amount")
    def total(self, obj):
        # The customer's currency first (what they see and pay), USD beside it for accounts.
        if obj.local_total is not None and obj.local_currency:
            usd = f" ({money(obj.total_amount, 'USD')})" if obj.total_amount is not None else ""
            return f"{money(obj.local_total, obj.local_currency)}{usd}"
        return money(obj.total_amount, "USD")

    @admin.display(description="placement")
    def placement_state(self, obj):
        placement = _placement(obj)
        return badge(placement.state) if placement else "adopted"

    @admin.display(description="placement")
    def placement_link(self, obj):
        placement = _placement(obj)
        if placement is None:
            return "None: placed outside this store's checkout (adopted from Dr Green)"
        return format_html(
            "{} {}", admin_link(placement, str(placement.correlation_id)), badge(placement.state)
        )

    @admin.display(description="stage")
    def stage(self, obj):
        if obj.is_terminal:
            return "finished"
        return STAGE_LABELS[order_stage(obj)]

    @admin.display(description="notifications")
    def notifications_table(self, obj):
        # Notifications hang off status changes, not the order, so they cannot be a Django
        # inline; one query renders them all, each linking to its page (re-send lives there).
        rows = (
            Notification.objects.filter(status_change__order=obj)
            .select_related("status_change")
            .order_by("status_change__sequence", "channel")
        )
        return html_table(
            ("change", "channel", "state", "recipient", "attempts", "sent at", "last error"),
            (
                (
                    admin_link(n, f"#{n.status_change.sequence}"),
                    n.channel,
                    badge(n.state),
                    n.recipient,
                    n.attempts,
                    n.sent_at,
                    n.last_error[:200],
                )
                for n in rows
            ),
            empty="No notifications yet.",
        )
