"""Mirror rows for notification tests, built directly (synthetic people only)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from integration.models import Client, Order, StatusChange
from integration.services.mirror import fingerprint

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_invoices = itertools.count(1)

UNSET = object()


def make_client(**fields) -> Client:
    values = {"first_name": "Ana", "last_name": "Test", "email": "ana.test@example.com"}
    values.update(fields)
    return Client.objects.create(drgreen_id=uuid.uuid4(), **values)


def make_order(*, client=UNSET, **fields) -> Order:
    values = {
        "order_status": "PENDING",
        "admin_approval": "PENDING",
        "payment_status": "PENDING",
        "invoice_number": f"INVTEST{next(_invoices):06d}",
        # USD 63.17 for accounting; the customer pays ZAR 1,165.00.
        "total_amount": Decimal("63.17"),
        "local_currency": "ZAR",
        "local_total": Decimal("1165.00"),
    }
    values.update(fields)
    return Order.objects.create(
        drgreen_id=uuid.uuid4(), client=make_client() if client is UNSET else client, **values
    )


def make_change(order: Order, *changes: tuple[str, str, str], detected_at=None) -> StatusChange:
    """Record ``changes`` ((field, before, after), ...) on ``order`` as one StatusChange."""
    before = {f: getattr(order, f) for f in ("order_status", "admin_approval", "payment_status")}
    after = dict(before)
    for field, old, new in changes:
        before[field] = old
        after[field] = new
    order.status_sequence += 1
    for field, value in after.items():
        setattr(order, field, value)
    order.status_fingerprint = fingerprint(after)
    order.save()
    return StatusChange.objects.create(
        order=order,
        sequence=order.status_sequence,
        fingerprint_before=fingerprint(before),
        fingerprint_after=fingerprint(after),
        fields_changed=[{"field": f, "before": b, "after": a} for f, b, a in changes],
        source="test",
        observed_at=detected_at or T0,
        detected_at=detected_at or T0,
        **after,
    )
