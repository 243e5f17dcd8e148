"""Pydantic models of central's request bodies and answers. Document shapes
are the edge's own input models, imported, so the two sides cannot drift."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.models import BarcodeIn, BinIn, ItemIn, Strict  # noqa: F401  (re-exported for the ERP API)
from edge.workflows.picking_orders import SalesOrderIn
from edge.workflows.receiving_docs import PurchaseOrderIn
from edge.workflows.transfers import SITE_PATTERN, TransferLineIn

Warehouse = Field(min_length=1, max_length=32, pattern=SITE_PATTERN, description="The warehouse code (edge site id)",
                  examples=["WH1"])


class Exact(BaseModel):
    # No whitespace stripping: a movement must come back byte for byte, or a retry would look like a conflict.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class MovementIn(Exact):
    """One row of the edge's movement table plus its warehouse."""

    seq: int = Field(ge=1, le=2 ** 63 - 1)
    id: str = Field(min_length=1, max_length=64)
    kind: str = Field(min_length=1, max_length=32)
    sku: str = Field(min_length=1, max_length=64)
    lot: str = Field("", max_length=64)
    serial: Optional[str] = Field(None, max_length=128)
    qty: float = Field(gt=0, le=1e15)
    from_bin: Optional[str] = Field(None, max_length=64)
    to_bin: Optional[str] = Field(None, max_length=64)
    ref_type: Optional[str] = Field(None, max_length=64)
    ref_id: Optional[str] = Field(None, max_length=128)
    reason: Optional[str] = Field(None, max_length=2000)
    user_id: Optional[int] = Field(None, ge=-2 ** 63, le=2 ** 63 - 1)
    device_id: Optional[str] = Field(None, max_length=128)
    command_id: Optional[str] = Field(None, max_length=128)
    replayed: int = Field(0, ge=0, le=1)
    scanned_at: Optional[str] = Field(None, max_length=40)
    recorded_at: str = Field(min_length=1, max_length=40)
    warehouse: str = Field(min_length=1, max_length=32)

    @model_validator(mode="after")
    def _somewhere(self):
        if self.from_bin is None and self.to_bin is None:
            raise ValueError("a movement has a from_bin, a to_bin or both")
        return self


class MovementBatch(Exact):
    warehouse: str = Warehouse
    movements: list[MovementIn] = Field(max_length=200_000, description="Contiguous seqs, oldest first")


class IngestOut(BaseModel):
    warehouse: str
    cursor: int = Field(description="Central holds every seq 1..cursor of this warehouse")
    inserted: int
    duplicates: int = Field(description="Rows central held already (a retry's overlap), skipped")


class CursorOut(BaseModel):
    warehouse: str
    cursor: int


class ChangesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after: int = Field(0, ge=0, le=2 ** 63 - 1, description="The cursor of the last change applied")
    limit: int = Field(500, ge=1, le=5000)


class Change(BaseModel):
    cursor: int
    kind: Literal["item", "barcode", "bin", "purchase_order", "sales_order", "transfer", "transfer_order",
                  "transfer_receipt"]
    key: str
    op: Literal["upsert", "delete"]
    data: dict


class ChangesOut(BaseModel):
    changes: list[Change]
    cursor: int
    more: bool


class DocumentIn(Strict):
    kind: Literal["transfer", "purchase_order"]
    key: str = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$")
    data: dict = Field(description="transfer: GET /api/v1/transfers/{id} of the sending edge; "
                                   "purchase_order: PurchaseOrderIn")


class DocumentBatch(Strict):
    warehouse: str = Warehouse
    documents: list[DocumentIn] = Field(max_length=10_000)


class DocumentsOut(BaseModel):
    accepted: list[str]
    duplicates: list[str]


# -- ERP API ---------------------------------------------------------------------

class CentralPurchaseOrderIn(PurchaseOrderIn):
    """A purchase order (the edge's PurchaseOrderIn) for one warehouse."""

    warehouse: str = Warehouse


class CentralSalesOrderIn(SalesOrderIn):
    """A sales order (the edge's SalesOrderIn) for one warehouse."""

    warehouse: str = Warehouse


class CentralTransferIn(Strict):
    """A transfer between two warehouses; the source receives it as a transfer_order."""

    id: Optional[str] = Field(None, min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$",
                              description="Default <from>-CT-<number>")
    from_warehouse: str = Warehouse
    to_warehouse: str = Warehouse
    note: Optional[str] = Field(None, max_length=500)
    lines: list[TransferLineIn] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _two_sites(self):
        if self.from_warehouse == self.to_warehouse:
            raise ValueError("a transfer goes from one warehouse to another")
        return self


class SavedOut(BaseModel):
    kind: str
    key: str
    cursor: int = Field(description="Position of this version in the change feed")
    created: bool
    data: dict
