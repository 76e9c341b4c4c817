"""``/dapp/clients`` and ``/dapp/client/{id}/…`` (facts §6.1).

Every client route is declared here, in matching order; the create and update bodies live in
``routes.client_writes``.
"""

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox.errors import UnhandledError
from sandbox.routes import client_dtos as dto
from sandbox.routes import client_writes
from sandbox.routes.client_writes import CLIENT_NOT_FOUND, client_row_json
from sandbox.routes.common import (
    b,
    cart_ids_by_client,
    client_name_filter,
    medical_record,
    nft,
    paging,
    placeholders,
    shipping_full,
    shippings_by_client,
    sort_dir,
)
from sandbox.routing import Ctx, RouteTable
from sandbox.validation import PAGINATION, date_window, uuid_param, validate

routes = RouteTable()


@routes.post("/dapp/clients")
def create_client(ctx: Ctx) -> Any:
    return client_writes.create_client(ctx, validate(dto.CREATE_CLIENT, ctx.body))


def _list_item(
    ctx: Ctx,
    row: sqlite3.Row,
    ships: list[sqlite3.Row],
    cart_id: str | None,
    q: dict[str, Any],
    logs: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": row["id"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "email": row["email"],
        "phoneCountryCode": row["phone_country_code"],
        "phoneCode": row["phone_code"],
        "contactNumber": row["contact_number"],
        "isActive": b(row["is_active"]),
        "adminApproval": row["admin_approval"],
        "isKYCVerified": b(row["is_kyc_verified"]),
        "verifiedAt": row["verified_at"],
        "rejectedAt": row["rejected_at"],
        "nft": nft(ctx),
        # ``shippings: {select: {country: true}}`` in the source, plus the docs' ``currency``:
        # no country code, no address (the detail has those).
        "shippings": [{"country": s["country"], "currency": None} for s in ships],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "clientCart": [{"id": cart_id}] if cart_id else [],
    }
    if q.get("adminApproval") == "REJECTED":
        item["rejectionNote"] = row["rejection_note"]
    if q.get("adminApproval") == "VERIFIED":
        item["clientLogs"] = logs.get(row["id"], [])
    return item


@routes.get("/dapp/clients")
def list_clients(ctx: Ctx) -> Any:
    q = validate(dto.LIST_CLIENTS, ctx.query)
    where = ["c.nft_id = ?", "c.deleted_at IS NULL"]
    args: list[Any] = [ctx.nft_id]
    window = date_window(q)
    if window:
        where.append("c.created_at >= ? AND c.created_at <= ?")
        args += list(window)
    if q.get("countryCodes"):
        codes = list(q["countryCodes"])
        where.append(
            "EXISTS (SELECT 1 FROM shippings s WHERE s.client_id = c.id AND s.country_code IN"
            f" ({placeholders(len(codes))}))"
        )
        args += codes
    if q.get("search") and q.get("searchBy") == "clientName":
        clause, extra = client_name_filter(q["search"])
        where.append(clause)
        args += extra
    if q.get("adminApproval"):
        where.append("c.admin_approval = ?")
        args.append(q["adminApproval"])
    if q.get("status"):
        where.append("c.is_active = ?")
        args.append(1 if q["status"] == "Active" else 0)
    if "isVerified" in q:
        where.append("c.is_kyc_verified = ?")
        args.append(1 if q["isVerified"] else 0)
    direction = sort_dir(q)
    if q.get("adminApproval") == "VERIFIED":
        order = f"c.verified_at IS NULL, c.verified_at {direction}, c.rowid {direction}"
    elif q.get("adminApproval") == "REJECTED":
        order = f"c.rejected_at IS NULL, c.rejected_at {direction}, c.rowid {direction}"
    else:
        order = f"c.created_at {direction}, c.rowid {direction}"
    clause = " AND ".join(where)
    count = ctx.store.count(f"SELECT COUNT(*) FROM clients c WHERE {clause}", args)
    take, skip = paging(q)
    rows = ctx.store.all(
        f"SELECT c.* FROM clients c WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
        [*args, take, skip],
    )
    ids = [r["id"] for r in rows]
    ships = shippings_by_client(ctx, ids)
    carts = cart_ids_by_client(ctx, ids)
    logs: dict[str, list[dict[str, Any]]] = {}
    if q.get("adminApproval") == "VERIFIED" and ids:
        for log in ctx.store.all(
            "SELECT * FROM client_logs WHERE activity = 'Approved' AND client_id IN"
            f" ({placeholders(len(ids))})",
            ids,
        ):
            logs.setdefault(log["client_id"], []).append(
                {"activity": log["activity"], "createdAt": log["created_at"]}
            )
    clients = [_list_item(ctx, r, ships[r["id"]], carts.get(r["id"]), q, logs) for r in rows]
    return {"clients": clients, "paginationCount": count}


