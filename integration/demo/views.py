"""Demo pages: a storefront that uses only the public REST API from the browser, and a
page where a person plays Dr Green (admin, payment processor, courier) on the sandbox."""

from __future__ import annotations

import functools
import logging

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from integration.conf import drgreen_settings

from . import sandbox_proxy
from . import webhooks as demo_webhooks
from .accounts import demo_customers, demo_storefront_token

logger = logging.getLogger("integration.demo")


def demo_only(view):
    """404 unless DRGREEN_DEMO is on, even if someone mounted the URLs by hand."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not drgreen_settings.operations.demo:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _customers_config() -> list[dict]:
    return [
        {"id": c.user_id, "name": c.full_name or f"Customer {c.user_id}", "country": c.shipping_country_code}
        for c in demo_customers()
    ]


@demo_only
@require_GET
def storefront(request):
    config = {
        "apiBase": "/api/v1",
        "token": demo_storefront_token(),
        "customers": _customers_config(),
        "pollMs": 2000,
        "webhookEvents": reverse("demo:webhook-events"),
    }
    return render(request, "demo/storefront.html", {"config": config})


@demo_only
@require_GET
@ensure_csrf_cookie
def sandbox_page(request):
    return render(
        request, "demo/sandbox.html", {"config": {"actions": list(sandbox_proxy.ACTIONS), "pollMs": 2000}}
    )


@demo_only
@require_GET
def sandbox_orders(request):
    """The demo customers' orders as the sandbox holds them, newest first."""
    rows = []
    try:
        for client in demo_customers():
            for order in sandbox_proxy.client_orders(str(client.drgreen_id)):
                order["customer"] = client.full_name
                order["country"] = client.shipping_country_code
                rows.append(order)
    except sandbox_proxy.SandboxUnavailable:
        return JsonResponse({"error": "The sandbox is not reachable."}, status=502)
    rows.sort(key=lambda o: o.get("createdAt") or "", reverse=True)
    return JsonResponse({"orders": rows[:40]})


@demo_only
@require_POST
def sandbox_order_action(request, order_id, action):
    if action not in sandbox_proxy.ACTIONS:
        raise Http404
    try:
        status, body = sandbox_proxy.order_action(str(order_id), action)
    except sandbox_proxy.SandboxUnavailable:
        return JsonResponse({"error": "The sandbox is not reachable."}, status=502)
    logger.info(
        "demo: played Dr Green", extra={"demo_action": action, "order_id": str(order_id), "status": status}
    )
    return JsonResponse(body if isinstance(body, dict) else {"result": body}, status=status)


@csrf_exempt  # a server-to-server POST, authenticated by its Standard Webhooks signature
@demo_only
@require_POST
def webhook_receive(request):
    """The demo storefront server's receiver: 204 when the signature verifies, else 400."""
    payload = demo_webhooks.receive(request.body, dict(request.headers))
    if payload is None:
        return JsonResponse({"error": "signature does not verify"}, status=400)
    return JsonResponse({}, status=204)


@demo_only
@require_GET
def webhook_events(request):
    """What the demo's receiver got about one order (``?order=<Dr Green id>``)."""
    order_id = request.GET.get("order", "")
    return JsonResponse({"events": demo_webhooks.events_read(order_id=order_id)[-50:]})
