"""``/dapp/strains`` (facts §6.6): list by alpha-3 ``countryCode``, detail with ``strainLocations``."""

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox.countries import USD_RATES
from sandbox.errors import UnhandledError
from sandbox.routes.common import S3_PREFIX, b, paging, placeholders, sort_dir
from sandbox.routing import Ctx, RouteTable
from sandbox.validation import (
    PAGINATION,
    Field,
    json_array_transform,
    r_alpha3,
    r_enum,
    r_string,
    validate,
)

routes = RouteTable()

THC_RANGES = {"None": (0, 0), "Low": (1, 10), "Mid": (11, 20), "High": (21, 29)}


def _json_or_none(v: Any) -> Any:
    return json_array_transform(v) if v else None


LIST_STRAINS: list[Field] = [
    Field("search", [r_string()], optional=True),
    Field("order", [r_enum(["createdAt", "popularity"])], optional=True, default="createdAt"),
    Field("countryCode", [r_string(), r_alpha3()], optional=True),
    Field("thcLevels", [r_enum(list(THC_RANGES), each=True)], optional=True, transform=_json_or_none),
    Field("feelings", [], optional=True, transform=_json_or_none),
    Field("helpsWith", [], optional=True, transform=_json_or_none),
    Field("planetNames", [], optional=True, transform=_json_or_none),
    *PAGINATION,
]


def _prices(row: sqlite3.Row) -> list[dict[str, Any]]:
    return [
        {
            "currency": cur.lower(),
            "retailPrice": round(row["retail_price"] * USD_RATES[cur], 2),
            "wholeSalePrice": round(row["wholesale_price"] * USD_RATES[cur], 2),
        }
        for cur in ("USD", "EUR", "GBP")
    ]


def strain_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "retailPrice": row["retail_price"],
        "wholeSalePrice": row["wholesale_price"],
        "type": row["type"],
        "thc": row["thc"],
        "cbd": row["cbd"],
        "cbg": row["cbg"],
        "batchNumber": row["batch_number"],
        "feelings": row["feelings"],
        "helpsWith": row["helps_with"],
        "effects": row["effects"],
        "popularity": row["popularity"],
        "flavour": row["flavour"],
        "imageUrl": S3_PREFIX + row["image_key"] if row["image_key"] else None,
        "prices": _prices(row),
        "isAvailable": b(row["is_available"]),
        "isActive": b(row["is_active"]),
        "stockQuantity": row["stock_quantity"],
        "expiryDate": row["expiry_date"],
        "discount": row["discount"],
        "strainImages": [{"strainImageUrl": S3_PREFIX + row["image_key"], "altText": row["name"]}]
        if row["image_key"]
        else [],
    }


