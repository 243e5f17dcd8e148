"""Receiving: a delivery against a purchase order or ASN, or blind. No Flask.

The floor steps are commands (``receipt.open``, ``receipt.line``,
``receipt.pallet``, ``receipt.close``). A receipt's id is the id of the
command that opened it, so a handheld working offline knows it at once.
Goods land in the receipt's dock bin (damaged ones in quarantine) as
``receive`` movements with ``ref_type = 'receipt'``; closing the receipt
freezes the discrepancy list and creates putaway tasks for the dock.

Interactive steps beyond the site's tolerance are refused unless a supervisor
approves on the spot; the same steps replayed from an offline device are
recorded (the goods are on the dock) and raise an exception for a supervisor.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from pydantic import Field

from edge.commands.registry import register
from edge.commands.stock_commands import movement_id
from edge.ledger import InactiveMasterData, Movement, PostResult, UnknownBin, post_movements, utcnow
from edge.models import Strict
from edge.workflows import putaway
from edge.workflows import receiving_pallet  # noqa: F401  (registers receipt.pallet)
from edge.workflows.receiving_approval import Override, record
from edge.workflows.receiving_errors import (
    DocumentClosed, ExpiredOnArrival, ReceiptClosed, ShortBeyondTolerance, UnknownDocument, WrongBinKind,
)
from edge.workflows.receiving_rules import (
    RECEIVE_ROLES, Id, RawScan, after_close, approver_or_none, check_overs, flag, flag_overs, late, past_expiry,
    scan_date,
)
from edge.workflows.receiving_scan import Received, read_line
from edge.workflows.receiving_view import (
    discrepancies, document_label, freeze_discrepancies, get_receipt, tolerance,
)


# -- receipt.open ----------------------------------------------------------------------

class ReceiptOpenPayload(Strict):
    dock_bin: str = Field(min_length=1, max_length=64, description="The dock bin the goods are unloaded into")
    document: Optional[str] = Field(None, min_length=1, max_length=64,
                                    description="The PO or ASN number as scanned; leave out for a blind receipt")
    supplier: Optional[str] = Field(None, max_length=200, description="Blind receipts: who delivered")
    note: Optional[str] = Field(None, max_length=500, description="e.g. the delivery note number")


def _document(conn, code: str):
    row = conn.execute("SELECT id, po_id, status, closed_at FROM asn WHERE id = ?", (code,)).fetchone()
    if row is not None:
        return "asn", row
    row = conn.execute("SELECT id, NULL AS po_id, status, closed_at FROM purchase_order WHERE id = ?",
                       (code,)).fetchone()
    if row is not None:
        return "purchase_order", row
    raise UnknownDocument(f"no purchase order or ASN {code!r}; scan the document barcode again or receive blind",
                          field="document")


def _bin_of_kind(conn, code: str, kind: str, field: str) -> None:
    row = conn.execute("SELECT kind, active FROM bin WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise UnknownBin(f"no bin with code {code!r}", field=field)
    if not row["active"]:
        raise InactiveMasterData(f"bin {code!r} is inactive", field=field)
    if row["kind"] != kind:
        rule = "receipts land in a dock bin" if kind == "dock" else "damaged goods go to a quarantine bin"
        raise WrongBinKind(f"{code} is a {row['kind']} bin; {rule}", field=field)


@register("receipt.open", ReceiptOpenPayload, RECEIVE_ROLES,
          "Start receiving a delivery at a dock bin: against a PO or ASN (scan its barcode) or blind")
def receipt_open(conn, ctx, p: ReceiptOpenPayload):
    _bin_of_kind(conn, p.dock_bin, "dock", "dock_bin")
    result = PostResult()
    po_id = asn_id = None
    closed = None
    if p.document:
        kind, doc = _document(conn, p.document)
        po_id, asn_id = (doc["po_id"], doc["id"]) if kind == "asn" else (doc["id"], None)
        if doc["status"] == "closed":
            closed = f"{'ASN' if asn_id else 'purchase order'} {doc['id']} was closed at {doc['closed_at']}"
            if not ctx.replay:
                raise DocumentClosed(f"{closed}; nothing more is expected against it: ask a supervisor, or receive "
                                     "blind", field="document")
    conn.execute("INSERT INTO receipt (id, po_id, asn_id, dock_bin, supplier, note, opened_by, opened_at) "
                 "VALUES (?,?,?,?,?,?,?,?)",
                 (ctx.command_id, po_id, asn_id, p.dock_bin, p.supplier, p.note, ctx.user_id, utcnow()))
    for table, doc_id in (("purchase_order", po_id), ("asn", asn_id)):
        if doc_id:
            conn.execute(f"UPDATE {table} SET status = 'receiving' WHERE id = ? AND status = 'open'", (doc_id,))
    if closed:
        flag(conn, ctx, result, "closed_document", f"{closed}; a device opened receipt {ctx.command_id} "
             f"against it at {p.dock_bin} while offline", ctx.command_id, bin=p.dock_bin)
    return result


# -- receipt.line ----------------------------------------------------------------------

class ReceiptLinePayload(Strict):
    receipt_id: str = Id
    barcode: Optional[RawScan] = Field(None, min_length=1, max_length=4096,
                                       description="The item barcode exactly as scanned (EAN, case GTIN, GS1)")
    sku: Optional[str] = Field(None, min_length=1, max_length=64, description="Typed instead of a barcode")
    qty: Optional[float] = Field(None, gt=0, le=1_000_000_000,
                                 description="How many of what was scanned (default 1): a case barcode counts its "
                                             "pack each, a GS1 label its count; with sku, eaches")
    lot: Optional[str] = Field(None, min_length=1, max_length=64)
    expiry: Optional[date] = None
    serial: Optional[str] = Field(None, min_length=1, max_length=64)
    damaged: bool = Field(False, description="Damaged goods go to a quarantine bin, with damage_reason")
    damage_reason: Optional[str] = Field(None, min_length=1, max_length=200)
    quarantine_bin: Optional[str] = Field(None, min_length=1, max_length=64,
                                          description="Default: the first quarantine bin in walk order")
    override: Optional[Override] = Field(None, description="A supervisor's approval beyond tolerance")


def _destination(conn, receipt, p: ReceiptLinePayload) -> tuple[str, str | None]:
    if not p.damaged:
        if p.damage_reason or p.quarantine_bin:
            raise WrongBinKind("damage_reason and quarantine_bin go with damaged: true",
                               field="damage_reason" if p.damage_reason else "quarantine_bin")
        return receipt["dock_bin"], None
    if not p.damage_reason:
        raise WrongBinKind("say what is damaged (damage_reason)", field="damage_reason")
    if p.quarantine_bin:
        _bin_of_kind(conn, p.quarantine_bin, "quarantine", "quarantine_bin")
        return p.quarantine_bin, f"damaged: {p.damage_reason}"
    row = conn.execute("SELECT code FROM bin WHERE kind = 'quarantine' AND active = 1 ORDER BY walk_seq, code "
                       "LIMIT 1").fetchone()
    if row is None:
        raise WrongBinKind("this site has no quarantine bin; ask a supervisor to add one", field="quarantine_bin")
    return row["code"], f"damaged: {p.damage_reason}"


@register("receipt.line", ReceiptLinePayload, RECEIVE_ROLES,
          "Receive scanned goods into the receipt's dock bin (damaged: into quarantine with a reason)")
def receipt_line(conn, ctx, p: ReceiptLinePayload):
    receipt = get_receipt(conn, p.receipt_id)
    if receipt["status"] == "closed" and not ctx.replay:
        raise ReceiptClosed(f"{late(receipt)}; open a new receipt for goods still arriving", field="receipt_id")
    got: Received = read_line(conn, sku=p.sku, barcode=p.barcode, qty=p.qty, lot=p.lot,
                              expiry=p.expiry.isoformat() if p.expiry else None, serial=p.serial)
    to_bin, reason = _destination(conn, receipt, p)
    expired = None if p.damaged else past_expiry(conn, got.sku, got.lot, got.expiry, scan_date(ctx))
    if expired and not ctx.replay:
        raise ExpiredOnArrival(f"lot {got.lot} of {got.sku} expired on {expired}; receive it as damaged (into "
                               "quarantine) or refuse it", field="expiry")
    overs = check_overs(conn, ctx, receipt, {got.sku: got.qty}, p.override)
    mv = Movement(id=movement_id(ctx.command_id, 0), kind="receive", sku=got.sku, qty=got.qty, to_bin=to_bin,
                  lot=got.lot, serial=got.serial, expiry=got.expiry, ref_type="receipt", ref_id=receipt["id"],
                  reason=reason, user_id=ctx.user_id, device_id=ctx.device_id, command_id=ctx.command_id,
                  scanned_at=ctx.at)
    result = post_movements(conn, [mv], replay=ctx.replay)
    flag_overs(conn, ctx, receipt, result, overs, to_bin)
    if expired:
        flag(conn, ctx, result, "expired_on_receipt", f"lot {got.lot} of {got.sku} expired on {expired} and was "
             f"received into {to_bin} (replayed from a device)", receipt["id"], bin=to_bin, sku=got.sku,
             lot=got.lot, movement_id=mv.id)
    after_close(conn, ctx, receipt, result, [mv.id], got.sku)
    return result


# -- receipt.close ---------------------------------------------------------------------

class ReceiptClosePayload(Strict):
    receipt_id: str = Id
    final: bool = Field(True, description="The whole delivery is in: close the PO/ASN too. "
                                          "False: more is coming on another lorry")
    override: Optional[Override] = Field(None, description="A supervisor's approval to close short beyond tolerance")


def _settle_documents(conn, receipt, final: bool) -> None:
    now = utcnow()
    asn_id, po_id = receipt["asn_id"], receipt["po_id"]
    for table, column, doc_id in (("asn", "asn_id", asn_id), ("purchase_order", "po_id", po_id)):
        if not doc_id:
            continue
        still_open = conn.execute(f"SELECT 1 FROM receipt WHERE {column} = ? AND status = 'open'",
                                  (doc_id,)).fetchone() is not None
        close = final and (table == "asn" or asn_id is None or (not still_open and not _po_outstanding(conn, po_id)))
        if close:
            conn.execute(f"UPDATE {table} SET status = 'closed', closed_at = ? WHERE id = ? AND status <> 'closed'",
                         (now, doc_id))
        else:
            conn.execute(f"UPDATE {table} SET status = ? WHERE id = ? AND status <> 'closed'",
                         ("receiving" if still_open else "open", doc_id))


def _po_outstanding(conn, po_id: str) -> bool:
    """After an ASN's last receipt: does the PO still wait for anything?"""
    if conn.execute("SELECT 1 FROM asn WHERE po_id = ? AND status <> 'closed'", (po_id,)).fetchone():
        return True
    po_receipt = {"id": None, "asn_id": None, "po_id": po_id}
    return any(d["kind"] == "short" and d["beyond_tolerance"] for d in discrepancies(conn, po_receipt))


