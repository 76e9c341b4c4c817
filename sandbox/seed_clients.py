"""Seed phase two: clients, mostly fully verified, some pending/rejected, each with a shipping
address, a cart and a LEADS sale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sandbox.countries import country_info
from sandbox.seed_gen import Gen, fast_iso

FIRST = (
    "Ava Ben Cleo Dara Eli Fenn Gia Hugo Iris Jude Kai Lena Milo Nia Otto Pia Quin Rhea Sol Tess Uma "
    "Vito Wren Xena Yuri Zane"
).split()
LAST = (
    "Ashdown Brightwater Coldridge Dunmore Elmsworth Fairhollow Greystone Hartwell Ivybridge Juniper "
    "Kestrel Larkspur Moorcroft Northcott Oakhurst Pennywhistle Quarry Rookwood Stillwater Thornbury"
).split()


@dataclass
class SeededClients:
    ids: list[str]
    verified: list[tuple[str, str, str, datetime]]  # (client id, shipping id, country, createdAt)
    # Sales are written after the orders: the order phase links each client's LEADS sale
    # (found through lead_of) to its first order and appends one sale per further order.
    sale_rows: list[list[Any]]
    lead_of: dict[str, int]


def seed_clients(
    conn: Any, g: Gen, now: datetime, nft_id: str, countries: list[str], n_clients: int, n_orders: int
) -> SeededClients:
    rng = g.rng
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
        created = fast_iso(created_dt)
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
    return SeededClients([r[0] for r in client_rows], verified, sale_rows, lead_of)
