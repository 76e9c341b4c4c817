"""``/api/v1/`` routes. Order and placement ids are UUIDs in the path (Dr Green's order id,
our correlation id); anything else is a JSON 404."""

from django.urls import path

from .views.checkout import CheckoutApi, PlacementDetailApi
from .views.email_proof import RegistrationConfirmApi
from .views.health import HealthApi
from .views.orders import OrderDetailApi, OrderListApi, OrderStatusApi
from .views.privacy import ExportApi
from .views.profile import ProfileApi, RegistrationApi
from .views.staff import (
    OrderCountsApi,
    RevenueByStrainApi,
    SalesListApi,
    SalesSummaryApi,
    StaffOrderDetailApi,
)
from .views.strains import StrainListApi

app_name = "api"

urlpatterns = [
    path("health", HealthApi.as_view(), name="health"),
    path("strains", StrainListApi.as_view(), name="strains"),
    path("me", ProfileApi.as_view(), name="me"),
    path("me/registration", RegistrationApi.as_view(), name="registration"),
    path("me/registration/confirm", RegistrationConfirmApi.as_view(), name="registration-confirm"),
    path("me/export", ExportApi.as_view(), name="me-export"),
    path("checkout", CheckoutApi.as_view(), name="checkout"),
    path("placements/<uuid:correlation_id>", PlacementDetailApi.as_view(), name="placement"),
    path("orders", OrderListApi.as_view(), name="orders"),
    path("orders/<uuid:order_id>", OrderDetailApi.as_view(), name="order"),
    path("orders/<uuid:order_id>/status", OrderStatusApi.as_view(), name="order-status"),
    path("staff/sales", SalesListApi.as_view(), name="staff-sales"),
    path("staff/sales/summary", SalesSummaryApi.as_view(), name="staff-sales-summary"),
    path("staff/revenue/strains", RevenueByStrainApi.as_view(), name="staff-revenue-strains"),
    path("staff/orders/counts", OrderCountsApi.as_view(), name="staff-order-counts"),
    path("staff/orders/<uuid:order_id>", StaffOrderDetailApi.as_view(), name="staff-order"),
]
