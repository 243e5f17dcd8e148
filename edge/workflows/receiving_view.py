"""What a receipt expects and what it got: lines, tolerance, discrepancies. No Flask.

The expectation comes from the receipt's document: an ASN (what the supplier
says is on this lorry) or else its purchase order; a blind receipt expects
nothing. What arrived is always summed from the ledger (movements of kind
``receive`` with ``ref_type = 'receipt'``), over every receipt of the same
document, so a PO delivered in two lorries is judged as a whole and there is
no second counter to drift from the stock.
"""
from __future__ import annotations

from dataclasses import dataclass

from edge import settings
from edge.masterdata import expected_barcodes
from edge.workflows import receiving_approval
from edge.workflows.receiving_docs import pallets_of, received_by_sku
from edge.workflows.receiving_errors import UnknownReceipt

EPS = 1e-6


@dataclass(frozen=True)
class Scope:
    kind: str            # asn | purchase_order | blind
    doc_id: str | None
    where: str           # over the receipt table ``r``
    params: tuple


def get_receipt(conn, receipt_id: str):
    row = conn.execute("SELECT * FROM receipt WHERE id = ?", (receipt_id,)).fetchone()
    if row is None:
        raise UnknownReceipt(f"no receipt {receipt_id}; open one with receipt.open", field="receipt_id")
    return row


def scope_of(receipt) -> Scope:
    if receipt["asn_id"]:
        return Scope("asn", receipt["asn_id"], "r.asn_id = ?", (receipt["asn_id"],))
    if receipt["po_id"]:
        return Scope("purchase_order", receipt["po_id"], "r.po_id = ?", (receipt["po_id"],))
    return Scope("blind", None, "r.id = ?", (receipt["id"],))


def tolerance(conn) -> float:
    return float(settings.get(conn, "receipt_tolerance_pct"))


def expected_lines(conn, scope: Scope) -> list[dict]:
    if scope.kind == "asn":
        sql = "SELECT line_no, sscc, sku, qty, lot, expiry FROM asn_line WHERE asn_id = ? ORDER BY line_no"
    elif scope.kind == "purchase_order":
        sql = "SELECT line_no, NULL AS sscc, sku, qty, lot, expiry FROM po_line WHERE po_id = ? ORDER BY line_no"
    else:
        return []
    return [dict(r) for r in conn.execute(sql, (scope.doc_id,))]


def expected_by_sku(conn, scope: Scope) -> dict[str, float]:
    out: dict[str, float] = {}
    for ln in expected_lines(conn, scope):
        out[ln["sku"]] = round(out.get(ln["sku"], 0.0) + ln["qty"], 6)
    return out


def received(conn, scope: Scope, sku: str | None = None) -> dict[str, float]:
    if sku is None:
        return received_by_sku(conn, scope.where, scope.params)
    return received_by_sku(conn, scope.where + " AND m.sku = ?", scope.params + (sku,))


def damaged(conn, scope: Scope) -> dict[str, float]:
    return received_by_sku(conn, scope.where + " AND m.reason LIKE 'damaged:%'", scope.params)


@dataclass(frozen=True)
class Over:
    sku: str
    expected: float
    received: float
    adding: float
    tolerance_pct: float

    @property
    def limit(self) -> float:
        return self.expected * (1 + self.tolerance_pct / 100)

    def describe(self, doc: str) -> str:
        return (f"{doc} expects {self.expected:g} of {self.sku}; {self.received:g} received so far, "
                f"+{self.adding:g} makes {self.received + self.adding:g}, beyond the {self.tolerance_pct:g}% "
                f"tolerance (up to {self.limit:g} without approval)")

    def figures(self) -> dict:
        return {"sku": self.sku, "expected": self.expected, "received": self.received, "adding": self.adding,
                "tolerance_pct": self.tolerance_pct, "accept_up_to": round(self.limit, 6)}


