"""The picker's steps: take a tote, pick a line (short picks: picking_short). No Flask.

Interactive steps (``replay: false``) are checked before anything moves and
refused with what was expected: the bin, the item and its barcodes, the lot,
the tote. A step replayed from a device that was offline already happened on
the floor: it is recorded as scanned (stock moves from the bin the picker
scanned into the tote), counts towards the order only as far as it matches
the line, and every disagreement becomes an exception for a supervisor. The
command id makes a replay idempotent, so nothing is ever taken twice.
"""
from __future__ import annotations

from typing import Optional

from pydantic import Field

from edge.catalog import SqliteCatalog
from edge.commands.registry import register
from edge.commands.stock_commands import movement_id
from edge.ledger import LedgerError, Movement, PostResult, post_movements, utcnow
from edge.ledger.reserve import release
from edge.masterdata import expected_barcodes
from edge.models import Strict
from edge.scans import interpret
from edge.workflows import exceptions
from edge.workflows.picking_errors import (
    ExpiredLot, LineClosed, ListClosed, ListTaken, NoTote, OverPick, ToteInUse, WrongBin, WrongItem, WrongLot,
    WrongTote,
)
from edge.workflows.picking_lists import MAX_ID, PICKING_ROLES, pick_list_row

EPS = 1e-6
TOTE_KINDS = ("tote", "staging")

ListId = Field(ge=1, le=MAX_ID, description="The pick list")
LineSeq = Field(ge=1, le=1_000_000, description="The line's number (seq) on the list")
BinCode = Field(min_length=1, max_length=64)


class PickTotePayload(Strict):
    list_id: int = ListId
    tote: str = Field(min_length=1, max_length=64, description="The tote (or staging bin) label scanned")
    order_id: Optional[str] = Field(None, max_length=64, description="cluster lists: the order this tote is for")


class PickConfirmPayload(Strict):
    list_id: int = ListId
    line: int = LineSeq
    bin: str = Field(min_length=1, max_length=64, description="The bin label scanned")
    item: str = Field(min_length=1, max_length=4096,
                      description="The item barcode or GS1 string scanned, or the sku")
    qty: Optional[float] = Field(None, gt=0, le=1_000_000_000,
                                 description="Eaches picked; default: the pack of the scanned barcode (a case: 12)")
    lot: Optional[str] = Field(None, max_length=64,
                               description="The lot scanned, if the item barcode does not carry it")
    serial: Optional[str] = Field(None, max_length=64)
    tote: Optional[str] = Field(None, max_length=64, description="The tote scanned to drop the goods in")


def base(ctx, n: int = 0) -> dict:
    return dict(id=movement_id(ctx.command_id, n), user_id=ctx.user_id, device_id=ctx.device_id,
                command_id=ctx.command_id, scanned_at=ctx.at)


def today_of(ctx) -> str:
    """The day a step happened: the device's word for a replay, the edge's clock otherwise."""
    return ctx.at[:10] if ctx.replay and ctx.at else utcnow()[:10]


# -- the list, its lines and totes ------------------------------------------

def open_list(conn, ctx, list_id: int, problems: list) -> dict:
    lst = dict(pick_list_row(conn, list_id))
    if lst["status"] in ("picked", "cancelled"):
        problems.append(("pick_list_closed", ListClosed(f"pick list {list_id} is already {lst['status']}",
                                                       field="list_id")))
    elif lst["assigned_to"] not in (None, ctx.user_id) and ctx.role == "picker":
        who = conn.execute("SELECT name FROM user WHERE id = ?", (lst["assigned_to"],)).fetchone()
        err = ListTaken(f"pick list {list_id} is assigned to {who['name'] if who else lst['assigned_to']}",
                        field="list_id")
        if not ctx.replay:
            raise err  # on replay the goods moved all the same; no stock problem to report
    return lst


def line_row(conn, lst: dict, seq: int) -> dict:
    row = conn.execute("SELECT * FROM pick_line WHERE list_id = ? AND seq = ?", (lst["id"], seq)).fetchone()
    if row is None:
        last = conn.execute("SELECT max(seq) FROM pick_line WHERE list_id = ?", (lst["id"],)).fetchone()[0]
        raise LedgerError(f"pick list {lst['id']} has no line {seq} (lines 1 to {last or 0})", field="line")
    return dict(row)


def expected_tote(conn, lst: dict, line: dict) -> str | None:
    if lst["kind"] == "cluster":
        row = conn.execute("SELECT tote FROM pick_order WHERE list_id = ? AND order_id = ?",
                           (lst["id"], line["order_id"])).fetchone()
        return row["tote"] if row else None
    return lst["tote"]


