"""Route registration in declaration order (static segments before ``:param`` siblings)."""

from __future__ import annotations

from typing import Any

from sandbox.app import Ctx, Route, RouteTable

health = RouteTable()


@health.get("/public/healthStatus", auth=False)
def health_status(ctx: Ctx) -> Any:
    return "Success"


def build_routes() -> list[Route]:
    from sandbox.routes import carts, client_reports, clients, orders, reports, sales, strains

    tables = [
        health,
        client_reports.routes,  # before clients: /clients/chart-data must not match /clients/:clientId
        clients.routes,
        orders.routes,
        carts.routes,
        strains.routes,
        sales.routes,
        reports.routes,
    ]
    return [route for table in tables for route in table.routes]