def over_tolerance(conn, receipt, sku: str, adding: float) -> Over | None:
    """An Over if ``adding`` more of ``sku`` takes the document beyond tolerance.

    A sku the document does not list is accepted into the dock and flagged on
    the discrepancy list, never refused: the goods are standing there."""
    scope = scope_of(receipt)
    if scope.kind == "blind":
        return None
    expected = expected_by_sku(conn, scope).get(sku, 0.0)
    if expected <= 0:
        return None
    tol = tolerance(conn)
    have = received(conn, scope, sku).get(sku, 0.0)
    if have + adding > expected * (1 + tol / 100) + EPS:
        return Over(sku, expected, have, adding, tol)
    return None


def document_label(receipt) -> str:
    if receipt["asn_id"]:
        return f"ASN {receipt['asn_id']}"
    if receipt["po_id"]:
        return f"purchase order {receipt['po_id']}"
    return "blind receipt"


def discrepancies(conn, receipt) -> list[dict]:
    """Short, over, unexpected and damaged quantities of the receipt's document, now."""
    scope = scope_of(receipt)
    tol = tolerance(conn)
    expected = expected_by_sku(conn, scope)
    got = received(conn, scope)
    out = []
    if scope.kind != "blind":
        for sku in sorted(set(expected) | set(got)):
            e, r = expected.get(sku, 0.0), got.get(sku, 0.0)
            if e <= 0:
                kind, beyond = "unexpected", True
            elif r > e + EPS:
                kind, beyond = "over", r > e * (1 + tol / 100) + EPS
            elif r < e - EPS:
                kind, beyond = "short", r < e * (1 - tol / 100) - EPS
            else:
                continue
            out.append({"kind": kind, "sku": sku, "expected": e, "received": r, "difference": round(r - e, 6),
                        "beyond_tolerance": beyond})
    for sku, qty in sorted(damaged(conn, scope).items()):
        out.append({"kind": "damaged", "sku": sku, "expected": expected.get(sku, 0.0), "received": qty,
                    "difference": qty, "beyond_tolerance": False})
    return out


def stored_discrepancies(conn, receipt_id: str) -> list[dict]:
    rows = conn.execute("SELECT kind, sku, expected, received, difference, beyond_tolerance FROM receipt_discrepancy "
                        "WHERE receipt_id = ? ORDER BY CASE kind WHEN 'damaged' THEN 1 ELSE 0 END, sku, kind",
                        (receipt_id,))
    return [dict(r, beyond_tolerance=bool(r["beyond_tolerance"])) for r in rows]


def freeze_discrepancies(conn, receipt_id: str, found: list[dict]) -> None:
    conn.executemany(
        "INSERT INTO receipt_discrepancy (receipt_id, kind, sku, expected, received, difference, beyond_tolerance) "
        "VALUES (?,?,?,?,?,?,?)",
        [(receipt_id, d["kind"], d["sku"], d["expected"], d["received"], d["difference"], int(d["beyond_tolerance"]))
         for d in found])


# -- the receipt as a handheld reads it ----------------------------------------------

def _here(conn, receipt_id: str) -> dict[str, dict]:
    """What this receipt took in, per sku: total, damaged and by lot."""
    out: dict[str, dict] = {}
    for r in conn.execute(
            "SELECT sku, lot, SUM(qty) AS qty, SUM(CASE WHEN reason LIKE 'damaged:%' THEN qty ELSE 0 END) AS damaged "
            "FROM movement WHERE ref_type = 'receipt' AND ref_id = ? AND kind = 'receive' GROUP BY sku, lot "
            "ORDER BY sku, lot", (receipt_id,)):
        line = out.setdefault(r["sku"], {"qty": 0.0, "damaged": 0.0, "lots": []})
        line["qty"] = round(line["qty"] + r["qty"], 6)
        line["damaged"] = round(line["damaged"] + r["damaged"], 6)
        line["lots"].append({"lot": r["lot"] or None, "qty": r["qty"]})
    return out


def _items(conn, skus) -> dict[str, dict]:
    skus = list(skus)
    out = {}
    for i in range(0, len(skus), 500):
        chunk = skus[i:i + 500]
        for r in conn.execute(f"SELECT sku, description, uom, tracking, perishable FROM item WHERE sku IN "
                              f"({','.join('?' * len(chunk))})", chunk):
            out[r["sku"]] = dict(r, perishable=bool(r["perishable"]))
    return out


