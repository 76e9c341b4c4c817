"""Control plane: Dr Green's admin acting on clients (approve, reject, KYC, forced flags), plus
read-only views of clients and carts for test assertions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.errors import ControlError
from sandbox.routes.common import shipping_full
from sandbox.routing import CONTROL_PREFIX, RouteTable
from sandbox.store import new_id

if TYPE_CHECKING:
    from sandbox.app import App

routes = RouteTable(CONTROL_PREFIX, ignore_case=False)


def _client(app: App, client_id: str) -> Any:
    row = app.store.one("SELECT * FROM clients WHERE id = ?", (client_id,))
    if row is None:
        raise ControlError(404, "client not found")
    return row


def _client_view(app: App, client_id: str) -> dict[str, Any]:
    row = _client(app, client_id)
    ships = app.store.all("SELECT * FROM shippings WHERE client_id = ? ORDER BY rowid", (client_id,))
    cart = app.store.one("SELECT id FROM client_carts WHERE client_id = ?", (client_id,))
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


def _log(conn: Any, client_id: str, activity: str, now: str) -> None:
    """A client activity row, as Dr Green's admin actions leave one (``order_logs`` twin)."""
    conn.execute(
        "INSERT INTO client_logs (id, client_id, activity, created_at) VALUES (?,?,?,?)",
        (new_id(), client_id, activity, now),
    )


@routes.post("/clients/:client_id/approve")
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
        _log(conn, params["client_id"], "Approved", now)
        return _client_view(app, params["client_id"])


@routes.post("/clients/:client_id/reject")
def reject_client(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        _client(app, params["client_id"])
        now = app.clock.now_iso()
        # ``rejectClients`` / ``updateClientStatus``: approval, note and time only; ``isActive``
        # keeps its value, so a client rejected after approval stays active and an order is
        # refused at the approval gate (409 ``Approval is REJECTED by admin``).
        conn.execute(
            "UPDATE clients SET admin_approval = 'REJECTED', rejection_note = ?, rejected_at = ?,"
            " updated_at = ? WHERE id = ?",
            (body.get("rejectionNote", "Rejected by the sandbox admin"), now, now, params["client_id"]),
        )
        _log(conn, params["client_id"], "Rejected", now)
        return _client_view(app, params["client_id"])


@routes.post("/clients/:client_id/kyc-pass")
def kyc_pass(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        _client(app, params["client_id"])
        now = app.clock.now_iso()
        conn.execute(
            "UPDATE clients SET is_kyc_verified = 1, updated_at = ? WHERE id = ?", (now, params["client_id"])
        )
        return _client_view(app, params["client_id"])


@routes.post("/clients/:client_id/set")
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


@routes.get("/clients")
def list_clients(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.lock:
        ids = [r["id"] for r in app.store.all("SELECT id FROM clients ORDER BY created_at, rowid")]
        return {"clients": [_client_view(app, i) for i in ids]}


@routes.get("/carts/:client_id")
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
