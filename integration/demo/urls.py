from django.urls import path

from . import views

app_name = "demo"

urlpatterns = [
    path("", views.storefront, name="storefront"),
    path("sandbox/", views.sandbox_page, name="sandbox"),
    path("webhooks/receive", views.webhook_receive, name="webhook-receive"),
    path("webhooks/events", views.webhook_events, name="webhook-events"),
    path("sandbox/api/orders", views.sandbox_orders, name="sandbox-orders"),
    path(
        "sandbox/api/orders/<uuid:order_id>/<slug:action>", views.sandbox_order_action, name="sandbox-action"
    ),
]
