"""Control plane: Dr Green's admin acting on the catalogue (per-country stock for strains), plus a
read-only view of strains for test assertions. Clients and orders have their own modules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.errors import ControlError
from sandbox.routing import CONTROL_PREFIX, RouteTable
from sandbox.seed_catalogue import ensure_location

if TYPE_CHECKING:
    from sandbox.app import App

routes = RouteTable(CONTROL_PREFIX, ignore_case=False)


# ---- catalogue --------------------------------------------------------------------------------


@routes.post("/strains/:strain_id/stock")
def strain_stock(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
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


@routes.get("/strains")
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
