"""SQLite backend: one file, nothing to install. WAL so readers never wait
for the writer, BEGIN IMMEDIATE so writers queue at the start of a
transaction instead of failing half-way, synchronous=FULL because an answer
to an edge is a promise it will not send those rows again."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from sync.central.store import Store

SCHEMA_V1 = """
CREATE TABLE warehouse (
    code TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    synced_seq INTEGER NOT NULL DEFAULT 0,
    newest_recorded_at TEXT,
    last_contact TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE api_key (
    name TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE movement (
    warehouse TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    sku TEXT NOT NULL,
    lot TEXT NOT NULL DEFAULT '',
    serial TEXT,
    qty REAL NOT NULL,
    from_bin TEXT,
    to_bin TEXT,
    ref_type TEXT,
    ref_id TEXT,
    reason TEXT,
    user_id INTEGER,
    device_id TEXT,
    command_id TEXT,
    replayed INTEGER NOT NULL DEFAULT 0,
    scanned_at TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (warehouse, seq)
) WITHOUT ROWID;
CREATE INDEX movement_sku ON movement (sku);
CREATE TABLE stock (
    warehouse TEXT NOT NULL,
    bin TEXT NOT NULL,
    sku TEXT NOT NULL,
    lot TEXT NOT NULL DEFAULT '',
    qty REAL NOT NULL,
    PRIMARY KEY (warehouse, bin, sku, lot)
) WITHOUT ROWID;
CREATE TABLE change (
    pos INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    warehouse TEXT NOT NULL DEFAULT '',
    op TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX change_key ON change (kind, key, warehouse);
CREATE INDEX change_scope ON change (warehouse, pos);
CREATE TABLE transfer (
    id TEXT PRIMARY KEY,
    from_warehouse TEXT,
    to_warehouse TEXT,
    status TEXT NOT NULL,
    ordered TEXT,
    shipped TEXT,
    created_at TEXT NOT NULL,
    in_transit_at TEXT,
    received_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX transfer_status ON transfer (status, created_at)
"""
# AUTOINCREMENT on change.pos matters: compaction deletes a key's old row
# before inserting its new one, and plain rowids would hand the deleted
# (highest) position out again, which a reader past it would never see.


def _dict_row(cursor, row):
    return {d[0]: v for d, v in zip(cursor.description, row)}


class SqliteStore(Store):
    backend = "sqlite"
    migrations = (SCHEMA_V1,)

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)

    def _connect(self):
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.row_factory = _dict_row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextmanager
    def tx(self):
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _insert_movements(self, conn, rows: list[tuple]) -> int:
        before = conn.total_changes
        conn.executemany("INSERT INTO movement (warehouse, seq, id, kind, sku, lot, serial, qty, from_bin, to_bin, "
                         "ref_type, ref_id, reason, user_id, device_id, command_id, replayed, scanned_at, "
                         "recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING",
                         rows)
        return conn.total_changes - before
