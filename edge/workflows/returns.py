"""Customer returns and their disposition (issue 3). No Flask.

``return.receive`` books one returned line into a returns bin (movement kind
``return``, from outside); the goods wait there. ``return.dispose`` decides a
line (or part of it): restock to a storage bin, quarantine, or scrap. A
return closes by itself when nothing is left awaiting a decision.
"""
from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from pydantic import Field, model_validator

from edge.commands.registry import register
from edge.commands.stock_commands import BinCode, Qty, Sku
from edge.ledger import LedgerError, Movement, PostResult, post_movements
from edge.masterdata import NotFound, expected_barcodes
from edge.models import Strict
from edge.workflows import exceptions
from edge.workflows.moves import SCRAP_REASONS, STOCK_KEEPERS, NotAllowed, bin_of_kind, stamp

RETURN_REASONS = ("unwanted", "damaged", "defective", "wrong_item", "expired", "other")
DISPOSITIONS = ("restock", "quarantine", "scrap")
RESTOCK_KINDS = ("storage", "pick-face")
EPS = 1e-6

exceptions.kind("return_excess", "More was disposed of than the return line holds")
exceptions.action("return_excess", "count", "Have the returns bin counted")(exceptions.request_count)
exceptions.action("return_excess", "dismiss", "The records are right: cancel the count request")(exceptions.cancel_count)


class AlreadyDisposed(LedgerError):
    """The return line has nothing left awaiting a decision."""

    status, title, type_slug = 409, "Already disposed of", "already-disposed"


class ReturnReceivePayload(Strict):
    return_id: Optional[str] = Field(
        None, min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$",
        description="Leave out on the first line: the return is then RET- and 8 hex digits of the command "
                    "id, upper case: its last 8 for a time-ordered (version 7) id, else its first 8; "
                    "send it on the following lines")
    order_ref: Optional[str] = Field(None, max_length=64, description="The customer's order, if known")
    customer: Optional[str] = Field(None, max_length=120)
    sku: str = Sku
    qty: float = Qty
    lot: Optional[str] = Field(None, max_length=64)
    serial: Optional[str] = Field(None, max_length=64)
    expiry: Optional[date] = Field(None, description="Only for a lot this site has never seen")
    to_bin: str = BinCode
    reason: Literal[RETURN_REASONS] = Field(description="Why the customer sent it back")  # type: ignore[valid-type]
    note: Optional[str] = Field(None, max_length=500)


def return_id_for(ctx, p: ReturnReceivePayload) -> str:
    """The return's own id, else one named after the command: 8 hex digits of its
    random part. A time-ordered (version 7) id begins with the clock, the same on
    every handheld for ~65 s, so its last 8 digits; any other id its first 8, as
    handhelds before version 7 ids compute it (pwa/js/screens/returns.js agrees)."""
    if p.return_id:
        return p.return_id
    cid = ctx.command_id
    return f"RET-{(cid[-8:] if cid[14:15] == '7' else cid[:8]).upper()}"


@register("return.receive", ReturnReceivePayload, {"receiver", "supervisor", "admin"},
          "Book a customer return line into a returns bin, awaiting disposition")
def receive(conn, ctx, p: ReturnReceivePayload) -> PostResult:
    bin_of_kind(conn, p.to_bin, ("returns",), "to_bin", "customer returns")
    rid = return_id_for(ctx, p)
    head = conn.execute("SELECT status FROM return_order WHERE id = ?", (rid,)).fetchone()
    if head is None:
        conn.execute("INSERT INTO return_order (id, order_ref, customer, created_by, created_at) VALUES (?,?,?,?,?)",
                     (rid, p.order_ref, p.customer, ctx.user_id, ctx.at))
    elif head["status"] == "closed":
        # More goods came back under a return already dealt with: they wait for a decision again.
        conn.execute("UPDATE return_order SET status = 'open', closed_at = NULL WHERE id = ?", (rid,))
    mv = Movement(kind="return", sku=p.sku, qty=p.qty, to_bin=p.to_bin, lot=p.lot, serial=p.serial,
                  expiry=p.expiry.isoformat() if p.expiry else None, ref_type="return", ref_id=rid,
                  reason=p.reason, **stamp(ctx))
    posted = post_movements(conn, [mv], replay=ctx.replay)
    line_no = conn.execute("SELECT coalesce(max(line_no), 0) + 1 FROM return_line WHERE return_id = ?",
                           (rid,)).fetchone()[0]
    conn.execute(
        """INSERT INTO return_line (return_id, line_no, sku, lot, serial, qty, bin, reason, note, command_id,
               received_by, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)""",
        (rid, line_no, p.sku, mv.lot, mv.serial, mv.qty, p.to_bin, p.reason, p.note, ctx.command_id,
         ctx.user_id, ctx.at))
    return posted