def check_tote_free(conn, tote: str, *, list_id: int, order_id: str | None) -> None:
    row = conn.execute("SELECT kind FROM bin WHERE code = ? AND active", (tote,)).fetchone()
    if row is None:
        raise LedgerError(f"no active bin {tote!r}; scan a tote label", field="tote")
    if row["kind"] not in TOTE_KINDS:
        raise LedgerError(f"{tote} is a {row['kind']} bin; scan a tote or a staging bin", field="tote")
    used = conn.execute(
        "SELECT l.id FROM pick_list l WHERE l.tote = ? AND l.status IN ('open', 'picking') AND l.id <> ? "
        "UNION SELECT p.list_id FROM pick_order p JOIN pick_list l ON l.id = p.list_id "
        "WHERE p.tote = ? AND l.status IN ('open', 'picking') AND NOT (p.list_id = ? AND p.order_id IS ?)",
        (tote, list_id, tote, list_id, order_id)).fetchone()
    if used is not None:
        raise ToteInUse(f"{tote} is in use on pick list {used[0]}; take another tote", field="tote")
    waiting = conn.execute("SELECT order_id FROM picked_stock WHERE bin = ? LIMIT 1", (tote,)).fetchone()
    if waiting is not None:
        raise ToteInUse(f"{tote} holds picked goods of order {waiting['order_id']} waiting to ship; take another",
                        field="tote")
    if row["kind"] == "tote":
        held = conn.execute("SELECT sku, qty FROM stock WHERE bin = ? AND qty > 0 LIMIT 1", (tote,)).fetchone()
        if held is not None:
            raise ToteInUse(f"{tote} still holds {held['qty']:g} of {held['sku']}; take an empty tote", field="tote")


def _has_picks(conn, list_id: int, order_id: str | None) -> bool:
    sql = "SELECT 1 FROM allocation WHERE pick_list_id = ? AND picked_qty > 0"
    params: list = [list_id]
    if order_id is not None:
        sql += " AND order_id = ?"
        params.append(order_id)
    return conn.execute(sql + " LIMIT 1", params).fetchone() is not None


@register("pick.tote", PickTotePayload, PICKING_ROLES,
          "Take a pick list with a tote: the list's tote, or (cluster) the tote for one order on the cart")
def take_tote(conn, ctx, p: PickTotePayload):
    problems: list = []
    lst = open_list(conn, ctx, p.list_id, problems)
    if problems:
        raise problems[0][1]
    if lst["kind"] == "cluster":
        if p.order_id is None:
            raise LedgerError(f"pick list {p.list_id} is a cluster pick: say which order this tote is for",
                              field="order_id")
        slot = conn.execute("SELECT tote FROM pick_order WHERE list_id = ? AND order_id = ?",
                            (p.list_id, p.order_id)).fetchone()
        if slot is None:
            raise LedgerError(f"order {p.order_id} is not on pick list {p.list_id}", field="order_id")
        current = slot["tote"]
    else:
        if p.order_id is not None:
            raise LedgerError(f"pick list {p.list_id} is a {lst['kind']} pick with one tote; do not name an order",
                              field="order_id")
        current = lst["tote"]
    if current != p.tote:
        if current is not None and _has_picks(conn, p.list_id, p.order_id):
            raise ToteInUse(f"goods are already picked into {current}; keep using it", field="tote")
        check_tote_free(conn, p.tote, list_id=p.list_id, order_id=p.order_id)
        if lst["kind"] == "cluster":
            conn.execute("UPDATE pick_order SET tote = ? WHERE list_id = ? AND order_id = ?",
                         (p.tote, p.list_id, p.order_id))
        else:
            conn.execute("UPDATE pick_list SET tote = ? WHERE id = ?", (p.tote, p.list_id))
    conn.execute("UPDATE pick_list SET assigned_to = coalesce(assigned_to, ?), status = 'picking', "
                 "started_at = coalesce(started_at, ?) WHERE id = ?", (ctx.user_id, utcnow(), p.list_id))
    return PostResult()


# -- what was scanned ----------------------------------------------------------

