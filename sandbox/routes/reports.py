"""Revenue, dashboard and commissions (facts §6.4, §6.7, §6.8)."""

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sandbox.routes.common import chart, client_name_filter, paging, placeholders, sort_dir
from sandbox.routing import Ctx, RouteTable
from sandbox.store import iso
from sandbox.validation import (
    PAGINATION,
    Field,
    date_fields,
    date_window,
    json_array_field,
    r_enum,
    r_not_empty,
    r_string,
    search_fields,
    validate,
)

routes = RouteTable()
ETH_USD = 3000.0  # fixed rate so amountInEth is deterministic

REVENUE_QUERY: list[Field] = [
    *date_fields(required=False),
    Field("search", [r_string()], optional=True),
    json_array_field("countryCodes"),
    json_array_field("clientIds"),
    *PAGINATION,
]
REVENUE_CHART: list[Field] = [
    json_array_field("countryCodes"),
    json_array_field("clientIds"),
    *date_fields(True),
]
ANALYTICS: list[Field] = [
    *date_fields(True),
    Field("filterBy", [r_enum(["Client", "Order", "Profit"]), r_not_empty()]),
]
COMMISSIONS_QUERY: list[Field] = [
    Field("paymentStatus", [r_enum(["PENDING", "PAID"])], optional=True),
    *search_fields(),
    *PAGINATION,
]


def _revenue_lines(ctx: Ctx, q: dict[str, Any], *, delivered: bool = True) -> list[Any]:
    where = ["o.nft_id = ?", "o.payment_status = 'PAID'"]
    args: list[Any] = [ctx.nft_id]
    if delivered:
        where.append("o.order_status = 'DELIVERED'")
    window = date_window(q)
    if window:
        where.append("o.created_at >= ? AND o.created_at <= ?")
        args += list(window)
    if q.get("clientIds") is not None:
        ids = [str(i) for i in q["clientIds"]]
        where.append(f"o.client_id IN ({placeholders(len(ids))})" if ids else "0")
        args += ids
    if q.get("countryCodes") is not None:
        codes = [str(c) for c in q["countryCodes"]]
        where.append(f"sh.country_code IN ({placeholders(len(codes))})" if codes else "0")
        args += codes
    if q.get("search"):
        where.append("instr(lower(s.name), lower(?)) > 0")
        args.append(q["search"])
    return ctx.store.all(
        "SELECT o.created_at, l.quantity, s.id AS strain_id, s.name, s.retail_price, s.wholesale_price"
        " FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN strains s ON s.id = l.strain_id"
        f" LEFT JOIN shippings sh ON sh.id = o.shipping_id WHERE {' AND '.join(where)}",
        args,
    )


@routes.get("/dapp/revenue")
def revenue(ctx: Ctx) -> Any:
    q = validate(REVENUE_QUERY, ctx.query)
    groups: dict[str, dict[str, Any]] = {}
    for r in _revenue_lines(ctx, q):
        g = groups.setdefault(
            r["strain_id"],
            {
                "strainId": r["strain_id"],
                "strainName": r["name"],
                "wholeSalePrice": r["wholesale_price"],
                "retailPrice": r["retail_price"],
                "totalQuantity": 0.0,
                "totalSales": 0.0,
            },
        )
        g["totalQuantity"] += r["quantity"]
        g["totalSales"] += r["quantity"] * r["retail_price"]
    rows = []
    for g in groups.values():
        total = int(round(g["totalSales"]))  # the SQL casts the sums to integers
        rows.append(
            {**g, "totalQuantity": int(round(g["totalQuantity"])), "totalSales": total, "totalRevenue": total}
        )
    rows.sort(key=lambda g: -g["totalSales"])
    take, skip = paging(q)
    return {"strains": rows[skip : skip + take], "paginationCount": len(rows)}


@routes.get("/dapp/revenue/summary")
def revenue_summary(ctx: Ctx) -> Any:
    q = validate(REVENUE_QUERY, ctx.query)
    paid = sum(r["quantity"] * r["retail_price"] for r in _revenue_lines(ctx, q, delivered=False))
    delivered = sum(r["quantity"] * r["retail_price"] for r in _revenue_lines(ctx, q))
    return {"summary": {"totalSales": int(round(paid)), "totalProfit": int(round(delivered))}}


@routes.get("/dapp/revenue/chart-data")
def revenue_chart(ctx: Ctx) -> Any:
    q = validate(REVENUE_CHART, ctx.query)
    points = [(r["created_at"], r["quantity"] * r["retail_price"]) for r in _revenue_lines(ctx, q)]
    return chart(points, q["startDate"], q["endDate"])


