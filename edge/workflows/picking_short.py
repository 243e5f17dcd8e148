"""Short picks: the bin holds less than the line needs. No Flask.

What was there goes into the tote like any pick; the rest of the line is
released, a ``short_pick`` exception (with a count request for the bin)
goes to the supervisors, and the order lines are re-allocated from other
places onto the same list. The answer's exception entry carries the new
lines (``reallocated``) so the handheld offers the picker the new location
at once, and what could not be found anywhere (``backordered``).
"""
from __future__ import annotations

from typing import Optional

from pydantic import Field

from edge.commands.registry import register
from edge.ledger import LedgerError, PostResult
from edge.ledger.reserve import release
from edge.models import Strict
from edge.workflows.allocation import allocate_line
from edge.workflows.picking_errors import LineClosed, NotShort, WrongBin
from edge.workflows.picking_lists import PICKING_ROLES, add_lines
from edge.workflows.picking_steps import (
    EPS, LineSeq, ListId, PickConfirmPayload, finish_if_done, line_row, open_list, pick, raise_for,
)


class PickShortPayload(Strict):
    list_id: int = ListId
    line: int = LineSeq
    bin: str = Field(min_length=1, max_length=64, description="The bin label scanned")
    qty: float = Field(0, ge=0, le=1_000_000_000, description="What was there and went into the tote (0: empty)")
    item: Optional[str] = Field(None, max_length=4096, description="The item scanned; needed when qty > 0")
    lot: Optional[str] = Field(None, max_length=64)
    serial: Optional[str] = Field(None, max_length=64)
    tote: Optional[str] = Field(None, max_length=64)
    note: Optional[str] = Field(None, max_length=500, description="e.g. 'bin empty', 'damaged'")


@register("pick.short", PickShortPayload, PICKING_ROLES,
          "Report a short pick: what was there goes in the tote, the rest is re-allocated from another bin")
def short(conn, ctx, p: PickShortPayload):
    problems: list = []
    lst = open_list(conn, ctx, p.list_id, problems)
    line = line_row(conn, lst, p.line)
    if line["status"] != "open":
        raise LineClosed(f"line {line['seq']} of pick list {lst['id']} is already {line['status']}", field="line")
    remaining = round(line["qty"] - line["picked_qty"], 6)
    if p.qty >= remaining - EPS:
        if not ctx.replay:
            raise NotShort(f"{p.qty:g} covers the {remaining:g} line {line['seq']} still needs; confirm the pick "
                           "instead", field="qty")
        result = pick(conn, ctx, lst, line, _as_confirm(p, line), p.qty, problems)
        finish_if_done(conn, lst["id"], ctx.user_id)
        return result
    movement_id = None
    if p.qty > 0:
        if not p.item:
            raise LedgerError(f"scan the {p.qty:g} of {line['sku']} you found (item) before reporting short",
                              field="item")
        result = pick(conn, ctx, lst, line, _as_confirm(p, line), p.qty, problems)
        movement_id = ctx.command_id  # the pick of what was found
    else:
        result = PostResult()
        if p.bin != line["bin"]:
            problems.append(("pick_wrong_bin", WrongBin(
                f"wrong bin: line {line['seq']} is in bin {line['bin']}, you scanned {p.bin}", field="bin",
                expected={"bin": line["bin"]})))
        if problems and not ctx.replay:
            raise problems[0][1]
        for kind, err in problems:
            raise_for(conn, ctx, kind, f"offline short pick: {err.detail}", lst=lst, bin=p.bin, sku=line["sku"],
                      lot=line["lot"], post=result)
    line = line_row(conn, lst, p.line)
    close_short(conn, ctx, lst, line, found=p.qty, movement_id=movement_id, note=p.note, post=result)
    finish_if_done(conn, lst["id"], ctx.user_id)
    return result


def _as_confirm(p: PickShortPayload, line: dict) -> PickConfirmPayload:
    return PickConfirmPayload(list_id=p.list_id, line=p.line, bin=p.bin, item=p.item or line["sku"], qty=p.qty or None,
                              lot=p.lot, serial=p.serial, tote=p.tote)


def close_short(conn, ctx, lst: dict, line: dict, *, found: float, movement_id: str | None, note: str | None,
                post: PostResult) -> dict:
    """Release what the bin did not have, raise the short pick for a supervisor
    (with a count of the bin), and re-allocate the rest from other bins onto
    this list, so the picker is offered the new location at once."""
    missing = round(line["qty"] - line["picked_qty"], 6)
    orders = []
    for a in conn.execute("SELECT * FROM allocation WHERE pick_list_id = ? AND pick_seq = ? AND status = 'open' "
                          "ORDER BY id", (lst["id"], line["seq"])).fetchall():
        release(conn, a["bin"], a["sku"], a["lot"], a["qty"] - a["picked_qty"])
        conn.execute("UPDATE allocation SET status = 'short' WHERE id = ?", (a["id"],))
        orders.append((a["order_id"], a["line_no"]))
    conn.execute("UPDATE pick_line SET status = 'short' WHERE list_id = ? AND seq = ?", (lst["id"], line["seq"]))
    made = []
    for order_id, line_no in dict.fromkeys(orders):
        made += allocate_line(conn, order_id, line_no, exclude={(line["bin"], line["lot"])})
    slots = {r["order_id"]: r["slot"] for r in conn.execute("SELECT order_id, slot FROM pick_order WHERE list_id = ?",
                                                             (lst["id"],))}
    seqs = add_lines(conn, lst["id"], lst["kind"], made, slots=slots)
    offered = [dict(r, lot=r["lot"] or None) for r in conn.execute(
        f"SELECT seq, bin, sku, lot, qty, order_id FROM pick_line WHERE list_id = ? "
        f"AND seq IN ({', '.join('?' * len(seqs))}) ORDER BY seq", [lst["id"], *seqs])] if seqs else []
    backordered = round(missing - sum(a["qty"] for a in made), 6)
    lot = f" lot {line['lot']}" if line["lot"] else ""
    detail = (f"short pick on list {lst['id']} line {line['seq']}: bin {line['bin']} should have held "
              f"{missing + found:g} of {line['sku']}{lot}; found {found:g}")
    if offered:
        detail += "; re-allocated from " + ", ".join(f"{o['bin']} ({o['qty']:g}, line {o['seq']})" for o in offered)
    if backordered > EPS:
        detail += f"; {backordered:g} backordered"
    if note:
        detail += f" ({note})"
    return raise_for(conn, ctx, "short_pick", detail, lst=lst, bin=line["bin"], sku=line["sku"], lot=line["lot"],
                     movement_id=movement_id, count=True, post=post,
                     data={"line": line["seq"], "expected": round(missing + found, 6), "found": found,
                           "orders": [o for o, _ in dict.fromkeys(orders)], "reallocated": offered,
                           "backordered": max(0.0, backordered)})
