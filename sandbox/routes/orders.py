"""``/dapp/orders`` (facts §6.2) and the client-scoped order detail."""

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox.countries import country_info
from sandbox.errors import HttpError
from sandbox.routes import order_dtos as dto
from sandbox.routes.clients import approval_summary
from sandbox.routes.common import (
    DELIVERY_CHARGE,
    breakdown,
    chart,
    client_name_filter,
    nft_by_id,
    paging,
    placeholders,
    shipping_full,
    shippings_by_client,
    sort_dir,
)
from sandbox.routes.order_create import create_order_cart, create_order_docs
from sandbox.routing import Ctx, RouteTable
from sandbox.validation import PAGINATION, date_window, is_uuid, uuid_param, validate

routes = RouteTable()


def lines_by_order(ctx: Ctx, order_ids: list[str], *, lean: bool = False) -> dict[str, list[sqlite3.Row]]:
    """Order lines joined with the strain's *current* prices, batched to avoid N+1 queries."""
    out: dict[str, list[sqlite3.Row]] = {}
    cols = (
        "l.order_id, l.quantity, s.retail_price"
        if lean
        else "l.order_id, l.quantity, l.created_at, l.strain_id, s.name, s.image_key, s.description,"
        " s.retail_price, s.wholesale_price"
    )
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start : start + 500]
        rows = ctx.store.all(
            f"SELECT {cols} FROM order_lines l JOIN strains s ON s.id = l.strain_id"
            f" WHERE l.order_id IN ({placeholders(len(chunk))}) ORDER BY l.rowid",
            chunk,
        )
        for row in rows:
            out.setdefault(row["order_id"], []).append(row)
    return out


def line_totals(ctx: Ctx, order_ids: list[str]) -> dict[str, tuple[int, float, float]]:
    """Per order: (line count, total quantity, Σ qty × *current* retail price), aggregated in SQL."""
    out: dict[str, tuple[int, float, float]] = {}
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start : start + 500]
        for row in ctx.store.conn.execute(
            "SELECT l.order_id, COUNT(*), SUM(l.quantity), SUM(l.quantity * s.retail_price)"
            " FROM order_lines l JOIN strains s ON s.id = l.strain_id"
            f" WHERE l.order_id IN ({placeholders(len(chunk))}) GROUP BY l.order_id",
            chunk,
        ):
            out[row[0]] = (row[1], row[2], row[3])
    return out


def completed_methods(ctx: Ctx, order_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start : start + 500]
        for row in ctx.store.all(
            f"SELECT order_id, method FROM transactions WHERE status = 'COMPLETED' AND order_id IN "
            f"({placeholders(len(chunk))}) ORDER BY rowid",
            chunk,
        ):
            out.setdefault(row["order_id"], []).append({"method": row["method"]})
    return out


def _filters(ctx: Ctx, q: dict[str, Any]) -> tuple[str, list[Any]]:
    where = ["o.nft_id = ?"]
    args: list[Any] = [ctx.nft_id]
    window = date_window(q)
    if window:
        where.append("o.created_at >= ? AND o.created_at <= ?")
        args += list(window)
    if q.get("clientIds") is not None:
        ids = [str(i) for i in q["clientIds"]]
        where.append(f"o.client_id IN ({placeholders(len(ids))})" if ids else "0")
        args += ids
    if q.get("search") and q.get("searchBy") == "clientName":
        clause, extra = client_name_filter(q["search"])
        where.append(clause)
        args += extra
    for key, col in (
        ("status", "order_status"),
        ("paymentStatus", "payment_status"),
        ("adminApproval", "admin_approval"),
    ):
        if q.get(key):
            where.append(f"o.{col} = ?")
            args.append(q[key])
    return " AND ".join(where), args


@routes.post("/dapp/orders")
def create_order(ctx: Ctx) -> Any:
    if ctx.app.config.order_body_mode == "docs":
        return create_order_docs(ctx, validate(dto.CREATE_ORDER_DOCS, ctx.body))
    return create_order_cart(ctx, validate(dto.CREATE_ORDER, ctx.body))


