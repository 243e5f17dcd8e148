"""After the walk: sort a batch into its orders, ship each order (or cancel it). No Flask.

Picked goods are recorded per order line in ``picked_stock`` (which tote or
staging bin holds them). The sort step moves one order's goods out of the
batch tote into its own tote or staging lane; shipping moves an order's goods
out of the building: from wherever they are to no bin, kind ``ship``.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Optional

from pydantic import Field

from edge.commands.registry import register
from edge.ledger import LedgerError, Movement, post_movements, utcnow
from edge.ledger.reserve import release
from edge.masterdata import NotFound
from edge.models import Strict
from edge.workflows import exceptions
from edge.workflows.picking_errors import NotBatch, NotReadyToShip, OrderClosed, ToteInUse, WrongTote
from edge.workflows.picking_lists import PICKING_ROLES, pick_list_row
from edge.workflows.picking_orders import line_progress
from edge.workflows.picking_steps import EPS, TOTE_KINDS, ListId, base


class PickSortPayload(Strict):
    list_id: int = ListId
    order_id: str = Field(min_length=1, max_length=64, description="The order whose goods are sorted out")
    to_bin: str = Field(min_length=1, max_length=64, description="The order's tote or staging lane, scanned")


class OrderShipPayload(Strict):
    order_id: str = Field(min_length=1, max_length=64, description="The order (packing slip) scanned")
    tote: Optional[str] = Field(None, max_length=64, description="The tote or staging bin scanned, to check it")
    partial: bool = Field(False, description="Ship what is picked and give up the rest of the order")


def _grouped(rows) -> dict[tuple[str, str, str], float]:
    out: dict[tuple[str, str, str], float] = defaultdict(float)
    for r in rows:
        out[(r["bin"], r["sku"], r["lot"])] += r["qty"]
    return out


@register("pick.sort", PickSortPayload, PICKING_ROLES,
          "After a batch walk: move one order's goods from the batch tote into its own tote or staging lane")
def sort(conn, ctx, p: PickSortPayload):
    lst = pick_list_row(conn, p.list_id)
    if lst["kind"] != "batch":
        raise NotBatch(f"pick list {p.list_id} is a {lst['kind']} pick; only a batch is sorted", field="list_id")
    if conn.execute("SELECT 1 FROM pick_order WHERE list_id = ? AND order_id = ?",
                    (p.list_id, p.order_id)).fetchone() is None:
        raise LedgerError(f"order {p.order_id} is not on pick list {p.list_id}", field="order_id")
    target = conn.execute("SELECT kind FROM bin WHERE code = ? AND active", (p.to_bin,)).fetchone()
    if target is None or target["kind"] not in TOTE_KINDS:
        raise LedgerError(f"{p.to_bin} is not a tote or staging bin", field="to_bin")
    if p.to_bin == lst["tote"]:
        raise LedgerError(f"{p.to_bin} is the batch tote itself; scan the order's own tote or lane", field="to_bin")
    other = conn.execute("SELECT order_id FROM picked_stock WHERE bin = ? AND order_id <> ? LIMIT 1",
                         (p.to_bin, p.order_id)).fetchone()
    if other is not None:
        raise ToteInUse(f"{p.to_bin} holds goods of order {other['order_id']}; use another", field="to_bin")
    rows = conn.execute("SELECT * FROM picked_stock WHERE order_id = ? AND bin = ?",
                        (p.order_id, lst["tote"])).fetchall() if lst["tote"] else []
    if not rows:
        raise NotReadyToShip(f"nothing of order {p.order_id} is in the batch tote {lst['tote']} to sort",
                             field="order_id")
    movements = [Movement(kind="move", reason="sort", sku=sku, lot=lot, qty=round(qty, 6), from_bin=src,
                          to_bin=p.to_bin, ref_type="sales_order", ref_id=p.order_id, **base(ctx, n))
                 for n, ((src, sku, lot), qty) in enumerate(sorted(_grouped(rows).items()))]
    result = post_movements(conn, movements, replay=ctx.replay)
    for r in rows:
        conn.execute("DELETE FROM picked_stock WHERE order_id = ? AND line_no = ? AND bin = ? AND sku = ? AND lot = ?",
                     (r["order_id"], r["line_no"], r["bin"], r["sku"], r["lot"]))
        conn.execute("INSERT INTO picked_stock (order_id, line_no, bin, sku, lot, qty) VALUES (?,?,?,?,?,?) "
                     "ON CONFLICT (order_id, line_no, bin, sku, lot) DO UPDATE SET qty = round(qty + excluded.qty, 6)",
                     (r["order_id"], r["line_no"], p.to_bin, r["sku"], r["lot"], r["qty"]))
    conn.execute("UPDATE pick_order SET sorted_to = ? WHERE list_id = ? AND order_id = ?",
                 (p.to_bin, p.list_id, p.order_id))
    return result


def ship_problems(conn, order: dict, p: OrderShipPayload, goods) -> list[tuple[str, LedgerError]]:
    """Why the order is not ready to go, as (exception kind, refusal)."""
    problems: list[tuple[str, LedgerError]] = []
    oid = order["id"]
    if not p.partial:
        waiting = [ln for ln in line_progress(conn, oid, order["status"])
                   if ln["reserved"] > EPS or ln["backordered"] > EPS]
        if waiting:
            shown = ", ".join(f"line {ln['line_no']} ({ln['sku']}: {ln['qty'] - ln['picked']:g} not picked)"
                              for ln in waiting[:5])
            problems.append(("ship_incomplete", NotReadyToShip(
                f"order {oid} is not fully picked: {shown}; pick the rest or ship with partial=true",
                field="partial")))
    bins = sorted({g["bin"] for g in goods})
    shared = conn.execute(
        f"SELECT bin, min(order_id) AS other FROM picked_stock WHERE bin IN ({', '.join('?' * len(bins))}) "
        f"AND order_id <> ? GROUP BY bin", [*bins, oid]).fetchall()
    for s in shared:
        problems.append(("ship_unsorted", NotReadyToShip(
            f"{s['bin']} also holds goods of order {s['other']}; sort the batch (pick.sort) before shipping {oid}",
            field="order_id")))
    if p.tote and p.tote not in bins:
        problems.append(("ship_wrong_tote", WrongTote(
            f"the goods of order {oid} are in {', '.join(bins)}, not in {p.tote}", field="tote",
            expected={"bins": bins})))
    return problems


@register("order.ship", OrderShipPayload, PICKING_ROLES,
          "Pack/ship confirmation: the order's picked goods leave the building")
def ship(conn, ctx, p: OrderShipPayload):
    row = conn.execute("SELECT * FROM sales_order WHERE id = ?", (p.order_id,)).fetchone()
    if row is None:
        raise NotFound(f"no sales order {p.order_id!r}", field="order_id")
    order = dict(row)
    if order["status"] in ("shipped", "cancelled"):
        when = f" at {order['shipped_at']}" if order["shipped_at"] else ""
        raise OrderClosed(f"order {p.order_id} is already {order['status']}{when}", field="order_id")
    goods = conn.execute("SELECT * FROM picked_stock WHERE order_id = ? ORDER BY bin, sku, lot",
                         (p.order_id,)).fetchall()
    if not goods:
        raise NotReadyToShip(f"nothing is picked for order {p.order_id} yet", field="order_id")
    problems = ship_problems(conn, order, p, goods)
    if problems and not ctx.replay:
        raise problems[0][1]
    movements = [Movement(kind="ship", sku=sku, lot=lot, qty=round(qty, 6), from_bin=src, ref_type="sales_order",
                          ref_id=p.order_id, **base(ctx, n))
                 for n, ((src, sku, lot), qty) in enumerate(sorted(_grouped(goods).items()))]
    result = post_movements(conn, movements, replay=ctx.replay)
    now = utcnow()
    for g in goods:
        conn.execute("UPDATE so_line SET shipped_qty = round(shipped_qty + ?, 6) WHERE order_id = ? AND line_no = ?",
                     (g["qty"], p.order_id, g["line_no"]))
    conn.execute("DELETE FROM picked_stock WHERE order_id = ?", (p.order_id,))
    # Shipping closes the order: what was not picked is given up.
    for a in conn.execute("SELECT * FROM allocation WHERE order_id = ? AND status = 'open'", (p.order_id,)).fetchall():
        drop_allocation(conn, a)
    conn.execute("UPDATE sales_order SET status = 'shipped', shipped_at = ? WHERE id = ?", (now, p.order_id))
    for kind, err in problems:
        exceptions.raise_(conn, kind, f"offline ship of {p.order_id}: {err.detail}", bin=movements[0].from_bin,
                          ref_type="sales_order", ref_id=p.order_id, user_id=ctx.user_id, device_id=ctx.device_id,
                          command_id=ctx.command_id, movement_id=movements[0].id, post=result, now=now)
    _close_lists(conn, p.order_id)
    return result


def drop_allocation(conn, a) -> None:
    """Give up the unpicked rest of an allocation: release it and take it off its pick line."""
    missing = round(a["qty"] - a["picked_qty"], 6)
    release(conn, a["bin"], a["sku"], a["lot"], missing)
    conn.execute("UPDATE allocation SET status = ? WHERE id = ?",
                 ("picked" if a["picked_qty"] > EPS else "cancelled", a["id"]))
    if a["pick_list_id"] is None:
        return
    left = conn.execute("SELECT coalesce(sum(qty - picked_qty), 0) FROM allocation WHERE pick_list_id = ? "
                        "AND pick_seq = ? AND status = 'open'", (a["pick_list_id"], a["pick_seq"])).fetchone()[0]
    if left > EPS:  # a batch line: the other orders still want theirs
        conn.execute("UPDATE pick_line SET qty = round(picked_qty + ?, 6) WHERE list_id = ? AND seq = ?",
                     (left, a["pick_list_id"], a["pick_seq"]))
    else:
        conn.execute("UPDATE pick_line SET status = CASE WHEN picked_qty > 0 THEN 'picked' ELSE 'cancelled' END "
                     "WHERE list_id = ? AND seq = ? AND status = 'open'", (a["pick_list_id"], a["pick_seq"]))


def _close_lists(conn, order_id: str) -> None:
    for (list_id,) in conn.execute("SELECT list_id FROM pick_order WHERE order_id = ?", (order_id,)).fetchall():
        if not conn.execute("SELECT 1 FROM pick_line WHERE list_id = ? AND status = 'open' LIMIT 1",
                            (list_id,)).fetchone():
            conn.execute("UPDATE pick_list SET status = 'picked', finished_at = coalesce(finished_at, ?) "
                         "WHERE id = ? AND status IN ('open', 'picking')", (utcnow(), list_id))


def cancel_order(conn, order_id: str) -> dict:
    """Cancel an order that will not ship: its reservations go, its lines leave
    the pick lists, and goods already picked stay where they are as ordinary
    stock for somebody to put away (listed in ``put_away``)."""
    row = conn.execute("SELECT status FROM sales_order WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        raise NotFound(f"no sales order {order_id!r}")
    if row["status"] in ("shipped", "cancelled"):
        raise OrderClosed(f"order {order_id} is already {row['status']}")
    lists = [r[0] for r in conn.execute(
        "SELECT DISTINCT pick_list_id FROM allocation WHERE order_id = ? AND status = 'open' "
        "AND pick_list_id IS NOT NULL", (order_id,))]
    for a in conn.execute("SELECT * FROM allocation WHERE order_id = ? AND status = 'open'", (order_id,)).fetchall():
        drop_allocation(conn, a)
    put_away = [dict(r, lot=r["lot"] or None) for r in conn.execute(
        "SELECT bin, sku, lot, sum(qty) AS qty FROM picked_stock WHERE order_id = ? GROUP BY bin, sku, lot "
        "ORDER BY bin, sku, lot", (order_id,))]
    conn.execute("DELETE FROM picked_stock WHERE order_id = ?", (order_id,))
    conn.execute("UPDATE sales_order SET status = 'cancelled' WHERE id = ?", (order_id,))
    _close_lists(conn, order_id)
    touched = [dict(r) for r in conn.execute(
        f"SELECT id, assigned_to, status FROM pick_list WHERE id IN ({', '.join('?' * len(lists))})", lists)]
    return {"order_id": order_id, "status": "cancelled", "put_away": put_away, "pick_lists": touched}
