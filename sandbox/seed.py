"""Deterministic bulk seeding: strains stocked per country, clients, orders across the lifecycle.

Same ``seed`` + same holder + same number of earlier seed calls ⇒ same ids, names,
emails, lines, totals and statuses (timestamps are relative to the sandbox clock).
Everything is generated in Python first and written with ``executemany`` inside one
transaction, which is what makes 100,000 orders take seconds rather than minutes.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import random
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.countries import country_info, is_alpha3, to_local
from sandbox.store import iso

if TYPE_CHECKING:
    from sandbox.app import App

_NS = uuid.UUID("6f1c2b64-8d0e-4d4a-9f57-2f1a4e0c9b11")

FIRST = (
    "Ava Ben Cleo Dara Eli Fenn Gia Hugo Iris Jude Kai Lena Milo Nia Otto Pia Quin Rhea Sol Tess Uma "
    "Vito Wren Xena Yuri Zane"
).split()
LAST = (
    "Ashdown Brightwater Coldridge Dunmore Elmsworth Fairhollow Greystone Hartwell Ivybridge Juniper "
    "Kestrel Larkspur Moorcroft Northcott Oakhurst Pennywhistle Quarry Rookwood Stillwater Thornbury"
).split()
ADJ = "Blue Golden Silver Velvet Midnight Crimson Lemon Mystic Frosted Wild Cosmic Amber Jade Polar".split()
NOUN = "Dream Haze Kush Breeze Glow Comet Orchid Ember Tide Meadow Nebula Fox Lotus Drift".split()
FEELINGS = ("Relaxed", "Happy", "Euphoric", "Uplifted", "Sleepy", "Focused", "Creative")
HELPS = ("Stress", "Anxiety", "Pain", "Insomnia", "Depression", "Appetite loss")
FLAVOURS = ("Citrus", "Berry", "Earthy", "Pine", "Sweet", "Diesel", "Spicy")
PLANETS = ("Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn")
TYPES = ("Hybrid", "Sativa", "Indica")

# (weight, adminApproval, paymentStatus, orderStatus)
LIFECYCLE = (
    (20, "PENDING", "PENDING", "PENDING"),
    (10, "REJECTED", "PENDING", "PENDING"),
    (15, "VERIFIED", "PENDING", "PENDING"),
    (15, "VERIFIED", "PAID", "PENDING"),
    (10, "VERIFIED", "PAID", "PROCESSING"),
    (10, "VERIFIED", "PAID", "SHIPPED"),
    (20, "VERIFIED", "PAID", "DELIVERED"),
)


def ensure_location(app: App, code: str) -> str:
    loc_id = str(uuid.uuid5(_NS, "location:" + code))
    country, currency = country_info(code)
    app.store.conn.execute(
        "INSERT OR IGNORE INTO locations (id, country, country_code, currency) VALUES (?,?,?,?)",
        (loc_id, country, code, currency),
    )
    return loc_id


class _Gen:
    """Cheap deterministic ids: seeded UUIDs whose high bits count up.

    Monotonic ids keep SQLite's primary-key B-trees appending instead of splitting pages at
    random, which is most of what makes a 100k-order seed fast.
    """

    _B64_FIX = bytes.maketrans(b"+/", b"Ab")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counter = rng.getrandbits(40) << 8
        tail = f"{rng.getrandbits(64):016x}"
        # Version 4 and RFC 4122 variant nibbles are fixed; uniqueness comes from the counter.
        self.tail = f"-4{tail[:3]}-{'89ab'[int(tail[3], 16) & 3]}{tail[4:7]}-{tail[7:16]}"

    def uuid(self) -> str:
        self.counter += 1
        c = self.counter
        return f"{c >> 16:08x}-{c & 0xFFFF:04x}{self.tail}{c & 0xFFF:03x}"

    def token(self, n: int) -> str:
        """n alphanumeric characters."""
        raw = self.rng.getrandbits(8 * n).to_bytes(n, "big")
        return base64.b64encode(raw).translate(self._B64_FIX).decode("ascii")[:n]

    def hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"


def _iso(dt: datetime) -> str:
    # Same output as store.iso for aware UTC datetimes, several times faster in bulk.
    return dt.isoformat(timespec="milliseconds")[:-6] + "Z"


def _int(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key} must be a non-negative integer")
    return value


def seed(app: App, body: dict[str, Any]) -> dict[str, Any]:
    from sandbox.control import create_holder

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
        result = _seed_rows(app, conn, _Gen(rng), holder, countries, n_strains, n_clients, n_orders)
    return {**keys, "holderId": holder["id"], "nftTokenId": holder["token_id"], **result}


def _seed_rows(
    app: App,
    conn: Any,
    g: _Gen,
    holder: Any,
    countries: list[str],
    n_strains: int,
    n_clients: int,
    n_orders: int,
) -> dict[str, Any]:
    rng = g.rng
    now = app.clock.now()
    nft_id = holder["nft_id"]
    loc_ids = {code: ensure_location(app, code) for code in countries}

    # -- strains: active, available and stocked in every listed country.
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

    # -- clients: mostly fully verified, some pending/rejected, each with shipping, cart and a LEADS sale.
    taken_emails = {r[0] for r in conn.execute("SELECT email FROM clients")}
    taken_phones = {r[0] for r in conn.execute("SELECT contact_number FROM clients")}
    client_rows, ship_rows, cart_rows, sale_rows = [], [], [], []
    verified: list[tuple[str, str, str, datetime]] = []  # (client id, shipping id, country, createdAt)
    lead_of: dict[str, int] = {}
    span_minutes = 400 * 24 * 60
    for i in range(n_clients):
        cid = g.uuid()
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{g.token(6)}@example.com".lower()
        while email in taken_emails:
            email = f"{first}.{last}.{g.token(8)}@example.com".lower()
        phone = str(rng.randint(7_000_000_000, 7_999_999_999))
        while phone in taken_phones:
            phone = str(rng.randint(7_000_000_000, 7_999_999_999))
        taken_emails.add(email)
        taken_phones.add(phone)
        created_dt = now - timedelta(minutes=span_minutes * (n_clients - i) / max(n_clients, 1) + 60)
        created = _iso(created_dt)
        kind = i % 10
        approval = "REJECTED" if kind == 9 else "PENDING" if kind == 7 else "VERIFIED"
        kyc = kind not in (7, 8)
        active = approval == "VERIFIED"
        code = countries[i % len(countries)]
        country = country_info(code)[0]
        client_rows.append(
            (
                cid,
                nft_id,
                first,
                last,
                email,
                None,
                "+44",
                phone,
                g.uuid(),
                approval,
                int(kyc),
                int(active),
                "Synthetic rejection" if approval == "REJECTED" else None,
                created if approval == "VERIFIED" else None,
                created if approval == "REJECTED" else None,
                created,
                created,
            )
        )
        sid = g.uuid()
        ship_rows.append(
            (
                sid,
                cid,
                f"{rng.randint(1, 200)} Test Street",
                "",
                "",
                "Testville",
                "Test State",
                country,
                code,
                f"T{rng.randint(10, 99)} {rng.randint(1, 9)}AB",
                created,
                created,
            )
        )
        cart_rows.append((g.uuid(), cid, created))
        lead_of[cid] = len(sale_rows)
        sale_rows.append([g.uuid(), nft_id, cid, None, "LEADS", None, created, created])
        if approval == "VERIFIED" and kyc:
            verified.append((cid, sid, code, created_dt))
    conn.executemany(
        "INSERT INTO clients (id, nft_id, first_name, last_name, email, phone_country_code, phone_code,"
        " contact_number, case_id, admin_approval, is_kyc_verified, is_active, rejection_note, verified_at,"
        " rejected_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        client_rows,
    )
    conn.executemany(
        "INSERT INTO shippings (id, client_id, address1, address2, landmark, city, state, country,"
        " country_code,"
        " postal_code, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        ship_rows,
    )
    conn.executemany("INSERT INTO client_carts (id, client_id, created_at) VALUES (?,?,?)", cart_rows)
    conn.executemany(
        "INSERT INTO client_logs (id, client_id, activity, created_at) VALUES (?,?,'Approved',?)",
        [(g.uuid(), r[0], r[13]) for r in client_rows if r[9] == "VERIFIED"],
    )
    if n_orders and not verified:
        # Orders need a fully verified client; promote the first one.
        cid = client_rows[0][0]
        conn.execute(
            "UPDATE clients SET admin_approval='VERIFIED', is_kyc_verified=1, is_active=1 WHERE id=?", (cid,)
        )
        verified.append((cid, ship_rows[0][0], countries[0], now - timedelta(days=400)))

    order_rows, line_rows, log_rows, tx_rows, com_rows = [], [], [], [], []
    states = [tuple(s) for _, *s in LIFECYCLE]
    cumulative = list(itertools.accumulate(w for w, *_ in LIFECYCLE))
    total_weight = cumulative[-1]
    n_available = len(strains)
    # A stride coprime-ish with the catalogue size picks distinct strains without rng.sample's cost.
    stride = 7 if n_available % 7 else 1
    has_order: set[str] = set()
    month_ago = now - timedelta(days=30)
    for i in range(n_orders):
        cid, ship_id, code, client_created = verified[int(rng.random() * len(verified))]
        oid = g.uuid()
        span = (now - client_created).total_seconds()
        # Spread over time, oldest first, so ids and createdAt grow together like real inserts.
        created_dt = client_created + timedelta(seconds=span * (i + rng.random()) / (n_orders + 1))
        created = _iso(created_dt)
        approval, payment, status = states[bisect.bisect(cumulative, rng.random() * total_weight)]
        k = min(n_available, 1 + int(rng.random() * 3))
        first_pick = int(rng.random() * n_available)
        picks = [strains[(first_pick + j * stride) % n_available] for j in range(k)]
        amount = profit = wholesale = 0.0
        for strain_id, retail, whole in picks:
            qty = 1 + int(rng.random() * 10)
            amount += retail * qty
            profit += retail * qty - whole * qty
            wholesale += whole * qty
            line_rows.append((g.uuid(), oid, strain_id, qty, created))
        currency = country_info(code)[1]
        updated_dt = min(created_dt + timedelta(hours=rng.randint(1, 72)), now)
        updated = _iso(updated_dt) if approval != "PENDING" else created
        invoice = f"DG_{int(created_dt.timestamp() * 1000)}{cid}"
        if payment == "PAID":
            invoice = g.token(32)
            tx_rows.append(
                (
                    g.uuid(),
                    oid,
                    cid,
                    "Order payment",
                    rng.choice(("CRYPTO", "FIAT")),
                    amount,
                    invoice,
                    "COMPLETED",
                    "0x" + g.hex(40),
                    updated,
                )
            )
            com_rows.append(
                (
                    g.uuid(),
                    oid,
                    holder["id"],
                    nft_id,
                    profit,
                    "PAID" if status == "DELIVERED" and created_dt < month_ago else "PENDING",
                    updated,
                    updated,
                )
            )
        order_rows.append(
            (
                oid,
                nft_id,
                cid,
                ship_id,
                invoice,
                status,
                approval,
                payment,
                amount,
                profit,
                "Synthetic rejection" if approval == "REJECTED" else None,
                updated if approval == "VERIFIED" else None,
                updated if approval == "REJECTED" else None,
                created,
                updated,
                currency,
                country_info(code)[0],
                to_local(amount, currency),
                to_local(wholesale, currency),
            )
        )
        if approval == "VERIFIED":
            log_rows.append((g.uuid(), oid, "Approved", updated))
        elif approval == "REJECTED":
            log_rows.append((g.uuid(), oid, "Rejected", updated))
        if status == "DELIVERED":
            log_rows.append((g.uuid(), oid, "Delivered", updated))
        stage = "CLOSED" if status == "DELIVERED" else "ONGOING"
        if cid not in has_order:
            has_order.add(cid)
            sale = sale_rows[lead_of[cid]]
            sale[3], sale[4], sale[7] = oid, stage, updated
        else:
            sale_rows.append([g.uuid(), nft_id, cid, oid, stage, None, created, updated])
    conn.executemany(
        "INSERT INTO orders (id, nft_id, client_id, shipping_id, invoice_number, order_status,"
        " admin_approval,"
        " payment_status, total_amount, agent_profit, rejection_note, verified_at, rejected_at, created_at,"
        " updated_at, local_currency, local_country, local_total, local_wholesale)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        order_rows,
    )
    conn.executemany(
        "INSERT INTO order_lines (id, order_id, strain_id, quantity, created_at) VALUES (?,?,?,?,?)",
        line_rows,
    )
    conn.executemany("INSERT INTO order_logs (id, order_id, activity, created_at) VALUES (?,?,?,?)", log_rows)
    conn.executemany(
        "INSERT INTO transactions (id, order_id, client_id, description, method, amount, invoice, status,"
        " destination, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        tx_rows,
    )
    conn.executemany(
        "INSERT INTO commissions (id, order_id, user_id, nft_id, amount_in_dollar, amount_in_eth,"
        " payment_status,"
        " created_at, updated_at) VALUES (?,?,?,?,?,NULL,?,?,?)",
        com_rows,
    )
    conn.executemany(
        "INSERT INTO sales (id, nft_id, client_id, order_id, stage, description, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        sale_rows,
    )
    return {
        "strainIds": [s[0] for s in strains][:1000],
        "clientIds": [r[0] for r in client_rows][:1000],
        "counts": {
            "strains": n_strains,
            "clients": n_clients,
            "orders": n_orders,
            "orderLines": len(line_rows),
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
