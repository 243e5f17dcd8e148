"""Sales orders: what customers want picked. Created over the API or from a
CSV file (and later pulled from central); read back with how far each line
has got: reserved, picked, shipped, backordered. No Flask."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Optional

from pydantic import Field, field_validator

from edge.ledger import LedgerError, TrackingError, UnknownItem, is_decimal_uom, utcnow
from edge.ledger.errors import BadQuantity, InactiveMasterData
from edge.masterdata import NotFound
from edge.models import Strict
from edge.workflows.picking_errors import OrderClosed, OrderExists

EPS = 1e-6
ORDER_STATUSES = ("open", "released", "shipped", "cancelled")


class SoLineIn(Strict):
    line_no: Optional[int] = Field(None, ge=1, le=1_000_000, description="Default: the line's position, from 1")
    sku: str = Field(min_length=1, max_length=64)
    qty: float = Field(gt=0, le=1_000_000_000)
    lot: Optional[str] = Field(None, max_length=64, description="Only this lot will do (else FEFO / FIFO)")


class SalesOrderIn(Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$", description="The order number",
                    examples=["SO-10042"])
    customer: str = Field("", max_length=200)
    priority: int = Field(5, ge=1, le=9, description="1 is the most urgent")
    cutoff_at: Optional[datetime] = Field(None, description="When the carrier collects; no zone means UTC")
    carrier: str = Field("", max_length=64)
    lines: list[SoLineIn] = Field(min_length=1, max_length=1000)

    @field_validator("lines")
    @classmethod
    def _number_lines(cls, lines):
        taken = {ln.line_no for ln in lines if ln.line_no is not None}
        if len(taken) != sum(1 for ln in lines if ln.line_no is not None):
            raise ValueError("line_no repeats within the order")
        next_no = 1
        for ln in lines:
            if ln.line_no is None:
                while next_no in taken:
                    next_no += 1
                ln.line_no = next_no
                taken.add(next_no)
        return lines


def iso_utc(moment: datetime | None, field: str = "cutoff_at") -> str | None:
    """The moment in UTC as stored and compared: 2026-11-27T16:00:00Z."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    except OverflowError:
        raise LedgerError(f"{moment.isoformat()} is out of range", field=field) from None


def check_line(conn: sqlite3.Connection, sku: str, qty: float, lot: str | None) -> None:
    """The rules an order line shares with the ledger, checked when the order
    arrives rather than when somebody tries to pick it."""
    item = conn.execute("SELECT uom, tracking, active FROM item WHERE sku = ?", (sku,)).fetchone()
    if item is None:
        raise UnknownItem(f"no item with sku {sku!r}", field="sku")
    if not item["active"]:
        raise InactiveMasterData(f"item {sku!r} is inactive", field="sku")
    if not is_decimal_uom(item["uom"]) and qty != int(qty):
        raise BadQuantity(f"{sku} is counted in whole {item['uom']}; {qty:g} is not a whole number", field="qty")
    if lot:
        if item["tracking"] == "none":
            raise TrackingError(f"{sku} is not lot-tracked; an order line cannot ask for a lot", field="lot")
        if conn.execute("SELECT 1 FROM lot WHERE sku = ? AND lot = ?", (sku, lot)).fetchone() is None:
            raise TrackingError(f"lot {lot} of {sku} is not known here", field="lot")


def check_order(conn: sqlite3.Connection, order: SalesOrderIn) -> None:
    for i, ln in enumerate(order.lines):
        try:
            check_line(conn, ln.sku, ln.qty, ln.lot)
        except LedgerError as exc:
            exc.field = f"lines[{i}].{exc.field}"
            raise


def save_order(conn: sqlite3.Connection, order: SalesOrderIn, *, source: str = "api",
               replace: bool = False) -> str:
    """Record a new order; 'created', 'replaced' or 'unchanged'.

    ``replace`` (a re-imported file) may rewrite an order that nothing has
    touched yet; an order already allocated, picked or shipped cannot change.
    """
    check_order(conn, order)
    old = conn.execute("SELECT status FROM sales_order WHERE id = ?", (order.id,)).fetchone()
    if old is not None:
        if not replace:
            raise OrderExists(f"sales order {order.id} already exists", field="id")
        if same_order(conn, order):
            return "unchanged"
        touched = conn.execute("SELECT 1 FROM allocation WHERE order_id = ? LIMIT 1", (order.id,)).fetchone()
        if old["status"] != "open" or touched:
            state = old["status"] if old["status"] != "open" else "allocated"
            raise OrderClosed(f"sales order {order.id} is already {state}; it can no longer change", field="id")
        conn.execute("DELETE FROM so_line WHERE order_id = ?", (order.id,))
        conn.execute("UPDATE sales_order SET customer = ?, priority = ?, cutoff_at = ?, carrier = ?, source = ? "
                     "WHERE id = ?", (order.customer, order.priority, iso_utc(order.cutoff_at), order.carrier,
                                      source, order.id))
    else:
        conn.execute("INSERT INTO sales_order (id, customer, priority, cutoff_at, carrier, source, created_at) "
                     "VALUES (?,?,?,?,?,?,?)", (order.id, order.customer, order.priority, iso_utc(order.cutoff_at),
                                                order.carrier, source, utcnow()))
    conn.executemany("INSERT INTO so_line (order_id, line_no, sku, qty, lot) VALUES (?,?,?,?,?)",
                     [(order.id, ln.line_no, ln.sku, ln.qty, ln.lot or None) for ln in order.lines])
    return "replaced" if old is not None else "created"


