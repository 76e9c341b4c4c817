"""Seed phase three: orders spread across the lifecycle, with lines, logs, payments and commissions."""

from __future__ import annotations

import bisect
import itertools
from datetime import datetime, timedelta
from typing import Any

from sandbox.countries import country_info, to_local
from sandbox.seed_clients import SeededClients
from sandbox.seed_gen import Gen, fast_iso

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


def seed_orders(
    conn: Any,
    g: Gen,
    now: datetime,
    holder: Any,
    strains: list[tuple[str, float, float]],
    clients: SeededClients,
    n_orders: int,
) -> int:
    """Insert ``n_orders`` orders for the verified clients, linking their sales; return the line count."""
    rng = g.rng
    nft_id = holder["nft_id"]
    verified, sale_rows, lead_of = clients.verified, clients.sale_rows, clients.lead_of
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
        created = fast_iso(created_dt)
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
        updated = fast_iso(updated_dt) if approval != "PENDING" else created
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
    return len(line_rows)
