"""The dapp API's route tables, listed in matching order (static segments before ``:param`` siblings).

Each module declares ``routes = RouteTable()``; :func:`dapp_routes` is the one list of them.
"""

from __future__ import annotations

from sandbox.routes import carts, client_reports, clients, health, orders, reports, sales, strains
from sandbox.routing import Route


def dapp_routes() -> list[Route]:
    tables = [
        health.routes,
        client_reports.routes,  # before clients: /clients/chart-data must not match /clients/:clientId
        clients.routes,
        orders.routes,
        carts.routes,
        strains.routes,
        sales.routes,
        reports.routes,
    ]
    return [route for table in tables for route in table.routes]
