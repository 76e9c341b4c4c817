"""Checkout: place an order once per ``Idempotency-Key``, and read a placement back."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.conf import drgreen_settings
from integration.models import OrderPlacement, PlacementState
from integration.selectors.customers import customer_client
from integration.selectors.orders import customer_orders
from integration.selectors.placements import placement_get
from integration.services.checkout import order_place
from integration.services.storefront import RefreshPlanner

from ..exceptions import ApiError
from ..fields import AsciiDecimalField, StrictUUIDField
from ..permissions import IsCustomer
from ..schema import CUSTOMER_HEADER_PARAMETER, error_responses
from .serializers import OrderSummarySerializer

IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_META = "HTTP_IDEMPOTENCY_KEY"

CHECKOUT_ERROR_CODES = {
    400: "`validation_error`, `idempotency_key_missing`, `invalid_idempotency_key`, `empty_order`, "
    "`invalid_line`, `invalid_quantity`.",
    409: "`idempotency_key_reused` (same key, different lines; `details.correlation_id` names the "
    "first placement), `client_not_registered`, `client_not_verified`, `kyc_pending`, "
    "`client_inactive`, `no_shipping_address`, `client_cart_unknown`, `strain_unavailable`, "
    "`insufficient_stock`.",
    503: "`drgreen_unavailable` (`retryable: true`): the mirror was stale and Dr Green could not "
    "be asked; nothing was placed, retry with the same key.",
}


REJECTION_MESSAGES = {
    "client_inactive": "Your Dr Green account is not active.",
    "client_not_found": "Your Dr Green account could not be found; contact support.",
    "client_cart_unknown": "Your Dr Green account could not be found; contact support.",
    "kyc_pending": "Identity verification (KYC) is not complete yet.",
    "client_not_verified": "Your account is waiting for Dr Green's approval.",
    "no_shipping_address": "Your Dr Green account has no shipping address.",
    "insufficient_stock": "There is not enough stock for this order.",
    "strain_unavailable": "A product in this order is not available.",
    "drgreen_unavailable": "Dr Green could not take the order; try again later.",
}
REJECTION_FALLBACK = "Dr Green could not take this order. Contact support with the checkout's correlationId."


def checkout_execute_mode() -> str:
    """``task`` (a worker talks to Dr Green; the answer is the committed placement) or
    ``inline`` (the request makes the calls, with no transaction open, and answers with
    the outcome)."""
    return drgreen_settings.api.checkout_execute


class PlacementOutputSerializer(serializers.Serializer):
    correlationId = serializers.UUIDField(source="correlation_id")  # noqa: N815
    idempotencyKey = serializers.CharField(source="idempotency_key")  # noqa: N815
    state = serializers.ChoiceField(
        choices=PlacementState.choices,
        help_text="new → submitting → placed; unknown (outcome being recovered, never re-sent blindly) "
        "→ placed | retry_safe | needs_staff; rejected (see `rejection`).",
    )
    lines = serializers.SerializerMethodField()
    rejection = serializers.SerializerMethodField()
    order = serializers.SerializerMethodField(help_text="The Dr Green order once placed.")
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815
    updatedAt = serializers.DateTimeField(source="updated_at")  # noqa: N815

    class LineSerializer(serializers.Serializer):
        strainId = serializers.UUIDField()  # noqa: N815
        quantity = serializers.CharField(help_text="Grams, canonical decimal text.")

    class RejectionSerializer(serializers.Serializer):
        code = serializers.CharField()
        message = serializers.CharField()

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, placement: OrderPlacement):
        return [
            {"strainId": line.get("strain_id"), "quantity": str(line.get("quantity"))}
            for line in placement.lines or []
            if isinstance(line, dict)
        ]

    @extend_schema_field(RejectionSerializer(allow_null=True))
    def get_rejection(self, placement: OrderPlacement):
        if placement.state != PlacementState.REJECTED and not placement.rejection_code:
            return None
        # rejection_message may be Dr Green's own text (staff see it in the admin); the
        # customer gets the plain message of the stable code, and quotes correlationId.
        code = placement.rejection_code or "rejected"
        return {"code": code, "message": REJECTION_MESSAGES.get(code, REJECTION_FALLBACK)}

    @extend_schema_field(OrderSummarySerializer(allow_null=True))
    def get_order(self, placement: OrderPlacement):
        if placement.order_id is None:
            return None
        order = self.context["orders"].get(placement.order_id)
        return OrderSummarySerializer(order, context=self.context).data if order else None


def placement_output_context(request, placement: OrderPlacement) -> dict:
    """The placement's order (the customer's own) and its freshness, planned before
    serializing so the serializer neither queries nor queues a refresh."""
    orders = {}
    if placement.order_id is not None:
        orders = {o.pk: o for o in customer_orders(user=request.auth.customer).filter(pk=placement.order_id)}
    return {"request": request, "orders": orders, "freshness": RefreshPlanner().plan(orders.values())}


def _client_for(request):
    client = customer_client(user=request.auth.customer)
    if client is None:
        raise ApiError(
            "client_not_registered",
            "This customer has no Dr Green client yet: register first.",
            status_code=status.HTTP_409_CONFLICT,
        )
    return client


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class CheckoutApi(APIView):
    """Place an order. The ``Idempotency-Key`` header is required: the same key with the same
    lines answers with the same placement (200), a new key creates one (201), the same key
    with other lines is a 409 ``idempotency_key_reused``. The placement is committed before
    any call to Dr Green, so retrying after a timeout is always safe."""

    permission_classes = [IsCustomer]
    throttle_scope = "checkout"

    class InputSerializer(serializers.Serializer):
        class LineSerializer(serializers.Serializer):
            strainId = StrictUUIDField()  # noqa: N815
            quantity = AsciiDecimalField(
                max_digits=9,
                decimal_places=3,
                min_value=Decimal("0.001"),
                help_text="Grams, at most 3 decimals.",
            )

        lines = LineSerializer(many=True, allow_empty=False, max_length=50)

    @extend_schema(
        operation_id="checkout_create",
        tags=["checkout"],
        parameters=[
            CUSTOMER_HEADER_PARAMETER,
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="1–255 characters chosen by the storefront, unique per checkout attempt "
                "of this customer (e.g. a UUID per cart submission). Reuse it on retries.",
            ),
        ],
        request=InputSerializer,
        responses={
            201: OpenApiResponse(PlacementOutputSerializer, description="A new placement was committed."),
            200: OpenApiResponse(
                PlacementOutputSerializer,
                description="Replay: this key was already "
                "used with the same lines; the placement's current state.",
            ),
            **error_responses(409, 503, extra=CHECKOUT_ERROR_CODES),
        },
    )
    def post(self, request):
        key = (request.META.get(_IDEMPOTENCY_META) or "").strip()
        if not key:
            raise ApiError("idempotency_key_missing", f"The {IDEMPOTENCY_HEADER} header is required.")
        if len(key) > 255:
            raise ApiError("invalid_idempotency_key", f"{IDEMPOTENCY_HEADER} is at most 255 characters.")
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = _client_for(request)
        placement, created = order_place(
            client=client,
            idempotency_key=key,
            lines=[
                {"strain_id": str(line["strainId"]), "quantity": line["quantity"]}
                for line in body.validated_data["lines"]
            ],
            execute=checkout_execute_mode(),
        )
        data = PlacementOutputSerializer(placement, context=placement_output_context(request, placement)).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PlacementDetailApi(APIView):
    """A placement's current state (poll it after checkout until ``placed`` or ``rejected``)."""

    permission_classes = [IsCustomer]
    throttle_scope = "orders"

    @extend_schema(
        operation_id="placements_retrieve",
        tags=["checkout"],
        parameters=[
            CUSTOMER_HEADER_PARAMETER,
            OpenApiParameter("correlation_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
        ],
        responses={
            200: PlacementOutputSerializer,
            **error_responses(404, extra={404: "`not_found` / `placement_not_found`."}),
        },
    )
    def get(self, request, correlation_id):
        client = customer_client(user=request.auth.customer)
        if client is None:
            raise ApiError("placement_not_found", "No such checkout.", status_code=404)
        placement = placement_get(correlation_id=correlation_id, client=client)
        return Response(
            PlacementOutputSerializer(placement, context=placement_output_context(request, placement)).data
        )
