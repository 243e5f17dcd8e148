"""CSV import of purchase orders: one row per PO line, all or nothing.

Columns: po_id, supplier, expected_at, note, line_no, sku, qty, lot, expiry.
The header columns (supplier, expected_at, note) may be repeated on every
line of a PO or given on its first line only; two different values for one
PO are an error. A PO that exists is replaced, as long as nothing has been
received against it and it has no ASN. Rows are checked with the same rules
as POST /api/v1/purchase-orders, so an error reads the same in both.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from pydantic import Field, field_validator

from edge.csvio.documents import DocumentKind
from edge.csvio.kinds import Kind
from edge.models import Strict

HEADER = ("supplier", "expected_at", "note")


class PurchaseOrderRow(Strict):
    """One line of a purchase order."""

    po_id: str = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$")
    supplier: Optional[str] = Field(None, max_length=200)
    expected_at: Optional[date] = None
    note: Optional[str] = Field(None, max_length=500)
    line_no: Optional[int] = Field(None, ge=1, le=1_000_000, description="Numbered in file order when left out")
    sku: str = Field(min_length=1, max_length=64)
    qty: float = Field(gt=0, le=1_000_000_000)
    lot: Optional[str] = Field(None, max_length=64)
    expiry: Optional[date] = None

    @field_validator("expiry")
    @classmethod
    def _expiry_needs_lot(cls, value, info):
        if value is not None and not info.data.get("lot"):
            raise ValueError("an expiry date belongs to a lot; give the lot as well")
        return value


def _body(po_id: str, header: dict, rows: list) -> dict:
    return {"id": po_id, "supplier": header.get("supplier") or "", "expected_at": header.get("expected_at"),
            "note": header.get("note"),
            "lines": [{"line_no": r.line_no, "sku": r.sku, "qty": r.qty, "lot": r.lot, "expiry": r.expiry}
                      for r in rows]}


def _save(conn, order, batch) -> str:
    from edge.workflows.receiving_docs import save_purchase_order
    existed = conn.execute("SELECT 1 FROM purchase_order WHERE id = ?", (order.id,)).fetchone()
    save_purchase_order(conn, order, user_id=batch.user_id, replace=True)
    return "updated" if existed else "created"


def _model():
    from edge.workflows.receiving_docs import PurchaseOrderIn
    return PurchaseOrderIn


DOCUMENT = DocumentKind("purchase order", "po_id", HEADER, _model, _body, _save)
KIND = Kind("purchase_orders", "purchase_order", PurchaseOrderRow, DOCUMENT.key, DOCUMENT.label,
            load=DOCUMENT.job_for)
