"""Whole-tote and pallet moves, and scrap with reason codes (issue 3). No Flask.

A bin-to-bin move of one item is the foundation's ``move``. A tote (or a
pallet standing on a location) is a bin in our schema, and bins are places;
so moving a tote is moving *its contents*: ``tote.move`` takes everything in
one bin to another in one step, one movement per (sku, lot, serial).
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator

from edge.commands.registry import register
from edge.commands.stock_commands import ALL_FLOOR, BinCode, Qty, Sku, movement_id
from edge.ledger import LedgerError, Movement, PostResult, UnknownBin, post_movements
from edge.models import Strict
from edge.workflows import exceptions

STOCK_KEEPERS = {"counter", "supervisor", "admin"}
SCRAP_REASONS = ("damaged", "expired", "contaminated", "defective", "obsolete", "recalled", "other")
MAX_LINES = 500

exceptions.kind("picked_goods_moved", "A tote of picked goods was moved without the order knowing")


class EmptyBin(LedgerError):
    """There is nothing in the bin to move."""

    status, title, type_slug = 409, "Nothing to move", "empty-bin"


class PickedGoods(LedgerError):
    """The tote holds picked goods of an order: the order must know where they go."""

    status, title, type_slug = 409, "Picked goods of an order", "picked-goods"


class WrongBinKind(LedgerError):
    """The bin exists but is not the kind of bin this step needs."""

    status, title, type_slug = 422, "Wrong kind of bin", "wrong-bin-kind"


class NotAllowed(LedgerError):
    """The signed-in role may not take this decision."""

    status, title, type_slug = 403, "Not allowed", "forbidden"


def stamp(ctx, n: int = 0) -> dict:
    """Who, where and when of the n-th movement of a command (ids replay identically)."""
    return dict(id=movement_id(ctx.command_id, n), user_id=ctx.user_id, device_id=ctx.device_id,
                command_id=ctx.command_id, scanned_at=ctx.at)


def bin_of_kind(conn, code: str, kinds: tuple[str, ...], field: str, purpose: str) -> dict:
    """The bin ``code`` if it is one of ``kinds``; else a refusal naming bins that are."""
    row = conn.execute("SELECT code, kind FROM bin WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise UnknownBin(f"no bin with code {code!r}", field=field)
    if row["kind"] not in kinds:
        marks = ",".join("?" * len(kinds))
        some = [r["code"] for r in conn.execute(
            f"SELECT code FROM bin WHERE kind IN ({marks}) AND active = 1 ORDER BY code LIMIT 3", kinds)]
        hint = f" (for example {', '.join(some)})" if some else ""
        raise WrongBinKind(f"bin {code} is a {row['kind']} bin; {purpose} go into a {' or '.join(kinds)} "
                           f"bin{hint}", field=field)
    return dict(row)


# -- tote / pallet move ------------------------------------------------------------

class ToteLine(Strict):
    sku: str = Sku
    qty: float = Qty
    lot: Optional[str] = Field(None, max_length=64)
    serial: Optional[str] = Field(None, max_length=64)


class ToteMovePayload(Strict):
    from_bin: str = Field(min_length=1, max_length=64, description="The tote, cart or pallet location scanned")
    to_bin: str = BinCode
    lines: Optional[list[ToteLine]] = Field(
        None, max_length=MAX_LINES,
        description="What the device saw in the tote. Leave out online to move everything there now; "
                    "a replay from an offline device must list it")

    @field_validator("to_bin")
    @classmethod
    def _different(cls, value, info):
        if value == info.data.get("from_bin"):
            raise ValueError("to_bin must differ from from_bin")
        return value


def contents(conn, bin_code: str) -> list[dict]:
    """Everything in a bin, one line per (sku, lot, serial), as a tote move takes it."""
    lines = []
    serials: dict[tuple, list[str]] = {}
    for r in conn.execute("SELECT sku, lot, serial FROM serial WHERE bin = ? ORDER BY sku, serial", (bin_code,)):
        serials.setdefault((r["sku"], r["lot"]), []).append(r["serial"])
    for r in conn.execute("SELECT sku, lot, qty FROM stock WHERE bin = ? AND qty > 0 ORDER BY sku, lot", (bin_code,)):
        tracked = serials.get((r["sku"], r["lot"]))
        if tracked:
            lines += [{"sku": r["sku"], "lot": r["lot"] or None, "serial": s, "qty": 1.0} for s in tracked]
        else:
            lines.append({"sku": r["sku"], "lot": r["lot"] or None, "serial": None, "qty": r["qty"]})
    return lines


@register("tote.move", ToteMovePayload, ALL_FLOOR,
          "Move a whole tote, cart or pallet: everything in one bin to another, one movement per line")
def tote_move(conn, ctx, p: ToteMovePayload) -> PostResult:
    if p.lines is None:
        if ctx.replay:
            raise LedgerError("a replayed tote move must list the lines that were moved (what the device saw), "
                              "not 'everything in the tote now'", field="lines")
        lines = contents(conn, p.from_bin)
        if not lines:
            raise EmptyBin(f"bin {p.from_bin} is empty; nothing to move", field="from_bin")
    else:
        if not p.lines:
            raise EmptyBin("the tote move lists no lines", field="lines")
        lines = [line.model_dump() for line in p.lines]
    orders = [r["order_id"] for r in conn.execute(
        "SELECT DISTINCT order_id FROM picked_stock WHERE bin = ? ORDER BY order_id LIMIT 3", (p.from_bin,))]
    picked = PickedGoods(f"bin {p.from_bin} holds picked goods of order {', '.join(orders)}; sort them with pick.sort "
                         "or ship the order, so the order knows where its goods are", field="from_bin")
    if orders and not ctx.replay:
        raise picked
    movements = [Movement(kind="move", sku=line["sku"], qty=line["qty"], lot=line["lot"], serial=line["serial"],
                          from_bin=p.from_bin, to_bin=p.to_bin, ref_type="tote", ref_id=p.from_bin,
                          reason="tote move", **stamp(ctx, n))
                 for n, line in enumerate(lines)]
    posted = post_movements(conn, movements, replay=ctx.replay)
    if orders:
        exceptions.raise_(conn, "picked_goods_moved", f"{picked.detail} (replayed from an offline device: moved to "
                          f"{p.to_bin})", bin=p.from_bin, ref_type="sales_order", ref_id=orders[0],
                          data={"orders": orders, "to_bin": p.to_bin}, user_id=ctx.user_id, device_id=ctx.device_id,
                          command_id=ctx.command_id, movement_id=movements[0].id, post=posted)
    return posted


# -- scrap ---------------------------------------------------------------------

class ScrapPayload(Strict):
    sku: str = Sku
    qty: float = Qty
    bin: str = BinCode
    lot: Optional[str] = Field(None, max_length=64)
    serial: Optional[str] = Field(None, max_length=64)
    reason: Literal[SCRAP_REASONS] = Field(description="Reason code")  # type: ignore[valid-type]
    note: Optional[str] = Field(None, max_length=500, description="Kept in the command record")


@register("scrap", ScrapPayload, STOCK_KEEPERS,
          "Scrap stock: out of the building from a bin, with a reason code")
def scrap(conn, ctx, p: ScrapPayload) -> PostResult:
    mv = Movement(kind="scrap", sku=p.sku, qty=p.qty, from_bin=p.bin, lot=p.lot, serial=p.serial,
                  reason=p.reason, ref_type="scrap", **stamp(ctx))
    return post_movements(conn, [mv], replay=ctx.replay)
