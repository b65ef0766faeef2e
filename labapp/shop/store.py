"""The shop's own data in SQLite (stdlib sqlite3): a product search index, customers and orders.

One in-memory database per shop. The connection is shared by the server's
threads, so every use holds the lock; each statement takes microseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from ..services.catalog import PRODUCT_COUNT, product

__all__ = ["CUSTOMERS", "SEARCH_LIMIT", "SearchFunction", "ShopStore"]

# search(db, q, limit) -> rows: a search written elsewhere (notebook 11's exercise) for the store to use.
SearchFunction = Callable[[sqlite3.Connection, str, int], Any]

SEARCH_LIMIT = 50
# The lab's test accounts: username -> (password, API key). A real shop keeps
# only salted, slow hashes of passwords, and never ships them in its code.
CUSTOMERS = {
    "ada": ("ada-lab-password", "free-key-ada"),
    "bob": ("bob-lab-password", "free-key-bob"),
    "cyd": ("cyd-lab-password", "paid-key-cyd"),
}
_SALT = b"busy-service-lab"


def _hash(password: str) -> str:
    # PBKDF2 with few rounds: a lab value, so a login costs ~0.1 ms. Production: 600,000 or scrypt/argon2.
    return hashlib.pbkdf2_hmac("sha256", password.encode(), _SALT, 1_000).hex()


class ShopStore:
    """The database behind search, login and orders. ``search`` replaces the store's own search."""

    def __init__(self, search: SearchFunction | None = None) -> None:
        self._search = search
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self.db.executescript(
            """
            CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL);
            CREATE TABLE customers (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, api_key TEXT NOT NULL);
            CREATE TABLE orders (
                id INTEGER PRIMARY KEY, owner TEXT, product_id INTEGER, quantity INTEGER,
                amount_cents INTEGER, card_last4 TEXT, created_at REAL
            );
            """
        )
        rows = [product(i) for i in range(1, PRODUCT_COUNT + 1)]
        self.db.executemany("INSERT INTO products VALUES (:id, :name, :price_cents)", rows)
        self.db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)",
            [(user, _hash(password), key) for user, (password, key) in CUSTOMERS.items()],
        )

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(row) for row in self.db.execute(sql, params).fetchall()]

    def search(self, q: str, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
        """Products whose name contains ``q``. The value is bound, never pasted into the SQL."""
        if self._search is not None:
            with self._lock:
                return [dict(row) for row in self._search(self.db, q, limit)]
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return self._query(
            "SELECT id, name, price_cents FROM products WHERE name LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
            (pattern, limit),
        )

    def search_unsafe(self, q: str, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
        """The planted flaw ``search-sqli``: ``q`` pasted into the SQL text. Never do this."""
        return self._query(f"SELECT id, name, price_cents FROM products WHERE name LIKE '%{q}%' LIMIT {limit}")

    def customer_of_key(self, api_key: str) -> str | None:
        rows = self._query("SELECT username FROM customers WHERE api_key = ?", (api_key,))
        return str(rows[0]["username"]) if rows else None

    def login(self, username: str, password: str) -> str | None:
        """The customer's API key if the password is right, else None."""
        rows = self._query("SELECT password_hash, api_key FROM customers WHERE username = ?", (username,))
        given = _hash(password)
        # Hash and compare even for an unknown user, in constant time: the answer's
        # timing must not tell which usernames exist.
        stored = str(rows[0]["password_hash"]) if rows else _hash("no such user")
        return str(rows[0]["api_key"]) if hmac.compare_digest(given, stored) and rows else None

    def add_order(self, owner: str | None, product_id: int, quantity: int, amount_cents: int, card: str) -> int:
        with self._lock:
            cursor = self.db.execute(
                "INSERT INTO orders (owner, product_id, quantity, amount_cents, card_last4, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (owner, product_id, quantity, amount_cents, card[-4:], time.time()),
            )
            return int(cursor.lastrowid or 0)

    def order(self, order_id: int) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM orders WHERE id = ?", (order_id,))
        return rows[0] if rows else None

    def close(self) -> None:
        with self._lock:
            self.db.close()
