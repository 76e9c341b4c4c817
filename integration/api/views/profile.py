"""The customer's profile: their Dr Green client (the three flags and a readable status)
and their latest registration."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.conf import drgreen_settings
from integration.models import RegistrationState
from integration.selectors.customers import customer_client, customer_registration_latest
from integration.services.onboarding import (
    client_readable_status,
    client_register,
    registration_readable_status,
)

from ..exceptions import ApiError
from ..permissions import IsCustomer
from ..schema import CUSTOMER_HEADER_PARAMETER, error_responses


class ShippingSerializer(serializers.Serializer):
    address1 = serializers.CharField()
    address2 = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    country = serializers.CharField()
    countryCode = serializers.CharField(source="country_code")  # noqa: N815
    postalCode = serializers.CharField(source="postal_code")  # noqa: N815


class ClientSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="drgreen_id", help_text="Dr Green's client id.")
    firstName = serializers.CharField(source="first_name")  # noqa: N815
    lastName = serializers.CharField(source="last_name")  # noqa: N815
    email = serializers.CharField()
    adminApproval = serializers.CharField(  # noqa: N815
        source="admin_approval", help_text="PENDING, VERIFIED, REJECTED (free string; empty = not known yet)."
    )
    isKYCVerified = serializers.BooleanField(source="is_kyc_verified", allow_null=True)  # noqa: N815
    isActive = serializers.BooleanField(source="is_active", allow_null=True)  # noqa: N815
    canOrder = serializers.BooleanField(source="can_order")  # noqa: N815
    readableStatus = serializers.SerializerMethodField()  # noqa: N815
    shippingCountryCode = serializers.CharField(source="primary_shipping_country_code")  # noqa: N815
    shippingAddress = serializers.SerializerMethodField()  # noqa: N815
    syncedAt = serializers.DateTimeField(source="last_synced_at")  # noqa: N815

    @extend_schema_field(serializers.CharField())
    def get_readableStatus(self, client):  # noqa: N802
        return client_readable_status(client=client)

    @extend_schema_field(ShippingSerializer(allow_null=True))
    def get_shippingAddress(self, client):  # noqa: N802
        rows = sorted(client.shipping_addresses.all(), key=lambda a: (a.position, a.pk))
        return ShippingSerializer(rows[0]).data if rows else None


class RegistrationSerializer(serializers.Serializer):
    correlationId = serializers.UUIDField(source="correlation_id")  # noqa: N815
    state = serializers.ChoiceField(
        choices=RegistrationState.choices,
        help_text="pending (waiting to be sent, e.g. Dr Green's KYC provider is down: nothing is "
        "lost, it is retried), submitting, created, linked (an existing client of this store), "
        "foreign (the email or phone belongs to another store), invalid (Dr Green refused the "
        "data, see `error`), unknown (outcome being checked), proof_required (the email belongs "
        "to an existing client: a code was mailed there, send it to `/me/registration/confirm`; "
        "nothing of that client is shown until then).",
    )
    error = serializers.SerializerMethodField()
    kycLink = serializers.CharField(source="kyc_link", help_text="Empty unless Dr Green returned one.")  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815
    updatedAt = serializers.DateTimeField(source="updated_at")  # noqa: N815

    class ErrorSerializer(serializers.Serializer):
        code = serializers.CharField()
        message = serializers.CharField()

    @extend_schema_field(ErrorSerializer(allow_null=True))
    def get_error(self, registration):
        if not registration.last_error_code:
            return None
        return {"code": registration.last_error_code, "message": registration.last_error}


class ProfileApi(APIView):
    """Who the customer is to Dr Green: client flags, readable status, latest registration."""

    permission_classes = [IsCustomer]
    throttle_scope = "profile"

    class OutputSerializer(serializers.Serializer):
        customerId = serializers.IntegerField(source="user.pk", help_text="The local user id.")  # noqa: N815
        email = serializers.CharField(source="user.email")
        client = ClientSerializer(allow_null=True)
        registration = RegistrationSerializer(allow_null=True)

    @extend_schema(
        operation_id="me_retrieve",
        tags=["customer"],
        parameters=[CUSTOMER_HEADER_PARAMETER],
        responses={200: OutputSerializer, **error_responses()},
    )
    def get(self, request):
        user = request.auth.customer
        data = {
            "user": user,
            "client": customer_client(user=user),
            "registration": customer_registration_latest(user=user),
        }
        return Response(self.OutputSerializer(data).data)


class RegistrationApi(APIView):
    """Register the customer with Dr Green (client onboarding). What the customer typed is kept
    before anything is sent: when Dr Green (or its KYC provider) cannot take it now, the
    registration stays ``pending`` and is retried in the background (202)."""

    permission_classes = [IsCustomer]
    throttle_scope = "registration"

    class InputSerializer(serializers.Serializer):
        class ShippingSerializer(serializers.Serializer):
            # Dr Green's CreateShippingDto: every string is required; address2 may be empty.
            address1 = serializers.CharField(max_length=255)
            address2 = serializers.CharField(max_length=255, allow_blank=True)
            landmark = serializers.CharField(max_length=255, required=False, allow_blank=True)
            city = serializers.CharField(max_length=128)
            state = serializers.CharField(max_length=128)
            country = serializers.CharField(max_length=128)
            countryCode = serializers.CharField(  # noqa: N815
                min_length=2, max_length=3, help_text="ISO 3166-1 alpha-2 or alpha-3 (sent as alpha-3)."
            )
            postalCode = serializers.CharField(max_length=32)  # noqa: N815

        class BusinessSerializer(ShippingSerializer):
            address2 = serializers.CharField(max_length=255)
            name = serializers.CharField(max_length=255, required=False)
            businessType = serializers.CharField(max_length=128, required=False)  # noqa: N815

        firstName = serializers.CharField(max_length=128)  # noqa: N815
        lastName = serializers.CharField(max_length=128, required=False, allow_blank=True)  # noqa: N815
        email = serializers.EmailField(max_length=254, help_text="Stored lower-case (Dr Green's rule).")
        phoneCode = serializers.CharField(max_length=8, help_text="Dialling code, e.g. +44.")  # noqa: N815
        contactNumber = serializers.CharField(max_length=32, help_text="4–15 digits.")  # noqa: N815
        phoneCountryCode = serializers.CharField(max_length=3, required=False, allow_blank=True)  # noqa: N815
        shipping = ShippingSerializer()
        clientBusiness = BusinessSerializer(required=False)  # noqa: N815
        medicalRecord = serializers.DictField(  # noqa: N815
            help_text="Dr Green's medical record (facts §6.1): `dob` (YYYY-MM-DD), `gender`, "
            "`medicalHistory0..16`, `medicalConditions`, `medicinesTreatments`, …; each field is "
            "checked and reported under `details.fields`.",
        )

    class OutputSerializer(RegistrationSerializer):
        readableStatus = serializers.CharField(source="readable_status")  # noqa: N815
        client = ClientSerializer(allow_null=True)

    @extend_schema(
        operation_id="me_registration_create",
        tags=["customer"],
        parameters=[CUSTOMER_HEADER_PARAMETER],
        request=InputSerializer,
        responses={
            201: OpenApiResponse(
                OutputSerializer,
                description="Created at Dr Green, or linked to the customer's existing client.",
            ),
            202: OpenApiResponse(
                OutputSerializer,
                description="Kept and queued: Dr Green cannot take it "
                "right now (e.g. its KYC provider is down); retried in the background.",
            ),
            **error_responses(
                409,
                503,
                extra={
                    400: "`validation_error`, `invalid_registration` (our checks; `details.fields`), "
                    "`registration_invalid` (Dr Green refused the data).",
                    409: "`already_registered` (this customer has a client), `client_exists_elsewhere` "
                    "(the email or phone belongs to another store), `client_already_registered` "
                    "(it belongs to another customer of this store).",
                },
            ),
        },
    )
    def post(self, request):
        user = request.auth.customer
        if customer_client(user=user) is not None:
            raise ApiError(
                "already_registered",
                "This customer already has a Dr Green client.",
                status_code=status.HTTP_409_CONFLICT,
            )
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = _plain(body.validated_data)
        registration = client_register(user=user, data=data, submit=registration_submit_mode())
        registration.readable_status = registration_readable_status(registration=registration)
        if registration.client_id is not None:
            registration.client = customer_client(user=user) or registration.client
        done = registration.state in (RegistrationState.CREATED, RegistrationState.LINKED)
        return Response(
            self.OutputSerializer(registration).data,
            status=status.HTTP_201_CREATED if done else status.HTTP_202_ACCEPTED,
        )


def registration_submit_mode() -> str:
    """``inline`` (default: the customer learns at once whether Dr Green took it) or ``task``."""
    return drgreen_settings.api.registration_submit


def _plain(value):
    """Validated data → plain JSON types (OrderedDicts, nested) for the service."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
