"""One small function per kind of fact: what its event says, and its unique key.

Each is called by the code that records the fact, inside its transaction (see
``outbox.events_record``). Events carry ids and statuses, never personal data: a receiver
fetches details from the storefront API with its own token.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from integration.models import Client, Order, OrderPlacement, StatusChange
from integration.selectors.orders import order_display_status

from .outbox import Fact, events_record

ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"
PLACEMENT_PLACED = "placement.placed"
PLACEMENT_REJECTED = "placement.rejected"
PLACEMENT_NEEDS_STAFF = "placement.needs_staff"
CLIENT_STATUS_CHANGED = "client.status_changed"
WEBHOOK_TEST = "webhook.test"
EVENT_TYPES = (
    ORDER_CREATED,
    ORDER_STATUS_CHANGED,
    PLACEMENT_PLACED,
    PLACEMENT_REJECTED,
    PLACEMENT_NEEDS_STAFF,
    CLIENT_STATUS_CHANGED,
    WEBHOOK_TEST,
)

# Our field names → the vendor's, as the events say them.
_WIRE = {
    "order_status": "orderStatus",
    "admin_approval": "adminApproval",
    "payment_status": "paymentStatus",
    "is_kyc_verified": "isKYCVerified",
    "is_active": "isActive",
}


def _str(value) -> str | None:
    return str(value) if value not in (None, "") else None


def _order_statuses(order_status: str, admin_approval: str, payment_status: str) -> dict[str, Any]:
    return {
        "orderStatus": order_status or None,
        "adminApproval": admin_approval or None,
        "paymentStatus": payment_status or None,
        "displayStatus": order_display_status(order_status, admin_approval, payment_status).code,
    }


def order_created_fact(order: Order, *, correlation_id: uuid.UUID | str | None = None) -> Fact:
    return Fact(
        type=ORDER_CREATED,
        key=f"{ORDER_CREATED}:{order.drgreen_id}",
        occurred_at=order.first_seen_at,
        order_drgreen_id=order.drgreen_id,
        client_pk=order.client_id,
        order_pk=order.pk,
        data={
            "orderId": str(order.drgreen_id),
            "invoiceNumber": order.invoice_number or None,
            **_order_statuses(order.order_status, order.admin_approval, order.payment_status),
            "origin": order.origin or None,
            "correlationId": _str(correlation_id),
            "customerId": None,
        },
    )


def orders_created(orders: Iterable[Order], *, correlation_id: uuid.UUID | str | None = None) -> None:
    """``order.created`` for orders a sync path just brought into the mirror (adopted, or
    ours mirrored by the general path), in the caller's transaction. ``correlation_id``:
    the checkout's that created them, if any."""
    events_record([order_created_fact(o, correlation_id=correlation_id) for o in orders])


def order_status_changes(changes: list[StatusChange], *, orders: dict[int, Order]) -> None:
    """``order.status_changed``, one per recorded ``StatusChange``, in its transaction.
    ``orders``: the changed orders by pk, as the page now holds them."""
    facts = []
    for change in changes:
        order = orders[change.order_id]
        facts.append(
            Fact(
                type=ORDER_STATUS_CHANGED,
                key=f"{ORDER_STATUS_CHANGED}:{order.drgreen_id}:{change.sequence}",
                occurred_at=change.detected_at,
                order_drgreen_id=order.drgreen_id,
                client_pk=order.client_id,
                order_pk=order.pk,
                data={
                    "orderId": str(order.drgreen_id),
                    "invoiceNumber": order.invoice_number or None,
                    "sequence": change.sequence,
                    **_order_statuses(change.order_status, change.admin_approval, change.payment_status),
                    "changed": [
                        {
                            "field": _WIRE.get(c["field"], c["field"]),
                            "before": c["before"],
                            "after": c["after"],
                        }
                        for c in change.fields_changed
                    ],
                    "correlationId": None,
                    "customerId": None,
                },
            )
        )
    events_record(facts)


def placement_fact(placement: OrderPlacement, *, type: str, at: datetime) -> Fact:
    # needs_staff may come back after staff resolved it: each time is its own fact.
    suffix = f":{placement.attempt_count}" if type == PLACEMENT_NEEDS_STAFF else ""
    data: dict[str, Any] = {
        "correlationId": str(placement.correlation_id),
        "state": str(placement.state),
        "orderId": _str(placement.order_drgreen_id),
        "customerId": None,
    }
    if type != PLACEMENT_PLACED:
        data.update(code=placement.rejection_code or None, message=placement.rejection_message or None)
    return Fact(
        type=type,
        key=f"{type}:{placement.correlation_id}{suffix}",
        occurred_at=at,
        order_drgreen_id=placement.order_drgreen_id,
        client_pk=placement.client_id,
        data=data,
    )


PLACEMENT_EVENTS = {
    "placed": PLACEMENT_PLACED,
    "rejected": PLACEMENT_REJECTED,
    "needs_staff": PLACEMENT_NEEDS_STAFF,
}


def placement_moved(placement: OrderPlacement, *, at: datetime) -> None:
    """The event of a placement that just became ``placed``, ``rejected`` or
    ``needs_staff`` (other states announce nothing), in the caller's transaction."""
    type = PLACEMENT_EVENTS.get(str(placement.state))
    if type is not None:
        events_record([placement_fact(placement, type=type, at=at)])


CLIENT_STATUS_FIELDS = ("admin_approval", "is_kyc_verified", "is_active")


def _wire_value(value):
    return None if value == "" else value


def client_status_fact(client: Client, *, before: dict[str, Any], version: str, at: datetime) -> Fact | None:
    """``client.status_changed`` when a known KYC/approval/active value became a different
    known one (a first value is a fill-in, as for orders). ``version`` names the row as it
    was read (two workers that read the same row and saw the same change make one fact;
    the same change again later is another one)."""
    changed = [
        {
            "field": _WIRE[name],
            "before": _wire_value(before[name]),
            "after": _wire_value(getattr(client, name)),
        }
        for name in CLIENT_STATUS_FIELDS
        if before[name] not in (None, "")
        and getattr(client, name) not in (None, "")
        and before[name] != getattr(client, name)
    ]
    if not changed:
        return None
    after = "|".join(str(getattr(client, n)) for n in CLIENT_STATUS_FIELDS)
    return Fact(
        type=CLIENT_STATUS_CHANGED,
        key=f"{CLIENT_STATUS_CHANGED}:{client.drgreen_id}:{version}:{after}"[:200],
        occurred_at=at,
        data={
            "clientId": str(client.drgreen_id),
            "customerId": client.user_id,
            "adminApproval": client.admin_approval or None,
            "isKYCVerified": client.is_kyc_verified,
            "isActive": client.is_active,
            "changed": changed,
        },
    )


def clients_status_changed(facts: list[Fact | None]) -> None:
    events_record([f for f in facts if f is not None])


def webhook_test_fact(*, at: datetime) -> Fact:
    return Fact(
        type=WEBHOOK_TEST,
        key=f"{WEBHOOK_TEST}:{uuid.uuid4().hex}",
        occurred_at=at,
        data={"message": "A test event from drgreen-store."},
    )
