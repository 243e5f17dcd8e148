"""REST endpoints of receiving and putaway: documents, receipts, tasks, suggestions.

The floor steps themselves are commands on POST /api/v1/commands
(receipt.open, receipt.line, receipt.pallet, receipt.close, putaway.confirm);
these are the reads a handheld needs to work through a dead zone, and the
supervisor's way to enter purchase orders and ASNs.
"""
from __future__ import annotations

from typing import Literal, Optional

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from edge.api.common import read, write
from edge.api.errors import ApiProblem
from edge.api.spec import SUPERVISORS, endpoint
from edge.workflows import putaway, receiving_docs as docs, receiving_view as view
from edge.workflows.receiving_docs import AsnIn, PurchaseOrderIn
from edge.workflows.receiving_errors import UnknownTask

bp = Blueprint("receiving", __name__, url_prefix="/api/v1")

RECEIVING = frozenset({"receiver", "supervisor", "admin"})
PUTAWAY = frozenset(putaway.PUTAWAY_ROLES)
SQLITE_MAX_INT = 2 ** 63 - 1


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentQuery(Query):
    status: Literal["open", "receiving", "closed", "active", "all"] = Field(
        "active", description="active: open or receiving")
    after: Optional[str] = Field(None, description="paging cursor: next_after of the previous page")
    limit: int = Field(100, ge=1, le=1000)


class PurchaseOrderQuery(DocumentQuery):
    supplier: Optional[str] = None


class AsnQuery(DocumentQuery):
    po_id: Optional[str] = None


def _page(rows: list[dict], limit: int, key: str = "id"):
    return jsonify({"items": rows, "next_after": rows[-1][key] if len(rows) == limit else None})


# -- purchase orders ------------------------------------------------------------------

@endpoint(bp, "/purchase-orders", query=PurchaseOrderQuery, roles=RECEIVING, tags=("receiving",))
def list_purchase_orders(query: PurchaseOrderQuery):
    """Purchase orders by number, with how many lines and eaches each expects (default: not closed)."""
    rows = docs.list_documents(read(), "purchase_order", status=query.status, after=query.after,
                               limit=query.limit, filters={"supplier": query.supplier})
    return _page(rows, query.limit)


@endpoint(bp, "/purchase-orders", method="POST", body=PurchaseOrderIn, roles=SUPERVISORS, status=201,
          tags=("receiving",))
def create_purchase_order(body: PurchaseOrderIn):
    """Create a purchase order with its lines (409 if the number exists or is another label)."""
    user_id = g.user["id"]
    return write(lambda conn: docs.save_purchase_order(conn, body, user_id=user_id), status=201)


@endpoint(bp, "/purchase-orders/<po_id>", method="PUT", body=PurchaseOrderIn, roles=SUPERVISORS,
          tags=("receiving",))
def put_purchase_order(po_id: str, body: PurchaseOrderIn):
    """Create or replace a purchase order; replacing is refused once it has an ASN or a receipt."""
    if po_id != body.id:
        raise ApiProblem(422, f"id in the body ({body.id!r}) differs from the URL ({po_id!r})",
                         errors=[{"field": "id", "message": "must match the URL"}])
    user_id = g.user["id"]
    return write(lambda conn: docs.save_purchase_order(conn, body, user_id=user_id, replace=True))


@endpoint(bp, "/purchase-orders/<po_id>", roles=RECEIVING, tags=("receiving",))
def get_purchase_order(po_id: str):
    """A purchase order: lines with what was received so far, its ASNs and receipts."""
    return jsonify(docs.get_purchase_order(read(), po_id))


@endpoint(bp, "/purchase-orders/<po_id>/close", method="POST", roles=SUPERVISORS, tags=("receiving",))
def close_purchase_order(po_id: str):
    """Close a purchase order (and its ASNs) by hand: nothing more is expected, e.g. the supplier cancelled the
    rest. Refused while one of its receipts is open."""
    return write(lambda conn: docs.close_purchase_order(conn, po_id))


# -- ASNs ----------------------------------------------------------------------------

@endpoint(bp, "/asns", query=AsnQuery, roles=RECEIVING, tags=("receiving",))
def list_asns(query: AsnQuery):
    """Advance shipping notices by number (default: not closed)."""
    rows = docs.list_documents(read(), "asn", status=query.status, after=query.after, limit=query.limit,
                               filters={"po_id": query.po_id})
    return _page(rows, query.limit)


