"""Transfers on the floor: load, dispatch, receive, close (issue 3). No Flask.

Interactive steps that disagree with the document (wrong item, more than
planned or shipped, a closed transfer) are refused with what was expected.
Replayed from an offline device they are recorded, because the goods did
move, and a ``transfer_over`` exception tells a supervisor. A receipt that
ends short raises ``transfer_short`` when the transfer is closed.
"""
from __future__ import annotations

import json
from typing import Optional

from pydantic import Field

from edge.commands.registry import register
from edge.commands.stock_commands import BinCode, Qty, Sku
from edge.ledger import LedgerError, Movement, PostResult, post_movements, utcnow
from edge.models import Strict
from edge.workflows import exceptions
from edge.workflows.moves import bin_of_kind, stamp
from edge.workflows.transfers import NotThisSite, get, head, site_id

EPS = 1e-6
LOADERS = {"picker", "receiver", "supervisor", "admin"}
RECEIVERS = {"receiver", "supervisor", "admin"}

exceptions.kind("transfer_short", "A transfer arrived with less than was shipped")
exceptions.kind("transfer_over", "A transfer carried more or other goods than its document says")


class TransferClosed(LedgerError):
    """The transfer is past the step asked for (dispatched, or closed)."""

    status, title, type_slug = 409, "Transfer closed", "transfer-closed"


class NotDispatched(LedgerError):
    """The transfer has not left the sending site yet."""

    status, title, type_slug = 409, "Not dispatched", "not-dispatched"


class NotOnTransfer(LedgerError):
    """The item, lot or serial is not on the transfer."""

    status, title, type_slug = 422, "Not on this transfer", "not-on-transfer"


class OverTransfer(LedgerError):
    """More than the transfer plans, or carried."""

    status, title, type_slug = 409, "More than the transfer", "over-transfer"


class NothingLoaded(LedgerError):
    """A transfer cannot leave empty."""

    status, title, type_slug = 409, "Nothing loaded", "nothing-loaded"


class TransferRef(Strict):
    transfer_id: str = Field(min_length=1, max_length=64)


class TransferShipPayload(TransferRef):
    sku: str = Sku
    qty: float = Qty
    from_bin: str = BinCode
    lot: Optional[str] = Field(None, max_length=64)
    serial: Optional[str] = Field(None, max_length=64)


class TransferReceivePayload(TransferRef):
    sku: str = Sku
    qty: float = Qty
    to_bin: str = Field(min_length=1, max_length=64, description="The dock bin the goods are put down in")
    lot: Optional[str] = Field(None, max_length=64)
    serial: Optional[str] = Field(None, max_length=64)


def _what(sku: str, lot: str, serial: str = "") -> str:
    return sku + (f" lot {lot}" if lot else "") + (f" serial {serial}" if serial else "")


def _outbound(conn, tid: str):
    t = head(conn, tid)
    here = site_id(conn)
    if t["from_site"] != here:
        raise NotThisSite(f"transfer {tid} comes from {t['from_site']} to this site; it is received here, "
                          "not shipped", field="transfer_id")
    return t


def _receivable(conn, tid: str):
    t = head(conn, tid)
    here = site_id(conn)
    # transit_bin set: this edge shipped it, so it holds the goods in transit and may play the receiving end too.
    if t["to_site"] != here and t["transit_bin"] is None:
        raise NotThisSite(f"transfer {tid} goes to {t['to_site']}; this site is {here}", field="transfer_id")
    if t["status"] == "open":
        raise NotDispatched(f"transfer {tid} has not been dispatched from {t['from_site']} yet; receive it once "
                            "the lorry has left", field="transfer_id")
    return t


def _flag(conn, ctx, post: PostResult, t, problems: list[LedgerError], *, bin_code, sku, lot, mv, data) -> None:
    for err in problems:
        exceptions.raise_(conn, "transfer_over", f"{err.detail} (replayed from an offline device: recorded as it "
                          "happened)", bin=bin_code, sku=sku, lot=lot, ref_type="transfer", ref_id=t["id"],
                          data=data, user_id=ctx.user_id, device_id=ctx.device_id, command_id=ctx.command_id,
                          movement_id=mv.id, post=post)


@register("transfer.ship", TransferShipPayload, LOADERS,
          "Load goods for a transfer: from a bin into the in-transit bin (kind transfer_out)")
