"""``/dapp/sales`` (facts §6.3): the automated LEADS → ONGOING → CLOSED pipeline plus manual edits.

The source leaves ``POST``/``PATCH /dapp/sales`` without a guard; the sandbox guards
them like every other route (a correctly signing client is unaffected) and accepts
both the source body (``nftId``/``clientId``/``orderId``) and the docs' one
(``clientId``/``stage``/``orderId?``), and the id in the query (source) or body (docs).
"""

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox.app import Ctx, RouteTable
from sandbox.errors import HttpError, UnhandledError
from sandbox.routes.common import b, client_name_filter, paging, sort_dir
from sandbox.store import new_id
from sandbox.validation import (
    PAGINATION,
    Field,
    r_enum,
    r_not_empty,
    r_string,
    r_uuid,
    search_fields,
    uuid_param,
    validate,
)

routes = RouteTable()
STAGES = ["LEADS", "ONGOING", "CLOSED"]

LIST_SALES: list[Field] = [
    Field("stage", [r_enum(STAGES)], optional=True),
    *search_fields(),
    *PAGINATION,
]
CREATE_SALE: list[Field] = [
    Field("description", [r_string()], optional=True),
    Field("nftId", [r_uuid()], optional=True),
    Field("clientId", [r_uuid(), r_not_empty()]),
    Field("orderId", [r_uuid()], optional=True),
    Field("stage", [r_enum(STAGES)], optional=True),
]
UPDATE_SALE: list[Field] = [
    Field("id", [r_uuid()], optional=True),
    Field("stage", [r_enum(STAGES)], optional=True),
    Field("description", [r_string()], optional=True),
]


def sale_row_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "stage": row["stage"],
        "description": row["description"],
        "orderId": row["order_id"],
        "clientId": row["client_id"],
        "nftId": row["nft_id"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


@routes.get("/dapp/sales")
def list_sales(ctx: Ctx) -> Any:
    q = validate(LIST_SALES, ctx.query)
    where = "s.nft_id = ?"
    args: list[Any] = [ctx.nft_id]
    if q.get("stage"):
        where += " AND s.stage = ?"
        args.append(q["stage"])
    if q.get("search") and q.get("searchBy") == "clientName":
        clause, extra = client_name_filter(q["search"])
        where += " AND " + clause
        args += extra
    base = f"FROM sales s JOIN clients c ON c.id = s.client_id WHERE {where}"
    count = ctx.store.count(f"SELECT COUNT(*) {base}", args)
    take, skip = paging(q)
    direction = sort_dir(q)
    rows = ctx.store.all(
        "SELECT s.*, c.first_name, c.last_name, c.email, c.phone_country_code, c.phone_code,"
        " c.contact_number,"
        f" c.is_active {base} ORDER BY s.created_at {direction}, s.rowid {direction} LIMIT ? OFFSET ?",
        [*args, take, skip],
    )
    sales = [
        {
            "id": r["id"],
            "createdAt": r["created_at"],
            "updatedAt": r["updated_at"],
            "stage": r["stage"],
            "description": r["description"],
            "orderId": r["order_id"],
            "client": {
                "id": r["client_id"],
                "firstName": r["first_name"],
                "lastName": r["last_name"],
                "email": r["email"],
                "phoneCountryCode": r["phone_country_code"],
                "phoneCode": r["phone_code"],
                "contactNumber": r["contact_number"],
                "isActive": b(r["is_active"]),
            },
        }
        for r in rows
    ]
    return {"sales": sales, "paginationCount": count}


@routes.get("/dapp/sales/summary")
def summary(ctx: Ctx) -> Any:
    counts = {"ONGOING": 0, "LEADS": 0, "CLOSED": 0}
    for r in ctx.store.all(
        "SELECT stage, COUNT(*) AS n FROM sales WHERE nft_id = ? GROUP BY stage", (ctx.nft_id,)
    ):
        counts[r["stage"]] = r["n"]
    # totalCount/count are the holder's *client* count in the source, hence sums that do not add up.
    clients = ctx.store.scalar("SELECT COUNT(*) FROM clients WHERE nft_id = ?", (ctx.nft_id,))
    return {"summary": {**counts, "totalCount": clients}, "count": clients}


@routes.post("/dapp/sales")
def create(ctx: Ctx) -> Any:
    body = validate(CREATE_SALE, ctx.body)
    client = ctx.store.one("SELECT * FROM clients WHERE id = ?", (body["clientId"],))
    if client is None:
        raise UnhandledError("failed while creating sale")
    if body.get("orderId") and ctx.store.one("SELECT 1 FROM sales WHERE order_id = ?", (body["orderId"],)):
        raise UnhandledError("failed while creating sale")
    now = ctx.now()
    sale_id = new_id()
    ctx.store.conn.execute(
        "INSERT INTO sales (id, nft_id, client_id, order_id, stage, description, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (
            sale_id,
            body.get("nftId") or ctx.nft_id,
            body["clientId"],
            body.get("orderId"),
            body.get("stage") or "LEADS",
            body.get("description"),
            now,
            now,
        ),
    )
    return sale_row_json(ctx.store.one("SELECT * FROM sales WHERE id = ?", (sale_id,)))  # type: ignore[arg-type]


@routes.patch("/dapp/sales")
def update(ctx: Ctx) -> Any:
    body = validate(UPDATE_SALE, ctx.body)
    sale_id = ctx.query.get("id") or body.get("id")
    if not isinstance(sale_id, str):
        raise HttpError(400, ["id must be a UUID"])
    uuid_param("id", sale_id)
    row = ctx.store.one("SELECT * FROM sales WHERE id = ? AND nft_id = ?", (sale_id, ctx.nft_id))
    if row is None:
        raise UnhandledError("sale not found")
    sets, args = ["updated_at = ?"], [ctx.now()]
    for key, col in (("stage", "stage"), ("description", "description")):
        if key in body:
            sets.append(f"{col} = ?")
            args.append(body[key])
    ctx.store.conn.execute(f"UPDATE sales SET {', '.join(sets)} WHERE id = ?", [*args, sale_id])
    return sale_row_json(ctx.store.one("SELECT * FROM sales WHERE id = ?", (sale_id,)))  # type: ignore[arg-type]
