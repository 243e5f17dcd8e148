"""Reads of stock, movement history and exceptions."""
from __future__ import annotations

from typing import Literal, Optional

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from edge.api.common import read, write
from edge.api.spec import SUPERVISORS, endpoint
from edge.ledger.post import movement_row
from edge.masterdata import NotFound
from edge.models import StockOut

bp = Blueprint("stock", __name__, url_prefix="/api/v1")


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


SQLITE_MAX_INT = 2 ** 63 - 1  # a larger id cannot exist, and sqlite3 raises OverflowError on it


class StockQuery(Query):
    bin: Optional[str] = None
    sku: Optional[str] = None
    lot: Optional[str] = None
    zone: Optional[str] = None
    limit: int = Field(1000, ge=1, le=10000)


@endpoint(bp, "/stock", query=StockQuery, response=StockOut, tags=("stock",))
def stock(query: StockQuery):
    """On-hand and reserved quantity by bin, item and lot. Filter by any of bin, sku, lot, zone."""
    where, params = [], []
    for col in ("bin", "sku", "lot"):
        value = getattr(query, col)
        if value is not None:
            where.append(f"s.{col} = ?")
            params.append(value)
    if query.zone is not None:
        where.append("b.zone = ?")
        params.append(query.zone)
    sql = ("SELECT s.bin, s.sku, s.lot, s.qty, s.reserved, l.expiry FROM stock s "
           "JOIN bin b ON b.code = s.bin LEFT JOIN lot l ON l.sku = s.sku AND l.lot = s.lot AND s.lot <> ''")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY b.walk_seq, s.bin, s.sku, s.lot LIMIT ?"
    params.append(query.limit)
    items = []
    for r in read().execute(sql, params):
        row = dict(r)
        row["lot"] = row["lot"] or None
        if row["expiry"] is None:
            del row["expiry"]
        items.append(row)
    return jsonify({"items": items})


class MovementQuery(Query):
    sku: Optional[str] = None
    bin: Optional[str] = Field(None, description="movements into or out of this bin")
    lot: Optional[str] = None
    kind: Optional[str] = None
    user_id: Optional[int] = Field(None, ge=0, le=SQLITE_MAX_INT)
    since: Optional[str] = Field(None, description="recorded_at >= this ISO timestamp")
    after_seq: int = Field(0, ge=0, le=SQLITE_MAX_INT,
                           description="paging cursor: pass next_after_seq of the previous page")
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/movements", query=MovementQuery, tags=("stock",))
def movements(query: MovementQuery):
    """Movement history in ledger order, with filters and keyset paging."""
    where, params = ["seq > ?"], [query.after_seq]
    for col in ("sku", "lot", "kind", "user_id"):
        value = getattr(query, col)
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    if query.bin is not None:
        where.append("(from_bin = ? OR to_bin = ?)")
        params += [query.bin, query.bin]
    if query.since is not None:
        where.append("recorded_at >= ?")
        params.append(query.since)
    rows = read().execute(f"SELECT * FROM movement WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?",
                          params + [query.limit]).fetchall()
    items = [movement_row(r) for r in rows]
    next_after = items[-1]["seq"] if len(items) == query.limit else None
    return jsonify({"items": items, "next_after_seq": next_after})


class ExceptionQuery(Query):
    status: Literal["open", "resolved", "all"] = "open"
    kind: Optional[str] = Field(None, max_length=64, description="e.g. negative_stock, short_pick, over_receipt")
    zone: Optional[str] = Field(None, max_length=32, description="zone of the bin concerned")
    bin: Optional[str] = Field(None, max_length=64)
    sku: Optional[str] = Field(None, max_length=64)
    ref_type: Optional[str] = Field(None, max_length=32, description="the document: po, order, count, transfer ...")
    ref_id: Optional[str] = Field(None, max_length=64)
    after_id: int = Field(0, ge=0, le=SQLITE_MAX_INT)
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/exceptions", query=ExceptionQuery, roles=SUPERVISORS, tags=("exceptions",))
def exceptions(query: ExceptionQuery):
    """The supervisor's queue: every exception with who, where (bin, zone), when, the figures, and the actions
    that resolve it. Filter by status, kind, zone, bin, sku or document."""
    from edge.workflows import exceptions as queue
    rows = queue.list_exceptions(read(), **query.model_dump())
    return jsonify({"items": rows, "next_after_id": rows[-1]["id"] if len(rows) == query.limit else None})


@endpoint(bp, "/exceptions/kinds", roles=SUPERVISORS, tags=("exceptions",))
def exception_kinds():
    """Every kind of exception the workflows raise, and the actions each can be resolved with."""
    from edge.workflows import exceptions as queue
    return jsonify({"items": [
        {"kind": k.name, "title": k.title,
         "actions": [{"name": a.name, "summary": a.summary, "params": list(a.params)} for a in queue.actions_for(k.name)]}
        for k in sorted(queue.KINDS.values(), key=lambda k: k.name)]})


@endpoint(bp, "/exceptions/<int:exc_id>", roles=SUPERVISORS, tags=("exceptions",))
def get_exception(exc_id: int):
    """One exception as the queue shows it."""
    from edge.workflows import exceptions as queue
    if exc_id > SQLITE_MAX_INT:
        raise NotFound(f"no exception {exc_id}")
    return jsonify(queue.get(read(), exc_id))


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    resolution: str = Field(min_length=1, max_length=500, description="What the supervisor did and why")
    action: str = Field("close", min_length=1, max_length=32,
                        description="One of the exception's actions (GET shows them); close changes nothing else")
    params: dict = Field(default_factory=dict, description="What the action needs, e.g. {expiry: '2027-01-31'}")


@endpoint(bp, "/exceptions/<int:exc_id>/resolve", method="POST", body=ResolveIn, roles=SUPERVISORS,
          tags=("exceptions",))
def resolve_exception(exc_id: int, body: ResolveIn):
    """Resolve an exception with one of its actions; the action, who and why are recorded."""
    from edge import realtime
    from edge.workflows import exceptions as queue
    user = g.user
    if exc_id > SQLITE_MAX_INT:
        raise NotFound(f"no exception {exc_id}")
    posts: list = []

    def job(conn):
        row, posted = queue.resolve(conn, exc_id, user=user, action_name=body.action, resolution=body.resolution,
                                    params=body.params)
        posts.extend(posted)
        return row

    response = write(job)
    realtime.publish(posts)
    return response


@endpoint(bp, "/count-requests", roles=SUPERVISORS | {"counter"}, tags=("exceptions",))
def count_requests():
    """Bins somebody should count because the records and the floor disagreed."""
    rows = read().execute("SELECT * FROM count_request WHERE status = 'open' ORDER BY id LIMIT 1000").fetchall()
    return jsonify({"items": [dict(r) for r in rows]})