def ship(conn, ctx, p: TransferShipPayload) -> PostResult:
    t = _outbound(conn, p.transfer_id)
    tid, lot = t["id"], (p.lot or "").strip()
    problems: list[LedgerError] = []
    if t["status"] != "open":
        problems.append(TransferClosed(f"transfer {tid} was dispatched at {t['shipped_at']}; load these goods "
                                       "on another transfer", field="transfer_id"))
    lines = conn.execute("SELECT lot, qty FROM transfer_line WHERE transfer_id = ? AND sku = ?", (tid, p.sku)).fetchall()
    planned = sum(r["qty"] for r in lines)
    shipped = conn.execute("SELECT coalesce(sum(shipped), 0) FROM transfer_item WHERE transfer_id = ? AND sku = ?",
                           (tid, p.sku)).fetchone()[0]
    if not lines:
        skus = [r[0] for r in conn.execute(
            "SELECT DISTINCT sku FROM transfer_line WHERE transfer_id = ? ORDER BY sku", (tid,))]
        problems.append(NotOnTransfer(f"transfer {tid} wants {', '.join(skus)}; not {p.sku}", field="sku"))
    else:
        lots = {r["lot"] for r in lines}
        if "" not in lots and lot not in lots:
            problems.append(NotOnTransfer(f"transfer {tid} wants {p.sku} lot {', '.join(sorted(lots))}; "
                                          f"not {'lot ' + lot if lot else 'an unnamed lot'}", field="lot"))
        if shipped + p.qty > planned + EPS:
            problems.append(OverTransfer(f"transfer {tid} wants {planned:g} of {p.sku}; {shipped:g} loaded already, "
                                         f"so at most {max(planned - shipped, 0):g} more", field="qty"))
    if problems and not ctx.replay:
        raise problems[0]
    mv = Movement(kind="transfer_out", sku=p.sku, qty=p.qty, from_bin=p.from_bin, to_bin=t["transit_bin"],
                  lot=lot, serial=p.serial, ref_type="transfer", ref_id=tid, reason=f"to {t['to_site']}",
                  **stamp(ctx))
    posted = post_movements(conn, [mv], replay=ctx.replay)
    expiry = conn.execute("SELECT expiry FROM lot WHERE sku = ? AND lot = ?", (p.sku, mv.lot)).fetchone() \
        if mv.lot else None
    conn.execute("INSERT INTO transfer_item (transfer_id, sku, lot, serial, expiry, shipped) VALUES (?,?,?,?,?,?) "
                 "ON CONFLICT DO UPDATE SET shipped = round(shipped + excluded.shipped, 6)",
                 (tid, p.sku, mv.lot, mv.serial or "", expiry["expiry"] if expiry else None, mv.qty))
    _flag(conn, ctx, posted, t, problems, bin_code=p.from_bin, sku=p.sku, lot=mv.lot, mv=mv,
          data={"planned": planned, "shipped_before": shipped, "shipped_now": mv.qty})
    return posted


@register("transfer.dispatch", TransferRef, RECEIVERS,
          "The lorry leaves: the transfer's shipment is final and the other site can receive it")
def dispatch(conn, ctx, p: TransferRef) -> PostResult:
    t = _outbound(conn, p.transfer_id)
    if t["status"] != "open":
        if ctx.replay:
            return PostResult()  # dispatched meanwhile from another device: the same fact
        raise TransferClosed(f"transfer {t['id']} was dispatched already at {t['shipped_at']}", field="transfer_id")
    loaded = conn.execute("SELECT coalesce(sum(shipped), 0) FROM transfer_item WHERE transfer_id = ?",
                          (t["id"],)).fetchone()[0]
    if loaded <= 0:
        raise NothingLoaded(f"nothing has been loaded on transfer {t['id']}; ship its lines first",
                            field="transfer_id")
    conn.execute("UPDATE transfer SET status = 'shipped', shipped_at = ?, shipped_by = ? WHERE id = ?",
                 (ctx.at, ctx.user_id, t["id"]))
    # Central learns of the lorry through the sync outbox, in this same transaction (docs/sync.md).
    conn.execute("INSERT INTO sync_outbox (kind, key, body, created_at) VALUES ('transfer', ?, ?, ?)",
                 (t["id"], json.dumps(get(conn, t["id"])), utcnow()))
    return PostResult()


@register("transfer.receive", TransferReceivePayload, RECEIVERS,
          "Receive goods against a dispatched transfer into a dock bin (kind transfer_in)")
