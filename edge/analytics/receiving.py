"""Receiving discrepancies by supplier. No Flask.

From the discrepancies frozen when each receipt closed (receipt_discrepancy):
short, over, unexpected and damaged lines and quantities, valued at the
item's unit cost, per supplier (the receipt's, else its purchase order's),
for receipts closed in the ``days`` ending on the report day. ``fill_rate``
is what arrived of what was expected on those receipts.
"""
from __future__ import annotations

from datetime import date, timedelta

from edge.analytics.asof import cutoff, report_day
from edge.ledger import LedgerError

KINDS = ("short", "over", "unexpected", "damaged")


def receiving_report(conn, as_of: date | None, days: int = 90) -> list[dict]:
    if days < 1:
        raise LedgerError("days must be 1 or more", field="days")
    end = report_day(as_of)
    lo, hi = (end - timedelta(days=days - 1)).isoformat(), cutoff(end)
    supplier_sql = "coalesce(nullif(r.supplier, ''), p.supplier, '')"
    out: dict[str, dict] = {}
    for r in conn.execute(
            f"SELECT {supplier_sql} AS supplier, count(*) AS receipts FROM receipt r "
            "LEFT JOIN purchase_order p ON p.id = r.po_id WHERE r.status = 'closed' AND r.closed_at >= ? "
            "AND r.closed_at < ? GROUP BY 1", (lo, hi)):
        out[r["supplier"]] = {"supplier": r["supplier"], "receipts": r["receipts"], "with_discrepancy": 0,
                              **{f"{k}_lines": 0 for k in KINDS}, **{f"{k}_qty": 0.0 for k in KINDS},
                              "expected": 0.0, "received": 0.0, "value": 0.0}
    for r in conn.execute(
            f"SELECT {supplier_sql} AS supplier, d.receipt_id, d.kind, d.expected, d.received, d.difference, "
            "i.unit_cost FROM receipt_discrepancy d JOIN receipt r ON r.id = d.receipt_id "
            "LEFT JOIN purchase_order p ON p.id = r.po_id LEFT JOIN item i ON i.sku = d.sku "
            "WHERE r.status = 'closed' AND r.closed_at >= ? AND r.closed_at < ?", (lo, hi)):
        e = out.get(r["supplier"])
        if e is None:
            continue
        e.setdefault("_receipts", set()).add(r["receipt_id"])
        e[f"{r['kind']}_lines"] += 1
        e[f"{r['kind']}_qty"] += abs(r["difference"])
        e["value"] += abs(r["difference"]) * (r["unit_cost"] or 0.0)
    # Expected vs received over the receipts against a PO, for the fill rate. Grouped lookups, not a
    # subquery per receipt: one receipt's movements are found by (ref_type, ref_id).
    received = {r["ref_id"]: r["qty"] for r in conn.execute(
        "SELECT ref_id, sum(qty) AS qty FROM movement WHERE ref_type = 'receipt' AND kind = 'receive' "
        "GROUP BY ref_id")}
    for r in conn.execute(
            f"SELECT {supplier_sql} AS supplier, r.id, (SELECT coalesce(sum(qty), 0) FROM po_line l "
            "WHERE l.po_id = r.po_id) AS expected FROM receipt r LEFT JOIN purchase_order p ON p.id = r.po_id "
            "WHERE r.status = 'closed' AND r.po_id IS NOT NULL AND r.closed_at >= ? AND r.closed_at < ?", (lo, hi)):
        e = out.get(r["supplier"])
        if e is not None:
            e["expected"] += r["expected"]
            e["received"] += received.get(r["id"], 0.0)
    rows = []
    for supplier in sorted(out):
        e = out[supplier]
        e["with_discrepancy"] = len(e.pop("_receipts", ()))
        e["discrepancy_rate"] = round(e["with_discrepancy"] / e["receipts"], 4) if e["receipts"] else None
        e["fill_rate"] = round(min(e["received"], e["expected"]) / e["expected"], 4) if e["expected"] else None
        e["value"] = round(e["value"], 2)
        rows.append(e)
    return rows
