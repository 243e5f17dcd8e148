"""Waves and pick lists: which orders go out together, and the walk that
picks them. No Flask.

A wave selects open orders (by cut-off time, carrier or by number), allocates
them in priority order and cuts the allocations into pick lists:

* ``single``: one order per list, one line per bin/item/lot;
* ``batch``: several orders in one walk, one line per bin/item/lot with the
  quantity per order, and a sort step afterwards (``pick.sort``);
* ``cluster``: several orders on a cart, one tote each; a line per order and
  bin/item/lot, and each pick says which tote it goes in.

Lines are numbered in walk order (``bin.walk_seq``), so the picker never walks
back; lines added later (re-allocation after a short pick) get the next number.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from itertools import groupby
from typing import Literal, Optional

from pydantic import Field

from edge.ledger import LedgerError, utcnow
from edge.masterdata import NotFound, expected_barcodes
from edge.models import Strict
from edge.workflows.allocation import allocate_order, today_utc
from edge.workflows.picking_errors import ListClosed, NothingToRelease, OrderClosed
from edge.workflows.picking_orders import iso_utc, outstanding

EPS = 1e-6
LIST_KINDS = ("single", "batch", "cluster")
ORDERS_PER_LIST = {"single": 1, "batch": 8, "cluster": 6}
PICKING_ROLES = frozenset({"picker", "supervisor", "admin"})
MAX_ID = 2 ** 63 - 1


class WaveIn(Strict):
    kind: Literal[LIST_KINDS] = Field(  # type: ignore[valid-type]
        "single", description="How the orders are cut into pick lists")
    cutoff_before: Optional[datetime] = Field(None, description="Orders whose cut-off is before this moment")
    carrier: Optional[str] = Field(None, min_length=1, max_length=64, description="Orders for this carrier only")
    order_ids: Optional[list[str]] = Field(None, min_length=1, max_length=500, description="These orders only")
    max_orders: int = Field(50, ge=1, le=500, description="At most this many orders, most urgent first")
    orders_per_list: Optional[int] = Field(None, ge=1, le=50,
                                           description="batch: orders per walk (8); cluster: totes per cart (6)")
    assign_to: list[int] = Field([], max_length=100, description="Pickers (user ids) to hand the lists to, in turn")


class PickListIn(Strict):
    order_ids: list[str] = Field(min_length=1, max_length=50)
    kind: Literal[LIST_KINDS] = "single"  # type: ignore[valid-type]
    assign_to: Optional[int] = Field(None, ge=1, le=MAX_ID)


class AssignIn(Strict):
    user_id: int = Field(ge=1, le=MAX_ID, description="The picker who gets the list")


# -- releasing ----------------------------------------------------------------

def select_orders(conn: sqlite3.Connection, w: WaveIn) -> list[str]:
    """Orders the wave releases, most urgent first: priority, cut-off, age."""
    where, params = ["o.status IN ('open', 'released')"], []
    if w.carrier is not None:
        where.append("o.carrier = ?")
        params.append(w.carrier)
    if w.cutoff_before is not None:
        where.append("o.cutoff_at < ?")
        params.append(iso_utc(w.cutoff_before, "cutoff_before"))
    if w.order_ids is not None:
        for oid in w.order_ids:
            _releasable(conn, oid)
        where.append(f"o.id IN ({', '.join('?' * len(w.order_ids))})")
        params += w.order_ids
    rows = conn.execute(f"SELECT o.id FROM sales_order o WHERE {' AND '.join(where)} "
                        "ORDER BY o.priority, o.cutoff_at IS NULL, o.cutoff_at, o.created_at, o.id", params).fetchall()
    out = []
    for (oid,) in rows:
        lines = conn.execute("SELECT line_no FROM so_line WHERE order_id = ?", (oid,)).fetchall()
        if any(outstanding(conn, oid, ln) > EPS for (ln,) in lines):
            out.append(oid)
            if len(out) == w.max_orders:
                break
    return out


def _releasable(conn, order_id: str) -> None:
    row = conn.execute("SELECT status FROM sales_order WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        raise NotFound(f"no sales order {order_id!r}", field="order_ids")
    if row["status"] not in ("open", "released"):
        raise OrderClosed(f"sales order {order_id} is {row['status']}; it cannot be released", field="order_ids")


def release_wave(conn: sqlite3.Connection, w: WaveIn, *, user_id: int | None) -> dict:
    """Allocate the selected orders and cut their allocations into pick lists."""
    for uid in w.assign_to:
        check_picker(conn, uid, field="assign_to")
    orders = select_orders(conn, w)
    rule = {k: v for k, v in w.model_dump(mode="json", exclude={"assign_to"}).items() if v is not None}
    if not orders:
        raise NothingToRelease("no open order with anything left to pick matches " + _describe(rule))
    allocated, backordered = _allocate(conn, orders)
    if not allocated:
        raise NothingToRelease(f"none of the {len(orders)} matching orders has stock to allocate; "
                               f"all stay backordered: {', '.join(orders[:10])}", backordered=backordered)
    now = utcnow()
    wave_id = conn.execute("INSERT INTO wave (kind, rule, released_at, released_by) VALUES (?,?,?,?)",
                           (w.kind, json.dumps(rule), now, user_id)).lastrowid
    lists = build_lists(conn, allocated, w.kind, w.orders_per_list or ORDERS_PER_LIST[w.kind],
                        wave_id=wave_id, created_by=user_id, assign_to=w.assign_to)
    return dict(get_wave(conn, wave_id), backordered=backordered, lists=[list_summary(conn, i) for i in lists])


def create_list(conn: sqlite3.Connection, body: PickListIn, *, user_id: int | None) -> dict:
    """A pick list for named orders, outside any wave."""
    if body.assign_to is not None:
        check_picker(conn, body.assign_to, field="assign_to")
    for oid in body.order_ids:
        _releasable(conn, oid)
    allocated, backordered = _allocate(conn, list(dict.fromkeys(body.order_ids)))
    if not allocated:
        raise NothingToRelease("nothing to pick: every line of " + ", ".join(body.order_ids)
                               + " is picked, on a list already, or has no stock to allocate", backordered=backordered)
    ids = build_lists(conn, allocated, body.kind, len(allocated) if body.kind != "single" else 1,
                      wave_id=None, created_by=user_id, assign_to=[body.assign_to] if body.assign_to else [])
    return {"lists": [list_summary(conn, i) for i in ids], "backordered": backordered}


def _allocate(conn, orders: list[str]) -> tuple[list[str], list[dict]]:
    """Allocate each order; the orders that now have something unlisted to pick,
    and the lines left (partly) backordered."""
    today = today_utc()
    allocated, backordered = [], []
    for oid in orders:
        allocate_order(conn, oid, today=today)
        for r in conn.execute("SELECT line_no, sku FROM so_line WHERE order_id = ? ORDER BY line_no", (oid,)):
            short = outstanding(conn, oid, r["line_no"])
            if short > EPS:
                backordered.append({"order_id": oid, "line_no": r["line_no"], "sku": r["sku"], "qty": short})
        if conn.execute("SELECT 1 FROM allocation WHERE order_id = ? AND status = 'open' AND pick_list_id IS NULL",
                        (oid,)).fetchone():
            allocated.append(oid)
            conn.execute("UPDATE sales_order SET status = 'released' WHERE id = ?", (oid,))
    return allocated, backordered


def _describe(rule: dict) -> str:
    parts = [f"carrier {rule['carrier']}"] if "carrier" in rule else []
    if "cutoff_before" in rule:
        parts.append(f"cut-off before {rule['cutoff_before']}")
    if "order_ids" in rule:
        parts.append("orders " + ", ".join(rule["order_ids"][:10]))
    return " and ".join(parts) or "the wave"


def check_picker(conn, user_id: int, *, field: str) -> dict:
    row = conn.execute("SELECT id, name, role, active FROM user WHERE id = ?", (user_id,)).fetchone()
    if row is None or not row["active"]:
        raise LedgerError(f"no active user {user_id}", field=field)
    if row["role"] not in PICKING_ROLES:
        raise LedgerError(f"{row['name']} is a {row['role']}; only a picker or supervisor can take a pick list",
                          field=field)
    return dict(row)


# -- cutting allocations into lists -----------------------------------------

def build_lists(conn, orders: list[str], kind: str, per_list: int, *, wave_id: int | None,
                created_by: int | None, assign_to: list[int]) -> list[int]:
    ids = []
    per_list = 1 if kind == "single" else per_list
    now = utcnow()
    for n, start in enumerate(range(0, len(orders), per_list)):
        group = orders[start:start + per_list]
        who = assign_to[n % len(assign_to)] if assign_to else None
        list_id = conn.execute("INSERT INTO pick_list (kind, wave_id, assigned_to, created_by, created_at) "
                               "VALUES (?,?,?,?,?)", (kind, wave_id, who, created_by, now)).lastrowid
        conn.executemany("INSERT INTO pick_order (list_id, order_id, slot) VALUES (?,?,?)",
                         [(list_id, oid, slot) for slot, oid in enumerate(group, 1)])
        marks = ", ".join("?" * len(group))
        allocations = [dict(r) for r in conn.execute(
            f"SELECT a.id, a.order_id, a.bin, a.sku, a.lot, a.qty, b.walk_seq FROM allocation a "
            f"JOIN bin b ON b.code = a.bin WHERE a.order_id IN ({marks}) AND a.status = 'open' "
            f"AND a.pick_list_id IS NULL", group)]
        add_lines(conn, list_id, kind, allocations, slots={oid: s for s, oid in enumerate(group, 1)})
        ids.append(list_id)
    return ids


def add_lines(conn, list_id: int, kind: str, allocations: list[dict], *, slots: dict[str, int]) -> list[int]:
    """Turn allocations into lines of the list, in walk order, after its last line."""
    last = conn.execute("SELECT coalesce(max(seq), 0) FROM pick_line WHERE list_id = ?", (list_id,)).fetchone()[0]
    if kind == "batch":
        key = lambda a: (a["walk_seq"], a["bin"], a["sku"], a["lot"], "")  # noqa: E731
    else:
        key = lambda a: (a["walk_seq"], a["bin"], a["sku"], a["lot"], slots.get(a["order_id"], 0))  # noqa: E731
    seqs = []
    for (_, bin_code, sku, lot, _slot), group in groupby(sorted(allocations, key=lambda a: (key(a), a["id"])), key):
        group = list(group)
        last += 1
        order_id = None if kind == "batch" else group[0]["order_id"]
        conn.execute("INSERT INTO pick_line (list_id, seq, bin, sku, lot, qty, order_id) VALUES (?,?,?,?,?,?,?)",
                     (list_id, last, bin_code, sku, lot, round(sum(a["qty"] for a in group), 6), order_id))
        conn.executemany("UPDATE allocation SET pick_list_id = ?, pick_seq = ? WHERE id = ?",
                         [(list_id, last, a["id"]) for a in group])
        seqs.append(last)
    if seqs:
        conn.execute("UPDATE pick_list SET status = 'picking', finished_at = NULL WHERE id = ? AND status = 'picked'",
                     (list_id,))
    return seqs


def assign(conn: sqlite3.Connection, list_id: int, user_id: int) -> tuple[dict, int | None]:
    """Hand a list to a picker; returns the list and who had it before."""
    row = pick_list_row(conn, list_id)
    if row["status"] in ("picked", "cancelled"):
        raise ListClosed(f"pick list {list_id} is {row['status']}; there is nothing left to assign")
    check_picker(conn, user_id, field="user_id")
    conn.execute("UPDATE pick_list SET assigned_to = ? WHERE id = ?", (user_id, list_id))
    return list_summary(conn, list_id), row["assigned_to"]


# -- reads ----------------------------------------------------------------------

def pick_list_row(conn, list_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM pick_list WHERE id = ?", (list_id,)).fetchone() if list_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"no pick list {list_id}", field="list_id")
    return row


def list_summary(conn, list_id: int) -> dict:
    out = dict(pick_list_row(conn, list_id))
    counts = conn.execute("SELECT count(*) AS lines, coalesce(sum(status <> 'open'), 0) AS done, "
                          "coalesce(sum(qty), 0) AS qty, coalesce(sum(picked_qty), 0) AS picked_qty "
                          "FROM pick_line WHERE list_id = ?", (list_id,)).fetchone()
    out.update(dict(counts))
    out["orders"] = [r[0] for r in conn.execute("SELECT order_id FROM pick_order WHERE list_id = ? ORDER BY slot",
                                                (list_id,))]
    return out


def list_lists(conn, *, status: str | None, assigned_to: int | None, wave_id: int | None,
               after_id: int, limit: int) -> list[dict]:
    where, params = ["id > ?"], [after_id]
    for col, value in (("status", status), ("assigned_to", assigned_to), ("wave_id", wave_id)):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    ids = [r[0] for r in conn.execute(f"SELECT id FROM pick_list WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
                                      params + [limit])]
    return [list_summary(conn, i) for i in ids]


def get_list(conn: sqlite3.Connection, list_id: int) -> dict:
    """Everything a handheld needs to work the list offline: each line with
    the bin, item, lot and the barcodes it accepts, and where the goods go."""
    out = list_summary(conn, list_id)
    out["assigned_name"] = _name(conn, out["assigned_to"])
    orders = [dict(r) for r in conn.execute(
        "SELECT p.order_id, p.slot, p.tote, p.sorted_to, o.customer, o.carrier, o.cutoff_at, o.priority "
        "FROM pick_order p JOIN sales_order o ON o.id = p.order_id WHERE p.list_id = ? ORDER BY p.slot", (list_id,))]
    totes = {o["order_id"]: o["tote"] for o in orders}
    out["orders"] = orders
    lines = []
    for r in conn.execute(
            "SELECT l.*, b.walk_seq, b.zone, i.description, i.uom, i.tracking, i.perishable, lt.expiry "
            "FROM pick_line l JOIN bin b ON b.code = l.bin JOIN item i ON i.sku = l.sku "
            "LEFT JOIN lot lt ON lt.sku = l.sku AND lt.lot = l.lot AND l.lot <> '' "
            "WHERE l.list_id = ? ORDER BY l.seq", (list_id,)):
        line = dict(r)
        line["lot"] = line["lot"] or None
        line["perishable"] = bool(line["perishable"])
        line["remaining"] = round(max(0.0, line["qty"] - line["picked_qty"]), 6) if line["status"] == "open" else 0.0
        line["tote"] = totes.get(line["order_id"]) if out["kind"] == "cluster" else out["tote"]
        line["barcodes"] = expected_barcodes(conn, line["sku"])
        line["orders"] = [dict(a) for a in conn.execute(
            "SELECT order_id, line_no, qty, picked_qty, status FROM allocation WHERE pick_list_id = ? AND pick_seq = ? "
            "ORDER BY id", (list_id, line["seq"]))]
        del line["list_id"]
        lines.append(line)
    out["lines"] = lines
    return out


def _name(conn, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    row = conn.execute("SELECT name FROM user WHERE id = ?", (user_id,)).fetchone()
    return row["name"] if row else None


def get_wave(conn: sqlite3.Connection, wave_id: int) -> dict:
    row = conn.execute("SELECT * FROM wave WHERE id = ?", (wave_id,)).fetchone() if wave_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"no wave {wave_id}")
    out = dict(row)
    out["rule"] = json.loads(out["rule"])
    out["lists"] = [r[0] for r in conn.execute("SELECT id FROM pick_list WHERE wave_id = ? ORDER BY id", (wave_id,))]
    out["orders"] = [r[0] for r in conn.execute(
        "SELECT DISTINCT p.order_id FROM pick_order p JOIN pick_list l ON l.id = p.list_id WHERE l.wave_id = ? "
        "ORDER BY p.order_id", (wave_id,))]
    return out


def list_waves(conn, *, after_id: int, limit: int) -> list[dict]:
    ids = [r[0] for r in conn.execute("SELECT id FROM wave WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit))]
    return [get_wave(conn, i) for i in ids]