def receive(conn, ctx, p: TransferReceivePayload) -> PostResult:
    t = _receivable(conn, p.transfer_id)
    bin_of_kind(conn, p.to_bin, ("dock",), "to_bin", "goods from a transfer")
    tid, lot, serial = t["id"], (p.lot or "").strip(), (p.serial or "").strip()
    problems: list[LedgerError] = []
    if t["status"] == "received":
        problems.append(TransferClosed(f"transfer {tid} was closed at {t['received_at']}; book further goods as "
                                       "a blind receipt", field="transfer_id"))
    item = conn.execute("SELECT shipped, received, expiry FROM transfer_item WHERE transfer_id = ? AND sku = ? "
                        "AND lot = ? AND serial = ?", (tid, p.sku, lot, serial)).fetchone()
    shipped = item["shipped"] if item else 0.0
    received = item["received"] if item else 0.0
    remaining = max(0.0, shipped - received)
    if shipped <= 0:
        carried = [_what(r["sku"], r["lot"], r["serial"]) for r in conn.execute(
            "SELECT sku, lot, serial FROM transfer_item WHERE transfer_id = ? AND shipped > 0 "
            "ORDER BY sku, lot, serial LIMIT 6", (tid,))]
        problems.append(NotOnTransfer(f"transfer {tid} carries {', '.join(carried) or 'nothing'}; not "
                                      f"{_what(p.sku, lot, serial)}", field="serial" if serial else "sku"))
    elif p.qty > remaining + EPS:
        problems.append(OverTransfer(f"transfer {tid} carried {shipped:g} of {_what(p.sku, lot, serial)}; "
                                     f"{received:g} received already, so at most {remaining:g} more",
                                     field="qty", remaining=remaining))
    if problems and not ctx.replay:
        raise problems[0]
    expiry = item["expiry"] if item else None
    within = min(p.qty, remaining)
    parts = [(within, t["transit_bin"]), (p.qty - within, None)] if within > EPS else [(p.qty, None)]
    movements = [Movement(kind="transfer_in", sku=p.sku, qty=qty, from_bin=from_bin, to_bin=p.to_bin, lot=lot,
                          serial=serial or None, expiry=expiry, ref_type="transfer", ref_id=tid,
                          reason=f"from {t['from_site']}", **stamp(ctx, n))
                 for n, (qty, from_bin) in enumerate(parts) if qty > EPS]
    posted = post_movements(conn, movements, replay=ctx.replay)
    conn.execute("INSERT INTO transfer_item (transfer_id, sku, lot, serial, expiry, received) VALUES (?,?,?,?,?,?) "
                 "ON CONFLICT DO UPDATE SET received = round(received + excluded.received, 6)",
                 (tid, p.sku, lot, serial, expiry, p.qty))
    _flag(conn, ctx, posted, t, problems, bin_code=p.to_bin, sku=p.sku, lot=lot, mv=movements[-1],
          data={"shipped": shipped, "received_before": received, "received_now": p.qty, "serial": serial or None})
    return posted


@register("transfer.close", TransferRef, RECEIVERS,
          "Finish receiving a transfer: whatever arrived short becomes an exception for a supervisor")
def close(conn, ctx, p: TransferRef) -> PostResult:
    t = _receivable(conn, p.transfer_id)
    if t["status"] == "received":
        if ctx.replay:
            return PostResult()
        raise TransferClosed(f"transfer {t['id']} was closed already at {t['received_at']}", field="transfer_id")
    result = PostResult()
    for it in conn.execute("SELECT * FROM transfer_item WHERE transfer_id = ? AND received < shipped - ? "
                           "ORDER BY sku, lot, serial", (t["id"], EPS)).fetchall():
        missing = round(it["shipped"] - it["received"], 6)
        exceptions.raise_(
            conn, "transfer_short",
            f"transfer {t['id']} from {t['from_site']} arrived {missing:g} short of "
            f"{_what(it['sku'], it['lot'], it['serial'])}: {it['shipped']:g} shipped, {it['received']:g} received",
            bin=t["transit_bin"], sku=it["sku"], lot=it["lot"], ref_type="transfer", ref_id=t["id"],
            data={"shipped": it["shipped"], "received": it["received"], "missing": missing,
                  "serial": it["serial"] or None},
            user_id=ctx.user_id, device_id=ctx.device_id, command_id=ctx.command_id, post=result)
    conn.execute("UPDATE transfer SET status = 'received', received_at = ?, received_by = ? WHERE id = ?",
                 (ctx.at, ctx.user_id, t["id"]))
    return result


# -- what a supervisor can do about them ------------------------------------------------

@exceptions.action("transfer_short", "write_off",
                   "Lost in transit: take the missing goods out of the in-transit bin (adjustment, reason lost)")
def write_off(conn, exc, user, params, now):
    t = head(conn, exc["ref_id"])
    if t["transit_bin"] is None:
        raise LedgerError(f"the missing goods are in transit in {t['from_site']}'s records, not here; "
                          f"{t['from_site']} writes them off", field="action")
    d = exc["data"]
    return exceptions.write_off(conn, exc, user, qty=d["missing"], from_bin=t["transit_bin"], reason="lost",
                                lot=exc["lot"], serial=d.get("serial"), ref_type="transfer", ref_id=t["id"])


exceptions.action("transfer_over", "count", "Have the dock bin counted")(exceptions.request_count)
