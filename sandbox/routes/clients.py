"""``/dapp/clients`` and ``/dapp/client/{id}/…`` (facts §6.1)."""

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sandbox.app import Ctx, RouteTable
from sandbox.errors import HttpError, UnhandledError
from sandbox.routes import client_dtos as dto
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
from sandbox.store import new_id
from sandbox.validation import PAGINATION, date_window, uuid_param, validate

routes = RouteTable()

CLIENT_NOT_FOUND = "Client not found"
EMAIL_EXISTS = "Client Email ID already exists"
PHONE_EXISTS = "Phone Number already exists"
KYC_DOWN = "API not available"


def client_row_json(ctx: Ctx, row: sqlite3.Row) -> dict[str, Any]:
    """The full Prisma Client row plus ``medicalRecord`` (create/update responses)."""
    return {
        "id": row["id"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "email": row["email"],
        "phoneCountryCode": row["phone_country_code"],
        "phoneCode": row["phone_code"],
        "contactNumber": row["contact_number"],
        "caseId": row["case_id"],
        "maxRetries": row["max_retries"],
        "adminApproval": row["admin_approval"],
        "isKYCVerified": b(row["is_kyc_verified"]),
        "isActive": b(row["is_active"]),
        "rejectionNote": row["rejection_note"],
        "verifiedAt": row["verified_at"],
        "rejectedAt": row["rejected_at"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "deletedAt": row["deleted_at"],
        "nftId": row["nft_id"],
        "medicalRecord": medical_record(row),
    }


def _medical_json(ctx: Ctx, client_id: str, record: dict[str, Any], existing: dict[str, Any] | None) -> str:
    now = ctx.now()
    out: dict[str, Any] = {"id": (existing or {}).get("id") or new_id(), "clientId": client_id}
    merged = {
        **{
            k: v for k, v in (existing or {}).items() if k not in ("id", "clientId", "createdAt", "updatedAt")
        },
        **record,
    }
    if isinstance(merged.get("dob"), str) and len(merged["dob"]) == 10:
        merged["dob"] = merged["dob"] + "T00:00:00.000Z"  # stored as a DateTime
    out.update(merged)
    out["createdAt"] = (existing or {}).get("createdAt") or now
    out["updatedAt"] = now
    return json.dumps(out, ensure_ascii=False)


def _insert_address(ctx: Ctx, table: str, client_id: str, data: dict[str, Any]) -> None:
    now = ctx.now()
    if table == "shippings":
        ctx.store.conn.execute(
            "INSERT INTO shippings (id, client_id, address1, address2, landmark, city, state, country,"
            " country_code,"
            " postal_code, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                new_id(),
                client_id,
                data.get("address1"),
                data.get("address2"),
                data.get("landmark"),
                data.get("city"),
                data.get("state"),
                data.get("country"),
                data.get("countryCode"),
                data.get("postalCode"),
                now,
                now,
            ),
        )
    else:
        ctx.store.conn.execute(
            "INSERT INTO client_businesses (id, client_id, name, business_type, address1, address2,"
            " landmark, city,"
            " state, country, country_code, postal_code, created_at, updated_at) VALUES"
            " (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                new_id(),
                client_id,
                data.get("name"),
                data.get("businessType"),
                data.get("address1"),
                data.get("address2"),
                data.get("landmark"),
                data.get("city"),
                data.get("state"),
                data.get("country"),
                data.get("countryCode"),
                data.get("postalCode"),
                now,
                now,
            ),
        )


