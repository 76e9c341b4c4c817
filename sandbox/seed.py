"""Deterministic bulk seeding: strains stocked per country, clients, orders across the lifecycle.

Same ``seed`` + same holder + same number of earlier seed calls ⇒ same ids, names,
emails, lines, totals and statuses (timestamps are relative to the sandbox clock).
Everything is generated in Python first and written with ``executemany`` inside one
transaction, which is what makes 100,000 orders take seconds rather than minutes.

The phases (``seed_catalogue``, ``seed_clients``, ``seed_orders``) run in that order on one
random stream, so reordering them changes every generated value.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from sandbox.countries import is_alpha3
from sandbox.holders import create_holder
from sandbox.seed_catalogue import ensure_location, seed_strains
from sandbox.seed_clients import seed_clients
from sandbox.seed_gen import Gen
from sandbox.seed_orders import LIFECYCLE, seed_orders

if TYPE_CHECKING:
    from sandbox.app import App

# ensure_location is used by the control plane; LIFECYCLE is the order mix the bench models.
__all__ = ["LIFECYCLE", "ensure_location", "seed", "seed_demo"]


def _int(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key} must be a non-negative integer")
    return value


def seed(app: App, body: dict[str, Any]) -> dict[str, Any]:
    n_strains = _int(body, "strains", 10)
    n_clients = _int(body, "clients", 10)
    n_orders = _int(body, "orders", 0)
    countries = body.get("countries") or ["GBR"]
    if not isinstance(countries, list) or not all(isinstance(c, str) and is_alpha3(c) for c in countries):
        raise ValueError("countries must be a list of ISO 3166-1 alpha-3 codes")
    countries = [c.upper() for c in countries]
    if n_orders and not n_clients:
        raise ValueError("orders need at least one client")
    keys: dict[str, Any] = {}
    if body.get("apiKey"):
        holder = app.store.one(
            "SELECT h.* FROM api_keys k JOIN holders h ON h.id = k.holder_id WHERE k.key = ?",
            (body["apiKey"],),
        )
        if holder is None:
            raise ValueError("unknown apiKey")
    else:
        keys = create_holder(app)
        holder = app.store.one("SELECT * FROM holders WHERE id = ?", (keys["holderId"],))
    assert holder is not None
    with app.store.tx() as conn:
        calls = int(app.store.scalar("SELECT value FROM meta WHERE key = 'seed_calls'") or 0)
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('seed_calls', ?)", (str(calls + 1),))
        rng = random.Random(f"{body.get('seed', 0)}:{holder['token_id']}:{calls}")
        result = _seed_rows(app, conn, Gen(rng), holder, countries, n_strains, n_clients, n_orders)
    return {**keys, "holderId": holder["id"], "nftTokenId": holder["token_id"], **result}


def _seed_rows(
    app: App,
    conn: Any,
    g: Gen,
    holder: Any,
    countries: list[str],
    n_strains: int,
    n_clients: int,
    n_orders: int,
) -> dict[str, Any]:
    now = app.clock.now()
    strains = seed_strains(app, conn, g, now, countries, n_strains)
    clients = seed_clients(conn, g, now, holder["nft_id"], countries, n_clients, n_orders)
    n_lines = seed_orders(conn, g, now, holder, strains, clients, n_orders)
    # Last, because the order phase fills in and adds to the clients' sales.
    conn.executemany(
        "INSERT INTO sales (id, nft_id, client_id, order_id, stage, description, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        clients.sale_rows,
    )
    return {
        "strainIds": [s[0] for s in strains][:1000],
        "clientIds": clients.ids[:1000],
        "counts": {
            "strains": n_strains,
            "clients": n_clients,
            "orders": n_orders,
            "orderLines": n_lines,
        },
        "countries": countries,
    }


def seed_demo(app: App, orders: int) -> dict[str, Any]:
    """Start-up demo data for ``python -m sandbox --seed N``."""
    return seed(
        app,
        {
            "seed": 1,
            "strains": 20,
            "clients": max(10, orders // 10),
            "orders": orders,
            "countries": ["GBR", "PRT", "DEU", "ZAF"],
        },
    )
