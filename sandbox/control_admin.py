"""Control plane, part two: Dr Green's admin, payment processor and courier, plus read-only views.

Approve/reject/KYC for clients; approve/reject/pay/fail/ship/deliver for orders (with the
real status-flow table); per-country stock for strains; and the sandbox's own records for
test assertions.
"""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from sandbox.control import ControlError, route
from sandbox.routes.order_create import order_row_json
from sandbox.store import new_id

if TYPE_CHECKING:
    from sandbox.app import App

FLOW = {
    "PENDING": {"PROCESSING", "SHIPPED", "DELIVERED"},
    "PROCESSING": {"SHIPPED", "DELIVERED"},
    "SHIPPED": {"DELIVERED"},
}
ACTIVITY = {"PROCESSING": "Processing", "SHIPPED": "Shipped", "DELIVERED": "Delivered"}


# ---- admin actions on clients -----------------------------------------------------------------


def _client(app: App, client_id: str) -> Any:
    row = app.store.one("SELECT * FROM clients WHERE id = ?", (client_id,))
    if row is None:
        raise ControlError(404, "client not found")
    return row


def _client_view(app: App, client_id: str) -> dict[str, Any]:
    row = _client(app, client_id)
    ships = app.store.all("SELECT * FROM shippings WHERE client_id = ? ORDER BY rowid", (client_id,))
    cart = app.store.one("SELECT id FROM client_carts WHERE client_id = ?", (client_id,))
    from sandbox.routes.common import shipping_full

    return {
        "id": row["id"],
        "nftId": row["nft_id"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "email": row["email"],
        "phoneCode": row["phone_code"],
        "contactNumber": row["contact_number"],
        "adminApproval": row["admin_approval"],
        "isKYCVerified": bool(row["is_kyc_verified"]),
        "isActive": bool(row["is_active"]),
        "rejectionNote": row["rejection_note"],
        "verifiedAt": row["verified_at"],
        "rejectedAt": row["rejected_at"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "cartId": cart["id"] if cart else None,
        "shippings": [shipping_full(s) for s in ships],
    }


@route("POST", "/clients/{client_id}/approve")
def approve_client(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        _client(app, params["client_id"])
        now = app.clock.now_iso()
        # Admin approval also activates the client (facts §8).
        conn.execute(
            "UPDATE clients SET admin_approval = 'VERIFIED', is_active = 1, verified_at = ?, updated_at ="
            " ? WHERE id = ?",
            (now, now, params["client_id"]),
        )
        conn.execute(
            "INSERT INTO client_logs (id, client_id, activity, created_at) VALUES (?,?,?,?)",
            (new_id(), params["client_id"], "Approved", now),
        )
        return _client_view(app, params["client_id"])


@route("POST", "/clients/{client_id}/reject")
def reject_client(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        _client(app, params["client_id"])
        now = app.clock.now_iso()
        conn.execute(
            "UPDATE clients SET admin_approval = 'REJECTED', is_active = 0, rejection_note = ?,"
            " rejected_at = ?,"
            " updated_at = ? WHERE id = ?",
            (body.get("rejectionNote", "Rejected by the sandbox admin"), now, now, params["client_id"]),
        )
        conn.execute(
            "INSERT INTO client_logs (id, client_id, activity, created_at) VALUES (?,?,?,?)",
            (new_id(), params["client_id"], "Rejected", now),
        )
        return _client_view(app, params["client_id"])


@route("POST", "/clients/{client_id}/kyc-pass")
def kyc_pass(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        _client(app, params["client_id"])
        now = app.clock.now_iso()
        conn.execute(
            "UPDATE clients SET is_kyc_verified = 1, updated_at = ? WHERE id = ?", (now, params["client_id"])
        )
        return _client_view(app, params["client_id"])


@route("POST", "/clients/{client_id}/set")
def set_client_flags(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    """Force any combination of the three gates (e.g. active but still PENDING) for edge-case tests."""
    cols = {"isActive": "is_active", "isKYCVerified": "is_kyc_verified", "adminApproval": "admin_approval"}
    with app.store.tx() as conn:
        _client(app, params["client_id"])
        for key, col in cols.items():
            if key in body:
                value = body[key]
                if key == "adminApproval" and value not in ("PENDING", "VERIFIED", "REJECTED"):
                    raise ValueError("adminApproval must be PENDING, VERIFIED or REJECTED")
                conn.execute(
                    f"UPDATE clients SET {col} = ? WHERE id = ?",  # noqa: S608 - col from a fixed map
                    (int(bool(value)) if key != "adminApproval" else value, params["client_id"]),
                )
        return _client_view(app, params["client_id"])


@route("GET", "/clients")
def list_clients(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.lock:
        ids = [r["id"] for r in app.store.all("SELECT id FROM clients ORDER BY created_at, rowid")]
        return {"clients": [_client_view(app, i) for i in ids]}


@route("GET", "/carts/{client_id}")
def get_cart(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.lock:
        cart = app.store.one("SELECT * FROM client_carts WHERE client_id = ?", (params["client_id"],))
        if cart is None:
            raise ControlError(404, "cart not found")
        items = app.store.all(
            "SELECT strain_id, quantity, created_at FROM cart_items WHERE cart_id = ? ORDER BY rowid",
            (cart["id"],),
        )
        return {
            "id": cart["id"],
            "clientId": params["client_id"],
            "items": [
                {"strainId": i["strain_id"], "quantity": i["quantity"], "createdAt": i["created_at"]}
                for i in items
            ],
        }


# ---- admin / processor / courier actions on orders --------------------------------------------


def _order(app: App, order_id: str) -> Any:
    row = app.store.one("SELECT * FROM orders WHERE id = ?", (order_id,))
    if row is None:
        raise ControlError(404, "order not found")
    return row


def order_view(app: App, row: Any) -> dict[str, Any]:
    lines = app.store.all(
        "SELECT strain_id, quantity FROM order_lines WHERE order_id = ? ORDER BY rowid", (row["id"],)
    )
    sale = app.store.one("SELECT id, stage FROM sales WHERE order_id = ?", (row["id"],))
    txs = app.store.all(
        "SELECT status, method, invoice, amount FROM transactions WHERE order_id = ? ORDER BY rowid",
        (row["id"],),
    )
    out = order_row_json(row)
    out.update(
        {
            "lines": [{"strainId": line["strain_id"], "quantity": line["quantity"]} for line in lines],
            "sale": None if sale is None else {"id": sale["id"], "stage": sale["stage"]},
            "transactions": [dict(t) for t in txs],
            "localPrice": {"currency": row["local_currency"], "totalAmount": row["local_total"]},
            "paymentMethod": row["payment_method"],
        }
    )
    return out


@route("GET", "/orders")
def list_orders(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.lock:
        if query.get("clientId"):
            rows = app.store.all(
                "SELECT * FROM orders WHERE client_id = ? ORDER BY created_at, rowid", (query["clientId"],)
            )
        else:
            rows = app.store.all("SELECT * FROM orders ORDER BY created_at, rowid")
        return {"orders": [order_view(app, r) for r in rows]}


@route("GET", "/orders/{order_id}")
def get_order(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.lock:
        return order_view(app, _order(app, params["order_id"]))


def _log(conn: Any, order_id: str, activity: str, now: str) -> None:
    conn.execute(
        "INSERT INTO order_logs (id, order_id, activity, created_at) VALUES (?,?,?,?)",
        (new_id(), order_id, activity, now),
    )


@route("POST", "/orders/{order_id}/approve")
def approve_order(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        _order(app, params["order_id"])
        now = app.clock.now_iso()
        conn.execute(
            "UPDATE orders SET admin_approval = 'VERIFIED', verified_at = ?, updated_at = ? WHERE id = ?",
            (now, now, params["order_id"]),
        )
        _log(conn, params["order_id"], "Approved", now)
        return order_view(app, _order(app, params["order_id"]))


@route("POST", "/orders/{order_id}/reject")
def reject_order(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        _order(app, params["order_id"])
        now = app.clock.now_iso()
        # Stock is not returned on rejection, as in the source.
        conn.execute(
            "UPDATE orders SET admin_approval = 'REJECTED', rejection_note = ?, rejected_at = ?,"
            " updated_at = ?"
            " WHERE id = ?",
            (body.get("rejectionNote", "order does not meet the requirements"), now, now, params["order_id"]),
        )
        _log(conn, params["order_id"], "Rejected", now)
        return order_view(app, _order(app, params["order_id"]))


def _processor_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


@route("POST", "/orders/{order_id}/pay")
def pay_order(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        row = _order(app, params["order_id"])
        if row["payment_status"] == "PAID":
            raise ControlError(409, "Order is already paid")
        now = app.clock.now_iso()
        invoice = body.get("invoice") or _processor_id()
        method = body.get("method", "CRYPTO")
        # The processor's id replaces the DG_… invoice number (facts §4.5).
        conn.execute(
            "UPDATE orders SET payment_status = 'PAID', invoice_number = ?, updated_at = ? WHERE id = ?",
            (invoice, now, row["id"]),
        )
        conn.execute(
            "INSERT INTO transactions (id, order_id, client_id, description, method, amount, invoice, status,"
            " destination, created_at) VALUES (?,?,?,?,?,?,?, 'COMPLETED', ?, ?)",
            (
                new_id(),
                row["id"],
                row["client_id"],
                "Order payment",
                method,
                row["total_amount"],
                invoice,
                "0x" + secrets.token_hex(20),
                now,
            ),
        )
        holder = app.store.one("SELECT id FROM holders WHERE nft_id = ?", (row["nft_id"],))
        conn.execute(
            "INSERT INTO commissions (id, order_id, user_id, nft_id, amount_in_dollar, amount_in_eth,"
            " payment_status,"
            " created_at, updated_at) VALUES (?,?,?,?,?,NULL,'PENDING',?,?)",
            (
                new_id(),
                row["id"],
                holder["id"] if holder else None,
                row["nft_id"],
                row["agent_profit"],
                now,
                now,
            ),
        )
        return order_view(app, _order(app, row["id"]))


@route("POST", "/orders/{order_id}/payment-failed")
def payment_failed(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        row = _order(app, params["order_id"])
        now = app.clock.now_iso()
        conn.execute(
            "INSERT INTO transactions (id, order_id, client_id, description, method, amount, invoice, status,"
            " destination, created_at) VALUES (?,?,?,?,?,?,?, 'FAILED', NULL, ?)",
            (
                new_id(),
                row["id"],
                row["client_id"],
                "Order payment failed",
                body.get("method", "FIAT"),
                row["total_amount"],
                _processor_id(),
                now,
            ),
        )
        conn.execute("UPDATE orders SET updated_at = ? WHERE id = ?", (now, row["id"]))
        return order_view(app, _order(app, row["id"]))


@route("POST", "/orders/{order_id}/status")
def order_status(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    target = body.get("orderStatus")
    if target not in ("PENDING", "PROCESSING", "SHIPPED", "DELIVERED"):
        raise ValueError("orderStatus must be one of PENDING, PROCESSING, SHIPPED, DELIVERED")
    with app.store.tx() as conn:
        row = _order(app, params["order_id"])
        if row["admin_approval"] != "VERIFIED":
            # The real admin endpoint silently ignores this; the control plane says so loudly.
            raise ControlError(409, "Order is not VERIFIED by admin")
        if target not in FLOW.get(row["order_status"], set()):
            raise ControlError(409, "Wrong order status flow")
        now = app.clock.now_iso()
        conn.execute(
            "UPDATE orders SET order_status = ?, updated_at = ? WHERE id = ?", (target, now, row["id"])
        )
        _log(conn, row["id"], ACTIVITY[target], now)
        if target == "DELIVERED":
            conn.execute(
                "UPDATE sales SET stage = 'CLOSED', updated_at = ? WHERE order_id = ?", (now, row["id"])
            )
        return order_view(app, _order(app, row["id"]))


# ---- catalogue --------------------------------------------------------------------------------


@route("POST", "/strains/{strain_id}/stock")
def strain_stock(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    from sandbox.seed import ensure_location

    code = body.get("countryCode")
    if not isinstance(code, str):
        raise ValueError("countryCode is required")
    with app.store.tx() as conn:
        strain = app.store.one("SELECT * FROM strains WHERE id = ?", (params["strain_id"],))
        if strain is None:
            raise ControlError(404, "strain not found")
        loc_id = ensure_location(app, code)
        existing = app.store.one(
            "SELECT * FROM strain_locations WHERE strain_id = ? AND location_id = ?", (strain["id"], loc_id)
        )
        stock = body.get("stockQuantity", existing["stock_quantity"] if existing else 0)
        active = body.get("isActive", bool(existing["is_active"]) if existing else True)
        available = body.get("isAvailable", bool(existing["is_available"]) if existing else True)
        conn.execute(
            "INSERT INTO strain_locations (strain_id, location_id, stock_quantity, is_active, is_available)"
            " VALUES (?,?,?,?,?) ON CONFLICT (strain_id, location_id) DO UPDATE SET stock_quantity ="
            " excluded.stock_quantity,"
            " is_active = excluded.is_active, is_available = excluded.is_available",
            (strain["id"], loc_id, stock, int(bool(active)), int(bool(available))),
        )
        for key, col in (
            ("globalStockQuantity", "stock_quantity"),
            ("globalIsActive", "is_active"),
            ("globalIsAvailable", "is_available"),
            ("retailPrice", "retail_price"),
            ("wholeSalePrice", "wholesale_price"),
        ):
            if key in body:
                value = body[key]
                conn.execute(
                    f"UPDATE strains SET {col} = ? WHERE id = ?",  # noqa: S608 - col from a fixed map
                    (int(value) if isinstance(value, bool) else value, strain["id"]),
                )
        locs = app.store.all(
            "SELECT l.country_code, sl.stock_quantity, sl.is_active, sl.is_available FROM strain_locations sl"
            " JOIN locations l ON l.id = sl.location_id WHERE sl.strain_id = ?",
            (strain["id"],),
        )
        return {
            "strainId": strain["id"],
            "locations": [
                {
                    "countryCode": r["country_code"],
                    "stockQuantity": r["stock_quantity"],
                    "isActive": bool(r["is_active"]),
                    "isAvailable": bool(r["is_available"]),
                }
                for r in locs
            ],
        }


@route("GET", "/strains")
def list_strains(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.lock:
        rows = app.store.all(
            "SELECT id, name, retail_price, wholesale_price, stock_quantity, is_active, is_available"
            " FROM strains ORDER BY created_at, rowid"
        )
        return {
            "strains": [
                {
                    "id": r["id"],
                    "name": r["name"],
                    "retailPrice": r["retail_price"],
                    "wholeSalePrice": r["wholesale_price"],
                    "stockQuantity": r["stock_quantity"],
                    "isActive": bool(r["is_active"]),
                    "isAvailable": bool(r["is_available"]),
                }
                for r in rows
            ]
        }
