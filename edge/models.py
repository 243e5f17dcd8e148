"""Pydantic models for master data and API bodies.

The same models validate HTTP bodies and CSV rows and produce the OpenAPI
document, so an error reads the same wherever the bad value came from.
"""
from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from edge.migrations import BIN_KINDS, ROLES, TRACKING

BinKind = Literal[BIN_KINDS]  # type: ignore[valid-type]
Role = Literal[ROLES]  # type: ignore[valid-type]
Tracking = Literal[TRACKING]  # type: ignore[valid-type]

Code = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$")


class Strict(BaseModel):
    # No inf/NaN: 1e999 parses as inf, and inf would be stored and sent back as non-JSON "Infinity".
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class BinIn(Strict):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$",
                      description="Printed on the bin label", examples=["A-01-01-1"])
    zone: str = Field("", max_length=32)
    aisle: str = Field("", max_length=32)
    walk_seq: int = Field(0, ge=0, le=2 ** 63 - 1,
                          description="Pick-path order: pickers visit bins in ascending walk_seq")
    kind: BinKind = "storage"
    capacity: Optional[float] = Field(None, gt=0)
    active: bool = True


class ItemIn(Strict):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$", examples=["SKU-000123"])
    description: str = Field("", max_length=200)
    uom: str = Field("ea", min_length=1, max_length=8, description="Unit of measure; kg, l, m ... allow decimals")
    tracking: Tracking = "none"
    perishable: bool = False
    abc_class: Optional[Literal["A", "B", "C"]] = None
    unit_cost: float = Field(0, ge=0)
    reorder_point: Optional[float] = Field(None, ge=0)
    reorder_qty: Optional[float] = Field(None, ge=0)
    preferred_zone: Optional[str] = Field(None, max_length=32)
    active: bool = True

    @field_validator("perishable")
    @classmethod
    def _perishable_needs_lots(cls, value, info):
        if value and info.data.get("tracking") == "none":
            raise ValueError("a perishable item needs lot or serial tracking to carry expiry dates")
        return value


class BarcodeIn(Strict):
    code: str = Field(min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f]+$", examples=["05012345678900"])
    sku: str = Field(min_length=1, max_length=64)
    pack_qty: float = Field(1, gt=0, description="Eaches per scan: a case GTIN of 12 adds 12")


class UserIn(Strict):
    name: str = Field(min_length=1, max_length=64)
    role: Role
    pin: Optional[str] = Field(None, pattern=r"^[0-9]{4,12}$", description="4 to 12 digits")
    badge: Optional[str] = Field(None, min_length=4, max_length=128)


class UserOut(BaseModel):
    id: int
    name: str
    role: Role


class SessionIn(Strict):
    pin: Optional[str] = Field(None, min_length=1, max_length=64)
    badge: Optional[str] = Field(None, min_length=1, max_length=128)
    device_id: Optional[str] = Field(None, max_length=64, description="Stable id of the handheld, if it has one")


class SessionOut(BaseModel):
    token: str
    user: UserOut
    expires_at: str


class ScanIn(BaseModel):
    # No whitespace stripping: "raw" must come back exactly as scanned.
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=4096)
    symbology: Optional[str] = Field(None, max_length=32)


class StockRow(BaseModel):
    bin: str
    sku: str
    lot: Optional[str]
    qty: float
    reserved: float


class StockOut(BaseModel):
    items: list[StockRow]


class StockRowExtended(StockRow):
    expiry: Optional[date] = None
