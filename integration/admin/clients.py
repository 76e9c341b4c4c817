"""Clients (the store's customers at Dr Green) and their pending registrations."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from integration.models import Client, ClientRegistration, Order, OrderPlacement, Sale, ShippingAddress

from . import task_refs
from .base import MirroredAdmin, ReadOnlyAdmin, ReadOnlyInline
from .client_link import ClientLinkAdminMixin
from .display import admin_link, badge, bool_badge, client_standing, money
from .filters import PresentAtDrGreenFilter, StatusValueFilter
from .privacy import AccessLoggedChangelist, EraseCustomersAction


class ClientApprovalFilter(StatusValueFilter):
    title = "Dr Green approval (adminApproval)"
    parameter_name = "admin_approval"
    known = ("PENDING", "VERIFIED", "REJECTED")


class ShippingAddressInline(ReadOnlyInline):
    model = ShippingAddress
    fields = ("position", "address1", "address2", "city", "state", "postal_code", "country", "country_code")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "shipping addresses (position 0 is the one Dr Green checks stock against)"


class ClientOrderInline(ReadOnlyInline):
    model = Order
    fk_name = "client"
    fields = ("order_link", "statuses", "total", "created_at")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "orders"
    ordering = ("-created_at", "-pk")

    @admin.display(description="order")
    def order_link(self, obj):
        return admin_link(obj)

    @admin.display(description="order / approval / payment")
    def statuses(self, obj):
        return format_html(
            "{} {} {}", badge(obj.order_status), badge(obj.admin_approval), badge(obj.payment_status)
        )

    @admin.display(description="total")
    def total(self, obj):
        if obj.local_total is not None and obj.local_currency:
            return money(obj.local_total, obj.local_currency)
        return money(obj.total_amount, "USD")


class ClientSaleInline(ReadOnlyInline):
    model = Sale
    fk_name = "client"
    fields = ("stage_badge", "description", "order_link", "created_at")
    readonly_fields = fields
    verbose_name_plural = "sales pipeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")

    @admin.display(description="stage")
    def stage_badge(self, obj):
        return badge(obj.stage)

    @admin.display(description="order")
    def order_link(self, obj):
        return admin_link(obj.order) if obj.order else (obj.order_drgreen_id or "—")


class ClientPlacementInline(ReadOnlyInline):
    model = OrderPlacement
    fields = ("correlation_id", "state_badge", "expected_total", "attempt_count", "created_at")
    readonly_fields = fields
    verbose_name_plural = "checkout placements"

    @admin.display(description="state")
    def state_badge(self, obj):
        return badge(obj.state)


@admin.register(Client)
class ClientAdmin(ClientLinkAdminMixin, AccessLoggedChangelist, EraseCustomersAction, MirroredAdmin):
    refresh_task = task_refs.CLIENT_REFRESH
    refresh_noun = "clients"
    actions = ("refresh_from_drgreen", "erase_customers")
    access_log_view = "client"

    def logged_clients(self, objects):
        return objects

    list_display = (
        "name",
        "email",
        "approval_badge",
        "kyc_badge",
        "active_badge",
        "readable_status",
        "shipping_country_code",
        "order_count",
        "is_stub",
        "last_synced_at",
    )
    list_display_links = ("name",)
    list_filter = (
        ClientApprovalFilter,
        "is_kyc_verified",
        "is_active",
        "shipping_country_code",
        "is_stub",
        PresentAtDrGreenFilter,
    )
    search_fields = ("first_name", "last_name", "email", "contact_number")
    search_help_text = "Name, email or phone number; or paste a client id."
    list_select_related = ("user",)
    ordering = ("last_name", "first_name", "pk")
    inlines = (ShippingAddressInline, ClientOrderInline, ClientSaleInline, ClientPlacementInline)

    fieldsets = (
        (
            "Customer",
            {"fields": (("first_name", "last_name"), "email", "phone", "user")},
        ),
        (
            "Standing at Dr Green",
            {
                "fields": (
                    "readable_status",
                    ("approval_badge", "kyc_badge", "active_badge"),
                    ("verified_at", "rejected_at"),
                    "rejection_note",
                    "next_kyc_poll_at",
                )
            },
        ),
        (
            "Shipping and business",
            {
                "fields": (
                    ("shipping_country", "shipping_country_code"),
                    "cart_id",
                    ("business_name", "business_type"),
                )
            },
        ),
        ("Mirror", {"fields": ("is_stub",)}),
    )
    readonly_fields = ("name", "phone", "readable_status", "approval_badge", "kyc_badge", "active_badge")

    def get_queryset(self, request):
        # One annotated COUNT per page instead of a query per row.
        return super().get_queryset(request).annotate(order_count=Count("orders"))

    @admin.display(description="name", ordering="last_name")
    def name(self, obj):
        return obj.full_name or "(no name yet)"

    @admin.display(description="phone")
    def phone(self, obj):
        return obj.phone or "—"

    @admin.display(description="status (as the customer reads it)")
    def readable_status(self, obj):
        tone = (
            "ok"
            if obj.can_order
            else ("bad" if obj.is_active is False or obj.admin_approval == "REJECTED" else "wait")
        )
        return format_html('<span class="dg-status dg-status--{}">{}</span>', tone, client_standing(obj))

    @admin.display(description="adminApproval", ordering="admin_approval")
    def approval_badge(self, obj):
        return badge(obj.admin_approval)

    @admin.display(description="KYC verified", ordering="is_kyc_verified")
    def kyc_badge(self, obj):
        return bool_badge(obj.is_kyc_verified)

    @admin.display(description="active", ordering="is_active")
    def active_badge(self, obj):
        return bool_badge(obj.is_active)

    @admin.display(description="orders", ordering="order_count")
    def order_count(self, obj):
        return obj.order_count


def registration_summary(payload: Any) -> dict[str, Any]:
    """What staff may see of a registration payload: who and where, never the medical
    record (only whether one was given) nor the full street address."""
    payload = payload if isinstance(payload, dict) else {}
    shipping = payload.get("shipping") if isinstance(payload.get("shipping"), dict) else {}
    business = payload.get("clientBusiness")
    medical = payload.get("medicalRecord")
    return {
        "name": f"{payload.get('firstName', '')} {payload.get('lastName', '')}".strip() or "—",
        "email": payload.get("email", "—"),
        "phone": f"{payload.get('phoneCode', '')}{payload.get('contactNumber', '')}" or "—",
        "shipping": ", ".join(str(v) for v in (shipping.get("city"), shipping.get("countryCode")) if v)
        or "—",
        "business": "given" if business else "none",
        "medical record": "given (not shown here)" if medical else "none",
    }


@admin.register(ClientRegistration)
class ClientRegistrationAdmin(AccessLoggedChangelist, ReadOnlyAdmin):
    access_log_view = "registration"
    list_display = (
        "created_at",
        "email",
        "state_badge",
        "client_link",
        "attempts",
        "last_error_code",
        "next_attempt_at",
    )
    list_display_links = ("created_at",)
    list_filter = ("state", "last_error_code")
    search_fields = ("email",)
    uuid_search_fields = ("correlation_id", "client__drgreen_id")
    date_hierarchy = "created_at"
    list_select_related = ("client", "user")
    ordering = ("-created_at", "-pk")
    fields = (
        "correlation_id",
        "state_badge",
        ("email", "user"),
        "client_link",
        "payload_summary",
        ("attempts", "next_attempt_at"),
        ("last_error_code", "last_error"),
        "kyc_link",
        ("created_at", "updated_at"),
    )
    # ``payload`` itself is deliberately absent: it holds the medical record.
    readonly_fields = ("state_badge", "client_link", "payload_summary")

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj):
        return badge(obj.state)

    @admin.display(description="Dr Green client")
    def client_link(self, obj):
        return admin_link(obj.client)

    @admin.display(description="what was submitted (summary)")
    def payload_summary(self, obj):
        from .display import html_table

        return html_table(("", ""), registration_summary(obj.payload).items())