@routes.post("/dapp/clients")
def create_client(ctx: Ctx) -> Any:
    body = validate(dto.CREATE_CLIENT, ctx.body)
    store = ctx.store
    # Uniqueness is global across every holder (Prisma @unique), checked before FirstAML is called.
    if store.one("SELECT 1 FROM clients WHERE email = ?", (body["email"],)):
        raise HttpError(409, EMAIL_EXISTS)
    if store.one("SELECT 1 FROM clients WHERE contact_number = ?", (body["contactNumber"],)):
        raise HttpError(409, PHONE_EXISTS)
    if ctx.kyc_unavailable:
        raise HttpError(403, KYC_DOWN)
    now = ctx.now()
    client_id = new_id()
    store.conn.execute(
        "INSERT INTO clients (id, nft_id, first_name, last_name, email, phone_country_code, phone_code,"
        " contact_number, case_id, created_at, updated_at, medical_record) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            client_id,
            ctx.nft_id,
            body["firstName"],
            body.get("lastName"),
            body["email"],
            body.get("phoneCountryCode"),
            body["phoneCode"],
            body["contactNumber"],
            new_id(),
            now,
            now,
            _medical_json(ctx, client_id, body["medicalRecord"], None),
        ),
    )
    _insert_address(ctx, "shippings", client_id, body["shipping"])
    if body.get("clientBusiness"):
        _insert_address(ctx, "client_businesses", client_id, body["clientBusiness"])
    store.conn.execute(
        "INSERT INTO client_carts (id, client_id, created_at) VALUES (?,?,?)", (new_id(), client_id, now)
    )
    store.conn.execute(
        "INSERT INTO sales (id, nft_id, client_id, stage, created_at, updated_at) VALUES (?,?,?,?,?,?)",
        (new_id(), ctx.nft_id, client_id, "LEADS", now, now),
    )
    row = store.one("SELECT * FROM clients WHERE id = ?", (client_id,))
    assert row is not None
    message = f"KYC link has been sent to client at {body['email']}"
    return {"client": client_row_json(ctx, row), "message": message}


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
        "shippings": [
            {"country": s["country"], "countryCode": s["country_code"], "currency": None} for s in ships
        ],
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
    client_id = ctx.params["clientId"]
    row = ctx.store.one("SELECT * FROM clients WHERE id = ? AND nft_id = ?", (client_id, ctx.nft_id))
    if row is None:
        raise HttpError(404, CLIENT_NOT_FOUND)
    if "email" in body and ctx.store.one(
        "SELECT 1 FROM clients WHERE email = ? AND id != ?", (body["email"], client_id)
    ):
        raise HttpError(409, EMAIL_EXISTS)
    if "contactNumber" in body and ctx.store.one(
        "SELECT 1 FROM clients WHERE contact_number = ? AND id != ?", (body["contactNumber"], client_id)
    ):
        raise HttpError(409, PHONE_EXISTS)
    email_changed = "email" in body and body["email"] != row["email"]
    if email_changed and not row["is_kyc_verified"] and ctx.kyc_unavailable:
        raise HttpError(403, KYC_DOWN)
    now = ctx.now()
    columns = {
        "firstName": "first_name",
        "lastName": "last_name",
        "email": "email",
        "contactNumber": "contact_number",
        "phoneCountryCode": "phone_country_code",
        "phoneCode": "phone_code",
    }
    sets = [f"{col} = ?" for key, col in columns.items() if key in body]
    args = [body[key] for key in columns if key in body]
    if email_changed and not row["is_kyc_verified"]:
        sets.append("case_id = ?")  # a new FirstAML case is opened for the new address
        args.append(new_id())
    if body.get("medicalRecord") is not None:
        sets.append("medical_record = ?")
        args.append(_medical_json(ctx, client_id, body["medicalRecord"], medical_record(row)))
    sets.append("updated_at = ?")
    args.append(now)
    ctx.store.conn.execute(f"UPDATE clients SET {', '.join(sets)} WHERE id = ?", [*args, client_id])
    for key, table in (("shipping", "shippings"), ("clientBusiness", "client_businesses")):
        data = body.get(key)
        if not data:
            continue
        cols = {
            "address1": "address1",
            "address2": "address2",
            "landmark": "landmark",
            "city": "city",
            "state": "state",
            "country": "country",
            "countryCode": "country_code",
            "postalCode": "postal_code",
            "name": "name",
            "businessType": "business_type",
        }
        pairs = [
            (col, data[k])
            for k, col in cols.items()
            if k in data and (table != "shippings" or col not in ("name", "business_type"))
        ]
        if not pairs:
            continue
        # updateMany: every address row of the client gets the same values.
        ctx.store.conn.execute(
            f"UPDATE {table} SET {', '.join(c + ' = ?' for c, _ in pairs)}, updated_at = ? WHERE client_id"
            " = ?",
            [*(v for _, v in pairs), now, client_id],
        )
    updated = ctx.store.one("SELECT * FROM clients WHERE id = ?", (client_id,))
    assert updated is not None
    return client_row_json(ctx, updated)


# PAGINATION is re-exported for modules that build list DTOs from this one.
__all__ = ["routes", "PAGINATION", "approval_summary", "client_detail", "client_row_json"]
