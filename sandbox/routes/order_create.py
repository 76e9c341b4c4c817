"""``POST /dapp/orders``: the cart-based flow of the source, and the docs' ``orderLines`` variant.

Every check runs in the source's order with its exact status and message; the
effects (order + lines, sale linking, cart emptied, stock decremented globally
and per country) happen inside the request's single transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.countries import country_info, to_local
from sandbox.errors import HttpError, UnhandledError
from sandbox.routing import Ctx
from sandbox.store import new_id


@dataclass
class Line:
    strain_id: str
    quantity: float


def order_row_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "orderStatus": row["order_status"],
        "paymentStatus": row["payment_status"],
        "adminApproval": row["admin_approval"],
        "agentProfit": row["agent_profit"],
        "totalAmount": row["total_amount"],
        "invoiceNumber": row["invoice_number"],
        "rejectionNote": row["rejection_note"],
        "commissionPaid": bool(row["commission_paid"]),
        "commissionTransactionHash": row["commission_tx_hash"],
        "verifiedAt": row["verified_at"],
        "rejectedAt": row["rejected_at"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "nftId": row["nft_id"],
        "clientId": row["client_id"],
        "shippingId": row["shipping_id"],
        "nonce": row["nonce"],
    }


def _checked_client(ctx: Ctx, client_id: str) -> Any:
    client = ctx.store.one("SELECT * FROM clients WHERE id = ? AND nft_id = ?", (client_id, ctx.nft_id))
    if client is None:
        raise HttpError(400, "Client is not found")
    if not client["is_active"]:
        raise HttpError(400, "Client is not active")
    if not client["is_kyc_verified"]:
        raise HttpError(409, "Client is not KYC verified")
    if client["admin_approval"] != "VERIFIED":
        raise HttpError(409, f"Approval is {client['admin_approval']} by admin")
    return client


def _priced_lines(
    ctx: Ctx, lines: list[Line], country_code: str | None
) -> tuple[list[dict[str, Any]], float, float]:
    """``checkCartValidity``: availability, activity and country stock per line, in cart order."""
    priced = []
    amount = 0.0
    profit = 0.0
    for line in lines:
        strain = ctx.store.one("SELECT * FROM strains WHERE id = ?", (line.strain_id,))
        loc = ctx.store.one(
            "SELECT sl.*, l.id AS loc_id FROM strain_locations sl JOIN locations l ON l.id = sl.location_id"
            " WHERE sl.strain_id = ? AND l.country_code = ?",
            (line.strain_id, country_code),
        )
        name = strain["name"] if strain else "undefined"
        if (
            strain is None
            or not strain["is_available"]
            or strain["is_deleted"]
            or loc is None
            or not loc["is_available"]
        ):
            raise HttpError(409, f"{name} is not available")
        if not strain["is_active"] or not loc["is_active"]:
            raise HttpError(409, f"{name} is not active")
        if line.quantity > loc["stock_quantity"]:
            raise HttpError(409, f"{name} does not enough quantity")
        priced.append({"line": line, "strain": strain, "loc": loc})
        amount += float(strain["retail_price"] * line.quantity)
        profit += float(strain["retail_price"] * line.quantity - strain["wholesale_price"] * line.quantity)
    return priced, amount, profit


def _place(
    ctx: Ctx,
    client: Any,
    shipping: Any,
    priced: list[dict[str, Any]],
    amount: float,
    profit: float,
    *,
    payment_method: str | None = None,
    notes: str | None = None,
) -> dict[str, Any]:
    store = ctx.store
    now = ctx.now()
    order_id = new_id()
    code = shipping["country_code"] if shipping else None
    country, currency = country_info(code or "USA")
    wholesale = sum(p["strain"]["wholesale_price"] * p["line"].quantity for p in priced)
    # Date.now() comes from the sandbox clock so tests that move time see it in the invoice too.
    epoch_ms = int(ctx.app.clock.now().timestamp() * 1000)
    store.conn.execute(
        "INSERT INTO orders (id, nft_id, client_id, shipping_id, invoice_number, total_amount, agent_profit,"
        " created_at, updated_at, local_currency, local_country, local_total, local_wholesale,"
        " payment_method, notes)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            order_id,
            ctx.nft_id,
            client["id"],
            shipping["id"] if shipping else None,
            f"DG_{epoch_ms}{client['id']}",
            amount,
            profit,
            now,
            now,
            currency,
            country,
            to_local(amount, currency),
            to_local(wholesale, currency),
            payment_method,
            notes,
        ),
    )
    store.conn.executemany(
        "INSERT INTO order_lines (id, order_id, strain_id, quantity, created_at) VALUES (?,?,?,?,?)",
        [(new_id(), order_id, p["line"].strain_id, p["line"].quantity, now) for p in priced],
    )
    lead = store.one(
        "SELECT id FROM sales WHERE client_id = ? AND stage = 'LEADS' ORDER BY rowid LIMIT 1", (client["id"],)
    )
    if lead is not None:
        store.conn.execute(
            "UPDATE sales SET stage = 'ONGOING', order_id = ?, updated_at = ? WHERE id = ?",
            (order_id, now, lead["id"]),
        )
    else:
        store.conn.execute(
            "INSERT INTO sales (id, nft_id, client_id, order_id, stage, created_at, updated_at)"
            " VALUES (?,?,?,?, 'ONGOING', ?, ?)",
            (new_id(), ctx.nft_id, client["id"], order_id, now, now),
        )
    for p in priced:
        qty = p["line"].quantity
        left = p["strain"]["stock_quantity"] - qty
        left_loc = p["loc"]["stock_quantity"] - qty
        # Availability flips off only when the stock lands exactly on zero, as in the source.
        store.conn.execute(
            "UPDATE strains SET stock_quantity = ?, is_available = CASE WHEN ? = 0 THEN 0 ELSE"
            " is_available END,"
            " updated_at = ? WHERE id = ?",
            (left, left, now, p["strain"]["id"]),
        )
        store.conn.execute(
            "UPDATE strain_locations SET stock_quantity = ?,"
            " is_available = CASE WHEN ? = 0 THEN 0 ELSE is_available END WHERE strain_id = ? AND"
            " location_id = ?",
            (left_loc, left_loc, p["strain"]["id"], p["loc"]["location_id"]),
        )
    row = store.one("SELECT * FROM orders WHERE id = ?", (order_id,))
    return order_row_json(row)


def create_order_cart(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    client = _checked_client(ctx, body["clientId"])
    shipping = ctx.store.one(
        "SELECT * FROM shippings WHERE client_id = ? ORDER BY rowid LIMIT 1", (client["id"],)
    )
    cart = ctx.store.one("SELECT id FROM client_carts WHERE client_id = ?", (client["id"],))
    items = (
        []
        if cart is None
        else ctx.store.all(
            "SELECT strain_id, quantity FROM cart_items WHERE cart_id = ? ORDER BY rowid", (cart["id"],)
        )
    )
    if not items:
        raise HttpError(409, "Client does not have any item in the cart")
    if shipping is None:
        # The source dereferences shippings[0] and dies with a TypeError (500).
        raise UnhandledError("Cannot read properties of undefined (reading 'address1')")
    lines = [Line(i["strain_id"], i["quantity"]) for i in items]
    priced, amount, profit = _priced_lines(ctx, lines, shipping["country_code"])
    result = _place(ctx, client, shipping, priced, amount, profit)
    ctx.store.conn.execute("DELETE FROM cart_items WHERE cart_id = ?", (cart["id"],))
    return result


def create_order_docs(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """Docs mode: lines, shipping and payment method come from the body; the cart is left alone."""
    client = _checked_client(ctx, body["clientId"])
    if body.get("shippingId"):
        shipping = ctx.store.one(
            "SELECT * FROM shippings WHERE id = ? AND client_id = ?", (body["shippingId"], client["id"])
        )
        if shipping is None:
            raise HttpError(400, "Shipping not found for client")
    else:
        shipping = ctx.store.one(
            "SELECT * FROM shippings WHERE client_id = ? ORDER BY rowid LIMIT 1", (client["id"],)
        )
        if shipping is None:
            raise HttpError(400, "Shipping not found for client")
    merged: dict[str, float] = {}
    for item in body["orderLines"]:
        merged[item["strainId"]] = merged.get(item["strainId"], 0) + item["quantity"]
    lines = [Line(sid, qty) for sid, qty in merged.items()]
    priced, amount, profit = _priced_lines(ctx, lines, shipping["country_code"])
    return _place(
        ctx,
        client,
        shipping,
        priced,
        amount,
        profit,
        payment_method=body.get("paymentMethod"),
        notes=body.get("notes"),
    )
