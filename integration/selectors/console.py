"""Reads the console needs beyond one model's changelist: what needs staff, and the
dashboard's figures. Each function runs a fixed number of queries, whatever the data size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate, TruncHour

from integration.models import (
    PAID_PAYMENT_STATUSES,
    ApiCall,
    BreakerState,
    Client,
    Order,
    OrderPlacement,
    PlacementState,
    StatusChange,
    Strain,
    SyncRun,
    WebhookEndpoint,
)
from integration.services.mirror.tiers import TIER_DELIVERY, TIER_FULFILMENT, TIER_PAYMENT, TIER_REVIEW

# --- what needs staff ------------------------------------------------------------------------

STAFF_PLACEMENT_STATES = (PlacementState.UNKNOWN, PlacementState.NEEDS_STAFF)

# How long an order may sit in one stage before staff should chase Dr Green. Dr Green's own
# guide says review takes "hours to days"; the rest are the store's expectations. Measured
# from the last detected status change (or, with none, when the order was created).
WAIT_LIMITS: dict[str, timedelta] = {
    TIER_REVIEW: timedelta(hours=48),
    TIER_PAYMENT: timedelta(days=3),
    TIER_FULFILMENT: timedelta(days=5),
    TIER_DELIVERY: timedelta(days=10),
}
STAGE_LABELS = {
    TIER_REVIEW: "awaiting Dr Green's review",
    TIER_PAYMENT: "approved, awaiting payment",
    TIER_FULFILMENT: "paid, awaiting dispatch",
    TIER_DELIVERY: "shipped, awaiting delivery",
}


def _stage_q(stage: str) -> Q:
    """The SQL twin of ``services.mirror.tiers.order_poll_tier`` for non-terminal orders."""
    shipped = Q(order_status="SHIPPED")
    verified = Q(admin_approval="VERIFIED")
    paid = Q(payment_status__in=PAID_PAYMENT_STATUSES)
    return {
        TIER_DELIVERY: shipped,
        TIER_REVIEW: ~shipped & ~verified,
        TIER_PAYMENT: ~shipped & verified & ~paid,
        TIER_FULFILMENT: ~shipped & verified & paid,
    }[stage]


def order_stage(order: Order) -> str:
    """Which waiting stage a non-terminal order is in (same rules as ``_stage_q``)."""
    if order.order_status == "SHIPPED":
        return TIER_DELIVERY
    if order.admin_approval != "VERIFIED":
        return TIER_REVIEW
    return TIER_FULFILMENT if order.payment_status in PAID_PAYMENT_STATUSES else TIER_PAYMENT


def orders_waiting_long(*, now: datetime) -> QuerySet[Order]:
    """Active, present orders that have sat in their stage longer than ``WAIT_LIMITS``,
    oldest first, annotated with ``waiting_since``."""
    last_change = Subquery(
        StatusChange.objects.filter(order=OuterRef("pk")).order_by("-sequence").values("detected_at")[:1]
    )
    late = Q()
    for stage, limit in WAIT_LIMITS.items():
        late |= _stage_q(stage) & Q(waiting_since__lt=now - limit)
    return (
        Order.objects.active()
        .filter(remote_missing_since__isnull=True)
        .annotate(waiting_since=Coalesce(last_change, "created_at", "first_seen_at"))
        .filter(late)
        .select_related("client")
        .order_by("waiting_since", "pk")
    )


def placements_needing_staff() -> QuerySet[OrderPlacement]:
    return (
        OrderPlacement.objects.filter(state__in=STAFF_PLACEMENT_STATES)
        .select_related("client")
        .order_by("created_at", "pk")
    )


@dataclass
class Attention:
    placements: list[OrderPlacement]
    placements_total: int
    orders: list[Order]
    orders_total: int
    breakers_open: list[BreakerState]

    @property
    def any(self) -> bool:
        return bool(self.placements_total or self.orders_total or self.breakers_open)


def attention(*, now: datetime, limit: int = 10, placements: bool = True, orders: bool = True) -> Attention:
    """The admin index's "needs staff" panel (5 queries at most)."""
    p_qs = placements_needing_staff()
    o_qs = orders_waiting_long(now=now)
    p_rows = list(p_qs[:limit]) if placements else []
    o_rows = list(o_qs[:limit]) if orders else []
    for order in o_rows:
        order.stage_label = STAGE_LABELS[order_stage(order)]
    for placement in p_rows:
        # ``state`` has no model choices (free string), so no get_state_display().
        placement.state_label = PlacementState(placement.state).label
    return Attention(
        placements=p_rows,
        # Only count when the first page is full: saves a query in the common case.
        placements_total=(p_qs.count() if len(p_rows) == limit else len(p_rows)),
        orders=o_rows,
        orders_total=(o_qs.count() if len(o_rows) == limit else len(o_rows)),
        breakers_open=list(BreakerState.objects.exclude(state="closed").order_by("name")),
    )