@register("receipt.close", ReceiptClosePayload, RECEIVE_ROLES,
          "Close a receipt: freezes the discrepancy list (short, over, unexpected, damaged) and creates "
          "putaway tasks for what sits in the dock bin")
def receipt_close(conn, ctx, p: ReceiptClosePayload):
    receipt = get_receipt(conn, p.receipt_id)
    result = PostResult()
    if receipt["status"] == "closed":
        if not ctx.replay:
            raise ReceiptClosed(f"{late(receipt)} already", field="receipt_id")
        return result  # another device closed it first: nothing left to do
    found = discrepancies(conn, receipt)
    shorts = [d for d in found if d["kind"] == "short" and d["beyond_tolerance"]] if p.final else []
    if shorts:
        label = document_label(receipt)
        what = (f"{label} is short beyond the {tolerance(conn):g}% tolerance: "
                + ", ".join(f"{d['sku']} {d['received']:g} of {d['expected']:g}" for d in shorts[:5])
                + (f" and {len(shorts) - 5} more" if len(shorts) > 5 else ""))
        who = approver_or_none(conn, ctx, p.override, what)
        if who is not None:
            for d in shorts:
                record(conn, receipt_id=receipt["id"], command_id=ctx.command_id, kind="short", sku=d["sku"],
                       expected=d["expected"], received=d["received"], tolerance_pct=tolerance(conn),
                       requested_by=ctx.user_id, approved_by=who["id"])
        elif not ctx.replay:
            raise ShortBeyondTolerance(f"{what}; a supervisor must approve closing it short (override), or close "
                                       "with final: false if the rest is coming", field="override", shorts=shorts)
        else:
            for d in shorts:
                flag(conn, ctx, result, "under_receipt", f"{label}: {d['sku']} {d['received']:g} of "
                     f"{d['expected']:g} received, closed short beyond tolerance (replayed from a device)",
                     receipt["id"], bin=receipt["dock_bin"], sku=d["sku"],
                     data={**d, "tolerance_pct": tolerance(conn)})
    freeze_discrepancies(conn, receipt["id"], found)
    conn.execute("UPDATE receipt SET status = 'closed', final = ?, closed_by = ?, closed_at = ? WHERE id = ?",
                 (int(p.final), ctx.user_id, utcnow(), receipt["id"]))
    _settle_documents(conn, receipt, p.final)
    putaway.announce(result, receipt["id"], putaway.create_tasks(conn, receipt))
    return result