@routes.get("/dapp/strains")
def list_strains(ctx: Ctx) -> Any:
    q = validate(LIST_STRAINS, ctx.query)
    where = ["s.is_active = 1", "s.is_available = 1", "s.is_deleted = 0"]
    args: list[Any] = []
    code = q.get("countryCode")
    if code:
        where.append(
            "EXISTS (SELECT 1 FROM strain_locations sl JOIN locations l ON l.id = sl.location_id WHERE"
            " sl.strain_id = s.id AND l.country_code = ? AND sl.is_active = 1 AND sl.is_available = 1)"
        )
        args.append(code)
    if q.get("search"):
        cols = ("name", "flavour", "feelings", "helps_with", "description", "effects")
        where.append(
            "(" + " OR ".join(f"instr(lower(coalesce(s.{c}, '')), lower(?)) > 0" for c in cols) + ")"
        )
        args += [q["search"]] * len(cols)
    if isinstance(q.get("thcLevels"), list) and q["thcLevels"]:
        ranges = [THC_RANGES[level] for level in q["thcLevels"] if level in THC_RANGES]
        where.append("(" + " OR ".join("(s.thc >= ? AND s.thc <= ?)" for _ in ranges) + ")")
        for lo, hi in ranges:
            args += [lo, hi]
    for key, col in (("feelings", "feelings"), ("helpsWith", "helps_with")):
        values = q.get(key)
        if isinstance(values, list) and values:
            where.append(
                "(" + " OR ".join(f"instr(lower(coalesce(s.{col}, '')), lower(?)) > 0" for _ in values) + ")"
            )
            args += [str(v) for v in values]
    planets = q.get("planetNames")
    if isinstance(planets, list) and planets:
        # ``planetDetail.name in planetNames`` (insensitive): whole names, not fragments.
        where.append(f"lower(coalesce(s.planet, '')) IN ({', '.join('lower(?)' for _ in planets)})")
        args += [str(v) for v in planets]
    clause = " AND ".join(where)
    count = ctx.store.count(f"SELECT COUNT(*) FROM strains s WHERE {clause}", args)
    direction = sort_dir(q)
    order_col = "s.popularity" if q.get("order") == "popularity" else "s.created_at"
    take, skip = paging(q)
    rows = ctx.store.all(
        f"SELECT s.* FROM strains s WHERE {clause} ORDER BY {order_col} {direction}, s.rowid {direction}"
        " LIMIT ? OFFSET ?",
        [*args, take, skip],
    )
    ids = [r["id"] for r in rows]
    locs: dict[str, list[dict[str, Any]]] = {}
    if ids:
        sql = (
            "SELECT sl.* FROM strain_locations sl JOIN locations l ON l.id = sl.location_id"
            f" WHERE sl.strain_id IN ({placeholders(len(ids))})"
        )
        loc_args: list[Any] = list(ids)
        if code:
            sql += " AND l.country_code = ?"
            loc_args.append(code)
        for loc in ctx.store.all(sql + " ORDER BY sl.rowid", loc_args):
            locs.setdefault(loc["strain_id"], []).append(
                {
                    "isActive": b(loc["is_active"]),
                    "isAvailable": b(loc["is_available"]),
                    "stockQuantity": loc["stock_quantity"],
                }
            )
    strains = []
    for r in rows:
        item = strain_json(r)
        item["strainLocations"] = locs.get(r["id"], [])
        strains.append(item)
    return {"strains": strains, "paginationCount": count}


def _detail_country(value: Any) -> str | None:
    """``@Query("countryCode") countryCode: string``: a bare parameter, not a DTO, so the
    ValidationPipe checks nothing (an alpha-2 or unknown code simply matches no location);
    a repeated parameter is an array, turned into a string by ``String(value)``."""
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    return value if isinstance(value, str) and value else None


@routes.get("/dapp/strains/:strainId")
def detail(ctx: Ctx) -> Any:
    """``getStrainById``: with ``countryCode`` the ``strainLocations`` are narrowed to that
    country (``where: {location: {countryCode}}``), so a strain not stocked there has none and
    its top-level flags and stock become ``false``/``false``/``0``."""
    code = _detail_country(ctx.query.get("countryCode"))
    row = ctx.store.one("SELECT * FROM strains WHERE id = ?", (ctx.params["strainId"],))
    if row is None:
        raise UnhandledError("strain not found")
    locs = ctx.store.all(
        "SELECT sl.*, l.id AS lid, l.country, l.country_code FROM strain_locations sl"
        " JOIN locations l ON l.id = sl.location_id WHERE sl.strain_id = ?"
        + (" AND l.country_code = ?" if code else "")
        + " ORDER BY sl.rowid",
        (row["id"], code) if code else (row["id"],),
    )
    item = strain_json(row)
    # The detail's select has the external ``strainId`` (never set here) and no ``effects``.
    del item["effects"]
    item["strainId"] = None
    item["strainLocations"] = [
        {
            "location": {"id": loc["lid"], "country": loc["country"], "countryCode": loc["country_code"]},
            "stockQuantity": loc["stock_quantity"],
            "isActive": b(loc["is_active"]),
            "isAvailable": b(loc["is_available"]),
        }
        for loc in locs
    ]
    item["planets"] = (
        [{"planetDetailId": 1, "planetDetail": {"name": row["planet"], "planetNo": 1}}]
        if row["planet"]
        else []
    )
    if code:
        match = locs[0] if locs else None
        item["isAvailable"] = b(match["is_available"]) if match else False
        item["isActive"] = b(match["is_active"]) if match else False
        item["stockQuantity"] = match["stock_quantity"] if match else 0
    return item
