"""Purchase orders and ASNs: what a delivery is expected to bring. No Flask.

A document's id is the number printed on its paperwork as a barcode, so a
receiver opens a receipt by scanning it. Ids must not collide with a bin
label, an item barcode or the other kind of document, or a scan could not tell
them apart.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Optional

from pydantic import Field, field_validator, model_validator

from edge.ledger import BadQuantity, TrackingError, UnknownItem, is_decimal_uom, utcnow
from edge.masterdata import AlreadyExists, InUse, NotFound
from edge.models import Strict
from edge.scans.gs1 import check_digit_problem
from edge.workflows.receiving_errors import DocumentClosed

DOC_ID = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$")
SSCC = re.compile(r"^[0-9]{18}$")


class DocLineIn(Strict):
    sku: str = Field(min_length=1, max_length=64)
    qty: float = Field(gt=0, le=1_000_000_000, description="Expected quantity in eaches (the item's uom)")
    lot: Optional[str] = Field(None, max_length=64)
    expiry: Optional[date] = Field(None, description="Expiry of the lot; needs a lot")

    @field_validator("expiry")
    @classmethod
    def _expiry_needs_lot(cls, value, info):
        if value is not None and not info.data.get("lot"):
            raise ValueError("an expiry date belongs to a lot; give the lot as well")
        return value


class POLineIn(DocLineIn):
    line_no: Optional[int] = Field(None, ge=1, le=1_000_000, description="Numbered in order when left out")


class PurchaseOrderIn(Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$",
                    description="The PO number printed as a barcode on the paperwork", examples=["PO-100234"])
    supplier: str = Field("", max_length=200)
    expected_at: Optional[date] = None
    note: Optional[str] = Field(None, max_length=500)
    lines: list[POLineIn] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _line_numbers(self):
        given = [ln.line_no for ln in self.lines if ln.line_no is not None]
        if len(given) != len(set(given)):
            raise ValueError("line_no is repeated")
        next_no = max(given, default=0)
        for ln in self.lines:
            if ln.line_no is None:
                next_no += 1
                ln.line_no = next_no
        return self


class PalletIn(Strict):
    sscc: str = Field(min_length=18, max_length=20, description="18 digits (an optional leading AI '00' is dropped)",
                      examples=["395060000000000015"])
    lines: list[DocLineIn] = Field(min_length=1, max_length=200)

    @field_validator("sscc")
    @classmethod
    def _valid_sscc(cls, value):
        return normalise_sscc(value)


class AsnIn(Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$", examples=["ASN-5501"])
    po_id: str = Field(min_length=1, max_length=64)
    carrier: str = Field("", max_length=200)
    expected_at: Optional[date] = None
    lines: list[DocLineIn] = Field([], max_length=2000, description="Loose cartons, not on a labelled pallet")
    pallets: list[PalletIn] = Field([], max_length=500)

    @model_validator(mode="after")
    def _something(self):
        if not self.lines and not self.pallets:
            raise ValueError("an ASN lists lines, pallets or both")
        ssccs = [p.sscc for p in self.pallets]
        if len(ssccs) != len(set(ssccs)):
            raise ValueError("an SSCC is listed twice")
        return self


def normalise_sscc(value: str) -> str:
    """18 digits with a valid GS1 check digit; '00' + 18 digits is accepted too."""
    digits = value.strip()
    if len(digits) == 20 and digits.startswith("00"):
        digits = digits[2:]
    if not SSCC.match(digits):
        raise ValueError(f"an SSCC is 18 digits, not {value!r}")
    problem = check_digit_problem("SSCC", digits)
    if problem:
        raise ValueError(problem)
    return digits


# -- writing ---------------------------------------------------------------------

def _check_id_free(conn, doc_id: str, own_table: str) -> None:
    for table, key, what in (("bin", "code", "a bin label"), ("barcode", "code", "an item barcode"),
                             ("purchase_order", "id", "a purchase order"), ("asn", "id", "an ASN")):
        if table == own_table:
            continue
        if conn.execute(f"SELECT 1 FROM {table} WHERE {key} = ?", (doc_id,)).fetchone():
            raise AlreadyExists(f"{doc_id!r} is already {what}; a scan of it could not be told apart", field="id")


def _check_lines(conn, lines, prefix: str, *, pallet: bool = False) -> None:
    for i, ln in enumerate(lines):
        field = f"{prefix}[{i}]"
        item = conn.execute("SELECT uom, tracking, perishable FROM item WHERE sku = ?", (ln.sku,)).fetchone()
        if item is None:
            raise UnknownItem(f"no item with sku {ln.sku!r}", field=f"{field}.sku")
        if not is_decimal_uom(item["uom"]) and ln.qty != int(ln.qty):
            raise BadQuantity(f"{ln.sku} is counted in whole {item['uom']}; {ln.qty:g} is not a whole number",
                              field=f"{field}.qty")
        if item["tracking"] == "none" and ln.lot:
            raise TrackingError(f"{ln.sku} is not lot-tracked; do not give a lot", field=f"{field}.lot")
        if not pallet:
            continue
        # A pallet is received in one scan: everything the ledger will ask for must be on the ASN.
        if item["tracking"] == "serial":
            raise TrackingError(f"{ln.sku} is serial-tracked; list it as a loose line and scan each serial",
                                field=f"{field}.sku")
        if item["tracking"] == "lot" and not ln.lot:
            raise TrackingError(f"{ln.sku} is lot-tracked; a pallet line needs its lot", field=f"{field}.lot")
        if item["perishable"] and not ln.expiry:
            known = conn.execute("SELECT expiry FROM lot WHERE sku = ? AND lot = ?", (ln.sku, ln.lot)).fetchone()
            if not (known and known["expiry"]):
                raise TrackingError(f"{ln.sku} is perishable; a pallet line needs the lot's expiry",
                                    field=f"{field}.expiry")


def save_purchase_order(conn, po: PurchaseOrderIn, *, user_id: int | None, replace: bool = False) -> dict:
    """Create a PO; with ``replace`` an existing one is replaced while nothing was received against it."""
    _check_id_free(conn, po.id, "purchase_order")
    existing = conn.execute("SELECT status FROM purchase_order WHERE id = ?", (po.id,)).fetchone()
    if existing is not None:
        if not replace:
            raise AlreadyExists(f"purchase order {po.id!r} already exists", field="id")
        if existing["status"] != "open" or conn.execute(
                "SELECT 1 FROM receipt WHERE po_id = ? UNION SELECT 1 FROM asn WHERE po_id = ?",
                (po.id, po.id)).fetchone():
            raise InUse(f"purchase order {po.id!r} already has an ASN or a receipt; it can no longer be replaced",
                        field="id")
    _check_lines(conn, po.lines, "lines")
    now = utcnow()
    if existing is None:
        conn.execute("INSERT INTO purchase_order (id, supplier, expected_at, note, created_at, created_by) "
                     "VALUES (?,?,?,?,?,?)", (po.id, po.supplier, _iso(po.expected_at), po.note, now, user_id))
    else:
        conn.execute("UPDATE purchase_order SET supplier = ?, expected_at = ?, note = ? WHERE id = ?",
                     (po.supplier, _iso(po.expected_at), po.note, po.id))
        conn.execute("DELETE FROM po_line WHERE po_id = ?", (po.id,))
    conn.executemany("INSERT INTO po_line (po_id, line_no, sku, qty, lot, expiry) VALUES (?,?,?,?,?,?)",
                     [(po.id, ln.line_no, ln.sku, ln.qty, ln.lot, _iso(ln.expiry)) for ln in po.lines])
    return get_purchase_order(conn, po.id)


def save_asn(conn, asn: AsnIn, *, user_id: int | None) -> dict:
    _check_id_free(conn, asn.id, "asn")
    if conn.execute("SELECT 1 FROM asn WHERE id = ?", (asn.id,)).fetchone():
        raise AlreadyExists(f"ASN {asn.id!r} already exists", field="id")
    po = conn.execute("SELECT status FROM purchase_order WHERE id = ?", (asn.po_id,)).fetchone()
    if po is None:
        raise NotFound(f"no purchase order {asn.po_id!r}", field="po_id")
    if po["status"] == "closed":
        raise DocumentClosed(f"purchase order {asn.po_id} is closed; nothing more is expected against it",
                             field="po_id")
    _check_lines(conn, asn.lines, "lines")
    for i, pallet in enumerate(asn.pallets):
        _check_lines(conn, pallet.lines, f"pallets[{i}].lines", pallet=True)
        other = conn.execute("SELECT asn_id FROM asn_pallet WHERE sscc = ?", (pallet.sscc,)).fetchone()
        if other:
            raise AlreadyExists(f"pallet {pallet.sscc} is already on ASN {other['asn_id']}",
                                field=f"pallets[{i}].sscc")
    conn.execute("INSERT INTO asn (id, po_id, carrier, expected_at, created_at, created_by) VALUES (?,?,?,?,?,?)",
                 (asn.id, asn.po_id, asn.carrier, _iso(asn.expected_at), utcnow(), user_id))
    rows, line_no = [], 0
    for sscc, lines in [(None, asn.lines)] + [(p.sscc, p.lines) for p in asn.pallets]:
        if sscc:
            conn.execute("INSERT INTO asn_pallet (sscc, asn_id) VALUES (?,?)", (sscc, asn.id))
        for ln in lines:
            line_no += 1
            rows.append((asn.id, line_no, sscc, ln.sku, ln.qty, ln.lot, _iso(ln.expiry)))
    conn.executemany("INSERT INTO asn_line (asn_id, line_no, sscc, sku, qty, lot, expiry) VALUES (?,?,?,?,?,?,?)",
                     rows)
    return get_asn(conn, asn.id)


def close_purchase_order(conn, po_id: str) -> dict:
    """A supervisor gives up on what is still outstanding: the PO and its ASNs expect nothing more."""
    row = conn.execute("SELECT status FROM purchase_order WHERE id = ?", (po_id,)).fetchone()
    if row is None:
        raise NotFound(f"no purchase order {po_id!r}")
    if row["status"] == "closed":
        raise DocumentClosed(f"purchase order {po_id} is already closed")
    receipt = conn.execute("SELECT id, dock_bin FROM receipt WHERE po_id = ? AND status = 'open' ORDER BY opened_at "
                           "LIMIT 1", (po_id,)).fetchone()
    if receipt is not None:
        raise InUse(f"receipt {receipt['id']} at {receipt['dock_bin']} is still open on purchase order {po_id}; "
                    "close it first")
    now = utcnow()
    conn.execute("UPDATE purchase_order SET status = 'closed', closed_at = ? WHERE id = ?", (now, po_id))
    conn.execute("UPDATE asn SET status = 'closed', closed_at = ? WHERE po_id = ? AND status <> 'closed'",
                 (now, po_id))
    return get_purchase_order(conn, po_id)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# -- reading ---------------------------------------------------------------------

def _line(row) -> dict:
    out = dict(row)
    for key in ("po_id", "asn_id", "sscc"):
        out.pop(key, None)
    return out


def received_by_sku(conn, where: str, params: tuple) -> dict[str, float]:
    """Eaches received per sku by the receipts matching ``where`` (over the receipt table ``r``)."""
    rows = conn.execute(
        "SELECT m.sku, SUM(m.qty) AS qty FROM receipt r JOIN movement m "
        "ON m.ref_type = 'receipt' AND m.ref_id = r.id AND m.kind = 'receive' "
        f"WHERE {where} GROUP BY m.sku", params)
    return {r["sku"]: round(r["qty"], 6) for r in rows}


def _with_received(lines: list[dict], received: dict[str, float]) -> list[dict]:
    """Spread what was received of a sku over its lines in line order."""
    left = dict(received)
    for ln in lines:
        got = min(ln["qty"], left.get(ln["sku"], 0.0))
        left[ln["sku"]] = left.get(ln["sku"], 0.0) - got
        ln["received"] = round(got, 6)
    for ln in reversed(lines):  # anything beyond the lines shows on the last line of the sku
        extra = left.get(ln["sku"], 0.0)
        if extra > 0:
            ln["received"] = round(ln["received"] + extra, 6)
            left[ln["sku"]] = 0.0
    return lines


def _receipts(conn, column: str, doc_id: str) -> list[dict]:
    return [dict(r) for r in conn.execute(
        f"SELECT id, asn_id, dock_bin, status, opened_by, opened_at, closed_at FROM receipt WHERE {column} = ? "
        "ORDER BY opened_at, id", (doc_id,))]


def get_purchase_order(conn, po_id: str) -> dict:
    row = conn.execute("SELECT * FROM purchase_order WHERE id = ?", (po_id,)).fetchone()
    if row is None:
        raise NotFound(f"no purchase order {po_id!r}")
    out = dict(row)
    lines = [_line(r) for r in conn.execute("SELECT * FROM po_line WHERE po_id = ? ORDER BY line_no", (po_id,))]
    out["lines"] = _with_received(lines, received_by_sku(conn, "r.po_id = ?", (po_id,)))
    out["asns"] = [dict(r) for r in conn.execute(
        "SELECT id, status, carrier, expected_at FROM asn WHERE po_id = ? ORDER BY id", (po_id,))]
    out["receipts"] = _receipts(conn, "po_id", po_id)
    return out


def pallets_of(conn, where: str, params: tuple) -> list[dict]:
    pallets = [dict(r) for r in conn.execute(
        f"SELECT p.sscc, p.asn_id, p.status, p.receipt_id, p.received_at FROM asn_pallet p JOIN asn a "
        f"ON a.id = p.asn_id WHERE {where} ORDER BY p.sscc", params)]
    for p in pallets:
        p["lines"] = [_line(r) for r in conn.execute(
            "SELECT line_no, sku, qty, lot, expiry FROM asn_line WHERE sscc = ? ORDER BY line_no", (p["sscc"],))]
    return pallets


def get_asn(conn, asn_id: str) -> dict:
    row = conn.execute("SELECT * FROM asn WHERE id = ?", (asn_id,)).fetchone()
    if row is None:
        raise NotFound(f"no ASN {asn_id!r}")
    out = dict(row)
    loose = [_line(r) for r in conn.execute(
        "SELECT line_no, sku, qty, lot, expiry FROM asn_line WHERE asn_id = ? AND sscc IS NULL ORDER BY line_no",
        (asn_id,))]
    out["lines"] = _with_received(loose, {})
    for ln in out["lines"]:
        del ln["received"]  # per line is ambiguous once pallets share skus: see the receipt
    out["pallets"] = pallets_of(conn, "a.id = ?", (asn_id,))
    out["received"] = received_by_sku(conn, "r.asn_id = ?", (asn_id,))
    out["receipts"] = _receipts(conn, "asn_id", asn_id)
    return out


def list_documents(conn, table: str, *, status: str | None, after: str | None, limit: int,
                   filters: dict[str, str | None]) -> list[dict]:
    """Headers with how many lines and eaches each expects, keyset-paged by id."""
    line_table, key = ("po_line", "po_id") if table == "purchase_order" else ("asn_line", "asn_id")
    where, params = [], []
    if status == "active":
        where.append("d.status <> 'closed'")
    elif status and status != "all":
        where.append("d.status = ?")
        params.append(status)
    for col, value in filters.items():
        if value:
            where.append(f"d.{col} = ?")
            params.append(value)
    if after:
        where.append("d.id > ?")
        params.append(after)
    sql = (f"SELECT d.*, (SELECT count(*) FROM {line_table} l WHERE l.{key} = d.id) AS line_count, "
           f"(SELECT SUM(qty) FROM {line_table} l WHERE l.{key} = d.id) AS expected_qty FROM {table} d")
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [dict(r) for r in conn.execute(sql + " ORDER BY d.id LIMIT ?", params + [limit])]