@routes.get("/dapp/orders")
def list_orders(ctx: Ctx) -> Any:
    q = validate(dto.LIST_ORDERS, ctx.query)
    where, args = _filters(ctx, q)
    direction = sort_dir(q)
    if q.get("adminApproval") == "VERIFIED":
        order = f"o.verified_at IS NULL, o.verified_at {direction}, o.rowid {direction}"
    elif q.get("adminApproval") == "REJECTED":
        order = f"o.rejected_at IS NULL, o.rejected_at {direction}, o.rowid {direction}"
    else:
        order = f"o.created_at {direction}, o.rowid {direction}"
    needs_client = "c." in where
    join = " JOIN clients c ON c.id = o.client_id" if needs_client else ""
    count = ctx.store.count(f"SELECT COUNT(*) FROM orders o{join} WHERE {where}", args)
    take, skip = paging(q)
    # Page over the (nft_id, createdAt[, status]) indexes with rowids only, then load the 500 rows:
    # a deep OFFSET then skips index entries instead of fully joined rows.
    page_ids = [
        r[0]
        for r in ctx.store.all(
            f"SELECT o.rowid FROM orders o{join} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*args, take, skip],
        )
    ]
    loaded = {}
    if page_ids:
        sql = (
            "SELECT o.rowid AS rid, o.id, o.client_id, o.invoice_number, o.order_status, o.admin_approval,"
            " o.payment_status, o.total_amount, o.rejection_note, o.created_at, o.local_currency,"
            " o.local_total, c.first_name, c.last_name, sh.country AS sh_country, sh.country_code AS sh_code"
            " FROM orders o JOIN clients c ON c.id = o.client_id"
            " LEFT JOIN shippings sh ON sh.id = o.shipping_id"
            f" WHERE o.rowid IN ({placeholders(len(page_ids))})"
        )
        loaded = {r["rid"]: r for r in ctx.store.all(sql, page_ids)}
    rows = [loaded[rid] for rid in page_ids]
    ids = [r["id"] for r in rows]
    totals = line_totals(ctx, ids)
    txs = completed_methods(ctx, ids)
    ships = shippings_by_client(ctx, list({r["client_id"] for r in rows}))
    logs: dict[str, list[dict[str, Any]]] = {}
    if q.get("adminApproval") == "VERIFIED" and ids:
        for log in ctx.store.all(
            "SELECT * FROM order_logs WHERE activity = 'Approved' AND order_id IN"
            f" ({placeholders(len(ids))})",
            ids,
        ):
            logs.setdefault(log["order_id"], []).append(
                {"activity": log["activity"], "createdAt": log["created_at"]}
            )
    holder_nft = (
        {"tokenId": ctx.holder["token_id"], "ownerId": ctx.holder["owner_id"]} if ctx.holder else None
    )
    orders = []
    for r in rows:
        n_lines, quantity, price = totals.get(r["id"], (0, 0, 0))
        item: dict[str, Any] = {
            "id": r["id"],
            "invoiceNumber": r["invoice_number"],
            "orderStatus": r["order_status"],
            "adminApproval": r["admin_approval"],
            "paymentStatus": r["payment_status"],
            "totalAmount": r["total_amount"],
            "transactions": txs.get(r["id"], []),
        }
        if q.get("adminApproval") == "REJECTED":
            item["rejectionNote"] = r["rejection_note"]
        if q.get("adminApproval") == "VERIFIED":
            item["orderLogs"] = logs.get(r["id"], [])
        item.update(
            {
                "createdAt": r["created_at"],
                "nft": holder_nft,
                "client": {
                    "id": r["client_id"],
                    "firstName": r["first_name"],
                    "lastName": r["last_name"],
                    "shippings": [{"countryCode": s["country_code"]} for s in ships.get(r["client_id"], [])],
                },
                "shipping": {"country": r["sh_country"], "countryCode": r["sh_code"], "currency": None},
                "_count": {"orderLines": n_lines},
                "totalQuantity": quantity,
                "totalPrice": price,
                "localPrice": {"currency": r["local_currency"], "totalAmount": r["local_total"]},
            }
        )
        orders.append(item)
    return {"orders": orders, "paginationCount": count}


@routes.get("/dapp/orders/recent")
def recent(ctx: Ctx) -> Any:
    q = validate(PAGINATION, ctx.query)
    count = ctx.store.count("SELECT COUNT(*) FROM orders WHERE nft_id = ?", (ctx.nft_id,))
    take, skip = paging(q)
    rows = ctx.store.all(
        "SELECT o.*, c.first_name, c.last_name FROM orders o JOIN clients c ON c.id = o.client_id"
        " WHERE o.nft_id = ? ORDER BY o.created_at DESC, o.rowid DESC LIMIT ? OFFSET ?",
        (ctx.nft_id, take, skip),
    )
    totals = line_totals(ctx, [r["id"] for r in rows])
    ships = shippings_by_client(ctx, list({r["client_id"] for r in rows}))
    out = []
    for r in rows:
        _, quantity, price = totals.get(r["id"], (0, 0, 0))
        shippings = [shipping_full(s) for s in ships.get(r["client_id"], [])]
        out.append(
            {
                "id": r["id"],
                "createdAt": r["created_at"],
                "updatedAt": r["updated_at"],
                "paymentStatus": r["payment_status"],
                "orderStatus": r["order_status"],
                "client": {
                    "id": r["client_id"],
                    "firstName": r["first_name"],
                    "lastName": r["last_name"],
                    "shippings": shippings,
                },
                "totalQuantity": quantity,
                "shippings": shippings,
                "totalPrice": price,
            }
        )
    return {"recentOrders": out, "paginationCount": count}


@routes.get("/dapp/orders/summary")
def summary(ctx: Ctx) -> Any:
    return approval_summary(ctx, "orders")


