"""The right of access: one JSON document with everything the store holds about a customer.

Scoped by the customer's user alone (their clients are ``Client.user``, their orders those
clients' orders), so nothing of another customer can reach it. Purged registration data is
not there because it is not held any more.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from integration.models import (
    Client,
    ClientRegistration,
    Notification,
    Order,
    OrderLine,
    OrderPlacement,
    Sale,
    ShippingAddress,
    StatusChange,
)

EXPORT_VERSION = 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _client(client: Client) -> dict[str, Any]:
    return {
        "id": str(client.drgreen_id),
        "firstName": client.first_name,
        "lastName": client.last_name,
        "email": client.email,
        "phoneCode": client.phone_code,
        "phoneCountryCode": client.phone_country_code,
        "contactNumber": client.contact_number,
        "adminApproval": client.admin_approval,
        "isKYCVerified": client.is_kyc_verified,
        "isActive": client.is_active,
        "verifiedAt": _iso(client.verified_at),
        "rejectedAt": _iso(client.rejected_at),
        "rejectionNote": client.rejection_note,
        "shippingCountry": client.shipping_country,
        "shippingCountryCode": client.shipping_country_code,
        "business": {
            "name": client.business_name,
            "type": client.business_type,
            "address": client.business_address,
        },
        "shippingAddresses": [
            {
                "address1": a.address1,
                "address2": a.address2,
                "landmark": a.landmark,
                "city": a.city,
                "state": a.state,
                "country": a.country,
                "countryCode": a.country_code,
                "postalCode": a.postal_code,
            }
            for a in client.shipping_addresses.all()
        ],
        "createdAt": _iso(client.created_at),
        "firstSeenAt": _iso(client.first_seen_at),
        "lastSyncedAt": _iso(client.last_synced_at),
        "erasedAt": _iso(client.erased_at),
    }


def _order(order: Order) -> dict[str, Any]:
    return {
        "id": str(order.drgreen_id),
        "clientId": str(order.client_drgreen_id) if order.client_drgreen_id else None,
        "invoiceNumber": order.invoice_number,
        "orderStatus": order.order_status,
        "adminApproval": order.admin_approval,
        "paymentStatus": order.payment_status,
        "totalAmountUsd": _money(order.total_amount),
        "localCurrency": order.local_currency,
        "localTotal": _money(order.local_total),
        "deliveryFee": _money(order.delivery_fee),
        "rejectionNote": order.rejection_note,
        "shippingCountryCode": order.shipping_country_code,
        "createdAt": _iso(order.created_at),
        "lines": [
            {
                "strainId": str(line.strain_drgreen_id) if line.strain_drgreen_id else None,
                "strainName": line.strain_name,
                "quantity": _money(line.quantity),
                "unitRetailPrice": _money(line.unit_retail_price),
                "lineAmount": _money(line.line_amount),
            }
            for line in order.lines.all()
        ],
        "statusHistory": [
            {
                "sequence": change.sequence,
                "orderStatus": change.order_status,
                "adminApproval": change.admin_approval,
                "paymentStatus": change.payment_status,
                "detectedAt": _iso(change.detected_at),
            }
            for change in order.status_changes.all()
        ],
    }


def _placement(placement: OrderPlacement) -> dict[str, Any]:
    return {
        "correlationId": str(placement.correlation_id),
        "state": placement.state,
        "lines": placement.lines,
        "expectedTotal": _money(placement.expected_total),
        "currency": placement.currency,
        "orderId": str(placement.order_drgreen_id) if placement.order_drgreen_id else None,
        "rejectionCode": placement.rejection_code,
        "rejectionMessage": placement.rejection_message,
        "createdAt": _iso(placement.created_at),
        "placedAt": _iso(placement.placed_at),
    }


def _registration(registration: ClientRegistration) -> dict[str, Any]:
    return {
        "correlationId": str(registration.correlation_id),
        "state": registration.state,
        "email": registration.email,
        # What is still held (sealed at rest): the medical record only while it waits to be
        # sent; nothing once purged.
        "payload": registration.payload or None,
        "payloadPurgedAt": _iso(registration.payload_purged_at),
        "kycLink": registration.kyc_link,
        "lastErrorCode": registration.last_error_code,
        "createdAt": _iso(registration.created_at),
        "updatedAt": _iso(registration.updated_at),
    }


def _notification(note: Notification) -> dict[str, Any]:
    return {
        "orderId": str(note.status_change.order.drgreen_id),
        "statusChange": note.status_change.sequence,
        "channel": note.channel,
        "state": note.state,
        "recipient": note.recipient,
        "template": note.template,
        "createdAt": _iso(note.created_at),
        "sentAt": _iso(note.sent_at),
    }


def _sale(sale: Sale) -> dict[str, Any]:
    return {
        "id": str(sale.drgreen_id),
        "stage": sale.stage,
        "description": sale.description,
        "orderId": str(sale.order_drgreen_id) if sale.order_drgreen_id else None,
        "createdAt": _iso(sale.created_at),
    }


def customer_export(*, user) -> dict[str, Any]:
    """Everything held about ``user``: account, Dr Green client mirror, orders (lines and
    status history), placements, sales, registrations, notifications."""
    clients = list(
        Client.objects.filter(user=user)
        .prefetch_related(
            Prefetch("shipping_addresses", queryset=ShippingAddress.objects.order_by("position", "pk"))
        )
        .order_by("pk")
    )
    client_pks = [c.pk for c in clients]
    orders = (
        Order.objects.filter(client_id__in=client_pks)
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position", "pk")),
            Prefetch("status_changes", queryset=StatusChange.objects.order_by("sequence")),
        )
        .order_by("created_at", "pk")
    )
    notes = (
        Notification.objects.filter(status_change__order__client_id__in=client_pks)
        .select_related("status_change__order")
        .order_by("created_at", "pk")
    )
    return {
        "version": EXPORT_VERSION,
        "generatedAt": timezone.now().isoformat(),
        "account": {
            "id": user.pk,
            "username": user.get_username(),
            "email": getattr(user, "email", ""),
            "firstName": getattr(user, "first_name", ""),
            "lastName": getattr(user, "last_name", ""),
            "dateJoined": _iso(getattr(user, "date_joined", None)),
            "lastLogin": _iso(getattr(user, "last_login", None)),
        },
        "clients": [_client(c) for c in clients],
        "orders": [_order(o) for o in orders],
        "placements": [
            _placement(p)
            for p in OrderPlacement.objects.filter(client_id__in=client_pks).order_by("created_at")
        ],
        "sales": [
            _sale(s) for s in Sale.objects.filter(client_id__in=client_pks).order_by("created_at", "pk")
        ],
        "registrations": [
            _registration(r)
            for r in ClientRegistration.objects.filter(user=user).order_by("created_at", "pk")
        ],
        "notifications": [_notification(n) for n in notes],
    }
