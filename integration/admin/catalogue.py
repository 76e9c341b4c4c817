"""Strains (the catalogue, per-country stock) and the sales pipeline."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q, Sum

from integration.models import Sale, Strain, StrainAvailability

from .base import MirroredAdmin, ReadOnlyInline
from .display import admin_link, badge, bool_badge, money, pretty_json
from .filters import PresentAtDrGreenFilter, SaleStageFilter
from .privacy import AccessLoggedChangelist


class StrainAvailabilityInline(ReadOnlyInline):
    model = StrainAvailability
    fields = ("country_code", "country", "is_active", "is_available", "stock_quantity", "last_synced_at")
    readonly_fields = fields
    show_change_link = False
    ordering = ("country_code",)
    verbose_name_plural = "availability per country (what cart and order stock checks use)"


@admin.register(Strain)
class StrainAdmin(MirroredAdmin):
    # No per-strain refresh task: the catalogue is refreshed by the strain sweep as a whole.
    list_display = (
        "name",
        "type",
        "thc",
        "cbd",
        "retail",
        "active_badge",
        "available_badge",
        "countries",
        "stock",
        "last_synced_at",
    )
    list_filter = (
        "type",
        "is_active",
        "is_available",
        "availabilities__country_code",
        PresentAtDrGreenFilter,
    )
    search_fields = ("name",)
    ordering = ("name", "pk")
    inlines = (StrainAvailabilityInline,)
    fieldsets = (
        ("Strain", {"fields": ("name", "type", ("thc", "cbd", "cbg"), "description", "image_url")}),
        (
            "Prices (USD base; converted list as given)",
            {"fields": (("retail_price", "wholesale_price"), "prices_json")},
        ),
        ("Global flags", {"fields": (("is_active", "is_available"),)}),
    )
    readonly_fields = ("prices_json",)

    def get_queryset(self, request):
        # Per-country counts in the same query as the page (no query per row).
        return (
            super()
            .get_queryset(request)
            .annotate(
                country_count=Count(
                    "availabilities", filter=Q(availabilities__is_available=True), distinct=True
                ),
                stock_total=Sum("availabilities__stock_quantity"),
            )
        )

    @admin.display(description="retail (USD)", ordering="retail_price")
    def retail(self, obj):
        return money(obj.retail_price)

    @admin.display(description="active", ordering="is_active")
    def active_badge(self, obj):
        return bool_badge(obj.is_active)

    @admin.display(description="available", ordering="is_available")
    def available_badge(self, obj):
        return bool_badge(obj.is_available)

    @admin.display(description="countries available", ordering="country_count")
    def countries(self, obj):
        return obj.country_count

    @admin.display(description="stock (g, all countries)", ordering="stock_total")
    def stock(self, obj):
        return obj.stock_total if obj.stock_total is not None else "—"

    @admin.display(description="converted prices")
    def prices_json(self, obj):
        return pretty_json(obj.prices)


@admin.register(Sale)
class SaleAdmin(AccessLoggedChangelist, MirroredAdmin):
    access_log_view = "sale"
    list_display = (
        "created_at",
        "stage_badge",
        "client_link",
        "order_link",
        "outcome",
        "description",
        "last_synced_at",
    )
    list_display_links = ("created_at",)
    list_filter = (SaleStageFilter, PresentAtDrGreenFilter)
    search_fields = ("client__first_name", "client__last_name", "client__email", "description")
    uuid_search_fields = ("drgreen_id", "client_drgreen_id", "order_drgreen_id")
    date_hierarchy = "created_at"
    list_select_related = ("client", "order")
    ordering = ("-created_at", "-pk")
    fieldsets = (
        ("Sale", {"fields": ("stage_badge", "outcome", "description", "client_link", "order_link")}),
    )
    readonly_fields = ("stage_badge", "client_link", "order_link", "outcome")

    @admin.display(description="stage", ordering="stage")
    def stage_badge(self, obj):
        return badge(obj.stage)

    @admin.display(description="client", ordering="client__last_name")
    def client_link(self, obj):
        return admin_link(obj.client) if obj.client else (obj.client_drgreen_id or "—")

    @admin.display(description="order")
    def order_link(self, obj):
        return admin_link(obj.order) if obj.order else (obj.order_drgreen_id or "—")

    @admin.display(description="outcome")
    def outcome(self, obj):
        # Dr Green's own reading: CLOSED with an order is won, without one lost (sales.md).
        return "won" if obj.is_won else "lost" if obj.is_lost else "open"
