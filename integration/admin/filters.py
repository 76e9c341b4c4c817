"""List filters shared by the console's changelists.

Status values are free strings (facts §7.1): the filters offer the documented values *and*
whatever the mirror actually holds, so a value Dr Green starts sending tomorrow can be
filtered on the day it appears, and "unknown" (blank: no payload told us yet) is its own choice.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from integration.models import PlacementState

BLANK = "__unknown__"


class StatusValueFilter(admin.SimpleListFilter):
    """Filter on one free-string status column; ``parameter_name`` is the column name."""

    known: tuple[str, ...] = ()

    def lookups(self, request, model_admin):
        # One DISTINCT over an indexed column: constant cost per page.
        # order_by() drops the model's default ordering, which would otherwise join DISTINCT.
        manager = model_admin.model._default_manager
        present = set(manager.order_by().values_list(self.parameter_name, flat=True).distinct())
        values = list(self.known) + sorted(v for v in present if v and v not in self.known)
        return [(v, v) for v in values] + [(BLANK, "unknown (not reported yet)")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == BLANK:
            return queryset.filter(**{self.parameter_name: ""})
        return queryset.filter(**{self.parameter_name: value})


class OrderStatusFilter(StatusValueFilter):
    title = "order status (orderStatus)"
    parameter_name = "order_status"
    known = ("PENDING", "PROCESSING", "SHIPPED", "DELIVERED", "CANCELLED")


class AdminApprovalFilter(StatusValueFilter):
    title = "Dr Green approval (adminApproval)"
    parameter_name = "admin_approval"
    known = ("PENDING", "VERIFIED", "REJECTED")


class PaymentStatusFilter(StatusValueFilter):
    title = "payment (paymentStatus)"
    parameter_name = "payment_status"
    known = ("PENDING", "PAID", "COMPLETED", "FAILED", "REFUNDED")


class SaleStageFilter(StatusValueFilter):
    title = "stage"
    parameter_name = "stage"
    known = ("LEADS", "ONGOING", "CLOSED")


class OrderPlacementFilter(admin.SimpleListFilter):
    """An order's checkout placement state; "none" = adopted (placed outside our checkout)."""

    title = "placement state"
    parameter_name = "placement_state"
    NONE = "__none__"

    def lookups(self, request, model_admin):
        return [*PlacementState.choices, (self.NONE, "none (adopted from Dr Green)")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == self.NONE:
            return queryset.filter(placement__isnull=True)
        return queryset.filter(placement__state=value)


class PresentAtDrGreenFilter(admin.SimpleListFilter):
    """Rows a full reconcile no longer saw (tombstoned, kept for history) vs present ones."""

    title = "present at Dr Green"
    parameter_name = "present"

    def lookups(self, request, model_admin):
        return [("yes", "present"), ("no", "gone (tombstoned)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(remote_missing_since__isnull=True)
        if self.value() == "no":
            return queryset.filter(remote_missing_since__isnull=False)
        return queryset


class HttpStatusClassFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [
            ("2xx", "2xx success"),
            ("4xx", "4xx refused"),
            ("429", "429 rate-limited"),
            ("5xx", "5xx server error"),
            ("none", "no response (transport error)"),
        ]

    def queryset(self, request, queryset):
        ranges = {
            "2xx": Q(status__gte=200, status__lt=300),
            "4xx": Q(status__gte=400, status__lt=500),
            "429": Q(status=429),
            "5xx": Q(status__gte=500),
            "none": Q(status__isnull=True),
        }
        q = ranges.get(self.value() or "")
        return queryset.filter(q) if q is not None else queryset
