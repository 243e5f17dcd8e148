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

from collections import OrderedDict
from datetime import datetime
from typing import Optional

from pydantic import Field, ValidationError

from edge.csvio.kinds import Kind
from edge.csvio.report import Report, RowError
from edge.ledger import LedgerError
from edge.models import Strict
from edge.problems import validation_problem

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


def _key(row: SalesOrderRow) -> tuple:
    # Unnumbered lines are numbered later and never repeat each other.
    return (row.order_id, row.line_no) if row.line_no is not None else ("unnumbered", id(row))


def _label(row: SalesOrderRow) -> tuple[str, str]:
    return "line_no", f"line {row.line_no} of sales order {row.order_id!r}"


def _group(batch) -> "OrderedDict[str, list]":
    orders: OrderedDict[str, list] = OrderedDict()
    for line, row in batch.rows:
        orders.setdefault(row.order_id, []).append((line, row))
    return orders


def _header(rows, errors: list[RowError]) -> dict:
    header: dict = {}
    for line, row in rows:
        for name in HEADER:
            value = getattr(row, name)
            if value is None:
                continue
            if header.get(name) is not None and header[name] != value:
                errors.append(RowError(line, name, f"sales order {row.order_id!r} has {name} {header[name]} on an "
                                                   f"earlier line, not {value}"))
            header.setdefault(name, value)
    return header


def _line_of(rows, field: str | None) -> tuple[int, str | None]:
    """The file line and column behind a field of the order body, e.g. lines[2].sku."""
    if field and field.startswith("lines["):
        index, _, column = field[len("lines["):].partition("].")
        if index.isdigit() and int(index) < len(rows):
            return rows[int(index)][0], column or None
    return rows[0][0], "order_id" if field == "id" else field


def _load(conn, batch) -> Report:
    from edge.workflows.picking_orders import SalesOrderIn, save_order
    for order_id, rows in _group(batch).items():
        header = _header(rows, batch.errors)
        body = {"id": order_id, "customer": header.get("customer") or "", "priority": header.get("priority") or 5,
                "cutoff_at": header.get("cutoff_at"), "carrier": header.get("carrier") or "",
                "lines": [{"line_no": r.line_no, "sku": r.sku, "qty": r.qty, "lot": r.lot} for _, r in rows]}
        try:
            order = SalesOrderIn.model_validate(body)
        except ValidationError as exc:
            for problem in validation_problem(exc)["errors"]:
                line, column = _line_of(rows, problem["field"])
                batch.errors.append(RowError(line, column, problem["message"]))
            continue
        conn.execute("SAVEPOINT sales_order_row")
        try:
            outcome = save_order(conn, order, source="csv", replace=True)
        except LedgerError as exc:
            conn.execute("ROLLBACK TO sales_order_row")
            line, column = _line_of(rows, exc.field)
            batch.errors.append(RowError(line, column, exc.detail))
            outcome = None
        conn.execute("RELEASE sales_order_row")
        if outcome == "created":
            batch.report.created += len(rows)
        elif outcome is not None:
            batch.report.updated += len(rows)
        batch.progress(len(rows))
    if batch.errors:
        raise batch.fail()
    return batch.report


def job_for(batch):
    return lambda conn: _load(conn, batch)


KIND = Kind("sales_orders", "sales_order", SalesOrderRow, _key, _label, load=job_for)