def resolve_item(conn, code: str) -> dict:
    """sku, pack and (from a GS1 label) lot and serial of an item scan."""
    answer = interpret(code, catalog=SqliteCatalog(conn))
    if answer.get("sku"):
        gs1 = answer.get("gs1") or {}
        return {"sku": answer["sku"], "pack_qty": answer.get("pack_qty") or 1, "lot": gs1.get("lot"),
                "serial": gs1.get("serial")}
    row = conn.execute("SELECT sku FROM item WHERE sku = ?", (code.strip(),)).fetchone()
    if row is not None:
        return {"sku": row["sku"], "pack_qty": 1, "lot": None, "serial": None}
    return {"sku": None, "pack_qty": 1, "lot": None, "serial": None}


def _expected_item(conn, line: dict) -> dict:
    return {"sku": line["sku"], "barcodes": expected_barcodes(conn, line["sku"])}


def check_scans(conn, ctx, lst: dict, line: dict, p, problems: list) -> dict:
    """Compare what was scanned with what the line expects; the scan as understood."""
    if line["status"] != "open":
        problems.append(("over_pick", LineClosed(
            f"line {line['seq']} of pick list {lst['id']} is already {line['status']}", field="line")))
    if p.bin != line["bin"]:
        problems.append(("pick_wrong_bin", WrongBin(
            f"wrong bin: line {line['seq']} is in bin {line['bin']}, you scanned {p.bin}", field="bin",
            expected={"bin": line["bin"]})))
    scan = resolve_item(conn, p.item)
    if scan["sku"] is None and not ctx.replay:
        raise WrongItem(f"{p.item!r} is not an item barcode here; line {line['seq']} wants {line['sku']}",
                        field="item", expected=_expected_item(conn, line))
    if scan["sku"] is None:
        raise LedgerError(f"{p.item!r} is not an item barcode here; nothing can be recorded", field="item")
    if scan["sku"] != line["sku"]:
        problems.append(("pick_wrong_item", WrongItem(
            f"wrong item: line {line['seq']} wants {line['sku']}, you scanned {scan['sku']}", field="item",
            expected=_expected_item(conn, line))))
    if p.lot and scan["lot"] and p.lot != scan["lot"]:
        raise WrongLot(f"the label says lot {scan['lot']} but lot {p.lot} was entered", field="lot")
    lot = p.lot or scan["lot"]
    item = conn.execute("SELECT tracking, perishable FROM item WHERE sku = ?", (scan["sku"],)).fetchone()
    if scan["sku"] == line["sku"] and line["lot"]:
        if not lot and item["perishable"] and not ctx.replay:
            raise WrongLot(f"scan the lot: line {line['seq']} reserved lot {line['lot']}", field="lot",
                           expected={"lot": line["lot"]})
        lot = lot or line["lot"]
        if lot != line["lot"]:
            problems.append(("pick_wrong_lot", WrongLot(
                f"wrong lot: line {line['seq']} reserved lot {line['lot']} of {line['sku']}, you scanned {lot}",
                field="lot", expected={"lot": line["lot"]})))
    if lot:
        expiry = conn.execute("SELECT expiry FROM lot WHERE sku = ? AND lot = ?", (scan["sku"], lot)).fetchone()
        if expiry and expiry["expiry"] and expiry["expiry"] < today_of(ctx):
            problems.append(("expired_pick", ExpiredLot(
                f"lot {lot} of {scan['sku']} expired on {expiry['expiry']}; do not pick it: report the line short",
                field="lot")))
    return {"sku": scan["sku"], "lot": lot if item["tracking"] != "none" else None,
            "serial": p.serial or scan["serial"], "pack_qty": scan["pack_qty"]}


def destination(conn, ctx, lst: dict, line: dict, tote: str | None, problems: list) -> str:
    want = expected_tote(conn, lst, line)
    if want is None:
        if ctx.replay and tote:
            return tote
        whose = f" for order {line['order_id']}" if lst["kind"] == "cluster" else ""
        raise NoTote(f"scan a tote{whose} first (pick.tote)", field="tote")
    if tote and tote != want:
        problems.append(("pick_wrong_tote", WrongTote(f"wrong tote: this goes in {want}, you scanned {tote}",
                                                      field="tote", expected={"tote": want})))
        return tote
    return want


# -- recording a pick ---------------------------------------------------------

