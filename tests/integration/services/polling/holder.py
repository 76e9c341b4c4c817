"""Helpers for polling tests: a mirrored sandbox holder and a clock that moves forward.

Everything goes over real HTTP to the sandbox; the services get an explicit ``now`` so a
test can step through minutes of polling in milliseconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from integration.models import Order, StatusChange
from integration.services.polling.reconcile import mirror_reconcile


class Clock:
    """Simulated time for the services (the sandbox clock moves along with it)."""

    def __init__(self, holder, start: datetime | None = None) -> None:
        self.holder = holder
        self.now = start or timezone.now()

    def advance(self, *, minutes: float = 0, seconds: float = 0) -> datetime:
        delta = timedelta(minutes=minutes, seconds=seconds)
        self.now += delta
        self.holder.sandbox.advance_clock(delta.total_seconds())
        return self.now


def mirror(holder, *, clients: int = 10, orders: int = 40, strains: int = 3, now: datetime | None = None):
    """Seed the holder and reconcile it into the mirror; returns the seed result."""
    seeded = holder.seed(strains=strains, clients=clients, orders=orders)
    outcome = mirror_reconcile(now=now)
    assert outcome.state == "succeeded", outcome.as_dict()
    return seeded


def order(drgreen_id) -> Order:
    return Order.objects.get(drgreen_id=drgreen_id)


def changes_of(drgreen_id) -> list[StatusChange]:
    return list(StatusChange.objects.filter(order__drgreen_id=drgreen_id).order_by("sequence"))


def pick(*, order_status="PENDING", admin_approval="PENDING", payment_status="PENDING", n=1) -> list[Order]:
    found = list(
        Order.objects.filter(
            order_status=order_status, admin_approval=admin_approval, payment_status=payment_status
        ).order_by("pk")[:n]
    )
    assert len(found) == n, f"seed has fewer than {n} {order_status}/{admin_approval}/{payment_status} orders"
    return found