# --- dashboard -----------------------------------------------------------------------------


def _counts(qs: QuerySet, field: str) -> dict[str, int]:
    return {row[field]: row["n"] for row in qs.values(field).annotate(n=Count("pk")).order_by(field)}


def mirror_order_counts() -> dict[str, dict[str, int]]:
    """Per status field, value → count of orders still present at Dr Green (blank = unknown)."""
    qs = Order.objects.filter(remote_missing_since__isnull=True)
    return {field: _counts(qs, field) for field in ("admin_approval", "order_status", "payment_status")}


def mirror_client_counts() -> dict[str, int]:
    return _counts(Client.objects.filter(remote_missing_since__isnull=True), "admin_approval")


def mirror_totals() -> dict[str, int]:
    return {
        "orders": Order.objects.filter(remote_missing_since__isnull=True).count(),
        "clients": Client.objects.filter(remote_missing_since__isnull=True).count(),
        "strains": Strain.objects.filter(remote_missing_since__isnull=True).count(),
    }


@dataclass
class ComparisonRow:
    label: str
    mirror: int | None
    drgreen: Any
    note: str = ""
    local_only: bool = False  # a mirror-only figure Dr Green has no counterpart for

    @property
    def mismatch(self) -> bool:
        return self.drgreen is not None and self.mirror is not None and self.drgreen != self.mirror


def _num(value: Any) -> Any:
    # Dr Green sends ints; anything else is shown as given (and compared as unequal).
    return value if isinstance(value, int) and not isinstance(value, bool) else value


def compare_with_drgreen(figures: dict[str, Any] | None) -> dict[str, list[ComparisonRow]]:
    """Mirror counts beside Dr Green's summaries. ``figures`` is the snapshot's
    ``{"orders": …, "clients": …, "dashboard": …}``; a missing part shows as "not fetched"."""
    figures = figures or {}
    orders = mirror_order_counts()["admin_approval"]
    clients = mirror_client_counts()
    totals = mirror_totals()

    def summary(name: str) -> dict[str, Any] | None:
        part = figures.get(name)
        if not isinstance(part, dict):
            return None
        inner = part.get("summary")
        return inner if isinstance(inner, dict) else None

    def by_approval(mirror: dict[str, int], remote: dict[str, Any] | None, total: int) -> list[ComparisonRow]:
        keys = ["PENDING", "VERIFIED", "REJECTED"]
        keys += sorted(k for k in (remote or {}) if k not in keys and k != "totalCount")
        keys += sorted(k for k in mirror if k and k not in keys)
        rows = [
            ComparisonRow(f"adminApproval = {k}", mirror.get(k, 0), _num(remote.get(k)) if remote else None)
            for k in keys
        ]
        if mirror.get(""):
            rows.append(
                ComparisonRow(
                    "adminApproval not known yet", mirror[""], None, "seen only in payloads without it"
                )
            )
        rows.append(ComparisonRow("total", total, _num(remote.get("totalCount")) if remote else None))
        return rows

    dashboard = figures.get("dashboard") if isinstance(figures.get("dashboard"), dict) else None
    return {
        "orders": by_approval(orders, summary("orders"), totals["orders"]),
        "clients": by_approval(clients, summary("clients"), totals["clients"]),
        "dashboard": [
            ComparisonRow(
                "clientCount", totals["clients"], _num(dashboard.get("clientCount")) if dashboard else None
            ),
            ComparisonRow(
                "orderCount", totals["orders"], _num(dashboard.get("orderCount")) if dashboard else None
            ),
            ComparisonRow(
                "productCount",
                totals["strains"],
                _num(dashboard.get("productCount")) if dashboard else None,
                "Dr Green counts every strain; the mirror holds the ones the dapp list returns",
            ),
        ],
    }