def consume(conn, line: dict, counted: float, dest: str, lot: str) -> None:
    """Count ``counted`` towards the line's allocations, in allocation order:
    release their reservations and note where the goods now are."""
    left = counted
    for a in conn.execute("SELECT * FROM allocation WHERE pick_list_id = ? AND pick_seq = ? AND status = 'open' "
                          "ORDER BY id", (line["list_id"], line["seq"])).fetchall():
        take = round(min(left, a["qty"] - a["picked_qty"]), 6)
        if take <= EPS:
            continue
        release(conn, a["bin"], a["sku"], a["lot"], take)
        done = a["picked_qty"] + take >= a["qty"] - EPS
        conn.execute("UPDATE allocation SET picked_qty = round(picked_qty + ?, 6), status = ? WHERE id = ?",
                     (take, "picked" if done else "open", a["id"]))
        conn.execute("INSERT INTO picked_stock (order_id, line_no, bin, sku, lot, qty) VALUES (?,?,?,?,?,?) "
                     "ON CONFLICT (order_id, line_no, bin, sku, lot) DO UPDATE SET qty = round(qty + excluded.qty, 6)",
                     (a["order_id"], a["line_no"], dest, a["sku"], lot or "", take))
        left = round(left - take, 6)
        if left <= EPS:
            break
    conn.execute("UPDATE pick_line SET picked_qty = round(picked_qty + ?, 6), "
                 "status = CASE WHEN picked_qty + ? >= qty - 1e-6 THEN 'picked' ELSE status END "
                 "WHERE list_id = ? AND seq = ?", (counted, counted, line["list_id"], line["seq"]))


def finish_if_done(conn, list_id: int, user_id: int | None) -> None:
    conn.execute("UPDATE pick_list SET assigned_to = coalesce(assigned_to, ?), status = 'picking', "
                 "started_at = coalesce(started_at, ?) WHERE id = ? AND status = 'open'", (user_id, utcnow(), list_id))
    if conn.execute("SELECT 1 FROM pick_line WHERE list_id = ? AND status = 'open' LIMIT 1", (list_id,)).fetchone():
        return
    conn.execute("UPDATE pick_list SET status = 'picked', finished_at = ? WHERE id = ? AND status = 'picking'",
                 (utcnow(), list_id))


def pick(conn, ctx, lst, line, p, qty: float | None, problems: list) -> PostResult:
    """Check, then move ``qty`` from the scanned bin into the tote."""
    scan = check_scans(conn, ctx, lst, line, p, problems)
    qty = qty if qty is not None else scan["pack_qty"]
    remaining = max(0.0, line["qty"] - line["picked_qty"]) if line["status"] == "open" else 0.0
    if line["status"] == "open" and qty > remaining + EPS:
        problems.append(("over_pick", OverPick(
            f"line {line['seq']} needs {remaining:g} more of {line['sku']}; you confirmed {qty:g}", field="qty",
            expected={"qty": remaining})))
    dest = destination(conn, ctx, lst, line, p.tote, problems)
    if problems and not ctx.replay:
        raise problems[0][1]
    counted = min(qty, remaining) if scan["sku"] == line["sku"] else 0.0
    if counted > EPS:
        consume(conn, line, counted, dest, scan["lot"] or "")
    mv = Movement(kind="pick", sku=scan["sku"], qty=qty, from_bin=p.bin, to_bin=dest, lot=scan["lot"],
                  serial=scan["serial"], ref_type="pick_list", ref_id=str(lst["id"]), **base(ctx))
    result = post_movements(conn, [mv], replay=ctx.replay)
    for kind, err in problems:
        raise_for(conn, ctx, kind, f"offline pick, list {lst['id']} line {line['seq']}: {err.detail}", lst=lst,
                  bin=p.bin, sku=scan["sku"], lot=scan["lot"], movement_id=mv.id, post=result,
                  data={"line": line["seq"], "expected": getattr(err, "extra", {}).get("expected")})
    return result


def raise_for(conn, ctx, kind: str, detail: str, *, lst: dict, post: PostResult, **fields) -> dict:
    """An exception about a pick list, for the supervisors' queue and the command's answer."""
    return exceptions.raise_(conn, kind, detail, ref_type="pick_list", ref_id=str(lst["id"]), user_id=ctx.user_id,
                             device_id=ctx.device_id, command_id=ctx.command_id, post=post, **fields)


@register("pick.confirm", PickConfirmPayload, PICKING_ROLES,
          "Pick a line: scanned bin, scanned item (and lot), qty into the tote; releases the reservation")
def confirm(conn, ctx, p: PickConfirmPayload):
    problems: list = []
    lst = open_list(conn, ctx, p.list_id, problems)
    line = line_row(conn, lst, p.line)
    result = pick(conn, ctx, lst, line, p, p.qty, problems)
    finish_if_done(conn, lst["id"], ctx.user_id)
    return result
