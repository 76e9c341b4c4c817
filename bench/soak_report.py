"""What the soak measured, read back from the mirror, the ledger, the mail folder and the
sandbox at the end of the run (see ``bench.soak``)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Action:
    """One thing Dr Green did to an order (on the sandbox's control plane), at a sim time."""

    order_id: str
    field: str  # admin_approval | payment_status | order_status
    value: str
    at: datetime


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def detection_latencies(actions: list[Action], order_ids: set[str]) -> tuple[list[float], int]:
    """Seconds (simulated) from each Dr Green change to the first recorded ``StatusChange``
    of that order showing it; and how many changes were never seen."""
    from integration.models import StatusChange

    changes: dict[str, list] = {}
    rows = StatusChange.objects.filter(order__drgreen_id__in=order_ids).values_list(
        "order__drgreen_id", "detected_at", "admin_approval", "payment_status", "order_status"
    )
    for order_id, detected_at, approval, payment, status in rows.iterator(chunk_size=2000):
        changes.setdefault(str(order_id), []).append(
            (detected_at, {"admin_approval": approval, "payment_status": payment, "order_status": status})
        )
    for lst in changes.values():
        lst.sort(key=lambda c: c[0])
    latencies, missed = [], 0
    for action in actions:
        history = changes.get(action.order_id, [])
        seen = next((at for at, f in history if at >= action.at and f[action.field] == action.value), None)
        if seen is None:
            missed += 1
        else:
            latencies.append((seen - action.at).total_seconds())
    return latencies, missed


def duplicate_counts(*, order_ids: set[str], sandbox_orders: int, placed_orders: int, mail_dir: Path) -> dict:
    from django.db.models import Count

    from integration.models import Notification, StatusChange

    # The same transition recorded twice for one order.
    dup_changes = (
        StatusChange.objects.filter(order__drgreen_id__in=order_ids)
        .values("order_id", "fingerprint_before", "fingerprint_after")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    sent = Notification.objects.filter(status_change__order__drgreen_id__in=order_ids, state="sent").count()
    emails = count_emails(mail_dir)
    return {
        "duplicate_orders": max(0, sandbox_orders - placed_orders),
        "duplicate_changes": dup_changes,
        "duplicate_emails": max(0, emails - sent),
        "emails": emails,
    }


def count_emails(mail_dir: Path) -> int:
    """Messages written by the file email backend (several may share one file)."""
    total = 0
    if mail_dir.exists():
        for name in os.listdir(mail_dir):
            with open(mail_dir / name, encoding="utf-8", errors="replace") as fh:
                total += sum(1 for line in fh if line.startswith("Message-ID:"))
    return total


def notification_counts(order_ids: set[str]) -> dict:
    from integration.models import Notification, StatusChange

    states = Counter(
        Notification.objects.filter(status_change__order__drgreen_id__in=order_ids).values_list(
            "state", flat=True
        )
    )
    return {
        "transitions": StatusChange.objects.filter(order__drgreen_id__in=order_ids).count(),
        "notifications": states.get("sent", 0),
        "notification_states": dict(states),
    }


def calls_per_hour(*, since: datetime, until: datetime) -> tuple[int, float]:
    from integration.models import ApiCall

    calls = ApiCall.objects.filter(created_at__gte=since, created_at__lte=until).count()
    hours = max(1e-9, (until - since).total_seconds() / 3600)
    return calls, calls / hours


def rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes (Linux /proc), in MiB."""
    total_kb = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
        except OSError:
            continue
    return round(total_kb / 1024, 1)
