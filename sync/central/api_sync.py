"""The sync endpoints edges call with their warehouse token (docs/sync.md)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify
from pydantic import ValidationError

from edge.api.errors import ApiProblem
from edge.problems import validation_problem
from edge.workflows.receiving_docs import PurchaseOrderIn
from edge.workflows.transfers import InboundTransferIn
from sync.central.errors import WrongWarehouse
from sync.central.models import (
    ChangesOut, ChangesQuery, CursorOut, DocumentBatch, DocumentsOut, IngestOut, MovementBatch,
)
from sync.central.spec import endpoint, store

bp = Blueprint("central_sync", __name__, url_prefix="/api/v1/sync")
TAGS = ("sync",)
SYNC_ERRORS = {403: "the token's warehouse is not the one the body names; nothing applied"}


def _same_warehouse(named: str, field: str) -> None:
    if named != g.warehouse:
        raise WrongWarehouse(f"this token belongs to {g.warehouse}; the body names {named}", field=field)


@endpoint(bp, "/cursor", auth="warehouse", response=CursorOut, tags=TAGS)
def cursor():
    """The highest seq N such that central holds every seq 1..N of the caller's warehouse."""
    return jsonify({"warehouse": g.warehouse, "cursor": store().cursor(g.warehouse)})


@endpoint(bp, "/movements", method="POST", auth="warehouse", body=MovementBatch, response=IngestOut, tags=TAGS,
          extra_responses={**SYNC_ERRORS, 409: "gap (the problem's `cursor` says where to resume) or conflict",
                           413: "over 32 MiB after decompression"})
def movements(body: MovementBatch):
    """Upload a batch of ledger rows in seq order (gzip welcome); all or nothing.

    Overlap with what central holds is skipped; the answer's cursor is where the next batch starts after."""
    _same_warehouse(body.warehouse, "warehouse")
    for i, m in enumerate(body.movements):
        _same_warehouse(m.warehouse, f"movements[{i}].warehouse")
    if b"\\u0000" in g.body_bytes:  # JSON spells NUL only this way; rare, so look closer only then
        _refuse_nul(body)
    result = store().ingest(g.warehouse, [m.__dict__ for m in body.movements])
    g.contact_recorded = True
    return jsonify(result)


def _refuse_nul(body: MovementBatch) -> None:
    # PostgreSQL text cannot hold U+0000 and SQLite can: refuse it on both, so they stay one contract.
    for i, m in enumerate(body.movements):
        for name, value in m.__dict__.items():
            if isinstance(value, str) and "\x00" in value:
                raise ApiProblem(422, f"movements[{i}].{name}: contains U+0000", title="Invalid input",
                                 slug="validation", errors=[{"field": f"movements[{i}].{name}",
                                                             "message": "contains U+0000"}])


@endpoint(bp, "/changes", auth="warehouse", query=ChangesQuery, response=ChangesOut, tags=TAGS)
def changes(query: ChangesQuery):
    """Master data and documents for the caller after its change cursor, oldest first.

    Items and barcodes go to every warehouse, bins and documents to theirs; only the newest version of a key."""
    return jsonify(store().changes(g.warehouse, query.after, query.limit))


def _document_data(i: int, doc, errors: list) -> dict | None:
    model = InboundTransferIn if doc.kind == "transfer" else PurchaseOrderIn
    try:
        data = model.model_validate(doc.data)
    except ValidationError as exc:
        errors += validation_problem(exc, prefix=f"documents[{i}].data")["errors"]
        return None
    if data.id != doc.key:
        errors.append({"field": f"documents[{i}].key", "message": f"the key must be the document's id {data.id!r}"})
        return None
    if doc.kind == "transfer":
        _same_warehouse(data.from_site, f"documents[{i}].data.from_site")
        if data.to_site == data.from_site:
            errors.append({"field": f"documents[{i}].data.to_site", "message": "a transfer goes to another site"})
    return data.model_dump(mode="json")


@endpoint(bp, "/documents", method="POST", auth="warehouse", body=DocumentBatch, response=DocumentsOut, tags=TAGS,
          extra_responses=SYNC_ERRORS)
def documents(body: DocumentBatch):
    """Documents the edge created: dispatched transfers and approved purchase orders; all or nothing.

    Idempotent by id: a document held already comes back under `duplicates`."""
    _same_warehouse(body.warehouse, "warehouse")
    errors: list = []
    docs = []
    for i, doc in enumerate(body.documents):
        data = _document_data(i, doc, errors)
        docs.append({"kind": doc.kind, "key": doc.key, "data": data})
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise ApiProblem(422, detail, title="Invalid input", slug="validation", errors=errors)
    result = store().record_documents(g.warehouse, docs)
    g.contact_recorded = True
    return jsonify(result)
