"""Reads of stock, movement history and exceptions."""
from __future__ import annotations

from typing import Literal, Optional

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from edge.api.common import edge, read, write
from edge.api.spec import SUPERVISORS, endpoint
from edge.ledger import utcnow
from edge.ledger.post import movement_row
from edge.masterdata import NotFound
from edge.models import StockOut
from edge.problems import problem

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
    after_id: int = Field(0, ge=0, le=SQLITE_MAX_INT)
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/exceptions", query=ExceptionQuery, roles=SUPERVISORS, tags=("exceptions",))
def exceptions(query: ExceptionQuery):
    """The supervisor's queue: negative stock after offline replays, serial conflicts, ..."""
    sql = "SELECT * FROM exception WHERE id > ?"
    params: list = [query.after_id]
    if query.status != "all":
        sql += " AND status = ?"
        params.append(query.status)
    rows = [dict(r) for r in read().execute(sql + " ORDER BY id LIMIT ?", params + [query.limit])]
    for r in rows:
        r["lot"] = r["lot"] or None
    return jsonify({"items": rows, "next_after_id": rows[-1]["id"] if len(rows) == query.limit else None})


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    resolution: str = Field(min_length=1, max_length=500, description="What the supervisor did and why")


@endpoint(bp, "/exceptions/<int:exc_id>/resolve", method="POST", body=ResolveIn, roles=SUPERVISORS,
          tags=("exceptions",))
def resolve_exception(exc_id: int, body: ResolveIn):
    """Close an exception with a recorded resolution."""
    user = g.user
    if exc_id > SQLITE_MAX_INT:
        raise NotFound(f"no exception {exc_id}")

    def job(conn):
        row = conn.execute("SELECT status FROM exception WHERE id = ?", (exc_id,)).fetchone()
        if row is None:
            raise NotFound(f"no exception {exc_id}")
        if row["status"] == "resolved":
            from edge.api.errors import ApiProblem
            raise ApiProblem.from_dict(problem(409, f"exception {exc_id} is already resolved"))
        conn.execute("UPDATE exception SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ? "
                     "WHERE id = ?", (utcnow(), user["id"], body.resolution, exc_id))
        return dict(conn.execute("SELECT * FROM exception WHERE id = ?", (exc_id,)).fetchone())

    return write(job)


@endpoint(bp, "/count-requests", roles=SUPERVISORS | {"counter"}, tags=("exceptions",))
def count_requests():
    """Bins somebody should count because the records and the floor disagreed."""
    rows = read().execute("SELECT * FROM count_request WHERE status = 'open' ORDER BY id LIMIT 1000").fetchall()
    return jsonify({"items": [dict(r) for r in rows]})
