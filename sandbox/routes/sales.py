"""``/dapp/sales`` (facts §6.3): the automated LEADS → ONGOING → CLOSED pipeline plus manual edits.

As in ``src/sale/sale.controller.ts``: ``POST``/``PATCH /dapp/sales`` have no guard (any
caller, no signature, no holder scope), ``POST`` validates ``createSaleDto`` (``nftId``,
``clientId`` and ``orderId`` all required UUIDs; a sale always starts in ``LEADS``), and
``PATCH`` reads the id from the query only (``SaleIdDto``); an id in the body is stripped.
The list's ``search`` matches the client's first or last name only (``getAllSales``),
never the email, and needs ``searchBy`` (no ``@IsOptional`` on it in ``getAllSaleDto``).
"""

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox.errors import UnhandledError
from sandbox.routes.common import b, paging, sort_dir
from sandbox.routing import Ctx, RouteTable
from sandbox.store import new_id
from sandbox.validation import (
    PAGINATION,
    Field,
    r_enum,
    r_not_empty,
    r_string,
    r_uuid,
    search_fields,
    validate,
)

routes = RouteTable()
STAGES = ["LEADS", "ONGOING", "CLOSED"]

# ``getAllSaleDto``: own fields first (search, searchBy, stage), then ``PaginationDto``.
LIST_SALES: list[Field] = [
    *search_fields(search_by_optional=False),
    Field("stage", [r_enum(STAGES)], optional=True),
    *PAGINATION,
]
# ``createSaleDto``: decorators ``@IsNotEmpty @IsString @IsUUID`` report bottom-up.
_REQUIRED_UUID = [r_uuid(), r_string(), r_not_empty()]
CREATE_SALE: list[Field] = [
    Field("description", [r_string()], optional=True),
    Field("nftId", _REQUIRED_UUID),
    Field("clientId", _REQUIRED_UUID),
    Field("orderId", _REQUIRED_UUID),
]
SALE_ID: list[Field] = [Field("id", _REQUIRED_UUID)]
# ``updateSaleDto``: ``@IsString @IsOptional @IsEnum`` on stage.
UPDATE_SALE: list[Field] = [
    Field("stage", [r_enum(STAGES), r_string()], optional=True),
    Field("description", [r_string()], optional=True),
]


def sale_row_json(row: sqlite3.Row) -> dict[str, Any]:
    """The Prisma ``Sale`` row, keys in schema order (``prisma/schema.prisma``)."""
    return {
        "id": row["id"],
        "stage": row["stage"],
        "description": row["description"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "nftId": row["nft_id"],
        "clientId": row["client_id"],
        "orderId": row["order_id"],
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
        # ``getAllSales``: first OR last name contains the whole term; no email, no word split.
        where += " AND (instr(lower(c.first_name), lower(?)) > 0 OR instr(lower(c.last_name), lower(?)) > 0)"
        args += [q["search"], q["search"]]
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


@routes.post("/dapp/sales", auth=False)
def create(ctx: Ctx) -> Any:
    """``SaleService.create``: a plain insert; any missing nft/client/order is Prisma's P2003,
    answered 500 ``key not found`` (``MESSAGES.ERROR.NFT.NOT_FOUND``), a second sale for one
    order (``orderId @unique``) 500 ``failed while creating sale``."""
    body = validate(CREATE_SALE, ctx.body)
    store = ctx.store
    if (
        store.one("SELECT 1 FROM holders WHERE nft_id = ?", (body["nftId"],)) is None
        or store.one("SELECT 1 FROM clients WHERE id = ?", (body["clientId"],)) is None
        or store.one("SELECT 1 FROM orders WHERE id = ?", (body["orderId"],)) is None
    ):
        raise UnhandledError("key not found")
    if store.one("SELECT 1 FROM sales WHERE order_id = ?", (body["orderId"],)):
        raise UnhandledError("failed while creating sale")
    now = ctx.now()
    sale_id = new_id()
    store.conn.execute(
        "INSERT INTO sales (id, nft_id, client_id, order_id, stage, description, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (
            sale_id,
            body["nftId"],
            body["clientId"],
            body["orderId"],
            "LEADS",
            body.get("description"),
            now,
            now,
        ),
    )
    return sale_row_json(store.one("SELECT * FROM sales WHERE id = ?", (sale_id,)))  # type: ignore[arg-type]


@routes.patch("/dapp/sales", auth=False)
def update(ctx: Ctx) -> Any:
    """``updateSaleById``: the id comes from the query (``SaleIdDto``, validated before the
    body); the update is by id alone (no holder scope); unknown id → 500 ``sale not found``."""
    sale_id = validate(SALE_ID, ctx.query)["id"]
    body = validate(UPDATE_SALE, ctx.body)
    row = ctx.store.one("SELECT * FROM sales WHERE id = ?", (sale_id,))
    if row is None:
        raise UnhandledError("sale not found")
    sets, args = ["updated_at = ?"], [ctx.now()]
    for key, col in (("stage", "stage"), ("description", "description")):
        if key in body:
            sets.append(f"{col} = ?")
            args.append(body[key])
    ctx.store.conn.execute(f"UPDATE sales SET {', '.join(sets)} WHERE id = ?", [*args, sale_id])
    return sale_row_json(ctx.store.one("SELECT * FROM sales WHERE id = ?", (sale_id,)))  # type: ignore[arg-type]
