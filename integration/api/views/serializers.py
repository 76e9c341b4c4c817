"""Output serializers shared by several resources (an order appears in the orders views, in
a placement and in the staff detail). Per-use-case Input/Output serializers stay nested in
their views; only these shared shapes live here."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integration.selectors.orders import DISPLAY_STATUSES, order_display_status
from integration.services.storefront import REFRESH_STATES, Freshness


class DisplayStatusSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=tuple(DISPLAY_STATUSES))
    label = serializers.CharField()


class LocalPriceSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="The customer's currency (ISO 4217).")
    totalAmount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)  # noqa: N815


class FreshnessSerializer(serializers.Serializer):
    syncedAt = serializers.DateTimeField(allow_null=True, help_text="When the mirror last read it.")  # noqa: N815
    ageSeconds = serializers.FloatField(allow_null=True)  # noqa: N815
    ttlSeconds = serializers.FloatField(help_text="30 s while the order moves, 5 min once final.")  # noqa: N815
    stale = serializers.BooleanField(help_text="Older than its TTL (a refresh is then queued).")
    refresh = serializers.ChoiceField(
        choices=REFRESH_STATES,
        help_text="not_needed, queued (background refresh asked for), already_queued, rate_limited "
        "(`?refresh=1` asked too often), unavailable (Dr Green or the queue is down; the mirror "
        "keeps serving).",
    )


def freshness_data(freshness: Freshness) -> dict:
    return {
        "syncedAt": freshness.synced_at,
        "ageSeconds": None if freshness.age_seconds is None else round(freshness.age_seconds, 3),
        "ttlSeconds": freshness.ttl_seconds,
        "stale": freshness.stale,
        "refresh": freshness.refresh,
    }


class OrderStatusMixin(serializers.Serializer):
    """The three Dr Green statuses, the one display status and freshness."""

    orderStatus = serializers.CharField(source="order_status", help_text="As Dr Green says it (free string).")  # noqa: N815
    adminApproval = serializers.CharField(source="admin_approval")  # noqa: N815
    paymentStatus = serializers.CharField(source="payment_status")  # noqa: N815
    displayStatus = serializers.SerializerMethodField()  # noqa: N815
    freshness = serializers.SerializerMethodField()

    @extend_schema_field(DisplayStatusSerializer)
    def get_displayStatus(self, order):  # noqa: N802
        status = order_display_status(order.order_status, order.admin_approval, order.payment_status)
        return {"code": status.code, "label": status.label}

    @extend_schema_field(FreshnessSerializer)
    def get_freshness(self, order):
        # Planned by the view before serializing (``RefreshPlanner.plan``: any refresh is
        # already queued), so serializing never queues work.
        return freshness_data(self.context["freshness"][order.pk])

    def status_data(self, order) -> dict:
        """What the five fields above give for ``order``, without DRF's per-instance copy of
        its fields (for a ``to_representation`` of its own)."""

        def text(value):
            return None if value is None else str(value)

        return {
            "orderStatus": text(order.order_status),
            "adminApproval": text(order.admin_approval),
            "paymentStatus": text(order.payment_status),
            "displayStatus": self.get_displayStatus(order),
            "freshness": self.get_freshness(order),
        }


class OrderLineSerializer(serializers.Serializer):
    strainId = serializers.UUIDField(source="strain_drgreen_id", allow_null=True)  # noqa: N815
    strainName = serializers.CharField(source="strain_name")  # noqa: N815
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True, help_text="Grams.")


class StaffOrderLineSerializer(OrderLineSerializer):
    unitRetailPriceUsd = serializers.DecimalField(  # noqa: N815
        source="unit_retail_price", max_digits=14, decimal_places=2, allow_null=True
    )
    lineAmountUsd = serializers.DecimalField(  # noqa: N815
        source="line_amount", max_digits=14, decimal_places=2, allow_null=True
    )


class StatusChangeSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    orderStatus = serializers.CharField(source="order_status")  # noqa: N815
    adminApproval = serializers.CharField(source="admin_approval")  # noqa: N815
    paymentStatus = serializers.CharField(source="payment_status")  # noqa: N815
    displayStatus = serializers.SerializerMethodField()  # noqa: N815
    changed = serializers.SerializerMethodField(help_text="Fields that changed, in wire names.")
    observedAt = serializers.DateTimeField(source="observed_at")  # noqa: N815
    detectedAt = serializers.DateTimeField(source="detected_at")  # noqa: N815

    _WIRE = {
        "order_status": "orderStatus",
        "admin_approval": "adminApproval",
        "payment_status": "paymentStatus",
    }

    @extend_schema_field(DisplayStatusSerializer)
    def get_displayStatus(self, change):  # noqa: N802
        status = order_display_status(change.order_status, change.admin_approval, change.payment_status)
        return {"code": status.code, "label": status.label}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_changed(self, change):
        return [
            self._WIRE.get(c.get("field"), c.get("field"))
            for c in change.fields_changed or []
            if isinstance(c, dict)
        ]


def local_price(order) -> dict | None:
    if not order.local_currency:
        return None
    return LocalPriceSerializer({"currency": order.local_currency, "totalAmount": order.local_total}).data


class OrderSummarySerializer(OrderStatusMixin):
    """An order as a customer sees it in a list (no USD figures: localPrice is for display)."""

    id = serializers.UUIDField(source="drgreen_id", help_text="Dr Green's order id.")
    invoiceNumber = serializers.CharField(source="invoice_number")  # noqa: N815
    createdAt = serializers.DateTimeField(source="sort_at", help_text="Dr Green's createdAt (or first seen).")  # noqa: N815
    localPrice = serializers.SerializerMethodField()  # noqa: N815
    totalQuantity = serializers.DecimalField(  # noqa: N815
        source="total_quantity", max_digits=14, decimal_places=3, allow_null=True
    )
    correlationId = serializers.SerializerMethodField(help_text="The checkout that placed it, if ours.")  # noqa: N815
    lines = OrderLineSerializer(many=True)

    @extend_schema_field(LocalPriceSerializer(allow_null=True))
    def get_localPrice(self, order):  # noqa: N802
        return local_price(order)

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_correlationId(self, order):  # noqa: N802
        placement = getattr(order, "placement", None)
        return str(placement.correlation_id) if placement is not None else None
