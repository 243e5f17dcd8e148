"""SQLite connections for the edge: one writer, many readers, all on one file.

The write connection belongs to :class:`edge.writer.Writer`; everything else
reads through :func:`reader`, one connection per thread.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import sqlite_utils

from edge.migrations import migrations

BUSY_TIMEOUT_MS = 10_000


class DatabaseMissing(Exception):
    """The warehouse database file does not exist (run `floorscan init`)."""


def connect(path: str | Path, *, readonly: bool = False, synchronous: str = "FULL") -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so the lock is
    # taken up front and a writer never fails half-way with SQLITE_BUSY.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    else:
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: an acknowledged scan survives power loss. Group commit in the
        # writer pays for the extra fsync (see bench/scan_load.py).
        conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


def init_db(path: str | Path) -> None:
    """Create the file if needed and apply every pending migration."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        db = sqlite_utils.Database(conn)
        migrations.apply(db)
        # The site-wide salt for PIN and badge hashes (see edge/auth.py).
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('pin_salt', lower(hex(randomblob(16))))")
    finally:
        conn.close()


def pending_migrations(path: str | Path) -> list[str]:
    conn = connect(path, readonly=True)
    try:
        return [m.name for m in migrations.pending(sqlite_utils.Database(conn))]
    finally:
        conn.close()


class Readers:
    """Thread-local read connections to one database file."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True)
            self._local.conn = conn
        return conn
