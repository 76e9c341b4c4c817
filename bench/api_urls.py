"""The app's URLs plus ``/bench/proxy/orders/<id>/status``: what storefront proxies do today
(ask Dr Green on every read). Mounted only by ``bench.api_settings``."""

from __future__ import annotations

import threading

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from drgreen_store.urls import handler404, handler500  # noqa: F401
from drgreen_store.urls import urlpatterns as app_urlpatterns
from integration.api.permissions import IsCustomer
from integration.conf import drgreen_settings
from integration.drgreen import DrGreenClient

_local = threading.local()


def _client() -> DrGreenClient:
    # A bare client per thread (pooled HTTP session, no ledger): a typical proxy's cost.
    if getattr(_local, "client", None) is None:
        conf = drgreen_settings.client
        _local.client = DrGreenClient(
            conf.api_url,
            conf.api_key,
            conf.secret_key,
            connect_timeout=conf.connect_timeout,
            read_timeout=conf.read_timeout,
        )
    return _local.client


class ProxyOrderStatusApi(APIView):
    """Same auth as the mirror endpoint, then ``GET /dapp/orders/{id}`` at Dr Green."""

    permission_classes = [IsCustomer]
    throttle_scope = "orders"

    def get(self, request, order_id):
        order = _client().get_order(str(order_id))
        return Response(
            {
                "id": order.get("id"),
                "orderStatus": order.get("orderStatus"),
                "paymentStatus": order.get("paymentStatus"),
                "adminApproval": order.get("adminApproval"),
            }
        )


urlpatterns = [
    path("bench/proxy/orders/<uuid:order_id>/status", ProxyOrderStatusApi.as_view()),
    *app_urlpatterns,
]
