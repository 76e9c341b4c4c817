"""Control plane: Dr Green's admin, payment processor and courier acting on orders
(approve/reject/pay/fail/ship/deliver, with the real status-flow table), plus read-only views."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from sandbox.errors import ControlError
from sandbox.routes.order_create import order_row_json
from sandbox.routing import CONTROL_PREFIX, RouteTable
from sandbox.store import new_id

if TYPE_CHECKING:
    from sandbox.app import App

routes = RouteTable(CONTROL_PREFIX, ignore_case=False)

FLOW = {
    "PENDING": {"PROCESSING", "SHIPPED", "DELIVERED"},
    "PROCESSING": {"SHIPPED", "DELIVERED"},
    "SHIPPED": {"DELIVERED"},
}
ACTIVITY = {"PROCESSING": "Processing", "SHIPPED": "Shipped", "DELIVERED": "Delivered"}


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


@routes.get("/orders")
def list_orders(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.lock:
        if query.get("clientId"):
            rows = app.store.all(
                "SELECT * FROM orders WHERE client_id = ? ORDER BY created_at, rowid", (query["clientId"],)
            )
        else:
            rows = app.store.all("SELECT * FROM orders ORDER BY created_at, rowid")
        return {"orders": [order_view(app, r) for r in rows]}


@routes.get("/orders/:order_id")
def get_order(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.lock:
        return order_view(app, _order(app, params["order_id"]))


def _log(conn: Any, order_id: str, activity: str, now: str) -> None:
    conn.execute(
        "INSERT INTO order_logs (id, order_id, activity, created_at) VALUES (?,?,?,?)",
        (new_id(), order_id, activity, now),
    )


@routes.post("/orders/:order_id/approve")
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


@routes.post("/orders/:order_id/reject")
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


@routes.post("/orders/:order_id/pay")
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


@routes.post("/orders/:order_id/payment-failed")
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


@routes.post("/orders/:order_id/status")
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