@endpoint(bp, "/asns", method="POST", body=AsnIn, roles=SUPERVISORS, status=201, tags=("receiving",))
def create_asn(body: AsnIn):
    """Create an ASN for a purchase order: loose lines and SSCC-labelled pallets with their lines."""
    user_id = g.user["id"]
    return write(lambda conn: docs.save_asn(conn, body, user_id=user_id), status=201)


@endpoint(bp, "/asns/<asn_id>", roles=RECEIVING, tags=("receiving",))
def get_asn(asn_id: str):
    """An ASN: loose lines, pallets (SSCC, status, lines), what was received, its receipts."""
    return jsonify(docs.get_asn(read(), asn_id))


# -- receipts ------------------------------------------------------------------------

class ReceiptQuery(Query):
    status: Literal["open", "closed", "all"] = "open"
    dock_bin: Optional[str] = None
    po_id: Optional[str] = None
    after: Optional[str] = Field(None, description="paging cursor: next_after of the previous page")
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/receipts", query=ReceiptQuery, roles=RECEIVING, tags=("receiving",))
def list_receipts(query: ReceiptQuery):
    """Receipts (default: open ones), to join a delivery another handheld started."""
    rows = view.list_receipts(read(), status=query.status, dock_bin=query.dock_bin, po_id=query.po_id,
                              after=query.after, limit=query.limit)
    return _page(rows, query.limit)


@endpoint(bp, "/receipts/<receipt_id>", roles=RECEIVING, tags=("receiving",))
def get_receipt(receipt_id: str):
    """A receipt as a handheld needs it offline: per sku what is expected and received, how much more is
    accepted without a supervisor, the acceptable barcodes with pack quantities, the ASN pallets, the
    discrepancy list (frozen once closed), approvals and putaway tasks."""
    return jsonify(view.receipt_view(read(), receipt_id))


# -- putaway -------------------------------------------------------------------------

class TaskQuery(Query):
    status: Literal["open", "done", "all"] = "open"
    zone: Optional[str] = Field(None, description="zone of the suggested bin")
    receipt_id: Optional[str] = None
    done_by: Optional[int] = Field(None, ge=0, le=SQLITE_MAX_INT, description="user id of the driver")
    sku: Optional[str] = None
    after_id: int = Field(0, ge=0, le=SQLITE_MAX_INT,
                          description="paging cursor: next_after_id of the previous page (the last task on it)")
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/putaway/tasks", query=TaskQuery, roles=PUTAWAY, tags=("putaway",))
def list_putaway_tasks(query: TaskQuery):
    """Putaway tasks (default: open) in walk order of their suggested bins, each with the suggestion, its
    reason and the barcodes that identify the goods."""
    rows = putaway.list_tasks(read(), status=query.status, zone=query.zone, receipt_id=query.receipt_id,
                              done_by=query.done_by, sku=query.sku, after_id=query.after_id, limit=query.limit)
    return jsonify({"items": rows, "next_after_id": rows[-1]["id"] if len(rows) == query.limit else None})


@endpoint(bp, "/putaway/tasks/<int:task_id>", roles=PUTAWAY, tags=("putaway",))
def get_putaway_task(task_id: int):
    """One putaway task."""
    if task_id > SQLITE_MAX_INT:
        raise UnknownTask(f"no putaway task {task_id}")
    return jsonify(putaway.get_task(read(), task_id))


class SuggestQuery(Query):
    sku: str = Field(min_length=1, max_length=64)
    lot: Optional[str] = Field(None, max_length=64)
    qty: float = Field(gt=0, le=1_000_000_000)
    from_bin: Optional[str] = Field(None, max_length=64, description="where the goods are now (for 'nearest')")


@endpoint(bp, "/putaway/suggest", query=SuggestQuery, roles=PUTAWAY, tags=("putaway",))
def suggest_putaway(query: SuggestQuery):
    """Where to put qty of sku (lot): bins with the rule and reason for each, split where no bin holds it all."""
    return jsonify(putaway.suggestion(read(), query.sku, query.lot, query.qty, query.from_bin))
