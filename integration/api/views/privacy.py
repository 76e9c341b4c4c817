"""``GET /api/v1/me/export``: the customer's right of access, one JSON document."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.services.privacy.export import customer_export

from ..permissions import IsCustomer
from ..schema import CUSTOMER_HEADER_PARAMETER, error_responses


class ExportSerializer(serializers.Serializer):
    """The document's sections (documented for the schema; the view returns the service's dict)."""

    version = serializers.IntegerField()
    generatedAt = serializers.DateTimeField()  # noqa: N815
    account = serializers.DictField(help_text="The local account: id, username, email, names, dates.")
    clients = serializers.ListField(
        child=serializers.DictField(),
        help_text="The Dr Green client mirror: names, contact, approval flags, shipping addresses.",
    )
    orders = serializers.ListField(
        child=serializers.DictField(), help_text="Orders with their lines and status history."
    )
    placements = serializers.ListField(child=serializers.DictField(), help_text="Checkout attempts.")
    sales = serializers.ListField(child=serializers.DictField(), help_text="Dr Green sales pipeline entries.")
    registrations = serializers.ListField(
        child=serializers.DictField(),
        help_text="Registrations and what is still held of them (nothing once purged).",
    )
    notifications = serializers.ListField(child=serializers.DictField(), help_text="Notifications sent.")


class ExportApi(APIView):
    """Everything the store holds about the calling customer (right of access). A storefront
    token acts for the customer named in ``X-Customer-Id``; without it this is a 403."""

    permission_classes = [IsCustomer]
    throttle_scope = "export"

    @extend_schema(
        operation_id="me_export",
        tags=["customer"],
        parameters=[CUSTOMER_HEADER_PARAMETER],
        responses={
            200: OpenApiResponse(ExportSerializer, description="The customer's data, as one document."),
            **error_responses(),
        },
    )
    def get(self, request):
        response = Response(customer_export(user=request.auth.customer))
        response["Cache-Control"] = "no-store"
        response["Content-Disposition"] = 'attachment; filename="drgreen-store-export.json"'
        return response
