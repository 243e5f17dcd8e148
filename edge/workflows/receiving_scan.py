"""What did the receiver scan? A barcode (EAN, case GTIN, GS1-128, DataMatrix,
Digital Link) becomes a sku, eaches, lot, expiry and serial. No Flask.

The scan module does the reading; this decides the quantity: a case barcode
counts its pack, a GS1 count (AI 30 pieces, or AI 37 trade items of the
AI 02 content GTIN) counts what the label says, and a kg item's label weight
(AI 310x) counts its kilograms.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from edge.catalog import SqliteCatalog
from edge.ledger import LedgerError
from edge.scans import interpret
from edge.workflows.receiving_docs import normalise_sscc
from edge.workflows.receiving_errors import ScanMismatch, UnknownBarcode


@dataclass
class Received:
    sku: str
    qty: float          # eaches (the item's uom)
    lot: str | None
    expiry: str | None  # ISO date
    serial: str | None


def _content_item(catalog: SqliteCatalog, gtin14: str) -> dict | None:
    forms = [gtin14] + [gtin14[14 - n:] for n in (13, 12, 8) if gtin14[:14 - n] == "0" * (14 - n)]
    for form in forms:
        record = catalog.barcode(form)
        if record is not None:
            return record
    return None


def read_line(conn, *, sku: str | None, barcode: str | None, qty: float | None, lot: str | None,
              expiry: str | None, serial: str | None) -> Received:
    """A receipt line from what the device sent: the sku typed, or the barcode as scanned."""
    if sku is not None and barcode is not None:
        raise LedgerError("send the scanned barcode or the sku, not both", field="barcode")
    if sku is None and barcode is None:
        raise LedgerError("send what was scanned (barcode) or the sku", field="barcode")
    if sku is not None:
        return Received(sku, qty or 1, lot, expiry, serial)
    catalog = SqliteCatalog(conn)
    scan = interpret(barcode, catalog=catalog)
    kind = scan["kind"]
    if kind == "sscc":
        raise UnknownBarcode(f"{barcode!r} is a pallet label (SSCC {scan['sscc']}); send receipt.pallet to receive "
                             "the whole pallet", field="barcode")
    if kind == "invalid":
        raise UnknownBarcode(f"cannot read {barcode!r}: {scan['error']}", field="barcode")
    if kind in ("bin", "tote", "document"):   # a badge reads as unknown here (edge/catalog.py)
        raise UnknownBarcode(f"{barcode!r} is a {kind} label, not an item", field="barcode")
    info = scan.get("gs1") or {}
    record, from_content = None, False
    if scan.get("sku"):
        record = {"sku": scan["sku"], "pack_qty": scan["pack_qty"], "item": scan.get("item") or {}}
    elif info.get("content_gtin"):
        record, from_content = _content_item(catalog, info["content_gtin"]), True
    if record is None:
        gtin = info.get("gtin") or info.get("content_gtin") or scan.get("gtin")
        known = f" (GTIN {gtin})" if gtin else ""
        raise UnknownBarcode(f"{barcode!r}{known} is not an item barcode here; add the barcode or type the sku",
                             field="barcode")
    typed = {"lot": lot, "expiry": expiry, "serial": serial}
    for name in typed:
        label = info.get(name)
        if label and typed[name] and str(typed[name]) != label:
            raise ScanMismatch(f"the label says {name} {label}, the entry says {typed[name]}", field=name)
        typed[name] = typed[name] or label
    unit = float(record["pack_qty"])
    if "count" in info:
        unit = info["count"] * (unit if from_content else 1)
    elif info.get("net_weight_kg") and str((record.get("item") or {}).get("uom") or "").lower() == "kg":
        unit = info["net_weight_kg"]
    return Received(record["sku"], round((qty or 1) * unit, 6), typed["lot"], typed["expiry"], typed["serial"])


def read_sscc(conn, value: str) -> str:
    """The 18-digit SSCC from what the device sent: the digits, or the pallet label as scanned."""
    digits = value.strip()
    if re.fullmatch(r"(00)?[0-9]{18}", digits):
        try:
            return normalise_sscc(digits)
        except ValueError as exc:
            raise UnknownBarcode(str(exc), field="sscc") from None
    scan = interpret(value, catalog=SqliteCatalog(conn))
    if scan["kind"] == "sscc":
        return scan["sscc"]
    why = scan.get("error") or f"it reads as {scan['kind']}"
    raise UnknownBarcode(f"{value!r} is not a pallet label (SSCC): {why}", field="sscc")
