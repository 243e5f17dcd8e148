"""The supervisor dashboard's figures, read from SQLite. No Flask.

Every query is bounded by an index, so the cost does not grow with the item
master or the length of the ledger (bench/dashboard.py prints the times). The
core ledger has no index on recorded_at (replenishment's m009 adds one for its
reports); since seq and recorded_at grow together (both are set by the edge as
it commits), the first movement of a time window is found by binary search
over seq, a dozen point lookups, and per-hour counts are then kept and only
topped up with what arrived since the last call.

Areas that may not be installed (replenishment's stock_alert, the sync
loop's sync_state) answer ``{"available": False}`` instead of failing.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone

TREND_HOURS = 24


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _scalar(conn, sql: str, params=()) -> int:
    return conn.execute(sql, params).fetchone()[0] or 0


def receipts(conn: sqlite3.Connection) -> dict:
    """Receipts open at the dock, and the purchase orders and ASNs still expected."""
    return {
        "open": _scalar(conn, "SELECT count(*) FROM receipt WHERE status = 'open'"),
        "purchase_orders_open": _scalar(conn, "SELECT count(*) FROM purchase_order WHERE status IN ('open', 'receiving')"),
        "asns_open": _scalar(conn, "SELECT count(*) FROM asn WHERE status IN ('open', 'receiving')"),
    }


def picks(conn: sqlite3.Connection, now: datetime) -> dict:
    """Order lines done vs due per carrier cut-off: today's cut-offs (UTC) and any
    earlier one with orders still not shipped. A line is done when its
    allocations are picked in full (or the order shipped)."""
    day = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = _iso(day), _iso(day + timedelta(days=1))
    rows = conn.execute(
        """
        SELECT o.cutoff_at, count(DISTINCT o.id) AS orders, count(*) AS lines_due,
               sum(CASE WHEN o.status = 'shipped' OR l.shipped_qty >= l.qty
                        OR (SELECT coalesce(sum(a.picked_qty), 0) FROM allocation a
                            WHERE a.order_id = l.order_id AND a.line_no = l.line_no) >= l.qty
                   THEN 1 ELSE 0 END) AS lines_done
        FROM sales_order o JOIN so_line l ON l.order_id = o.id
        WHERE (o.status IN ('open', 'released', 'shipped') AND o.cutoff_at >= ? AND o.cutoff_at < ?)
           OR (o.status IN ('open', 'released') AND o.cutoff_at < ?)
        GROUP BY o.cutoff_at ORDER BY o.cutoff_at
        """, (start, end, start)).fetchall()
    now_iso = _iso(now)
    cutoffs = [{"cutoff_at": r["cutoff_at"], "orders": r["orders"], "lines_due": r["lines_due"],
                "lines_done": r["lines_done"], "late": r["cutoff_at"] < now_iso and r["lines_done"] < r["lines_due"]}
               for r in rows]
    upcoming = [c for c in cutoffs if c["cutoff_at"] >= now_iso]
    return {
        "lines_due": sum(c["lines_due"] for c in cutoffs),
        "lines_done": sum(c["lines_done"] for c in cutoffs),
        "late_cutoffs": sum(1 for c in cutoffs if c["late"]),
        "next_cutoff": upcoming[0] if upcoming else None,
        "cutoffs": cutoffs[-48:],
    }


def exceptions(conn: sqlite3.Connection) -> dict:
    """Open exceptions waiting for a supervisor, by kind."""
    rows = conn.execute("SELECT kind, count(*) AS n FROM exception WHERE status = 'open' GROUP BY kind "
                        "ORDER BY n DESC").fetchall()
    return {"open": sum(r["n"] for r in rows), "by_kind": {r["kind"]: r["n"] for r in rows}}


def _has_table(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def sync(conn: sqlite3.Connection) -> dict:
    """Backlog, lag and last success of the sync loop (sync/status.py), when installed."""
    try:
        from sync import status
    except ImportError:
        return {"available": False}
    if not _has_table(conn, "sync_state"):
        return {"available": False}
    return {"available": True, **status.read(conn)}


def low_stock(conn: sqlite3.Connection, limit: int = 20) -> dict:
    """Open low-stock alerts (replenishment's stock_alert), newest first."""
    if not _has_table(conn, "stock_alert"):
        return {"available": False, "open": 0, "items": []}
    n = _scalar(conn, "SELECT count(*) FROM stock_alert WHERE cleared_at IS NULL")
    rows = conn.execute(
        "SELECT a.sku, i.description, a.available, a.reorder_point, a.raised_at FROM stock_alert a "
        "JOIN item i ON i.sku = a.sku WHERE a.cleared_at IS NULL ORDER BY a.raised_at DESC LIMIT ?", (limit,))
    return {"available": True, "open": n, "items": [dict(r) for r in rows]}


def first_at_or_after(conn, table: str, key: str, stamp: str, since: str) -> int | None:
    """The smallest ``key`` whose ``stamp`` column is >= ``since``, by binary search
    over the integer key (valid while stamps grow with the key, as the edge writes them)."""
    # Two queries: SQLite answers a lone min() or max() from the b-tree's edge,
    # but scans the whole table for "SELECT min(k), max(k)".
    lo = conn.execute(f"SELECT min({key}) FROM {table}").fetchone()[0]
    hi = conn.execute(f"SELECT max({key}) FROM {table}").fetchone()[0]
    if lo is None:
        return None
    last = conn.execute(f"SELECT {stamp} FROM {table} WHERE {key} = ?", (hi,)).fetchone()[0]
    if last < since:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        row = conn.execute(f"SELECT {stamp} FROM {table} WHERE {key} >= ? ORDER BY {key} LIMIT 1", (mid,)).fetchone()
        if row[0] < since:
            lo = mid + 1
        else:
            hi = mid
    # lo may fall in a gap of the keys (a rolled-back insert): answer the key that exists.
    return conn.execute(f"SELECT {key} FROM {table} WHERE {key} >= ? ORDER BY {key} LIMIT 1", (lo,)).fetchone()[0]


class _Window:
    """Per-hour counts of one database, kept between calls: movements and
    exceptions are counted once, as they arrive (by seq / id), never re-read."""

    def __init__(self, first_hour: str):
        self.first_hour = first_hour
        self.hours: dict[str, list[int]] = {}
        self.seq = 0      # movements up to this seq are counted
        self.exc_id = 0   # exceptions up to this id are counted


_WINDOWS: dict[str, _Window] = {}
_LOCK = threading.Lock()


def _count(conn, w: _Window, since: str, fresh: bool) -> None:
    """Add to ``w`` the movements and exceptions since ``since`` not counted yet.

    The single writer commits in seq (and exception id) order, so a reader sees
    a prefix of the ledger: everything above the last seq counted is new."""
    if fresh:
        start = first_at_or_after(conn, "movement", "seq", "recorded_at", since)
        w.seq = (start - 1) if start is not None else (conn.execute("SELECT max(seq) FROM movement").fetchone()[0] or 0)
        start = first_at_or_after(conn, "exception", "id", "created_at", since)
        w.exc_id = (start - 1) if start is not None else (conn.execute("SELECT max(id) FROM exception").fetchone()[0] or 0)
    # +recorded_at: walk the table in seq order; m009's index on recorded_at would
    # cost one random row lookup per movement to read `kind`.
    for r in conn.execute("SELECT substr(recorded_at, 1, 13) AS h, count(*) AS n, sum(kind = 'pick') AS p, "
                          "max(seq) AS top FROM movement WHERE seq > ? AND +recorded_at >= ? GROUP BY h",
                          (w.seq, since)).fetchall():
        slot = w.hours.setdefault(r["h"], [0, 0, 0])
        slot[0] += r["n"]
        slot[1] += r["p"]
        w.seq = max(w.seq, r["top"])
    for r in conn.execute("SELECT substr(created_at, 1, 13) AS h, count(*) AS n, max(id) AS top FROM exception "
                          "WHERE id > ? AND +created_at >= ? GROUP BY h", (w.exc_id, since)).fetchall():
        w.hours.setdefault(r["h"], [0, 0, 0])[2] += r["n"]
        w.exc_id = max(w.exc_id, r["top"])


def trends(conn: sqlite3.Connection, now: datetime, hours: int = TREND_HOURS, *, cache: bool = True) -> dict:
    """Per hour for the last ``hours``: movements, picks and exceptions raised.

    The first call of a process reads the whole window (tens of ms for a day
    of a busy site); later calls read only what was recorded since the last."""
    top = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    first = top - timedelta(hours=hours - 1)
    slots = [_iso(first + timedelta(hours=i))[:13] for i in range(hours)]
    since = slots[0] + ":00:00Z"
    db = conn.execute("PRAGMA database_list").fetchone()[2] or ""
    with _LOCK:
        w = _WINDOWS.get(db) if cache and db else None
        fresh = w is None or slots[0] < w.first_hour  # first call, or a window further back than kept
        if fresh:
            w = _Window(slots[0])
            if cache and db:
                _WINDOWS[db] = w
        _count(conn, w, since, fresh)
        w.first_hour = slots[0]
        for h in [h for h in w.hours if h < slots[0]]:
            del w.hours[h]
        rows = [tuple(w.hours.get(h, (0, 0, 0))) for h in slots]
    return {"hours": [h + ":00:00Z" for h in slots], "movements": [r[0] for r in rows],
            "picks": [r[1] for r in rows], "exceptions": [r[2] for r in rows]}


SECTIONS = ("receipts", "picks", "exceptions", "sync", "low_stock", "trends")


def all_kpis(conn: sqlite3.Connection, now: datetime | None = None, *, timings: dict | None = None) -> dict:
    """Every figure of the dashboard; ``timings`` (if given) gets the ms each section took."""
    now = now or datetime.now(timezone.utc)
    calls = {"receipts": lambda: receipts(conn), "picks": lambda: picks(conn, now),
             "exceptions": lambda: exceptions(conn), "sync": lambda: sync(conn),
             "low_stock": lambda: low_stock(conn), "trends": lambda: trends(conn, now)}
    out: dict = {"at": _iso(now)}
    for name in SECTIONS:
        started = time.perf_counter()
        out[name] = calls[name]()
        if timings is not None:
            timings[name] = round((time.perf_counter() - started) * 1000, 2)
    return out
