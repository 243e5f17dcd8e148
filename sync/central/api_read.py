"""The read API (API-key auth): company-wide stock, movement history,
warehouses with their sync state, transfers."""
from __future__ import annotations

from typing import Literal, Optional

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field, field_validator

from edge.api.errors import ApiProblem
from sync.central.reads import STOCK_DIMENSIONS
from sync.central.spec import endpoint, store

bp = Blueprint("central_read", __name__, url_prefix="/api/v1")
TAGS = ("reports",)
Text = Field(None, min_length=1, max_length=128, pattern=r"^[^\x00]+$")  # no U+0000: PostgreSQL refuses it


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StockQuery(Query):
    by: str = Field(",".join(STOCK_DIMENSIONS), description="Comma-separated dimensions to group by: "
                                                            "warehouse, bin, sku, lot")
    warehouse: Optional[str] = Text
    bin: Optional[str] = Text
    sku: Optional[str] = Text
    lot: Optional[str] = Field(None, max_length=64, pattern=r"^[^\x00]*$")
    limit: int = Field(1000, ge=1, le=10000)
    offset: int = Field(0, ge=0, le=10_000_000)

    @field_validator("by")
    @classmethod
    def _dimensions(cls, value: str):
        dims = [d.strip() for d in value.split(",") if d.strip()]
        unknown = [d for d in dims if d not in STOCK_DIMENSIONS]
        if unknown or not dims:
            raise ValueError(f"group by one or more of {', '.join(STOCK_DIMENSIONS)}")
        return ",".join(dims)


@endpoint(bp, "/stock", query=StockQuery, tags=TAGS)
def stock(query: StockQuery):
    """On-hand stock of the company, from every movement central holds, grouped as asked."""
    filters = {k: getattr(query, k) for k in STOCK_DIMENSIONS}
    rows = store().stock(tuple(query.by.split(",")), limit=query.limit, offset=query.offset, **filters)
    return jsonify({"items": rows})


class MovementQuery(Query):
    warehouse: Optional[str] = Text
    sku: Optional[str] = Text
    bin: Optional[str] = Text
    ref_type: Optional[str] = Text
    ref_id: Optional[str] = Text
    after: Optional[str] = Field(None, max_length=64, pattern=r"^.+:[0-9]+$",
                                 description="The `next` of the previous page (warehouse:seq)")
    limit: int = Field(500, ge=1, le=5000)


@endpoint(bp, "/movements", query=MovementQuery, tags=TAGS)
def movements(query: MovementQuery):
    """Movement history in (warehouse, seq) order, a page at a time: pass `next` back as `after`."""
    after = None
    if query.after:
        wh, _, seq = query.after.rpartition(":")
        if int(seq) > 2 ** 63 - 1:
            raise ApiProblem(422, "query.after: seq is out of range", errors=[
                {"field": "query.after", "message": "seq is out of range"}])
        after = (wh, int(seq))
    return jsonify(store().movements(warehouse=query.warehouse, sku=query.sku, bin=query.bin,
                                     ref_type=query.ref_type, ref_id=query.ref_id, after=after, limit=query.limit))


@endpoint(bp, "/warehouses", tags=TAGS)
def warehouses():
    """Every warehouse with its sync state: cursor, newest movement held, lag behind now, last contact."""
    return jsonify({"items": store().warehouses()})


class TransferQuery(Query):
    status: Optional[Literal["open", "in_transit", "received"]] = None
    warehouse: Optional[str] = Text
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/transfers", query=TransferQuery, tags=TAGS)
def transfers(query: TransferQuery):
    """Transfers between warehouses, oldest first: open, in_transit (shipped or dispatched), received."""
    return jsonify({"items": store().transfers(status=query.status, warehouse=query.warehouse, limit=query.limit)})


@endpoint(bp, "/transfers/<transfer_id>", tags=TAGS)
def transfer(transfer_id: str):
    """One transfer: status, the order central sent and the shipment the source reported."""
    return jsonify(store().transfer(transfer_id))