@routes.get("/dapp/clients/list")
def picker(ctx: Ctx) -> Any:
    q = validate(dto.PICKER, ctx.query)
    where = ["nft_id = ?", "admin_approval = 'VERIFIED'", "deleted_at IS NULL"]
    args: list[Any] = [ctx.nft_id]
    if q.get("status"):
        where.append("is_active = 1")  # either value restricts to active clients in the source
    if q.get("search"):
        where.append("(instr(lower(first_name), lower(?)) > 0 OR instr(lower(last_name), lower(?)) > 0)")
        args += [q["search"], q["search"]]
    rows = ctx.store.all(
        f"SELECT * FROM clients WHERE {' AND '.join(where)} ORDER BY first_name ASC, rowid ASC",
        args,
    )
    ids = [r["id"] for r in rows]
    ships = shippings_by_client(ctx, ids)
    carts = cart_ids_by_client(ctx, ids)
    return {
        "clients": [
            {
                "id": r["id"],
                "firstName": r["first_name"],
                "lastName": r["last_name"],
                "clientCart": [{"id": carts[r["id"]]}] if r["id"] in carts else [],
                "shippings": [
                    {"country": s["country"], "countryCode": s["country_code"]} for s in ships[r["id"]]
                ],
            }
            for r in rows
        ]
    }


def approval_summary(ctx: Ctx, table: str) -> dict[str, Any]:
    rows = ctx.store.all(
        f"SELECT admin_approval, COUNT(*) AS n FROM {table} WHERE nft_id = ? GROUP BY admin_approval",
        (ctx.nft_id,),
    )
    summary: dict[str, int] = {"PENDING": 0, "VERIFIED": 0, "REJECTED": 0}
    for r in rows:
        summary[r["admin_approval"]] = r["n"]
    summary["totalCount"] = sum(r["n"] for r in rows)
    return {"summary": summary}


@routes.get("/dapp/clients/summary")
def summary(ctx: Ctx) -> Any:
    return approval_summary(ctx, "clients")


def client_detail(ctx: Ctx, row: sqlite3.Row) -> dict[str, Any]:
    ships = ctx.store.all(
        "SELECT * FROM shippings WHERE client_id = ? ORDER BY created_at DESC, rowid DESC", (row["id"],)
    )
    businesses = ctx.store.all(
        "SELECT * FROM client_businesses WHERE client_id = ? ORDER BY rowid", (row["id"],)
    )
    cart = ctx.store.one("SELECT id FROM client_carts WHERE client_id = ?", (row["id"],))
    shippings = [shipping_full(s) for s in ships]
    return {
        "id": row["id"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "email": row["email"],
        "phoneCountryCode": row["phone_country_code"],
        "phoneCode": row["phone_code"],
        "contactNumber": row["contact_number"],
        "isActive": b(row["is_active"]),
        "nft": nft(ctx),
        "adminApproval": row["admin_approval"],
        "isKYCVerified": b(row["is_kyc_verified"]),
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "clientCart": [{"id": cart["id"]}] if cart else [],
        "shippings": shippings,
        # A later production build also returns the first address flat (integrator observation).
        "shipping": shippings[0] if shippings else None,
        "clientBusinesses": [
            {
                "id": x["id"],
                "name": x["name"],
                "businessType": x["business_type"],
                "address1": x["address1"],
                "address2": x["address2"],
                "landmark": x["landmark"],
                "city": x["city"],
                "state": x["state"],
                "country": x["country"],
                "countryCode": x["country_code"],
                "postalCode": x["postal_code"],
                "createdAt": x["created_at"],
            }
            for x in businesses
        ],
        "medicalRecord": medical_record(row),
    }


@routes.get("/dapp/clients/:clientId")
def detail(ctx: Ctx) -> Any:
    uuid_param("clientId", ctx.params["clientId"])
    row = ctx.store.one(
        "SELECT * FROM clients WHERE id = ? AND nft_id = ?", (ctx.params["clientId"], ctx.nft_id)
    )
    if row is None:
        raise UnhandledError(CLIENT_NOT_FOUND)  # a plain Error in the source: HTTP 500
    return client_detail(ctx, row)


@routes.patch("/dapp/clients/:clientId")
def update(ctx: Ctx) -> Any:
    uuid_param("clientId", ctx.params["clientId"])
    body = validate(dto.UPDATE_CLIENT, ctx.body)
    return client_writes.update_client(ctx, ctx.params["clientId"], body)


# PAGINATION is re-exported for modules that build list DTOs from this one.
__all__ = ["routes", "PAGINATION", "approval_summary", "client_detail", "client_row_json"]
