"""Helpers shared by the route modules: response fragments, filters, charts."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.routing import Ctx
from sandbox.store import iso, parse_iso

S3_PREFIX = "https://prod-profiles-backend.s3.amazonaws.com/"
DELIVERY_CHARGE = 6


def b(v: Any) -> bool:
    return bool(v)


def nft(ctx_or_row: Any) -> dict[str, Any]:
    row = ctx_or_row.holder if isinstance(ctx_or_row, Ctx) else ctx_or_row
    return {"tokenId": row["token_id"], "ownerId": row["owner_id"]}


def nft_by_id(ctx: Ctx, nft_id: str) -> dict[str, Any] | None:
    row = ctx.store.one("SELECT token_id, owner_id FROM holders WHERE nft_id = ?", (nft_id,))
    return None if row is None else nft(row)


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def sort_dir(q: dict[str, Any]) -> str:
    return "DESC" if q.get("orderBy") == "desc" else "ASC"


def paging(q: dict[str, Any]) -> tuple[int, int]:
    take = int(q.get("take", 10))
    return take, (int(q.get("page", 1)) - 1) * take


def client_name_filter(search: str, alias: str = "c") -> tuple[str, list[Any]]:
    """``searchByClientName``: two words match first AND last name, else first/last/email."""
    terms = search.split(" ")
    if len(terms) == 2:
        return (
            f"(instr(lower({alias}.first_name), lower(?)) > 0 AND instr(lower({alias}.last_name),"
            " lower(?)) > 0)",
            terms,
        )
    return (
        f"(instr(lower({alias}.first_name), lower(?)) > 0 OR instr(lower({alias}.last_name), lower(?)) > 0 "
        f"OR instr(lower({alias}.email), lower(?)) > 0)",
        [search, search, search],
    )


def shipping_full(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "address1": row["address1"],
        "address2": row["address2"],
        "landmark": row["landmark"],
        "city": row["city"],
        "state": row["state"],
        "country": row["country"],
        "countryCode": row["country_code"],
        "postalCode": row["postal_code"],
        "createdAt": row["created_at"],
    }


def shippings_by_client(ctx: Ctx, client_ids: list[str]) -> dict[str, list[sqlite3.Row]]:
    out: dict[str, list[sqlite3.Row]] = {cid: [] for cid in client_ids}
    for chunk_start in range(0, len(client_ids), 500):
        chunk = client_ids[chunk_start : chunk_start + 500]
        rows = ctx.store.all(
            f"SELECT * FROM shippings WHERE client_id IN ({placeholders(len(chunk))}) ORDER BY rowid",  # noqa: S608
            chunk,
        )
        for row in rows:
            out[row["client_id"]].append(row)
    return out


def cart_ids_by_client(ctx: Ctx, client_ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for chunk_start in range(0, len(client_ids), 500):
        chunk = client_ids[chunk_start : chunk_start + 500]
        for row in ctx.store.all(
            f"SELECT id, client_id FROM client_carts WHERE client_id IN ({placeholders(len(chunk))})",  # noqa: S608
            chunk,
        ):
            out[row["client_id"]] = row["id"]
    return out


def medical_record(row: sqlite3.Row) -> dict[str, Any] | None:
    raw = row["medical_record"]
    return None if raw is None else json.loads(raw)


# ---- charts (facts §6.8) ----------------------------------------------------------------------

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def scale(start: datetime, end: datetime) -> str:
    days = (end - start).days
    if days <= 30:
        return "DAY"
    if days <= 90:
        return "WEEK"
    if days <= 730:
        return "MONTH"
    return "YEAR"


def bucket_start(ts: str, unit: str) -> datetime:
    dt = parse_iso(ts)
    day = datetime(dt.year, dt.month, dt.day, tzinfo=UTC)
    if unit == "DAY":
        return day
    if unit == "WEEK":
        return day - timedelta(days=day.weekday())
    if unit == "MONTH":
        return datetime(dt.year, dt.month, 1, tzinfo=UTC)
    return datetime(dt.year, 1, 1, tzinfo=UTC)


def chart(points: list[tuple[str, float]], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Bucket (createdAt, value) pairs; empty buckets are omitted like the real endpoint."""
    unit = scale(start, end)
    sums: dict[datetime, float] = {}
    for ts, value in points:
        key = bucket_start(ts, unit)
        sums[key] = sums.get(key, 0) + value
    out = []
    for index, key in enumerate(sorted(sums)):
        if unit == "DAY":
            name: Any = WEEKDAYS[key.weekday()]
        elif unit == "WEEK":
            name = f"WEEK {index + 1}"
        elif unit == "MONTH":
            name = MONTHS[key.month - 1]
        else:
            name = key.year
        out.append({"name": name, "value": sums[key], "date": iso(key)})
    return out


def breakdown(counts: dict[str, int]) -> list[dict[str, Any]]:
    """adminApproval shares in percent with two decimals, only for statuses present."""
    total = sum(counts.values())
    labels = {"PENDING": "Pending", "VERIFIED": "Verified", "REJECTED": "Rejected"}
    return [
        {"name": labels.get(k, k.title()), "value": round(v * 100 / total, 2)}
        for k, v in counts.items()
        if v and total
    ]