class ReturnDisposePayload(Strict):
    return_id: str = Field(min_length=1, max_length=64)
    line_no: int = Field(ge=1, le=100_000)
    action: Literal[DISPOSITIONS] = Field(  # type: ignore[valid-type]
        description="restock: back into a storage bin; quarantine: into a quarantine bin; scrap: out of the building")
    qty: Optional[float] = Field(None, gt=0, le=1_000_000_000, description="Default: all that awaits a decision")
    to_bin: Optional[str] = Field(None, min_length=1, max_length=64,
                                  description="restock: the storage bin scanned; quarantine: default the quarantine bin")
    reason: Optional[Literal[SCRAP_REASONS]] = Field(None, description="Required to scrap")  # type: ignore[valid-type]
    note: Optional[str] = Field(None, max_length=500)

    @model_validator(mode="after")
    def _needs(self):
        if self.action == "restock" and not self.to_bin:
            raise ValueError("restock needs to_bin: scan the bin the goods go back into")
        if self.action == "scrap" and not self.reason:
            raise ValueError("scrap needs a reason code")
        if self.action == "scrap" and self.to_bin:
            raise ValueError("scrapped goods leave the building; do not give to_bin")
        return self


def quarantine_bin(conn) -> str:
    row = conn.execute("SELECT code FROM bin WHERE kind = 'quarantine' AND active = 1 ORDER BY code LIMIT 1").fetchone()
    if row is None:
        raise NotFound("this site has no quarantine bin; scan one as to_bin or ask a supervisor to add one",
                       field="to_bin")
    return row["code"]


def line_of(conn, return_id: str, line_no: int):
    line = conn.execute("SELECT * FROM return_line WHERE return_id = ? AND line_no = ?",
                        (return_id, line_no)).fetchone()
    if line is None:
        if conn.execute("SELECT 1 FROM return_order WHERE id = ?", (return_id,)).fetchone() is None:
            raise NotFound(f"no return {return_id}", field="return_id")
        raise NotFound(f"return {return_id} has no line {line_no}", field="line_no")
    return line


@register("return.dispose", ReturnDisposePayload, {"receiver", "counter", "supervisor", "admin"},
          "Decide a returned line: restock to a bin, quarantine, or scrap (scrap: counters and supervisors)")
