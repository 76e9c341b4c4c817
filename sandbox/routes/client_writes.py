"""``POST /dapp/clients`` and ``PATCH /dapp/clients/:clientId``: uniqueness, FirstAML gating, writes.

The routes are declared in ``routes.clients``; this module holds what they do once the body
has been validated, plus the full-row JSON both of them answer with.
"""

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sandbox.errors import HttpError
from sandbox.routes.common import b, medical_record
from sandbox.routing import Ctx
from sandbox.store import new_id

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


def create_client(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
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


def update_client(ctx: Ctx, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
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
