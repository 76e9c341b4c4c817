"""The customer's orders (and placements) from the mirror, plus the one display status."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet
from django.db.models.functions import Coalesce

from integration.db import reads
from integration.models import PAID_PAYMENT_STATUSES, Order, OrderLine, OrderPlacement, StatusChange


@dataclass(frozen=True)
class DisplayStatus:
    code: str
    label: str


# One status a customer can read, from the three Dr Green keeps apart (order-lifecycle.md,
# "Reading the order through this lifecycle"), checked from the most final outward so that
# e.g. a delivered order never reads "awaiting payment" because the payment flag lagged.
DISPLAY_STATUSES: dict[str, str] = {
    "rejected": "Your order could not be approved.",
    "cancelled": "Order cancelled.",
    "delivered": "Delivered.",
    "shipped": "Dispatched.",
    "processing": "Being prepared for dispatch.",
    "paid": "Payment confirmed. Your order will ship shortly.",
    "payment_failed": "Payment failed. You can retry through the link Dr Green sent.",
    "awaiting_payment": "Approved. Please complete payment via the link sent by Dr Green.",
    "in_review": "Order received, awaiting review by Dr Green.",
    "unknown": "Status not known yet.",
}


def order_display_status(order_status: str, admin_approval: str, payment_status: str) -> DisplayStatus:
    def pick(code: str) -> DisplayStatus:
        return DisplayStatus(code, DISPLAY_STATUSES[code])

    if admin_approval == "REJECTED":
        return pick("rejected")
    if order_status in ("CANCELLED", "CANCELED"):
        return pick("cancelled")
    if order_status == "DELIVERED":
        return pick("delivered")
    if order_status == "SHIPPED":
        return pick("shipped")
    if order_status == "PROCESSING":
        return pick("processing")
    if payment_status in PAID_PAYMENT_STATUSES:
        return pick("paid")
    if payment_status == "FAILED":
        return pick("payment_failed")
    if admin_approval == "VERIFIED":
        return pick("awaiting_payment")
    if admin_approval == "PENDING" or order_status == "PENDING":
        return pick("in_review")
    return pick("unknown")


def _with_sort_key(qs: QuerySet[Order]) -> QuerySet[Order]:
    # Dr Green's createdAt when we have it, else when we first saw the order: a non-null
    # sort key the keyset pagination can compare.
    return qs.annotate(sort_at=Coalesce(F("created_at"), F("first_seen_at")))


def customer_orders(*, user, with_lines: bool = True) -> QuerySet[Order]:
    """Every order of every Dr Green client linked to ``user``; constant queries per page
    (the order + client + placement join, and one query for all the lines)."""
    qs = Order.objects.filter(client__user=user).select_related("placement")
    if with_lines:
        qs = qs.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("position")))
    return _with_sort_key(qs)


def customer_order(*, user, drgreen_id) -> Order | None:
    """One order of ``user`` with lines and history (three queries), or ``None``: another
    customer's order is indistinguishable from a missing one."""
    return (
        customer_orders(user=user)
        .prefetch_related(Prefetch("status_changes", queryset=StatusChange.objects.order_by("sequence")))
        .filter(drgreen_id=drgreen_id)
        .first()
    )


def customer_order_status(*, user, drgreen_id) -> Order | None:
    """Just the status fields of one order: the read a storefront polls, so it is one fixed
    SQL statement (``integration/db/reads.py``)."""
    return reads.order_status_of_customer(drgreen_id, user.pk)


def staff_order(*, drgreen_id) -> Order | None:
    return (
        _with_sort_key(Order.objects.select_related("placement", "client"))
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position")),
            Prefetch("status_changes", queryset=StatusChange.objects.order_by("sequence")),
        )
        .filter(drgreen_id=drgreen_id)
        .first()
    )


def customer_placement(*, user, correlation_id) -> OrderPlacement | None:
    return (
        OrderPlacement.objects.filter(client__user=user, correlation_id=correlation_id)
        .select_related("order", "client")
        .first()
    )
