"""Staff figures over the mirror: the sales pipeline, revenue per strain, status counts.

All of it is computed from the mirror in a handful of GROUP BY queries; nothing here calls
Dr Green (its own summary endpoints disagree with themselves, facts §6.3, §6.4).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from integration.models import (
    PAID_PAYMENT_STATUSES,
    Order,
    OrderLine,
    OrderPlacement,
    Sale,
)

# One definition of won and lost (CLOSED with or without an order), shared with the
# storefront's views in services/sales.py.
from integration.services.sales import CLOSED, LOST, WON

SALE_OUTCOMES = ("won", "lost", "open")
REVENUE_BASES = ("delivered", "paid")


def sales_pipeline(*, stage: str = "", outcome: str = "") -> QuerySet[Sale]:
    """Sales with their client, optionally by stage and outcome: ``won`` (CLOSED with an
    order), ``lost`` (CLOSED without one), ``open`` (not CLOSED)."""
    qs = Sale.objects.select_related("client")
    if stage:
        qs = qs.filter(stage=stage)
    if outcome == "won":
        qs = qs.filter(WON)
    elif outcome == "lost":
        qs = qs.filter(LOST)
    elif outcome == "open":
        qs = qs.exclude(stage=CLOSED)
    return qs


def sales_summary() -> dict:
    """Counts per stage plus won/lost, in one query."""
    rows = Sale.objects.values("stage").annotate(n=Count("pk"), won=Count("pk", filter=WON))
    by_stage: dict[str, int] = {}
    won = lost = 0
    for row in rows:
        by_stage[row["stage"] or ""] = row["n"]
        if row["stage"] == CLOSED:
            won, lost = row["won"], row["n"] - row["won"]
    return {"byStage": by_stage, "won": won, "lost": lost, "total": sum(by_stage.values())}


def revenue_per_strain(
    *, basis: str = "delivered", start: date | None = None, end: date | None = None
) -> QuerySet:
    """USD revenue per strain from mirrored order lines. ``delivered`` counts orders paid and
    delivered (Dr Green's own revenue rule, facts §6.4); ``paid`` counts every paid order.
    ``start``/``end`` bound the order's creation date (inclusive)."""
    orders = Q(order__payment_status__in=PAID_PAYMENT_STATUSES)
    if basis == "delivered":
        orders &= Q(order__order_status="DELIVERED")
    if start is not None:
        orders &= Q(order__created_at__date__gte=start)
    if end is not None:
        orders &= Q(order__created_at__date__lte=end)
    money = DecimalField(max_digits=20, decimal_places=2)
    amount = Coalesce(
        F("line_amount"),
        ExpressionWrapper(F("unit_retail_price") * F("quantity"), output_field=money),
        Decimal("0"),
        output_field=money,
    )
    return (
        OrderLine.objects.filter(orders)
        .values("strain_drgreen_id")
        .annotate(
            name=Max("strain_name"),
            total_quantity=Coalesce(Sum("quantity"), Decimal("0")),
            total_revenue=Coalesce(Sum(amount, output_field=money), Decimal("0"), output_field=money),
            orders=Count("order", distinct=True),
        )
        .order_by("-total_revenue", "strain_drgreen_id")
    )


def order_status_counts() -> dict:
    """How many mirrored orders hold each value of each status field, plus checkout
    placements by state (four GROUP BY queries)."""

    def counts(qs, field: str) -> dict[str, int]:
        return {
            row[field] or "": row["n"] for row in qs.values(field).annotate(n=Count("pk")).order_by(field)
        }

    return {
        "total": Order.objects.count(),
        "orderStatus": counts(Order.objects.all(), "order_status"),
        "adminApproval": counts(Order.objects.all(), "admin_approval"),
        "paymentStatus": counts(Order.objects.all(), "payment_status"),
        "placements": counts(OrderPlacement.objects.all(), "state"),
    }
