"""receipt.pallet: a whole ASN pallet received by one scan of its SSCC label. No Flask."""
from __future__ import annotations

from typing import Optional

from pydantic import Field

from edge.commands.registry import register
from edge.commands.stock_commands import movement_id
from edge.ledger import Movement, PostResult, post_movements, utcnow
from edge.models import Strict
from edge.workflows.receiving_approval import Override
from edge.workflows.receiving_errors import (
    ExpiredOnArrival, PalletAlreadyReceived, PalletNotOnDocument, ReceiptClosed, UnknownPallet,
)
from edge.workflows.receiving_rules import (
    RECEIVE_ROLES, Id, RawScan, after_close, check_overs, flag, flag_overs, late, past_expiry, scan_date,
)
from edge.workflows.receiving_scan import read_sscc
from edge.workflows.receiving_view import document_label, get_receipt


class ReceiptPalletPayload(Strict):
    receipt_id: str = Id
    sscc: RawScan = Field(min_length=1, max_length=4096, description="The pallet label as scanned, or its 18 digits")
    override: Optional[Override] = Field(None, description="A supervisor's approval beyond tolerance")


def _pallet(conn, ctx, receipt, sscc: str):
    pallet = conn.execute("SELECT p.*, a.po_id FROM asn_pallet p JOIN asn a ON a.id = p.asn_id WHERE p.sscc = ?",
                          (sscc,)).fetchone()
    if pallet is None:
        raise UnknownPallet(f"no ASN lists pallet {sscc}; receive its cartons one by one", field="sscc")
    belongs = pallet["asn_id"] == receipt["asn_id"] or (
        receipt["asn_id"] is None and receipt["po_id"] is not None and pallet["po_id"] == receipt["po_id"])
    if not belongs and not ctx.replay:
        raise PalletNotOnDocument(f"pallet {sscc} is on ASN {pallet['asn_id']} of purchase order {pallet['po_id']}, "
                                  f"not on this receipt's {document_label(receipt)}", field="sscc")
    if pallet["status"] == "received" and not ctx.replay:
        raise PalletAlreadyReceived(f"pallet {sscc} was received on receipt {pallet['receipt_id']} at "
                                    f"{pallet['received_at']}", field="sscc")
    return pallet, belongs


@register("receipt.pallet", ReceiptPalletPayload, RECEIVE_ROLES,
          "Receive a whole ASN pallet by its SSCC label: every line on it in one step")
def receipt_pallet(conn, ctx, p: ReceiptPalletPayload):
    receipt = get_receipt(conn, p.receipt_id)
    if receipt["status"] == "closed" and not ctx.replay:
        raise ReceiptClosed(f"{late(receipt)}; open a new receipt for goods still arriving", field="receipt_id")
    sscc = read_sscc(conn, p.sscc)
    pallet, belongs = _pallet(conn, ctx, receipt, sscc)
    result = PostResult()
    if pallet["status"] == "received":  # replayed: the pallet is already on the books once
        flag(conn, ctx, result, "pallet_received_twice", f"pallet {sscc} was received on receipt "
             f"{pallet['receipt_id']}; a device scanned it again on receipt {receipt['id']} while offline "
             "(nothing was added)", receipt["id"], bin=receipt["dock_bin"])
        return result
    lines = conn.execute("SELECT sku, qty, lot, expiry FROM asn_line WHERE sscc = ? ORDER BY line_no",
                         (sscc,)).fetchall()
    wants: dict[str, float] = {}
    for ln in lines:
        wants[ln["sku"]] = wants.get(ln["sku"], 0.0) + ln["qty"]
    expired = [ln for ln in lines if past_expiry(conn, ln["sku"], ln["lot"], ln["expiry"], scan_date(ctx))]
    if expired and not ctx.replay:
        ln = expired[0]
        raise ExpiredOnArrival(f"pallet {sscc} holds lot {ln['lot']} of {ln['sku']}, expired on "
                               f"{ln['expiry'] or 'an earlier date'}; receive its cartons one by one (damaged into "
                               "quarantine) or refuse the pallet", field="sscc")
    overs = check_overs(conn, ctx, receipt, wants, p.override)
    movements = [Movement(id=movement_id(ctx.command_id, n), kind="receive", sku=ln["sku"], qty=ln["qty"],
                          to_bin=receipt["dock_bin"], lot=ln["lot"], expiry=ln["expiry"], ref_type="receipt",
                          ref_id=receipt["id"], reason=f"pallet {sscc}", user_id=ctx.user_id,
                          device_id=ctx.device_id, command_id=ctx.command_id, scanned_at=ctx.at)
                 for n, ln in enumerate(lines)]
    result = post_movements(conn, movements, replay=ctx.replay)
    conn.execute("UPDATE asn_pallet SET status = 'received', receipt_id = ?, received_at = ? WHERE sscc = ?",
                 (receipt["id"], utcnow(), sscc))
    flag_overs(conn, ctx, receipt, result, overs, receipt["dock_bin"])
    if not belongs:
        flag(conn, ctx, result, "pallet_other_document", f"pallet {sscc} of ASN {pallet['asn_id']} was received "
             f"on receipt {receipt['id']} ({document_label(receipt)}) while offline", receipt["id"],
             bin=receipt["dock_bin"], movement_id=movements[0].id)
    for ln in expired:
        flag(conn, ctx, result, "expired_on_receipt", f"pallet {sscc} brought lot {ln['lot']} of {ln['sku']}, "
             "already expired, into the dock (replayed from a device)", receipt["id"], bin=receipt["dock_bin"],
             sku=ln["sku"], lot=ln["lot"])
    after_close(conn, ctx, receipt, result, [m.id for m in movements], lines[0]["sku"])
    return result
