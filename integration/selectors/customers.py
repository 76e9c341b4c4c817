"""The customer's own Dr Green client and registrations."""

from __future__ import annotations

from django.db.models import Prefetch

from integration.models import Client, ClientRegistration, ShippingAddress


def customer_client(*, user) -> Client | None:
    """The Dr Green client linked to ``user`` (the most recently seen one if a customer was
    ever linked to two), with its shipping addresses (two queries)."""
    if user is None or getattr(user, "pk", None) is None:
        return None
    return (
        Client.objects.filter(user=user, remote_missing_since__isnull=True)
        .prefetch_related(
            Prefetch("shipping_addresses", queryset=ShippingAddress.objects.order_by("position", "pk"))
        )
        .order_by("-last_synced_at", "-pk")
        .first()
    )


def customer_registration_latest(*, user) -> ClientRegistration | None:
    if user is None or getattr(user, "pk", None) is None:
        return None
    return ClientRegistration.objects.filter(user=user).order_by("-created_at", "-pk").first()
