"""Allocation: which stock each order line will be picked from, reserved so
no other order is offered it.

Rules, in order:

* only storage and pick-face bins that are active (never a dock, quarantine,
  returns, in-transit bin or a tote) and only what is free (on-hand minus
  reserved);
* never an expired lot (expiry before today), and for a perishable item never
  a lot without a known expiry: it cannot be rotated and may be expired;
* a line that names a lot gets that lot or nothing;
* perishable items FEFO: earliest expiry first; everything else FIFO by
  receipt date (the lot's creation, or for lot-less stock the first movement
  into that bin); ties go to the bin that comes first on the walk;
* whatever cannot be reserved stays backordered on the line, visible on the
  order, and is tried again by the next wave.
"""
from __future__ import annotations

import sqlite3

from edge.ledger import utcnow
from edge.ledger.reserve import reserve
from edge.masterdata import NotFound
from edge.workflows.picking_orders import outstanding

EPS = 1e-6
PICKABLE_KINDS = ("storage", "pick-face")

CANDIDATES = f"""
    SELECT s.bin, s.lot, s.qty, s.reserved, round(s.qty - s.reserved, 6) AS free, b.walk_seq, b.kind,
           l.expiry, l.created_at AS lot_created,
           (SELECT min(m.seq) FROM movement m
            WHERE m.to_bin = s.bin AND m.sku = s.sku AND m.lot = s.lot) AS first_seq,
           (SELECT min(m.recorded_at) FROM movement m
            WHERE m.to_bin = s.bin AND m.sku = s.sku AND m.lot = s.lot) AS first_in
    FROM stock s JOIN bin b ON b.code = s.bin
    LEFT JOIN lot l ON l.sku = s.sku AND l.lot = s.lot AND s.lot <> ''
    WHERE s.sku = ? AND b.active AND b.kind IN ({", ".join(f"'{k}'" for k in PICKABLE_KINDS)})
"""


def today_utc() -> str:
    return utcnow()[:10]


def candidates(conn: sqlite3.Connection, sku: str, *, lot: str | None = None, today: str | None = None,
               exclude=(), include_reserved: bool = False) -> list[dict]:
    """Stock an order line for ``sku`` may be allocated from, best first.
    ``exclude`` holds (bin, lot) places not to offer (one that just came up short)."""
    today = today or today_utc()
    item = conn.execute("SELECT perishable FROM item WHERE sku = ?", (sku,)).fetchone()
    if item is None:
        return []
    out = []
    for r in conn.execute(CANDIDATES, (sku,)):
        c = dict(r)
        if (not include_reserved and c["free"] <= EPS) or (c["bin"], c["lot"]) in exclude:
            continue
        if lot and c["lot"] != lot:
            continue
        if c["expiry"] is not None and c["expiry"] < today:
            continue
        if item["perishable"] and c["expiry"] is None:
            continue
        c["received"] = (c["lot_created"] if c["lot"] else None) or c["first_in"] or ""
        out.append(c)
    if item["perishable"]:
        out.sort(key=lambda c: (c["expiry"], c["walk_seq"], c["bin"]))
    else:
        # Within one millisecond the ledger's order decides.
        out.sort(key=lambda c: (c["received"], c["first_seq"] or 0, c["walk_seq"], c["bin"]))
    return out


def allocate_line(conn: sqlite3.Connection, order_id: str, line_no: int, *, today: str | None = None,
                  exclude=()) -> list[dict]:
    """Reserve what the line still needs; returns the new allocations."""
    line = conn.execute("SELECT sku, lot FROM so_line WHERE order_id = ? AND line_no = ?",
                        (order_id, line_no)).fetchone()
    if line is None:
        raise NotFound(f"no line {line_no} on sales order {order_id!r}")
    need = outstanding(conn, order_id, line_no)
    made: list[dict] = []
    if need <= EPS:
        return made
    now = utcnow()
    for c in candidates(conn, line["sku"], lot=line["lot"], today=today, exclude=exclude):
        take = round(min(need, c["free"]), 6)
        reserve(conn, c["bin"], line["sku"], c["lot"], take)
        cur = conn.execute(
            "INSERT INTO allocation (order_id, line_no, bin, sku, lot, qty, created_at) VALUES (?,?,?,?,?,?,?)",
            (order_id, line_no, c["bin"], line["sku"], c["lot"], take, now))
        made.append({"id": cur.lastrowid, "order_id": order_id, "line_no": line_no, "bin": c["bin"],
                     "sku": line["sku"], "lot": c["lot"], "qty": take, "expiry": c["expiry"],
                     "walk_seq": c["walk_seq"]})
        need = round(need - take, 6)
        if need <= EPS:
            break
    return made


def allocate_order(conn: sqlite3.Connection, order_id: str, *, today: str | None = None) -> list[dict]:
    made = []
    for (line_no,) in conn.execute("SELECT line_no FROM so_line WHERE order_id = ? ORDER BY line_no",
                                   (order_id,)).fetchall():
        made += allocate_line(conn, order_id, line_no, today=today)
    return made


def availability(conn: sqlite3.Connection, sku: str, *, today: str | None = None) -> dict:
    """On-hand, reserved and free stock of ``sku`` by bin and lot, and how
    much of it an order could be given (pickable bins, not expired)."""
    today = today or today_utc()
    item = conn.execute("SELECT sku, description, uom, perishable FROM item WHERE sku = ?", (sku,)).fetchone()
    if item is None:
        raise NotFound(f"no item {sku!r}")
    allocatable = {(c["bin"], c["lot"]) for c in candidates(conn, sku, today=today, include_reserved=True)}
    rows = []
    for r in conn.execute(
            "SELECT s.bin, b.kind, b.walk_seq, s.lot, l.expiry, s.qty, s.reserved FROM stock s "
            "JOIN bin b ON b.code = s.bin LEFT JOIN lot l ON l.sku = s.sku AND l.lot = s.lot AND s.lot <> '' "
            "WHERE s.sku = ? ORDER BY b.walk_seq, s.bin, s.lot", (sku,)):
        row = dict(r)
        row["available"] = round(max(0.0, row["qty"] - row["reserved"]), 6)
        row["allocatable"] = (row["bin"], row["lot"]) in allocatable
        row["lot"] = row["lot"] or None
        rows.append(row)
    on_hand = round(sum(r["qty"] for r in rows), 6)
    reserved = round(sum(r["reserved"] for r in rows), 6)
    return {"sku": item["sku"], "description": item["description"], "uom": item["uom"],
            "perishable": bool(item["perishable"]), "on_hand": on_hand, "reserved": reserved,
            "available": round(sum(r["available"] for r in rows), 6),
            "allocatable": round(sum(r["available"] for r in rows if r["allocatable"]), 6),
            "backordered": backordered(conn, sku), "bins": rows}


def backordered(conn: sqlite3.Connection, sku: str) -> float:
    """What open orders want of ``sku`` beyond what is picked or reserved for them."""
    total = 0.0
    for r in conn.execute("SELECT l.order_id, l.line_no FROM so_line l JOIN sales_order o ON o.id = l.order_id "
                          "WHERE l.sku = ? AND o.status IN ('open', 'released')", (sku,)):
        total += outstanding(conn, r["order_id"], r["line_no"])
    return round(total, 6)
