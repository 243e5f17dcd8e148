"""`floorscan demo`: a believable warehouse to try floorscan on.

Three storage zones and a dock (~2,000 bins in walk order), ~5,000 items with
EAN-13 and case GTIN-14 barcodes, lots with expiry dates, serial numbers,
opening stock and one user per role. The same seed builds the same site.

The site is planned in memory first, then written through one Writer in a
few transactions into ``<db>.partial``, which is renamed into place only when
complete: an interrupted build never leaves a half-built demo behind that the
next `floorscan demo` would mistake for a finished one.
"""
from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from edge import auth, masterdata
from edge.db import connect, init_db
from edge.demo.items import DemoItem, make_items
from edge.demo.layout import ZONES, site_bins
from edge.demo.stock import opening_movements
from edge.demo.welcome import print_welcome  # noqa: F401  (part of this module's interface)
from edge.ledger import Movement, post_movements
from edge.models import BinIn, UserIn
from edge.writer import Writer

ITEMS = 5000
MOVEMENT_BATCH = 2000

# Fixed so a trainer can write them on a whiteboard. Stored in clear in the
# demo database (meta 'demo_users') only so a second run can print them again.
DEMO_USERS = (
    {"name": "Pat Picker", "role": "picker", "pin": "1111", "badge": "BADGE-PICKER"},
    {"name": "Rae Receiver", "role": "receiver", "pin": "2222", "badge": "BADGE-RECEIVER"},
    {"name": "Cody Counter", "role": "counter", "pin": "3333", "badge": "BADGE-COUNTER"},
    {"name": "Sam Supervisor", "role": "supervisor", "pin": "4444", "badge": "BADGE-SUPERVISOR"},
    {"name": "Ada Admin", "role": "admin", "pin": "9999", "badge": "BADGE-ADMIN"},
)


class DemoExists(Exception):
    """A database already exists where the demo would be built."""


@dataclass
class Site:
    bins: list[BinIn]
    items: list[DemoItem]
    movements: list[Movement]


def plan(seed: int = 42, scale: float = 1.0, today: date | None = None) -> Site:
    """The whole demo site, in memory. ``scale`` shrinks or grows aisles and items."""
    if scale <= 0:
        raise ValueError(f"scale must be greater than zero, not {scale}")
    rng = random.Random(seed)
    bins = site_bins(scale)
    items = make_items(rng, max(20, round(ITEMS * scale)))
    movements = opening_movements(rng, seed, today or _utc_today(), items, bins)
    return Site(bins, items, movements)


def build(path: str | os.PathLike, seed: int = 42, *, scale: float = 1.0, today: date | None = None,
          echo: Callable[[str], None] = print) -> list[dict]:
    """Build a demo warehouse in a new database file; returns the demo users with their PINs."""
    path = Path(path)
    if path.exists():
        raise DemoExists(f"{path} already exists; the demo builds only a new database")
    started = time.perf_counter()
    site = plan(seed, scale, today)
    partial = path.with_name(path.name + ".partial")
    _remove(partial)
    init_db(partial)
    writer = Writer(partial)
    try:
        writer.run(lambda conn: _save_master_data(conn, site))
        admin_id = writer.run(lambda conn: _save_users(conn, seed, scale))
        for start in range(0, len(site.movements), MOVEMENT_BATCH):
            batch = site.movements[start:start + MOVEMENT_BATCH]
            for mv in batch:
                mv.user_id = admin_id
            writer.run(lambda conn, b=batch: post_movements(conn, b))
        from edge.demo import workflows
        user_ids = writer.run(lambda conn: {r["role"]: r["id"] for r in conn.execute("SELECT id, role FROM user")})
        workflows.add_all(writer, seed, today or _utc_today(), user_ids)
    except BaseException:
        writer.close()
        _remove(partial)
        raise
    writer.close()
    _move_into_place(partial, path)
    storage = len({b.zone for b in site.bins if b.kind in ("storage", "pick-face")})
    echo(f"built in {time.perf_counter() - started:.1f} s: {len(site.bins):,} bins ({storage} storage zones, "
         f"a dock and totes), {len(site.items):,} items, "
         f"{sum(len(i.barcodes) for i in site.items):,} barcodes, "
         f"{len(site.movements):,} opening-stock movements")
    return [dict(u) for u in DEMO_USERS]


def read_users(path: str | os.PathLike) -> list[dict]:
    """The demo users stored by :func:`build`; [] for a database the demo did not build."""
    conn = connect(path, readonly=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'demo_users'").fetchone()
    except sqlite3.DatabaseError:  # not a floorscan database, or not SQLite at all
        return []
    finally:
        conn.close()
    return json.loads(row["value"]) if row else []


def _save_master_data(conn: sqlite3.Connection, site: Site) -> None:
    for b in site.bins:
        masterdata.save_bin(conn, b)
    for it in site.items:
        masterdata.save_item(conn, it.item)
        for bc in it.barcodes:
            masterdata.save_barcode(conn, bc)


def _save_users(conn: sqlite3.Connection, seed: int, scale: float) -> int:
    ids = {u["role"]: auth.create_user(conn, UserIn(**u))["id"] for u in DEMO_USERS}
    meta = {"demo_users": json.dumps(DEMO_USERS),
            "demo_site": json.dumps({"seed": seed, "scale": scale, "zones": [z.code for z in ZONES]})}
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
    return ids["admin"]


def _remove(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _move_into_place(partial: Path, path: Path) -> None:
    # Fold the WAL into the main file so the rename carries everything.
    conn = sqlite3.connect(partial)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    # A stale -wal next to the target would be replayed into the new file.
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(partial, path)
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)


def _utc_today() -> date:
    # The edge keeps dates in UTC (counting schedules, expiry checks); a demo
    # built from the machine's local date would be a day off near midnight.
    return datetime.now(timezone.utc).date()