def dispose(conn, ctx, p: ReturnDisposePayload) -> PostResult:
    if p.action == "scrap" and ctx.role not in STOCK_KEEPERS:
        raise NotAllowed(f"a {ctx.role} may not scrap returned goods; quarantine them and a counter or "
                         "supervisor decides", field="action")
    line = line_of(conn, p.return_id, p.line_no)
    awaiting = round(line["qty"] - line["disposed_qty"], 6)
    qty = p.qty if p.qty is not None else awaiting
    excess = qty - awaiting > EPS
    if excess and not ctx.replay:
        if awaiting <= EPS:
            raise AlreadyDisposed(f"line {p.line_no} of return {p.return_id} ({line['sku']}) has been decided "
                                  "already; nothing awaits a decision", field="line_no")
        raise AlreadyDisposed(f"line {p.line_no} of return {p.return_id} has {awaiting:g} of {line['sku']} awaiting "
                              f"a decision; cannot {p.action} {qty:g}", field="qty", awaiting=awaiting)
    if qty <= EPS:
        raise AlreadyDisposed(f"line {p.line_no} of return {p.return_id} has been decided already", field="line_no")
    to_bin = None
    if p.action == "restock":
        to_bin = bin_of_kind(conn, p.to_bin, RESTOCK_KINDS, "to_bin", "restocked goods")["code"]
    elif p.action == "quarantine":
        to_bin = bin_of_kind(conn, p.to_bin, ("quarantine",), "to_bin", "quarantined goods")["code"] \
            if p.to_bin else quarantine_bin(conn)
    mv = Movement(kind="scrap" if p.action == "scrap" else "move", sku=line["sku"], qty=qty, from_bin=line["bin"],
                  to_bin=to_bin, lot=line["lot"], serial=line["serial"], ref_type="return", ref_id=p.return_id,
                  reason=p.reason if p.action == "scrap" else p.action, **stamp(ctx))
    posted = post_movements(conn, [mv], replay=ctx.replay)
    conn.execute("""INSERT INTO return_disposition (return_id, line_no, action, qty, to_bin, reason, command_id,
                        user_id, at) VALUES (?,?,?,?,?,?,?,?,?)""",
                 (p.return_id, p.line_no, p.action, mv.qty, to_bin, p.reason, ctx.command_id, ctx.user_id, ctx.at))
    conn.execute("UPDATE return_line SET disposed_qty = round(disposed_qty + ?, 6) WHERE return_id = ? AND line_no = ?",
                 (mv.qty, p.return_id, p.line_no))
    if excess:
        exceptions.raise_(
            conn, "return_excess",
            f"{p.action} of {qty:g} {line['sku']} from return {p.return_id} line {p.line_no}, which had only "
            f"{max(awaiting, 0):g} awaiting a decision (replayed from an offline device)",
            bin=line["bin"], sku=line["sku"], lot=line["lot"], ref_type="return", ref_id=p.return_id,
            data={"line_no": p.line_no, "awaiting": max(awaiting, 0), "disposed": qty}, user_id=ctx.user_id,
            device_id=ctx.device_id, command_id=ctx.command_id, movement_id=mv.id, count=True, post=posted)
    _close_if_done(conn, p.return_id, ctx.at)
    return posted


def _close_if_done(conn, return_id: str, at: str) -> None:
    left = conn.execute("SELECT count(*) FROM return_line WHERE return_id = ? AND disposed_qty < qty - ?",
                        (return_id, EPS)).fetchone()[0]
    if left == 0:
        conn.execute("UPDATE return_order SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
                     (at, return_id))


# -- reads for the handheld ------------------------------------------------------

def suggested_bin(conn, sku: str, lot: str) -> str | None:
    """Where the same item already lives (the most of it), for restocking."""
    row = conn.execute(
        "SELECT s.bin FROM stock s JOIN bin b ON b.code = s.bin WHERE s.sku = ? AND s.lot = ? "
        "AND b.kind IN ('storage', 'pick-face') AND b.active = 1 ORDER BY s.qty DESC, b.walk_seq LIMIT 1",
        (sku, lot)).fetchone()
    return row["bin"] if row else None


def get_return(conn, return_id: str) -> dict:
    head = conn.execute("SELECT * FROM return_order WHERE id = ?", (return_id,)).fetchone()
    if head is None:
        raise NotFound(f"no return {return_id}")
    out = dict(head)
    out["lines"] = []
    for line in conn.execute("SELECT * FROM return_line WHERE return_id = ? ORDER BY line_no", (return_id,)):
        row = dict(line)
        row["lot"] = row["lot"] or None
        row["awaiting"] = round(max(0.0, row["qty"] - row["disposed_qty"]), 6)
        row["barcodes"] = expected_barcodes(conn, row["sku"])
        row["suggested_bin"] = suggested_bin(conn, row["sku"], line["lot"]) if row["awaiting"] else None
        row["dispositions"] = [dict(d) for d in conn.execute(
            "SELECT action, qty, to_bin, reason, user_id, at FROM return_disposition "
            "WHERE return_id = ? AND line_no = ? ORDER BY id", (return_id, row["line_no"]))]
        out["lines"].append(row)
    return out


def list_returns(conn, status: str, limit: int) -> list[dict]:
    where, params = "", []
    if status != "all":
        where, params = "WHERE r.status = ?", [status]
    rows = conn.execute(
        f"""SELECT r.*, count(l.line_no) AS lines, coalesce(sum(l.qty - l.disposed_qty), 0) AS awaiting
            FROM return_order r LEFT JOIN return_line l ON l.return_id = r.id {where}
            GROUP BY r.id ORDER BY r.created_at, r.id LIMIT ?""", params + [limit])
    return [dict(r) for r in rows]