def _window(ctx: Ctx, q: dict[str, Any]) -> list[sqlite3.Row]:
    start, end = date_window(q) or ("", "")
    where = "nft_id = ? AND created_at >= ? AND created_at <= ?"
    args: list[Any] = [ctx.nft_id, start, end]
    if q.get("clientIds") is not None:
        ids = [str(i) for i in q["clientIds"]]
        where += f" AND client_id IN ({placeholders(len(ids))})" if ids else " AND 0"
        args += ids
    return ctx.store.all(f"SELECT created_at, admin_approval FROM orders WHERE {where}", args)


@routes.get("/dapp/orders/chart-data")
def chart_data(ctx: Ctx) -> Any:
    q = validate(dto.FILTER_BY_CLIENTS, ctx.query)
    return chart([(r["created_at"], 1) for r in _window(ctx, q)], q["startDate"], q["endDate"])


@routes.get("/dapp/orders/status-breakdown")
def status_breakdown(ctx: Ctx) -> Any:
    q = validate(dto.FILTER_BY_CLIENTS, ctx.query)
    counts: dict[str, int] = {}
    for r in _window(ctx, q):
        counts[r["admin_approval"]] = counts.get(r["admin_approval"], 0) + 1
    return breakdown(counts)


def order_details(ctx: Ctx, order_id: str, client_id: str | None = None) -> dict[str, Any] | None:
    """The detail body: totals recomputed from *current* prices, no adminApproval (facts §6.2)."""
    sql = "SELECT * FROM orders WHERE id = ?"
    args: list[Any] = [order_id]
    if client_id is not None:
        sql += " AND client_id = ?"
        args.append(client_id)
    row = ctx.store.one(sql, args)
    if row is None:
        return None
    client = ctx.store.one("SELECT * FROM clients WHERE id = ?", (row["client_id"],))
    lines = lines_by_order(ctx, [row["id"]]).get(row["id"], [])
    ships = shippings_by_client(ctx, [row["client_id"]])[row["client_id"]]
    total_retail = sum(line["retail_price"] * line["quantity"] for line in lines)
    total_wholesale = sum(line["wholesale_price"] * line["quantity"] for line in lines)
    order_lines = []
    for line in lines:
        amount = line["retail_price"] * line["quantity"]
        order_lines.append(
            {
                "quantity": line["quantity"],
                "strain": {
                    "id": line["strain_id"],
                    "name": line["name"],
                    "imageUrl": line["image_key"],
                    "description": line["description"],
                    "wholeSalePrice": line["wholesale_price"],
                    "retailPrice": line["retail_price"],
                },
                "productAmount": amount,
                "productProfit": amount - line["wholesale_price"] * line["quantity"],
            }
        )
    currency = row["local_currency"] or "USD"
    country = row["local_country"] or country_info("USA")[0]
    local_total = row["local_total"]
    local_wholesale = row["local_wholesale"]
    return {
        "id": row["id"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "invoiceNumber": row["invoice_number"],
        "orderStatus": row["order_status"],
        "paymentStatus": row["payment_status"],
        "totalAmount": total_retail,
        "transactions": completed_methods(ctx, [row["id"]]).get(row["id"], []),
        "nft": nft_by_id(ctx, row["nft_id"]),
        "client": {
            "id": row["client_id"],
            "firstName": client["first_name"] if client else None,
            "lastName": client["last_name"] if client else None,
            "phoneCode": client["phone_code"] if client else None,
            "contactNumber": client["contact_number"] if client else None,
            "shippings": [shipping_full(s) for s in ships],
        },
        "orderLines": order_lines,
        "deliveryFee": DELIVERY_CHARGE,
        "totalProfit": total_retail - total_wholesale,
        "totalOrdered": len(lines),
        "totalQuantity": sum(line["quantity"] for line in lines),
        "localPrice": {
            "currency": currency,
            "totalAmount": local_total,
            "totalProfit": None if local_total is None else round(local_total - (local_wholesale or 0), 2),
            "wholeSalePrice": local_wholesale,
            "retailPrice": local_total,
            "location": {"country": country, "currency": currency},
        },
    }


@routes.get("/dapp/orders/:orderId")
def detail(ctx: Ctx) -> Any:
    uuid_param("orderId", ctx.params["orderId"])
    # Not scoped to the holder: any holder's order id resolves (facts §4.4).
    return {"orderDetails": order_details(ctx, ctx.params["orderId"])}


@routes.get("/dapp/clients/:clientId/orders/:orderId")
def client_order_detail(ctx: Ctx) -> Any:
    errors = [f"{k} must be a UUID" for k in ("clientId", "orderId") if not _is_uuid(ctx.params[k])]
    if errors:
        raise HttpError(400, errors)
    return {"orderDetails": order_details(ctx, ctx.params["orderId"], ctx.params["clientId"])}


def _is_uuid(value: str) -> bool:
    return is_uuid(value)
