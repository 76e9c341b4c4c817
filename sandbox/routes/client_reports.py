"""Client sub-resources and charts: ``/dapp/client/{id}/orders|transactions``, chart-data, status-breakdown.

Registered before ``routes.clients`` so ``/dapp/clients/chart-data`` is not taken for a ``:clientId``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sandbox.routes import client_dtos as dto
from sandbox.routes.common import breakdown, chart, paging, placeholders, sort_dir
from sandbox.routes.order_dtos import LIST_ORDERS
from sandbox.routes.orders import lines_by_order
from sandbox.routing import Ctx, RouteTable
from sandbox.validation import date_window, uuid_param, validate

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

routes = RouteTable()


def _window_rows(ctx: Ctx, q: dict[str, Any]) -> list[sqlite3.Row]:
    start, end = date_window(q) or ("", "")
    where = "c.nft_id = ? AND c.created_at >= ? AND c.created_at <= ?"
    args: list[Any] = [ctx.nft_id, start, end]
    if q.get("countryCodes"):
        codes = list(q["countryCodes"])
        where += (
            f" AND EXISTS (SELECT 1 FROM shippings s WHERE s.client_id = c.id"
            f" AND s.country_code IN ({placeholders(len(codes))}))"
        )
        args += codes
    return ctx.store.all(f"SELECT c.created_at, c.admin_approval FROM clients c WHERE {where}", args)


@routes.get("/dapp/clients/chart-data")
def chart_data(ctx: Ctx) -> Any:
    q = validate(dto.FILTER_BY_COUNTRY, ctx.query)
    rows = _window_rows(ctx, q)
    return chart([(r["created_at"], 1) for r in rows], q["startDate"], q["endDate"])


@routes.get("/dapp/clients/status-breakdown")
def status_breakdown(ctx: Ctx) -> Any:
    q = validate(dto.FILTER_BY_COUNTRY, ctx.query)
    counts: dict[str, int] = {}
    for r in _window_rows(ctx, q):
        counts[r["admin_approval"]] = counts.get(r["admin_approval"], 0) + 1
    return breakdown(counts)


@routes.get("/dapp/client/:clientId/orders")
def client_orders(ctx: Ctx) -> Any:
    uuid_param("clientId", ctx.params["clientId"])
    q = validate(LIST_ORDERS, ctx.query)
    where = "o.client_id = ? AND o.nft_id = ?"
    args: list[Any] = [ctx.params["clientId"], ctx.nft_id]
    if q.get("status"):
        where += " AND o.order_status = ?"
        args.append(q["status"])
    count = ctx.store.count(f"SELECT COUNT(*) FROM orders o WHERE {where}", args)
    take, skip = paging(q)
    direction = sort_dir(q)
    rows = ctx.store.all(
        f"SELECT o.* FROM orders o WHERE {where} ORDER BY o.created_at {direction}, o.rowid {direction} "
        "LIMIT ? OFFSET ?",
        [*args, take, skip],
    )
    lines = lines_by_order(ctx, [r["id"] for r in rows])
    orders = []
    for r in rows:
        own = lines.get(r["id"], [])
        orders.append(
            {
                "id": r["id"],
                "createdAt": r["created_at"],
                "updatedAt": r["updated_at"],
                "paymentStatus": r["payment_status"],
                "orderStatus": r["order_status"],
                "invoiceNumber": r["invoice_number"],
                "totalAmount": r["total_amount"],
                "totalOrdered": len(own),
                "totalQuantity": sum(line["quantity"] for line in own),
                # The source sums unit prices without the quantity; kept on purpose.
                "totalPrice": sum(line["retail_price"] for line in own),
            }
        )
    return {"orders": orders, "paginationCount": count}


@routes.get("/dapp/client/:clientId/transactions")
def client_transactions(ctx: Ctx) -> Any:
    uuid_param("clientId", ctx.params["clientId"])
    q = validate(dto.TRANSACTIONS_QUERY, ctx.query)
    where = "client_id = ?"
    args: list[Any] = [ctx.params["clientId"]]
    for key, col in (("status", "status"), ("method", "method")):
        if q.get(key):
            where += f" AND {col} = ?"
            args.append(q[key])
    # Not scoped to the holder and not paginated, although a pageMetaDto is attached.
    rows = ctx.store.all(
        f"SELECT * FROM transactions WHERE {where} ORDER BY created_at DESC, rowid DESC",
        args,
    )
    txs = [
        {
            "id": r["id"],
            "description": r["description"],
            "method": r["method"],
            "amount": r["amount"],
            "invoice": r["invoice"],
            "status": r["status"],
            "destination": r["destination"],
            "createdAt": r["created_at"],
        }
        for r in rows
    ]
    return {"transactions": txs, "paginationCount": len(txs)}
