"""CSV import of sales orders: one row per order line, all or nothing.

Columns: order_id, customer, priority, cutoff_at, carrier, line_no, sku, qty,
lot. The header columns (customer, priority, cutoff_at, carrier) may be
repeated on every line of an order or given on its first line only; two
different values for one order are an error. An order that exists is left
alone when the file says the same, and replaced when nothing has been
allocated to it yet; otherwise the row is an error. Rows are checked with the
same rules as POST /api/v1/sales-orders, so an error reads the same in both.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import Field

from edge.csvio.documents import DocumentKind
from edge.csvio.kinds import Kind
from edge.models import Strict

HEADER = ("customer", "priority", "cutoff_at", "carrier")


class SalesOrderRow(Strict):
    """One line of a sales order."""

    order_id: str = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$")
    customer: Optional[str] = Field(None, max_length=200)
    priority: Optional[int] = Field(None, ge=1, le=9, description="1 is the most urgent; 5 when left out")
    cutoff_at: Optional[datetime] = Field(None, description="ISO-8601; no zone means UTC")
    carrier: Optional[str] = Field(None, max_length=64)
    line_no: Optional[int] = Field(None, ge=1, le=1_000_000, description="Numbered in file order when left out")
    sku: str = Field(min_length=1, max_length=64)
    qty: float = Field(gt=0, le=1_000_000_000)
    lot: Optional[str] = Field(None, max_length=64, description="Only this lot will do")


def _body(order_id: str, header: dict, rows: list) -> dict:
    return {"id": order_id, "customer": header.get("customer") or "", "priority": header.get("priority") or 5,
            "cutoff_at": header.get("cutoff_at"), "carrier": header.get("carrier") or "",
            "lines": [{"line_no": r.line_no, "sku": r.sku, "qty": r.qty, "lot": r.lot} for r in rows]}


def _save(conn, order, batch) -> str:
    from edge.workflows.picking_orders import save_order
    return save_order(conn, order, source="csv", replace=True)


def _model():
    from edge.workflows.picking_orders import SalesOrderIn
    return SalesOrderIn


DOCUMENT = DocumentKind("sales order", "order_id", HEADER, _model, _body, _save)
KIND = Kind("sales_orders", "sales_order", SalesOrderRow, DOCUMENT.key, DOCUMENT.label, load=DOCUMENT.job_for)
