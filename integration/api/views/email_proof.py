"""``POST /api/v1/me/registration/confirm``: the code mailed to an existing client's email
links that client to the caller (see integration.services.onboarding.email_proof)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.selectors.customers import customer_client
from integration.services.onboarding import link_proof_confirm, registration_readable_status

from ..fields import StrictRegexField
from ..permissions import IsCustomer
from ..schema import CUSTOMER_HEADER_PARAMETER, error_responses
from .profile import RegistrationApi


class RegistrationConfirmApi(APIView):
    """Prove control of the email of an existing Dr Green client of this store: the code
    sent there (single use, 30 minutes, 5 attempts) links that client to the customer."""

    permission_classes = [IsCustomer]
    throttle_scope = "registration_confirm"

    class InputSerializer(serializers.Serializer):
        # ASCII digits only: "[0-9]" never matches other scripts' digits.
        code = StrictRegexField(r"^[0-9]{6}\Z", help_text="The 6-digit code from the email.")

    @extend_schema(
        operation_id="me_registration_confirm",
        tags=["customer"],
        parameters=[CUSTOMER_HEADER_PARAMETER],
        request=InputSerializer,
        responses={
            200: OpenApiResponse(RegistrationApi.OutputSerializer, description="Linked."),
            **error_responses(
                409,
                extra={
                    400: "`validation_error`, `link_code_invalid` (wrong, used, expired or out of "
                    "attempts: one answer for all).",
                    409: "`client_already_registered`, `already_registered`.",
                },
            ),
        },
    )
    def post(self, request):
        user = request.auth.customer
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        registration = link_proof_confirm(user=user, code=body.validated_data["code"])
        registration.readable_status = registration_readable_status(registration=registration)
        registration.client = customer_client(user=user) or registration.client
        return Response(RegistrationApi.OutputSerializer(registration).data)
