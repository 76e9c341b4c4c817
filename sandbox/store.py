"""SQLite storage: one connection shared by all threads, serialised by a lock.

Every request runs its whole handler under ``Store.lock`` so each one is a single
atomic unit (that is what makes "cart emptied + stock decremented + sale linked"
one transaction, and what makes ``drop_after_commit`` meaningful). SQLite would
serialise writers anyway; one connection keeps it simple and fast.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS holders (
    id TEXT PRIMARY KEY, nft_id TEXT UNIQUE, token_id INTEGER UNIQUE, owner_id TEXT,
    role TEXT NOT NULL DEFAULT 'USER', created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY, holder_id TEXT NOT NULL, is_deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS locations (
    id TEXT PRIMARY KEY, country TEXT NOT NULL, country_code TEXT UNIQUE NOT NULL, currency TEXT
);
CREATE TABLE IF NOT EXISTS strains (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, retail_price REAL NOT NULL,
    wholesale_price REAL NOT NULL, type TEXT, thc REAL, cbd REAL, cbg REAL, batch_number TEXT,
    feelings TEXT, helps_with TEXT, effects TEXT, popularity INTEGER DEFAULT 0, flavour TEXT,
    image_key TEXT, is_active INTEGER NOT NULL DEFAULT 1, is_available INTEGER NOT NULL DEFAULT 1,
    is_deleted INTEGER NOT NULL DEFAULT 0, stock_quantity REAL NOT NULL DEFAULT 0, expiry_date TEXT,
    discount REAL DEFAULT 0, planet TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS strain_locations (
    strain_id TEXT NOT NULL, location_id TEXT NOT NULL, stock_quantity REAL NOT NULL DEFAULT 0,
    is_active INTEGER NOT NULL DEFAULT 1, is_available INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (strain_id, location_id)
);
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY, nft_id TEXT NOT NULL, first_name TEXT, last_name TEXT,
    email TEXT UNIQUE NOT NULL, phone_country_code TEXT, phone_code TEXT,
    contact_number TEXT UNIQUE, case_id TEXT, max_retries INTEGER NOT NULL DEFAULT 0,
    admin_approval TEXT NOT NULL DEFAULT 'PENDING', is_kyc_verified INTEGER NOT NULL DEFAULT 0,
    is_active INTEGER NOT NULL DEFAULT 0, rejection_note TEXT, verified_at TEXT, rejected_at TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, deleted_at TEXT, medical_record TEXT
);
CREATE INDEX IF NOT EXISTS ix_clients_nft_created ON clients (nft_id, created_at);
CREATE TABLE IF NOT EXISTS client_logs (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, activity TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_client_logs_client ON client_logs (client_id);
CREATE TABLE IF NOT EXISTS shippings (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, address1 TEXT, address2 TEXT, landmark TEXT,
    city TEXT, state TEXT, country TEXT, country_code TEXT, postal_code TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_shippings_client ON shippings (client_id);
CREATE TABLE IF NOT EXISTS client_businesses (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, name TEXT, business_type TEXT, address1 TEXT,
    address2 TEXT, landmark TEXT, city TEXT, state TEXT, country TEXT, country_code TEXT,
    postal_code TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_businesses_client ON client_businesses (client_id);
CREATE TABLE IF NOT EXISTS client_carts (
    id TEXT PRIMARY KEY, client_id TEXT UNIQUE NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cart_items (
    id TEXT PRIMARY KEY, cart_id TEXT NOT NULL, strain_id TEXT NOT NULL, quantity REAL NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_cart_items_cart ON cart_items (cart_id);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, nft_id TEXT NOT NULL, client_id TEXT NOT NULL, shipping_id TEXT,
    invoice_number TEXT NOT NULL, order_status TEXT NOT NULL DEFAULT 'PENDING',
    admin_approval TEXT NOT NULL DEFAULT 'PENDING', payment_status TEXT NOT NULL DEFAULT 'PENDING',
    total_amount REAL NOT NULL, agent_profit REAL NOT NULL, rejection_note TEXT,
    commission_paid INTEGER NOT NULL DEFAULT 0, commission_tx_hash TEXT, verified_at TEXT,
    rejected_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, nonce TEXT,
    local_currency TEXT, local_country TEXT, local_total REAL, local_wholesale REAL,
    payment_method TEXT, notes TEXT
);
CREATE INDEX IF NOT EXISTS ix_orders_nft_created ON orders (nft_id, created_at);
CREATE INDEX IF NOT EXISTS ix_orders_nft_status ON orders (nft_id, order_status, created_at);
CREATE INDEX IF NOT EXISTS ix_orders_nft_approval ON orders (nft_id, admin_approval, created_at);
CREATE INDEX IF NOT EXISTS ix_orders_nft_payment ON orders (nft_id, payment_status, created_at);
CREATE INDEX IF NOT EXISTS ix_orders_client ON orders (client_id, created_at);
CREATE TABLE IF NOT EXISTS order_lines (
    id TEXT PRIMARY KEY, order_id TEXT NOT NULL, strain_id TEXT NOT NULL, quantity REAL NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_order_lines_order ON order_lines (order_id);
CREATE TABLE IF NOT EXISTS order_logs (
    id TEXT PRIMARY KEY, order_id TEXT NOT NULL, activity TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_order_logs_order ON order_logs (order_id);
CREATE TABLE IF NOT EXISTS sales (
    id TEXT PRIMARY KEY, nft_id TEXT NOT NULL, client_id TEXT NOT NULL, order_id TEXT UNIQUE,
    stage TEXT NOT NULL, description TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_sales_nft_created ON sales (nft_id, created_at);
CREATE INDEX IF NOT EXISTS ix_sales_client ON sales (client_id);
CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY, order_id TEXT, client_id TEXT, description TEXT, method TEXT,
    amount REAL, invoice TEXT, status TEXT NOT NULL, destination TEXT, created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_transactions_order ON transactions (order_id);
CREATE INDEX IF NOT EXISTS ix_transactions_client ON transactions (client_id);
CREATE TABLE IF NOT EXISTS commissions (
    id TEXT PRIMARY KEY, order_id TEXT NOT NULL, user_id TEXT NOT NULL, nft_id TEXT NOT NULL,
    amount_in_dollar REAL NOT NULL, amount_in_eth REAL, payment_status TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_commissions_nft ON commissions (nft_id, created_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""

TABLES = (
    "holders",
    "api_keys",
    "locations",
    "strains",
    "strain_locations",
    "clients",
    "client_logs",
    "shippings",
    "client_businesses",
    "client_carts",
    "cart_items",
    "orders",
    "order_lines",
    "order_logs",
    "sales",
    "transactions",
    "commissions",
    "meta",
)


def iso(dt: datetime) -> str:
    """JavaScript ``Date.prototype.toISOString`` (ms precision, ``Z``); sorts lexically."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class Clock:
    """The sandbox's notion of now: wall clock plus an adjustable offset."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def now_iso(self) -> str:
        return iso(self.now())

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def reset(self) -> None:
        self.offset = timedelta(0)


def new_id() -> str:
    return str(uuid.uuid4())


class Store:
    """Owns the SQLite connection; use ``with store.tx():`` for an atomic unit of work."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or ":memory:"
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA temp_store=MEMORY")
        self.conn.execute("PRAGMA cache_size=-65536")
        self.conn.executescript(SCHEMA)
        self._depth = 0
        # COUNT(*) over 100k rows costs ~20 ms; list endpoints repeat the same count page after page,
        # so counts are memoised until the next write (total_changes moves on every INSERT/UPDATE/DELETE).
        self._count_cache: dict[tuple[str, tuple[Any, ...]], tuple[int, int]] = {}

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """Serialise and, at the outermost level, wrap in BEGIN IMMEDIATE ... COMMIT/ROLLBACK."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self.conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self.conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self.conn.execute("COMMIT")

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def count(self, sql: str, params: Any = ()) -> int:
        key = (sql, tuple(params))
        version = self.conn.total_changes
        hit = self._count_cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = int(self.scalar(sql, params) or 0)
        if len(self._count_cache) > 1000:
            self._count_cache.clear()
        self._count_cache[key] = (version, value)
        return value

    def wipe(self) -> None:
        with self.tx() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def close(self) -> None:
        with self.lock:
            self.conn.close()
