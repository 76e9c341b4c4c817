"""Seed phase one: locations and strains, active, available and stocked in every listed country."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.countries import country_info
from sandbox.seed_gen import Gen
from sandbox.store import iso

if TYPE_CHECKING:
    from sandbox.app import App

_NS = uuid.UUID("6f1c2b64-8d0e-4d4a-9f57-2f1a4e0c9b11")

ADJ = "Blue Golden Silver Velvet Midnight Crimson Lemon Mystic Frosted Wild Cosmic Amber Jade Polar".split()
NOUN = "Dream Haze Kush Breeze Glow Comet Orchid Ember Tide Meadow Nebula Fox Lotus Drift".split()
FEELINGS = ("Relaxed", "Happy", "Euphoric", "Uplifted", "Sleepy", "Focused", "Creative")
HELPS = ("Stress", "Anxiety", "Pain", "Insomnia", "Depression", "Appetite loss")
FLAVOURS = ("Citrus", "Berry", "Earthy", "Pine", "Sweet", "Diesel", "Spicy")
PLANETS = ("Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn")
TYPES = ("Hybrid", "Sativa", "Indica")


def ensure_location(app: App, code: str) -> str:
    loc_id = str(uuid.uuid5(_NS, "location:" + code))
    country, currency = country_info(code)
    app.store.conn.execute(
        "INSERT OR IGNORE INTO locations (id, country, country_code, currency) VALUES (?,?,?,?)",
        (loc_id, country, code, currency),
    )
    return loc_id


def seed_strains(
    app: App, conn: Any, g: Gen, now: datetime, countries: list[str], n_strains: int
) -> list[tuple[str, float, float]]:
    """Insert ``n_strains`` strains; return ``(id, retail, wholesale)`` for the strains orders may use.

    With no new strains, orders draw on the catalogue already there.
    """
    rng = g.rng
    loc_ids = {code: ensure_location(app, code) for code in countries}
    strains = []
    strain_rows, loc_rows = [], []
    for i in range(n_strains):
        sid = g.uuid()
        name = f"{rng.choice(ADJ)} {rng.choice(NOUN)} {i + 1}"
        retail = round(rng.uniform(5, 20), 2)
        wholesale = round(retail * 0.6, 2)
        created = iso(now - timedelta(days=500, minutes=n_strains - i))
        slug = name.lower().replace(" ", "-")
        strain_rows.append(
            (
                sid,
                name,
                f"A synthetic {rng.choice(TYPES).lower()} strain for testing.",
                retail,
                wholesale,
                rng.choice(TYPES),
                rng.randint(0, 29),
                round(rng.uniform(0, 5), 1),
                round(rng.uniform(0, 2), 1),
                f"BN-{g.token(6).upper()}",
                ", ".join(rng.sample(FEELINGS, 2)),
                ", ".join(rng.sample(HELPS, 2)),
                ", ".join(rng.sample(FEELINGS, 2)),
                rng.randint(0, 100),
                rng.choice(FLAVOURS),
                f"{g.uuid()}-{slug}.png",
                100_000,
                rng.choice(PLANETS),
                created,
                created,
            )
        )
        strains.append((sid, retail, wholesale))
        for code in countries:
            loc_rows.append((sid, loc_ids[code], 10_000))
    conn.executemany(
        "INSERT INTO strains (id, name, description, retail_price, wholesale_price, type, thc, cbd, cbg,"
        " batch_number,"
        " feelings, helps_with, effects, popularity, flavour, image_key, stock_quantity, planet, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        strain_rows,
    )
    conn.executemany(
        "INSERT INTO strain_locations (strain_id, location_id, stock_quantity, is_active, is_available)"
        " VALUES (?,?,?,1,1)",
        loc_rows,
    )
    if not strains:
        strains = [
            (r["id"], r["retail_price"], r["wholesale_price"])
            for r in app.store.all(
                "SELECT id, retail_price, wholesale_price FROM strains WHERE is_active = 1 AND"
                " is_available = 1"
            )
        ]
    return strains
