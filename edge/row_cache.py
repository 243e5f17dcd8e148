"""Items, bins and sign-in sessions remembered by the writer process's connection.

Every scan looks up its item, its bins and its sender's session: four of the
~15 statements the writer process runs per command, ~12% of its main thread's
time under the scan load (docs/performance.md, step 12), for rows that change
a few times a day. The writer process's one thread bounds the edge's
commands/s, so it keeps those rows between transactions.

A remembered row is never stale:

* **Other connections' writes** (master data and sign-ins go through the
  workers' own writers, imports through the CLI) change ``PRAGMA
  data_version``, which :meth:`RowCache.begin` reads inside every write
  transaction, after ``BEGIN IMMEDIATE`` took the lock: nobody else can
  commit until this transaction ends. A changed version forgets everything.
* **This connection's own writes** to those tables fire TEMP triggers that
  forget everything and stop remembering until the transaction ends, so a
  row written by a command that is then rolled back is never served.
* Outside :meth:`begin` ... :meth:`end` (edge.writer.run_jobs) nothing is
  served or kept.

Only connections given to :func:`enable` remember anything; every other
connection reads as before. No Flask here.
"""
from __future__ import annotations

import sqlite3

# The tables whose rows are kept, and which any write makes the cache forget.
WATCHED = ("item", "bin", "user", "session")
MAX_ROWS = 20_000  # per kind; past it the kind starts empty again (tokens come and go)
_FORGET = "floorscan_row_cache_forget"

# id(connection) -> (connection, cache). sqlite3 connections take no weak
# references; holding the connection keeps its id from being reused.
_caches: dict[int, tuple[sqlite3.Connection, "RowCache"]] = {}


class RowCache:
    def __init__(self, conn: sqlite3.Connection):
        self.kinds: dict[str, dict] = {}
        self.live = False
        self.version: int | None = None
        self.forgotten = 0  # how many times it started over (tests, metrics)
        conn.create_function(_FORGET, 0, self._own_write)
        for table in WATCHED:
            for op in ("INSERT", "UPDATE", "DELETE"):
                conn.execute(
                    f"CREATE TEMP TRIGGER IF NOT EXISTS {_FORGET}_{table}_{op.lower()} "
                    f"AFTER {op} ON main.{table} BEGIN SELECT {_FORGET}(); END")

    def begin(self, conn: sqlite3.Connection) -> None:
        """Inside a write transaction that holds the lock: start serving rows."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self.version:
            self.forget()
            self.version = version
        self.live = True

    def end(self) -> None:
        self.live = False

    def forget(self) -> None:
        if self.kinds:
            self.forgotten += 1
        self.kinds = {}

    def get(self, kind: str, key):
        if not self.live:
            return None
        rows = self.kinds.get(kind)
        return rows.get(key) if rows else None

    def put(self, kind: str, key, row) -> None:
        if not self.live or row is None:
            return  # misses are not kept: the row may be created any moment
        rows = self.kinds.setdefault(kind, {})
        if len(rows) >= MAX_ROWS:
            rows.clear()
        rows[key] = row

    def _own_write(self) -> None:
        # Called by SQLite from a trigger, in the middle of a statement: only flags.
        self.forget()
        self.live = False


def enable(conn: sqlite3.Connection) -> RowCache:
    """Let ``conn`` remember rows between its write transactions (the writer process's connection)."""
    entry = _caches.get(id(conn))
    if entry is None:
        entry = _caches[id(conn)] = (conn, RowCache(conn))
    return entry[1]


def disable(conn: sqlite3.Connection) -> None:
    """Forget ``conn`` (before closing it)."""
    _caches.pop(id(conn), None)


def of(conn: sqlite3.Connection) -> RowCache | None:
    """The cache of ``conn``, or None when it keeps none."""
    entry = _caches.get(id(conn)) if _caches else None
    return entry[1] if entry is not None else None


def fetch(conn: sqlite3.Connection, kind: str, key, sql: str, params: tuple):
    """``conn.execute(sql, params).fetchone()``, kept under (kind, key) when ``conn`` keeps rows."""
    cache = of(conn)
    row = cache.get(kind, key) if cache is not None else None
    if row is None:
        row = conn.execute(sql, params).fetchone()
        if cache is not None:
            cache.put(kind, key, row)
    return row