def receipt_lines(conn, receipt) -> list[dict]:
    scope = scope_of(receipt)
    tol = tolerance(conn)
    docs = expected_lines(conn, scope)
    expected: dict[str, dict] = {}
    for ln in docs:
        entry = expected.setdefault(ln["sku"], {"qty": 0.0, "lots": []})
        entry["qty"] = round(entry["qty"] + ln["qty"], 6)
        if ln["lot"] or ln["sscc"]:
            entry["lots"].append({"lot": ln["lot"], "expiry": ln["expiry"], "qty": ln["qty"], "sscc": ln["sscc"]})
    got = received(conn, scope)
    here = _here(conn, receipt["id"])
    order = list(expected) + sorted((set(got) | set(here)) - set(expected))
    items = _items(conn, order)
    lines = []
    for sku in order:
        e = expected.get(sku, {"qty": 0.0, "lots": []})
        r = got.get(sku, 0.0)
        mine = here.get(sku, {"qty": 0.0, "damaged": 0.0, "lots": []})
        if sku not in expected:
            status = "unexpected"
        elif r > e["qty"] + EPS:
            status = "over"
        elif r >= e["qty"] - EPS:
            status = "complete"
        else:
            status = "open"
        lines.append({
            **items.get(sku, {"sku": sku}),
            "expected": e["qty"], "received": r, "remaining": max(0.0, round(e["qty"] - r, 6)),
            # Beyond this the device asks for a supervisor before sending.
            "accept_up_to": round(e["qty"] * (1 + tol / 100) - r, 6) if sku in expected else None,
            "received_here": mine["qty"], "damaged_here": mine["damaged"], "status": status,
            "expected_lots": e["lots"], "received_lots": mine["lots"],
            "expected_barcodes": expected_barcodes(conn, sku),
        })
    return lines


def receipt_view(conn, receipt_id: str) -> dict:
    """Everything a handheld needs to receive offline against this receipt."""
    receipt = get_receipt(conn, receipt_id)
    out = dict(receipt)
    out["final"] = None if out["final"] is None else bool(out["final"])
    scope = scope_of(receipt)
    out["document"] = {"type": scope.kind, "id": scope.doc_id, "label": document_label(receipt)}
    out["tolerance_pct"] = tolerance(conn)
    out["lines"] = receipt_lines(conn, receipt)
    if scope.kind == "asn":
        out["pallets"] = pallets_of(conn, "a.id = ?", (scope.doc_id,))
    elif scope.kind == "purchase_order":
        out["pallets"] = pallets_of(conn, "a.po_id = ?", (scope.doc_id,))
    else:
        out["pallets"] = []
    out["discrepancies"] = (stored_discrepancies(conn, receipt_id) if receipt["status"] == "closed"
                            else discrepancies(conn, receipt))
    out["approvals"] = receiving_approval.approvals(conn, receipt_id)
    out["putaway_tasks"] = [dict(r, lot=r["lot"] or None) for r in conn.execute(
        "SELECT id, sku, lot, serial, qty, suggested_bin, status FROM putaway_task WHERE receipt_id = ? ORDER BY id",
        (receipt_id,))]
    return out


def list_receipts(conn, *, status: str, dock_bin: str | None, po_id: str | None, after: str | None,
                  limit: int) -> list[dict]:
    where, params = [], []
    if status != "all":
        where.append("r.status = ?")
        params.append(status)
    for col, value in (("dock_bin", dock_bin), ("po_id", po_id)):
        if value:
            where.append(f"r.{col} = ?")
            params.append(value)
    if after:
        where.append("r.id > ?")
        params.append(after)
    sql = ("SELECT r.*, u.name AS opened_by_name, p.supplier AS po_supplier FROM receipt r "
           "LEFT JOIN user u ON u.id = r.opened_by LEFT JOIN purchase_order p ON p.id = r.po_id")
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = []
    for r in conn.execute(sql + " ORDER BY r.id LIMIT ?", params + [limit]):
        row = dict(r)
        row["final"] = None if row["final"] is None else bool(row["final"])
        row["document"] = {"type": scope_of(r).kind, "id": scope_of(r).doc_id, "label": document_label(r)}
        rows.append(row)
    return rows
