"""CSV import of purchase orders: one row per PO line, all or nothing.

Columns: po_id, supplier, expected_at, note, line_no, sku, qty, lot, expiry.
The header columns (supplier, expected_at, note) may be repeated on every
line of a PO or given on its first line only; two different values for one
PO are an error. A PO that exists is replaced, as long as nothing has been
received against it and it has no ASN. Rows are checked with the same rules
as POST /api/v1/purchase-orders, so an error reads the same in both.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Optional

from pydantic import Field, ValidationError, field_validator

from edge.csvio.kinds import Kind
from edge.csvio.report import Report, RowError
from edge.ledger import LedgerError
from edge.models import Strict
from edge.problems import validation_problem

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


def _key(row: PurchaseOrderRow) -> tuple:
    # Unnumbered lines are numbered later and never repeat each other.
    return (row.po_id, row.line_no) if row.line_no is not None else ("unnumbered", id(row))


def _label(row: PurchaseOrderRow) -> tuple[str, str]:
    return "line_no", f"line {row.line_no} of purchase order {row.po_id!r}"


def _group(batch) -> "OrderedDict[str, list]":
    orders: OrderedDict[str, list] = OrderedDict()
    for line, row in batch.rows:
        orders.setdefault(row.po_id, []).append((line, row))
    return orders


def _header(rows, errors: list[RowError]) -> dict:
    header: dict = {}
    for line, row in rows:
        for name in HEADER:
            value = getattr(row, name)
            if value is None:
                continue
            if header.get(name) is not None and header[name] != value:
                errors.append(RowError(line, name, f"purchase order {row.po_id!r} has {name} {header[name]} on an "
                                                   f"earlier line, not {value}"))
            header.setdefault(name, value)
    return header


def _line_of(rows, field: str | None) -> tuple[int, str | None]:
    """The file line and column behind a field of the PO body, e.g. lines[2].sku."""
    if field and field.startswith("lines["):
        index, _, column = field[len("lines["):].partition("].")
        if index.isdigit() and int(index) < len(rows):
            return rows[int(index)][0], column or None
    return rows[0][0], field


def _load(conn, batch) -> Report:
    from edge.workflows.receiving_docs import PurchaseOrderIn, save_purchase_order
    existing = {r[0] for r in conn.execute("SELECT id FROM purchase_order")}
    for po_id, rows in _group(batch).items():
        header = _header(rows, batch.errors)
        body = {"id": po_id, "supplier": header.get("supplier") or "", "expected_at": header.get("expected_at"),
                "note": header.get("note"),
                "lines": [{"line_no": r.line_no, "sku": r.sku, "qty": r.qty, "lot": r.lot, "expiry": r.expiry}
                          for _, r in rows]}
        try:
            order = PurchaseOrderIn.model_validate(body)
        except ValidationError as exc:
            for problem in validation_problem(exc)["errors"]:
                line, column = _line_of(rows, problem["field"])
                batch.errors.append(RowError(line, column, problem["message"]))
            continue
        conn.execute("SAVEPOINT purchase_order_row")
        try:
            save_purchase_order(conn, order, user_id=batch.user_id, replace=True)
        except LedgerError as exc:
            conn.execute("ROLLBACK TO purchase_order_row")
            line, column = _line_of(rows, exc.field)
            batch.errors.append(RowError(line, column, exc.detail))
        conn.execute("RELEASE purchase_order_row")
        if po_id in existing:
            batch.report.updated += len(rows)
        else:
            batch.report.created += len(rows)
        batch.progress(len(rows))
    if batch.errors:
        raise batch.fail()
    return batch.report


def job_for(batch):
    return lambda conn: _load(conn, batch)


KIND = Kind("purchase_orders", "purchase_order", PurchaseOrderRow, _key, _label, load=job_for)