def same_order(conn: sqlite3.Connection, order: SalesOrderIn) -> bool:
    head = conn.execute("SELECT customer, priority, cutoff_at, carrier FROM sales_order WHERE id = ?",
                        (order.id,)).fetchone()
    if head is None or tuple(head) != (order.customer, order.priority, iso_utc(order.cutoff_at), order.carrier):
        return False
    lines = {(r["line_no"], r["sku"], r["qty"], r["lot"]) for r in conn.execute(
        "SELECT line_no, sku, qty, lot FROM so_line WHERE order_id = ?", (order.id,))}
    return lines == {(ln.line_no, ln.sku, float(ln.qty), ln.lot or None) for ln in order.lines}


# -- reads ------------------------------------------------------------------

LINE_PROGRESS = """
    SELECT l.line_no, l.sku, l.qty, l.lot, l.shipped_qty,
           coalesce(sum(CASE WHEN a.status = 'open' THEN a.qty - a.picked_qty END), 0) AS reserved,
           coalesce(sum(a.picked_qty), 0) AS picked
    FROM so_line l LEFT JOIN allocation a ON a.order_id = l.order_id AND a.line_no = l.line_no
    WHERE l.order_id = ? GROUP BY l.line_no ORDER BY l.line_no
"""


def line_progress(conn: sqlite3.Connection, order_id: str, status: str) -> list[dict]:
    out = []
    for r in conn.execute(LINE_PROGRESS, (order_id,)):
        line = dict(r)
        open_order = status in ("open", "released")
        line["backordered"] = round(max(0.0, line["qty"] - line["picked"] - line["reserved"]), 6) \
            if open_order else 0.0
        out.append(line)
    return out


def outstanding(conn: sqlite3.Connection, order_id: str, line_no: int) -> float:
    """What an order line still needs beyond what is picked or reserved for it."""
    row = conn.execute("""
        SELECT l.qty - coalesce(sum(CASE WHEN a.status = 'open' THEN a.qty ELSE a.picked_qty END), 0) AS need
        FROM so_line l LEFT JOIN allocation a ON a.order_id = l.order_id AND a.line_no = l.line_no
        WHERE l.order_id = ? AND l.line_no = ? GROUP BY l.line_no""", (order_id, line_no)).fetchone()
    return max(0.0, round(row["need"], 6)) if row else 0.0


def get_order(conn: sqlite3.Connection, order_id: str) -> dict:
    row = conn.execute("SELECT * FROM sales_order WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        raise NotFound(f"no sales order {order_id!r}")
    order = dict(row)
    order["lines"] = line_progress(conn, order_id, order["status"])
    order["allocations"] = [dict(a, lot=a["lot"] or None) for a in conn.execute(
        "SELECT id, line_no, bin, sku, lot, qty, picked_qty, status, pick_list_id, pick_seq FROM allocation "
        "WHERE order_id = ? ORDER BY id", (order_id,))]
    order["picked_goods"] = [dict(p, lot=p["lot"] or None) for p in conn.execute(
        "SELECT line_no, bin, sku, lot, qty FROM picked_stock WHERE order_id = ? ORDER BY bin, line_no",
        (order_id,))]
    order["pick_lists"] = [r[0] for r in conn.execute(
        "SELECT DISTINCT list_id FROM pick_order WHERE order_id = ? ORDER BY list_id", (order_id,))]
    order["backordered"] = any(ln["backordered"] > EPS for ln in order["lines"])
    return order


def list_orders(conn: sqlite3.Connection, *, status: str | None, carrier: str | None,
                cutoff_before: str | None, after: str | None, limit: int) -> list[dict]:
    where, params = [], []
    for col, value in (("status", status), ("carrier", carrier)):
        if value is not None:
            where.append(f"o.{col} = ?")
            params.append(value)
    if cutoff_before is not None:
        where.append("o.cutoff_at < ?")
        params.append(cutoff_before)
    if after:
        where.append("o.id > ?")
        params.append(after)
    sql = ("SELECT o.*, (SELECT count(*) FROM so_line l WHERE l.order_id = o.id) AS lines FROM sales_order o"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY o.id LIMIT ?")
    rows = [dict(r) for r in conn.execute(sql, params + [limit])]
    for r in rows:
        r["backordered"] = r["status"] in ("open", "released") and any(
            ln["backordered"] > EPS for ln in line_progress(conn, r["id"], r["status"]))
    return rows
