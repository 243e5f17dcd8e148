"""Replenishment parameters per item at this site. No Flask.

A NULL parameter means the site default below. The item master keeps what it
already had (unit_cost, reorder_point, reorder_qty); here live lead time,
service level, ordering and holding cost, min/max overrides, supplier, pack.
"""
from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from edge.ledger import UnknownItem, utcnow
from edge.models import Strict

DEFAULTS = {
    "lead_time_days": 7.0,      # supplier lead time
    "lead_time_sd_days": 0.0,   # its variability (0: fixed lead time)
    "service_level": 0.95,      # cycle service level: chance of no stock-out per cycle
    "ordering_cost": 50.0,      # cost of one purchase order (S in EOQ)
    "holding_cost_rate": 0.25,  # yearly holding cost as a share of unit cost (H = rate x cost)
}
COLUMNS = ("supplier", "lead_time_days", "lead_time_sd_days", "service_level", "ordering_cost",
           "holding_cost_rate", "min_qty", "max_qty", "pack_qty")


class ParamsIn(Strict):
    supplier: Optional[str] = Field(None, max_length=200)
    lead_time_days: Optional[float] = Field(None, ge=0, le=365, description="Supplier lead time in days")
    lead_time_sd_days: Optional[float] = Field(None, ge=0, le=365,
                                               description="Standard deviation of the lead time in days")
    service_level: Optional[float] = Field(None, gt=0.5, lt=1,
                                           description="Cycle service level, e.g. 0.95 (z from NormalDist)")
    ordering_cost: Optional[float] = Field(None, ge=0, le=1e9, description="Cost of placing one order")
    holding_cost_rate: Optional[float] = Field(None, gt=0, le=10,
                                               description="Yearly holding cost as a share of unit cost")
    min_qty: Optional[float] = Field(None, ge=0, le=1e9, description="Overrides the computed reorder point")
    max_qty: Optional[float] = Field(None, ge=0, le=1e9, description="Overrides the computed order-up-to level")
    pack_qty: Optional[float] = Field(None, gt=0, le=1e9, description="Order in multiples of this")

    @model_validator(mode="after")
    def _min_below_max(self):
        if self.min_qty is not None and self.max_qty is not None and self.max_qty < self.min_qty:
            raise ValueError("max_qty must not be below min_qty")
        return self


def get(conn, sku: str) -> dict:
    """The stored parameters of an item (None where unset) and the effective values."""
    item = conn.execute("SELECT sku, unit_cost, reorder_point, reorder_qty FROM item WHERE sku = ?",
                        (sku,)).fetchone()
    if item is None:
        raise UnknownItem(f"no item with sku {sku!r}", field="sku")
    row = conn.execute("SELECT * FROM replenishment_param WHERE sku = ?", (sku,)).fetchone()
    stored = {c: (row[c] if row else None) for c in COLUMNS}
    return {"sku": sku, "unit_cost": item["unit_cost"], "item_reorder_point": item["reorder_point"],
            "item_reorder_qty": item["reorder_qty"], "stored": stored, "effective": effective(stored)}


def effective(stored: dict) -> dict:
    return {c: (stored.get(c) if stored.get(c) is not None else DEFAULTS.get(c)) for c in COLUMNS}


def put(conn, sku: str, body: ParamsIn, user_id: int | None) -> dict:
    if conn.execute("SELECT 1 FROM item WHERE sku = ?", (sku,)).fetchone() is None:
        raise UnknownItem(f"no item with sku {sku!r}", field="sku")
    values = [getattr(body, c) for c in COLUMNS]
    cols = ", ".join(COLUMNS)
    conn.execute(f"INSERT INTO replenishment_param (sku, {cols}, updated_at, updated_by) "
                 f"VALUES (?, {', '.join('?' * len(COLUMNS))}, ?, ?) ON CONFLICT (sku) DO UPDATE SET "
                 + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS)
                 + ", updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                 [sku, *values, utcnow(), user_id])
    return get(conn, sku)


def all_effective(conn) -> dict[str, dict]:
    """sku -> effective parameters, for every item that has a stored row."""
    return {r["sku"]: effective(dict(r)) for r in conn.execute("SELECT * FROM replenishment_param")}
