"""open_store(url) and what both backends share: connections, migrations,
warehouse tokens and API keys. The sync, change-log and read logic live in
ingest.py, changes.py and reads.py as mixins written once for both SQL
dialects (queries use ``?``; the PostgreSQL backend rewrites it to ``%s``).
"""
from __future__ import annotations

import hashlib
import re
import secrets
import threading
from contextlib import contextmanager
from typing import Any, Iterable

from edge.ledger import utcnow
from sync.central.changes import ChangesMixin
from sync.central.errors import AlreadyExists, BadInput, UnknownWarehouse
from sync.central.ingest import COLS, IngestMixin
from sync.central.reads import ReadsMixin

__all__ = ["COLS", "Store", "open_store", "hash_secret"]

# The edge's site id pattern (edge.workflows.transfers.SITE_PATTERN): a warehouse code is a site id.
WAREHOUSE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"


def open_store(url: str) -> "Store":
    """A SQLite file path, ``sqlite:///abs/path`` or ``postgresql://...``."""
    if url.startswith(("postgresql://", "postgres://")):
        from sync.central.pg_store import PgStore
        return PgStore(url)
    if url.startswith("sqlite://"):
        url = url[len("sqlite://"):]
    from sync.central.sqlite_store import SqliteStore
    return SqliteStore(url)


def hash_secret(secret: str) -> str:
    # Tokens are 32 random bytes: a fast hash is enough, a slow one adds nothing.
    return hashlib.sha256(secret.encode()).hexdigest()


class Store(IngestMixin, ChangesMixin, ReadsMixin):
    """One central database. Thread-safe: each thread gets its own connection."""

    backend = "?"
    placeholder = "?"
    for_update = ""           # row lock suffix for the warehouse row (PostgreSQL)
    migrations: tuple[str, ...] = ()

    def __init__(self, url: str):
        self.url = url
        self._local = threading.local()
        self._conns: list = []
        self._guard = threading.Lock()

    # -- backend hooks ---------------------------------------------------------

    def _connect(self):
        raise NotImplementedError

    def _is_broken(self, conn) -> bool:
        return False

    @contextmanager
    def tx(self):
        """One write transaction on this thread's connection (BEGIN IMMEDIATE / BEGIN)."""
        raise NotImplementedError
        yield

    def _lock_serial(self, conn, name: str) -> None:
        """Serialize writers of one kind until commit (no-op where BEGIN IMMEDIATE already does)."""

    def _insert_movements(self, conn, rows: list[tuple]) -> int:
        """Insert (warehouse, *COLS) rows, skipping ids already held; return how many went in."""
        raise NotImplementedError

    # -- connections and SQL helpers ---------------------------------------------

    def conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._is_broken(conn):
            self._forget(conn)
            conn = None
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._guard:
                self._conns.append(conn)
        return conn

    def _forget(self, conn) -> None:
        with self._guard:
            if conn in self._conns:
                self._conns.remove(conn)
        try:
            conn.close()
        except Exception:  # already gone
            pass
        self._local.conn = None

    def close(self) -> None:
        with self._guard:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.close()
            except Exception:
                pass
        self._local = threading.local()

    def q(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", "%s")

    def run(self, conn, sql: str, params: Iterable[Any] = ()):
        return conn.execute(self.q(sql), tuple(params))

    def all(self, conn, sql: str, params: Iterable[Any] = ()) -> list[dict]:
        return [dict(r) for r in self.run(conn, sql, params).fetchall()]

    def one(self, conn, sql: str, params: Iterable[Any] = ()) -> dict | None:
        row = self.run(conn, sql, params).fetchone()
        return dict(row) if row is not None else None

    # -- schema -------------------------------------------------------------------

    def init(self) -> "Store":
        """Create or migrate the schema; safe to run again and from several processes."""
        with self.tx() as conn:
            self._lock_serial(conn, "migrate")
            self.run(conn, "CREATE TABLE IF NOT EXISTS central_schema (version INTEGER NOT NULL)")
            row = self.one(conn, "SELECT max(version) AS v FROM central_schema")
            done = (row or {}).get("v") or 0
            for version, ddl in enumerate(self.migrations, 1):
                if version <= done:
                    continue
                for statement in filter(None, (s.strip() for s in ddl.split(";"))):
                    self.run(conn, statement)
                self.run(conn, "INSERT INTO central_schema (version) VALUES (?)", (version,))
        return self

    def schema_version(self) -> int:
        row = self.one(self.conn(), "SELECT max(version) AS v FROM central_schema")
        return (row or {}).get("v") or 0

    # -- identities ---------------------------------------------------------------

    def add_warehouse(self, code: str, *, rotate: bool = False) -> str:
        """Register a warehouse (or give it a new token) and return its token, once."""
        if not isinstance(code, str) or not re.match(WAREHOUSE_PATTERN, code):
            raise BadInput(f"a warehouse code is 1-32 letters, digits, '-' or '_' (the edge's site id); "
                           f"not {code!r}", field="code")
        token = "fsw_" + secrets.token_urlsafe(32)
        with self.tx() as conn:
            held = self.one(conn, "SELECT code FROM warehouse WHERE code = ?", (code,))
            if held and not rotate:
                raise AlreadyExists(f"warehouse {code} is registered already; --rotate gives it a new token",
                                    field="code")
            if not held and rotate:
                raise UnknownWarehouse(f"no warehouse {code} to rotate the token of", field="code")
            if held:
                self.run(conn, "UPDATE warehouse SET token_hash = ? WHERE code = ?", (hash_secret(token), code))
            else:
                self.run(conn, "INSERT INTO warehouse (code, token_hash, created_at) VALUES (?, ?, ?)",
                         (code, hash_secret(token), utcnow()))
        return token

    def add_api_key(self, name: str) -> str:
        """A key for the ERP / web shop API, returned once."""
        name = (name or "").strip()
        if not name or len(name) > 64:
            raise BadInput("an API key name is 1-64 characters", field="name")
        key = "fsk_" + secrets.token_urlsafe(32)
        with self.tx() as conn:
            if self.one(conn, "SELECT name FROM api_key WHERE name = ?", (name,)):
                raise AlreadyExists(f"an API key named {name!r} exists already", field="name")
            self.run(conn, "INSERT INTO api_key (name, key_hash, created_at) VALUES (?, ?, ?)",
                     (name, hash_secret(key), utcnow()))
        return key

    def warehouse_for_token(self, token: str) -> str | None:
        row = self.one(self.conn(), "SELECT code FROM warehouse WHERE token_hash = ?", (hash_secret(token),))
        return row["code"] if row else None

    def api_key_name(self, key: str) -> str | None:
        row = self.one(self.conn(), "SELECT name FROM api_key WHERE key_hash = ?", (hash_secret(key),))
        return row["name"] if row else None

    def touch(self, warehouse: str) -> None:
        """Record that the warehouse called (every authenticated sync call does)."""
        with self.tx() as conn:
            self.run(conn, "UPDATE warehouse SET last_contact = ? WHERE code = ?", (utcnow(), warehouse))

    def require_warehouse(self, conn, code: str, field: str = "warehouse") -> None:
        if not self.one(conn, "SELECT code FROM warehouse WHERE code = ?", (code,)):
            raise UnknownWarehouse(f"no warehouse {code!r}; register it with floorscan central add-warehouse",
                                   field=field)