@routes.get("/dapp/dashboard/summary")
def dashboard(ctx: Ctx) -> Any:
    store = ctx.store
    month_ago = iso(ctx.app.clock.now() - timedelta(days=30))
    total = store.scalar(
        "SELECT SUM(agent_profit) FROM orders WHERE nft_id = ? AND order_status IN"
        " ('PROCESSING','SHIPPED','DELIVERED')",
        (ctx.nft_id,),
    )
    estimate = store.scalar(
        "SELECT SUM(agent_profit) FROM orders WHERE nft_id = ? AND order_status = 'DELIVERED' AND"
        " created_at < ?",
        (ctx.nft_id, month_ago),
    )
    return {
        "clientCount": store.scalar("SELECT COUNT(*) FROM clients WHERE nft_id = ?", (ctx.nft_id,)),
        "orderCount": store.scalar("SELECT COUNT(*) FROM orders WHERE nft_id = ?", (ctx.nft_id,)),
        "productCount": store.scalar("SELECT COUNT(*) FROM strains"),
        "estimateProfit": estimate,  # null (not 0) when nothing matches, as Prisma returns it
        "totalProfit": total,
        "profitRecieved": round((total or 0) - (estimate or 0)),  # sic
    }


@routes.get("/dapp/dashboard/analytics")
def analytics(ctx: Ctx) -> Any:
    q = validate(ANALYTICS, ctx.query)
    start, end = date_window(q) or ("", "")
    if q["filterBy"] == "Client":
        rows = ctx.store.all(
            "SELECT created_at FROM clients WHERE nft_id = ? AND created_at >= ? AND created_at <= ?",
            (ctx.nft_id, start, end),
        )
        points = [(r["created_at"], 1) for r in rows]
    else:
        rows = ctx.store.all(
            "SELECT created_at, agent_profit FROM orders WHERE nft_id = ? AND created_at >= ? AND"
            " created_at <= ?",
            (ctx.nft_id, start, end),
        )
        profit = q["filterBy"] == "Profit"
        points = [(r["created_at"], r["agent_profit"] if profit else 1) for r in rows]
    return chart(points, q["startDate"], q["endDate"])


@routes.get("/dapp/commissions")
def commissions(ctx: Ctx) -> Any:
    q = validate(COMMISSIONS_QUERY, ctx.query)
    where = "cm.nft_id = ?"
    args: list[Any] = [ctx.nft_id]
    if q.get("paymentStatus"):
        where += " AND cm.payment_status = ?"
        args.append(q["paymentStatus"])
    if q.get("search") and q.get("searchBy") == "clientName":
        clause, extra = client_name_filter(q["search"])
        where += " AND " + clause
        args += extra
    base = (
        "FROM commissions cm JOIN orders o ON o.id = cm.order_id JOIN clients c ON c.id = o.client_id"
        f" WHERE {where}"
    )
    count = ctx.store.count(f"SELECT COUNT(*) {base}", args)
    take, skip = paging(q)
    direction = sort_dir(q)
    rows = ctx.store.all(
        "SELECT cm.*, o.agent_profit, o.total_amount, o.order_status, c.id AS cid, c.first_name,"
        " c.last_name,"
        f" c.email {base} ORDER BY cm.created_at {direction}, cm.rowid {direction} LIMIT ? OFFSET ?",
        [*args, take, skip],
    )
    out = []
    for r in rows:
        logs = ctx.store.all(
            "SELECT activity, created_at FROM order_logs WHERE order_id = ? AND activity = 'Delivered'",
            (r["order_id"],),
        )
        qty = ctx.store.scalar(
            "SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE order_id = ?", (r["order_id"],)
        )
        out.append(
            {
                "id": r["id"],
                "amountInDollar": r["amount_in_dollar"],
                "amountInEth": None,
                "userId": r["user_id"],
                "paymentStatus": r["payment_status"],
                "createdAt": r["created_at"],
                "updatedAt": r["updated_at"],
                "order": {
                    "id": r["order_id"],
                    "agentProfit": r["agent_profit"],
                    "totalAmount": r["total_amount"],
                    "orderStatus": r["order_status"],
                    "orderLogs": [{"activity": g["activity"], "createdAt": g["created_at"]} for g in logs],
                    "client": {
                        "id": r["cid"],
                        "firstName": r["first_name"],
                        "lastName": r["last_name"],
                        "email": r["email"],
                    },
                    "totalQuantity": qty,
                },
                "isPayable": r["order_status"] == "DELIVERED",
            }
        )
    return {"commissions": out, "paginationCount": count}


@routes.get("/dapp/commissions/summary")
def commissions_summary(ctx: Ctx) -> Any:
    sums = {"PENDING": 0.0, "PAID": 0.0}
    for r in ctx.store.all(
        "SELECT payment_status, SUM(amount_in_dollar) AS total FROM commissions WHERE nft_id = ? GROUP BY"
        " payment_status",
        (ctx.nft_id,),
    ):
        sums[r["payment_status"]] = r["total"] or 0.0
    return {
        "commissionSummary": {
            "PENDING": {"amountInDollar": sums["PENDING"], "amountInEth": sums["PENDING"] / ETH_USD},
            "PAID": {"amountInDollar": sums["PAID"], "amountInEth": sums["PAID"] / ETH_USD},
            "totalInDollar": sums["PENDING"] + sums["PAID"],
        }
    }
