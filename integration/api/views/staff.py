"""Staff endpoints: the sales pipeline (won/lost), revenue per strain, counts by status and
any order with its USD figures. Staff token or staff session only."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.selectors.orders import staff_order
from integration.selectors.staff import (
    REVENUE_BASES,
    SALE_OUTCOMES,
    order_status_counts,
    revenue_per_strain,
    sales_pipeline,
    sales_summary,
)
from integration.services.privacy.access_log import access_log_record
from integration.services.storefront import RefreshPlanner

from ..filters import QuerySerializer
from ..pagination import (
    CURSOR_PARAM,
    MAX_PAGE_SIZE,
    PAGE_SIZE_PARAM,
    KeyField,
    KeysetPagination,
    page_serializer,
    paginated_response,
)
from ..permissions import IsStaff
from ..schema import error_responses
from .serializers import OrderSummarySerializer, StaffOrderLineSerializer, StatusChangeSerializer


def _counts() -> serializers.DictField:
    # A new field per declaration: DRF binds each field instance to one name.
    return serializers.DictField(child=serializers.IntegerField())


class SalesListApi(APIView):
    """The sales pipeline, newest first."""

    permission_classes = [IsStaff]
    throttle_scope = "staff"
    pagination = KeysetPagination(keys=(KeyField("pk", descending=True, kind="int"),))

    class FilterSerializer(QuerySerializer):
        stage = serializers.CharField(required=False, allow_blank=True, max_length=32)
        outcome = serializers.ChoiceField(choices=SALE_OUTCOMES, required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField(source="drgreen_id")
        stage = serializers.CharField(help_text="LEADS, ONGOING, CLOSED (free string).")
        outcome = serializers.SerializerMethodField()
        description = serializers.CharField()
        clientId = serializers.UUIDField(source="client_drgreen_id", allow_null=True)  # noqa: N815
        clientName = serializers.SerializerMethodField()  # noqa: N815
        orderId = serializers.UUIDField(source="order_drgreen_id", allow_null=True)  # noqa: N815
        createdAt = serializers.DateTimeField(source="created_at", allow_null=True)  # noqa: N815
        syncedAt = serializers.DateTimeField(source="last_synced_at")  # noqa: N815

        @extend_schema_field(serializers.ChoiceField(choices=SALE_OUTCOMES))
        def get_outcome(self, sale):
            return "won" if sale.is_won else "lost" if sale.is_lost else "open"

        @extend_schema_field(serializers.CharField())
        def get_clientName(self, sale):  # noqa: N802
            return sale.client.full_name if sale.client else ""

    @extend_schema(
        operation_id="staff_sales_list",
        tags=["staff"],
        parameters=[
            OpenApiParameter("stage", OpenApiTypes.STR),
            OpenApiParameter(
                "outcome",
                OpenApiTypes.STR,
                enum=list(SALE_OUTCOMES),
                description="won: CLOSED with an order; lost: CLOSED without; open: not CLOSED.",
            ),
            OpenApiParameter(CURSOR_PARAM, OpenApiTypes.STR),
            OpenApiParameter(PAGE_SIZE_PARAM, OpenApiTypes.INT, description=f"1–{MAX_PAGE_SIZE}."),
        ],
        responses={200: page_serializer("SalePage", OutputSerializer), **error_responses()},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        response = paginated_response(
            pagination=self.pagination,
            serializer_class=self.OutputSerializer,
            queryset=sales_pipeline(**filters.validated_data),
            request=request,
        )
        # The page names customers (clientName): the access log records who saw whom.
        seen = [(None, row["clientId"]) for row in response.data.get("results", []) if row.get("clientName")]
        staff_access_log(request, seen, "api:staff-sales")
        return response


class SalesSummaryApi(APIView):
    """Sales counts per stage, plus won and lost."""

    permission_classes = [IsStaff]
    throttle_scope = "staff"

    class OutputSerializer(serializers.Serializer):
        byStage = _counts()  # noqa: N815
        won = serializers.IntegerField()
        lost = serializers.IntegerField()
        total = serializers.IntegerField()

    @extend_schema(
        operation_id="staff_sales_summary",
        tags=["staff"],
        responses={200: OutputSerializer, **error_responses()},
    )
    def get(self, request):
        return Response(self.OutputSerializer(sales_summary()).data)


class RevenueByStrainApi(APIView):
    """USD revenue per strain from the mirror (orders paid and delivered, or all paid)."""

    permission_classes = [IsStaff]
    throttle_scope = "staff"

    class FilterSerializer(QuerySerializer):
        basis = serializers.ChoiceField(choices=REVENUE_BASES, required=False, default="delivered")
        startDate = serializers.DateField(required=False)  # noqa: N815
        endDate = serializers.DateField(required=False)  # noqa: N815

        def validate(self, attrs):
            if attrs.get("startDate") and attrs.get("endDate") and attrs["startDate"] > attrs["endDate"]:
                raise serializers.ValidationError({"endDate": ["Must not be before startDate."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        class RowSerializer(serializers.Serializer):
            strainId = serializers.UUIDField(source="strain_drgreen_id", allow_null=True)  # noqa: N815
            strainName = serializers.CharField(source="name", allow_null=True)  # noqa: N815
            totalQuantity = serializers.DecimalField(  # noqa: N815
                source="total_quantity", max_digits=20, decimal_places=3
            )
            totalRevenueUsd = serializers.DecimalField(  # noqa: N815
                source="total_revenue", max_digits=20, decimal_places=2
            )
            orders = serializers.IntegerField()

        basis = serializers.ChoiceField(choices=REVENUE_BASES)
        strains = RowSerializer(many=True)

    @extend_schema(
        operation_id="staff_revenue_strains",
        tags=["staff"],
        parameters=[
            OpenApiParameter(
                "basis",
                OpenApiTypes.STR,
                enum=list(REVENUE_BASES),
                description="delivered (default): paid and delivered, Dr Green's rule; "
                "paid: every paid order.",
            ),
            OpenApiParameter("startDate", OpenApiTypes.DATE, description="Orders created on or after."),
            OpenApiParameter("endDate", OpenApiTypes.DATE, description="Orders created on or before."),
        ],
        responses={200: OutputSerializer, **error_responses()},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        rows = revenue_per_strain(basis=data["basis"], start=data.get("startDate"), end=data.get("endDate"))
        return Response(self.OutputSerializer({"basis": data["basis"], "strains": list(rows)}).data)


class OrderCountsApi(APIView):
    """Mirrored orders per value of each status field, and checkout placements per state."""

    permission_classes = [IsStaff]
    throttle_scope = "staff"

    class OutputSerializer(serializers.Serializer):
        total = serializers.IntegerField()
        orderStatus = _counts()  # noqa: N815
        adminApproval = _counts()  # noqa: N815
        paymentStatus = _counts()  # noqa: N815
        placements = _counts()

    @extend_schema(
        operation_id="staff_order_counts",
        tags=["staff"],
        responses={200: OutputSerializer, **error_responses()},
    )
    def get(self, request):
        return Response(self.OutputSerializer(order_status_counts()).data)


class StaffOrderDetailApi(APIView):
    """Any order, with the USD figures customers never see."""

    permission_classes = [IsStaff]
    throttle_scope = "staff"

    class OutputSerializer(OrderSummarySerializer):
        clientId = serializers.UUIDField(source="client_drgreen_id", allow_null=True)  # noqa: N815
        totalAmountUsd = serializers.DecimalField(  # noqa: N815
            source="total_amount",
            max_digits=14,
            decimal_places=2,
            allow_null=True,
            help_text="USD, for accounting.",
        )
        deliveryFee = serializers.DecimalField(  # noqa: N815
            source="delivery_fee", max_digits=14, decimal_places=2, allow_null=True
        )
        lines = StaffOrderLineSerializer(many=True)
        history = StatusChangeSerializer(many=True, source="status_changes")

    @extend_schema(
        operation_id="staff_orders_retrieve",
        tags=["staff"],
        parameters=[OpenApiParameter("order_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def get(self, request, order_id):
        order = staff_order(drgreen_id=order_id)
        if order is None:
            raise NotFound("No such order.")
        if order.client_id:
            staff_access_log(request, [(order.client_id, order.client_drgreen_id)], "api:staff-order")
        return Response(
            self.OutputSerializer(
                order, context={"request": request, "freshness": RefreshPlanner().plan([order])}
            ).data
        )


def staff_access_log(request, clients, view: str) -> None:
    """Record a staff read that returned clients' data (services/privacy/access_log)."""
    principal = request.auth
    access_log_record(
        staff=getattr(principal, "staff_user", None),
        clients=clients,
        view=view,
        path=request.get_full_path(),
        label=f"token:{getattr(principal, 'token_id', '')}",
    )