def revenue_table(*, limit: int = 20) -> list[dict[str, Any]]:
    """Revenue per strain for the dashboard (USD), from the shared staff selector: every
    paid order beside the paid-and-delivered subset that Dr Green's own ``/dapp/revenue``
    counts (facts §6.4). Two GROUP BY queries."""
    from integration.selectors.staff import revenue_per_strain

    paid = list(revenue_per_strain(basis="paid")[:limit])
    ids = [row["strain_drgreen_id"] for row in paid]
    delivered = {
        row["strain_drgreen_id"]: row["total_revenue"]
        for row in revenue_per_strain(basis="delivered").filter(strain_drgreen_id__in=[i for i in ids if i])
    }
    return [
        {
            "strain_name": row["name"],
            "strain_drgreen_id": row["strain_drgreen_id"],
            "orders": row["orders"],
            "grams": row["total_quantity"],
            "paid": row["total_revenue"],
            "delivered": delivered.get(row["strain_drgreen_id"], 0),
        }
        for row in paid
    ]


def orders_per_day(*, today: date, days: int = 30) -> list[tuple[date, int]]:
    """Orders created per day (Dr Green's ``createdAt``, else when we first saw them), the
    last ``days`` days including today, with empty days filled in as 0."""
    start = today - timedelta(days=days - 1)
    when = Coalesce("created_at", "first_seen_at")
    counts = {
        row["day"]: row["n"]
        for row in Order.objects.annotate(day=TruncDate(when))
        .filter(day__gte=start, day__lte=today)
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    }
    return [(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)]


# ApiCall rows that say "Dr Green is unwell": no response at all, 5xx, or rate-limited.
UPSTREAM_ERROR_Q = Q(status__isnull=True) | Q(status__gte=500) | Q(status=429)


@dataclass
class SyncHealth:
    last_runs: list[SyncRun]
    breakers: list[BreakerState]
    calls_per_hour: list[tuple[datetime, int, int]]  # (hour, calls, upstream errors)
    calls_last_hour: int
    errors_last_hour: int
    calls_24h: int
    errors_24h: int

    @property
    def error_rate_last_hour(self) -> float | None:
        return self.errors_last_hour / self.calls_last_hour if self.calls_last_hour else None

    @property
    def error_rate_24h(self) -> float | None:
        return self.errors_24h / self.calls_24h if self.calls_24h else None


def sync_health_figures(*, now: datetime) -> SyncHealth:
    """The latest run of each kind, the breakers and the call ledger's last 24 hours."""
    # Two queries whatever the log size: the newest start per kind (index kind, -started_at),
    # then those rows; a tie on the same instant keeps the highest pk.
    newest = {
        row["kind"]: row["last"] for row in SyncRun.objects.values("kind").annotate(last=Max("started_at"))
    }
    match = Q(pk__in=[])
    for kind, started in newest.items():
        match |= Q(kind=kind, started_at=started)
    by_kind: dict[str, SyncRun] = {}
    for run in SyncRun.objects.filter(match).order_by("kind", "pk") if newest else []:
        by_kind[run.kind] = run
    last_runs = [by_kind[k] for k in sorted(by_kind)]

    start = (now - timedelta(hours=23)).replace(minute=0, second=0, microsecond=0)
    per_hour = {
        row["hour"]: (row["n"], row["errors"])
        for row in ApiCall.objects.filter(created_at__gte=start)
        .annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(n=Count("pk"), errors=Count("pk", filter=UPSTREAM_ERROR_Q))
        .order_by("hour")
    }
    hours = [start + timedelta(hours=i) for i in range(24)]
    series = [(h, *per_hour.get(h, (0, 0))) for h in hours]
    last_hour = ApiCall.objects.filter(created_at__gte=now - timedelta(hours=1)).aggregate(
        n=Count("pk"), errors=Count("pk", filter=UPSTREAM_ERROR_Q)
    )
    return SyncHealth(
        last_runs=last_runs,
        breakers=list(BreakerState.objects.order_by("name")),
        calls_per_hour=series,
        calls_last_hour=last_hour["n"],
        errors_last_hour=last_hour["errors"],
        calls_24h=sum(s[1] for s in series),
        errors_24h=sum(s[2] for s in series),
    )


def webhook_endpoints_flagged() -> list[WebhookEndpoint]:
    """Webhook endpoints that are disabled (410, failing for days, by staff) or failing now."""
    return list(
        WebhookEndpoint.objects.filter(Q(is_active=False) | Q(failing_since__isnull=False)).order_by("pk")[
            :50
        ]
    )
