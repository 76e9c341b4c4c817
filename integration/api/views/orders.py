"""The customer's orders, from the mirror: list, detail, and the cheap status read."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.selectors.orders import customer_order, customer_order_status, customer_orders
from integration.services.storefront import RefreshPlanner

from ..filters import QuerySerializer
from ..pagination import (
    CURSOR_PARAM,
    MAX_PAGE_SIZE,
    PAGE_SIZE_PARAM,
    KeyField,
    KeysetPagination,
    page_serializer,
)
from ..permissions import IsCustomer
from ..schema import CUSTOMER_HEADER_PARAMETER, error_responses
from ..throttling import throttle_hit
from .serializers import OrderStatusMixin, OrderSummarySerializer, StatusChangeSerializer

REFRESH_PARAMETER = OpenApiParameter(
    "refresh",
    OpenApiTypes.INT,
    enum=[0, 1],
    description="1: also queue a background refresh from Dr Green now (rate-limited per customer; "
    "the answer is still served from the mirror at once, `freshness.refresh` says what happened).",
)
ORDER_ID_PARAMETER = OpenApiParameter(
    "order_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Dr Green's order id."
)


class RefreshFlag(QuerySerializer):
    refresh = serializers.ChoiceField(choices=("0", "1"), required=False)


def refresh_planner(request, view) -> RefreshPlanner:
    """``?refresh=1`` is rate-limited on its own scope; over the limit the read is still
    served, with ``freshness.refresh = "rate_limited"``."""
    if not request.query_params:  # the polled read: nothing to validate (bench.api)
        return RefreshPlanner()
    flag = RefreshFlag(data=request.query_params)
    flag.is_valid(raise_exception=True)
    force = flag.validated_data.get("refresh") == "1"
    allowed = throttle_hit(request, view, scope="refresh")[0] if force else True
    return RefreshPlanner(force=force, force_allowed=allowed)


class OrderListApi(APIView):
    """The customer's orders, newest first, with lines and freshness."""

    permission_classes = [IsCustomer]
    throttle_scope = "orders"
    pagination = KeysetPagination(
        keys=(
            KeyField("sort_at", descending=True, kind="datetime"),
            KeyField("pk", descending=True, kind="int"),
        )
    )

    class OutputSerializer(OrderSummarySerializer):
        pass

    @extend_schema(
        operation_id="orders_list",
        tags=["orders"],
        parameters=[
            CUSTOMER_HEADER_PARAMETER,
            REFRESH_PARAMETER,
            OpenApiParameter(
                CURSOR_PARAM, OpenApiTypes.STR, description="`nextCursor` of the previous page."
            ),
            OpenApiParameter(PAGE_SIZE_PARAM, OpenApiTypes.INT, description=f"1–{MAX_PAGE_SIZE}."),
        ],
        responses={200: page_serializer("OrderPage", OutputSerializer), **error_responses()},
    )
    def get(self, request):
        planner = refresh_planner(request, self)
        rows, next_cursor = self.pagination.paginate(customer_orders(user=request.auth.customer), request)
        context = {"request": request, "freshness": planner.plan(rows)}
        data = self.OutputSerializer(rows, many=True, context=context).data
        return self.pagination.response(request, data, next_cursor)


class OrderDetailApi(APIView):
    """One order with lines, status history and freshness."""

    permission_classes = [IsCustomer]
    throttle_scope = "orders"

    class OutputSerializer(OrderSummarySerializer):
        history = StatusChangeSerializer(many=True, source="status_changes")

    @extend_schema(
        operation_id="orders_retrieve",
        tags=["orders"],
        parameters=[CUSTOMER_HEADER_PARAMETER, ORDER_ID_PARAMETER, REFRESH_PARAMETER],
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def get(self, request, order_id):
        planner = refresh_planner(request, self)
        order = customer_order(user=request.auth.customer, drgreen_id=order_id)
        if order is None:
            raise NotFound("No such order.")
        context = {"request": request, "freshness": planner.plan([order])}
        return Response(self.OutputSerializer(order, context=context).data)


class OrderStatusApi(APIView):
    """Only the statuses and freshness of one order: the read a storefront polls (one query
    plus auth)."""

    permission_classes = [IsCustomer]
    throttle_scope = "orders"

    class OutputSerializer(OrderStatusMixin):
        id = serializers.UUIDField(source="drgreen_id")
        invoiceNumber = serializers.CharField(source="invoice_number")  # noqa: N815

        def to_representation(self, order):
            # The declared fields' output, built directly: DRF would copy all seven field
            # objects on every poll (tests/integration/api/test_serializers.py holds the two equal).
            return {
                **self.status_data(order),
                "id": None if order.drgreen_id is None else str(order.drgreen_id),
                "invoiceNumber": None if order.invoice_number is None else str(order.invoice_number),
            }

    @extend_schema(
        operation_id="orders_status",
        tags=["orders"],
        parameters=[CUSTOMER_HEADER_PARAMETER, ORDER_ID_PARAMETER, REFRESH_PARAMETER],
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def get(self, request, order_id):
        planner = refresh_planner(request, self)
        order = customer_order_status(user=request.auth.customer, drgreen_id=order_id)
        if order is None:
            raise NotFound("No such order.")
        context = {"request": request, "freshness": planner.plan([order])}
        return Response(self.OutputSerializer(order, context=context).data)
