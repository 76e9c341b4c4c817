"""How often an order (and a pending client) is polled: the one place the cadence lives.

The lifecycle guide's tiers (facts §7.3), adapted to the real values: ``PAID`` (and the
docs' ``COMPLETED``) mean paid; ``DELIVERED`` or ``adminApproval=REJECTED`` end polling.
Each row gets ±10% jitter so rows adopted together do not stay in lockstep.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from integration.models import PAID_PAYMENT_STATUSES, Client, Order

TIER_REVIEW = "review"  # not yet VERIFIED by Dr Green's admin
TIER_PAYMENT = "payment"  # VERIFIED, waiting for the customer to pay
TIER_FULFILMENT = "fulfilment"  # paid, not shipped
TIER_DELIVERY = "delivery"  # shipped, not delivered
TIER_TERMINAL = "terminal"  # delivered, cancelled or rejected: never polled again

TIER_INTERVALS: dict[str, timedelta] = {
    TIER_REVIEW: timedelta(minutes=5),
    TIER_PAYMENT: timedelta(minutes=5),
    TIER_FULFILMENT: timedelta(minutes=30),
    TIER_DELIVERY: timedelta(minutes=60),
}
JITTER = 0.10
KYC_POLL_INTERVAL = timedelta(minutes=5)

_rng = random.Random()


def _jittered(interval: timedelta, rng: random.Random | None) -> timedelta:
    return interval * (rng or _rng).uniform(1 - JITTER, 1 + JITTER)


def order_poll_tier(order: Order) -> str:
    if order.is_terminal:
        return TIER_TERMINAL
    if order.order_status == "SHIPPED":
        return TIER_DELIVERY
    # Unknown approval (an order only seen via /recent or detail) polls like "in review":
    # the next list sweep learns the real value.
    if order.admin_approval != "VERIFIED":
        return TIER_REVIEW
    if order.payment_status not in PAID_PAYMENT_STATUSES:
        return TIER_PAYMENT
    return TIER_FULFILMENT


def order_next_poll_at(order: Order, *, now: datetime, rng: random.Random | None = None) -> datetime | None:
    """When the order is due again, from ``now``; ``None`` for a terminal order."""
    interval = TIER_INTERVALS.get(order_poll_tier(order))
    if interval is None:
        return None
    return now + _jittered(interval, rng)


def client_kyc_settled(client: Client) -> bool:
    """Nothing left to wait for: rejected, or approved with KYC passed."""
    if client.admin_approval == "REJECTED":
        return True
    return client.admin_approval == "VERIFIED" and client.is_kyc_verified is True


def client_next_kyc_poll_at(
    client: Client, *, now: datetime, rng: random.Random | None = None
) -> datetime | None:
    """KYC/approval polling, no faster than every 5 min (docs); ``None`` once settled."""
    if client_kyc_settled(client):
        return None
    return now + _jittered(KYC_POLL_INTERVAL, rng)
