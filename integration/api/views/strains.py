"""The strain catalogue for a country, straight from the mirror."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.views import APIView

from integration.selectors.customers import customer_client
from integration.selectors.strains import (
    STRAIN_TYPES,
    THC_LEVELS,
    display_currency,
    strain_catalogue,
    strain_display_price,
)

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
from ..permissions import IsCatalogueReader, principal_of
from ..schema import CUSTOMER_HEADER_PARAMETER, error_responses


class PriceSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217, upper case.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)


class StrainListApi(APIView):
    """Strains a customer in ``country`` can buy, with display prices and stock there."""

    permission_classes = [IsCatalogueReader]
    throttle_scope = "catalogue"
    pagination = KeysetPagination(keys=(KeyField("name"), KeyField("pk", kind="int")))

    class FilterSerializer(QuerySerializer):
        country = serializers.RegexField(
            r"^[A-Za-z]{3}$",
            required=False,
            help_text="ISO 3166-1 alpha-3 shipping country. Defaults to the customer's shipping "
            "country; required when the caller acts for no customer.",
        )
        search = serializers.CharField(required=False, allow_blank=True, max_length=100)
        type = serializers.MultipleChoiceField(choices=STRAIN_TYPES, required=False)
        thcLevel = serializers.MultipleChoiceField(choices=tuple(THC_LEVELS), required=False)  # noqa: N815

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField(source="drgreen_id")
        name = serializers.CharField()
        type = serializers.CharField(help_text="Hybrid, Sativa or Indica (as Dr Green says it).")
        thc = serializers.DecimalField(max_digits=7, decimal_places=3, allow_null=True)
        cbd = serializers.DecimalField(max_digits=7, decimal_places=3, allow_null=True)
        description = serializers.CharField()
        imageUrl = serializers.CharField(source="image_url")  # noqa: N815
        price = serializers.SerializerMethodField(help_text="The retail price to display in the country.")
        stockQuantity = serializers.DecimalField(  # noqa: N815
            source="local_stock",
            max_digits=14,
            decimal_places=3,
            allow_null=True,
            help_text="Grams in stock for the country.",
        )
        syncedAt = serializers.DateTimeField(source="last_synced_at")  # noqa: N815

        @extend_schema_field(PriceSerializer(allow_null=True))
        def get_price(self, strain):
            price = strain_display_price(strain, currency=self.context["currency"])
            return PriceSerializer(price).data if price else None

    @extend_schema(
        operation_id="strains_list",
        tags=["catalogue"],
        parameters=[
            CUSTOMER_HEADER_PARAMETER,
            OpenApiParameter(
                "country",
                OpenApiTypes.STR,
                description="ISO 3166-1 alpha-3, e.g. GBR.",
                pattern=r"^[A-Za-z]{3}$",
            ),
            OpenApiParameter("search", OpenApiTypes.STR, description="Name or description contains."),
            OpenApiParameter("type", OpenApiTypes.STR, enum=list(STRAIN_TYPES), many=True, explode=True),
            OpenApiParameter(
                "thcLevel",
                OpenApiTypes.STR,
                enum=list(THC_LEVELS),
                many=True,
                explode=True,
                description="None: THC < 1 %, Low: 1–<11 %, Mid: 11–<21 %, High: ≥ 21 %.",
            ),
            OpenApiParameter(
                CURSOR_PARAM, OpenApiTypes.STR, description="`nextCursor` of the previous page."
            ),
            OpenApiParameter(PAGE_SIZE_PARAM, OpenApiTypes.INT, description=f"1–{MAX_PAGE_SIZE}."),
        ],
        responses={200: page_serializer("StrainPage", OutputSerializer), **error_responses()},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        country = (data.get("country") or _customer_country(request) or "").upper()
        if not country:
            raise serializers.ValidationError({"country": ["This field is required."]})
        qs = strain_catalogue(
            country_code=country,
            search=data.get("search", ""),
            types=sorted(data.get("type", ())),
            thc_levels=sorted(data.get("thcLevel", ())),
        )
        return paginated_response(
            pagination=self.pagination,
            serializer_class=self.OutputSerializer,
            queryset=qs,
            request=request,
            context={"request": request, "currency": display_currency(country)},
        )


def _customer_country(request) -> str:
    principal = principal_of(request)
    client = customer_client(user=principal.customer) if principal and principal.customer else None
    return client.primary_shipping_country_code if client else ""
