"""The foundation's command types: receive (blind), move, adjust."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Literal, Optional

from pydantic import Field, field_validator

from edge.commands.registry import register
from edge.ledger import Movement, post_movements
from edge.models import Strict

ALL_FLOOR = {"picker", "receiver", "counter", "supervisor", "admin"}
ADJUST_REASONS = ("damaged", "found", "lost", "expired", "scrap", "count", "correction", "theft", "other")

Sku = Field(min_length=1, max_length=64)
BinCode = Field(min_length=1, max_length=64)
Qty = Field(gt=0, le=1_000_000_000)


class ReceivePayload(Strict):
    sku: str = Sku
    qty: float = Qty
    to_bin: str = BinCode
    lot: Optional[str] = Field(None, max_length=64)
    expiry: Optional[date] = None
    serial: Optional[str] = Field(None, max_length=64)
    ref_type: Optional[str] = Field(None, max_length=32, description="e.g. 'delivery-note'")
    ref_id: Optional[str] = Field(None, max_length=64)


class MovePayload(Strict):
    sku: str = Sku
    qty: float = Qty
    from_bin: str = BinCode
    to_bin: str = BinCode
    lot: Optional[str] = Field(None, max_length=64)
    serial: Optional[str] = Field(None, max_length=64)

    @field_validator("to_bin")
    @classmethod
    def _different(cls, value, info):
        if value == info.data.get("from_bin"):
            raise ValueError("to_bin must differ from from_bin")
        return value


class AdjustPayload(Strict):
    sku: str = Sku
    bin: str = BinCode
    lot: Optional[str] = Field(None, max_length=64)
    serial: Optional[str] = Field(None, max_length=64)
    expiry: Optional[date] = None
    delta: float = Field(description="Positive adds stock found, negative removes stock lost")
    reason: Literal[ADJUST_REASONS] = Field(description="Reason code")  # type: ignore[valid-type]
    note: Optional[str] = Field(None, max_length=500)

    @field_validator("delta")
    @classmethod
    def _nonzero(cls, value):
        if value == 0:
            raise ValueError("delta must not be zero")
        if abs(value) > 1_000_000_000:
            raise ValueError("delta is too large")
        return value


def movement_id(command_id: str, n: int) -> str:
    """The first movement of a command carries the command's own id (minted on
    the device); further ones derive from it deterministically, so a replay
    produces the very same ids."""
    return command_id if n == 0 else str(uuid.uuid5(uuid.UUID(command_id), str(n)))


def _base(ctx, n=0) -> dict:
    return dict(id=movement_id(ctx.command_id, n), user_id=ctx.user_id, device_id=ctx.device_id,
                command_id=ctx.command_id, scanned_at=ctx.at)


@register("receive", ReceivePayload, {"receiver", "supervisor", "admin"},
          "Blind receipt: goods arrive without a purchase order into a bin (usually the dock)")
def receive(conn, ctx, p: ReceivePayload):
    mv = Movement(kind="receive", sku=p.sku, qty=p.qty, to_bin=p.to_bin, lot=p.lot, serial=p.serial,
                  expiry=p.expiry.isoformat() if p.expiry else None,
                  ref_type=p.ref_type or "blind", ref_id=p.ref_id, **_base(ctx))
    return post_movements(conn, [mv], replay=ctx.replay)


@register("move", MovePayload, ALL_FLOOR, "Move stock from one bin to another")
def move(conn, ctx, p: MovePayload):
    mv = Movement(kind="move", sku=p.sku, qty=p.qty, from_bin=p.from_bin, to_bin=p.to_bin, lot=p.lot,
                  serial=p.serial, **_base(ctx))
    return post_movements(conn, [mv], replay=ctx.replay)


@register("adjust", AdjustPayload, {"counter", "supervisor", "admin"},
          "Correct the stock of a bin up or down, with a reason code")
def adjust(conn, ctx, p: AdjustPayload):
    sides = {"to_bin": p.bin} if p.delta > 0 else {"from_bin": p.bin}
    mv = Movement(kind="adjust", sku=p.sku, qty=abs(p.delta), lot=p.lot, serial=p.serial,
                  expiry=p.expiry.isoformat() if p.expiry else None, reason=p.reason,
                  **sides, **_base(ctx))  # the note stays in the command record
    return post_movements(conn, [mv], replay=ctx.replay)
