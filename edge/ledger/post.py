"""The one write path for stock: :func:`post_movements`.

Nothing else in floorscan inserts into ``movement`` or touches ``stock`` and
``serial``. It runs inside the caller's write transaction (the writer's),
wraps itself in a SAVEPOINT so a failure leaves nothing behind, validates
every movement against the master data and the tracking rules, applies it to
the ledger and the projection, and is idempotent by movement id.
"""
from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone

from edge import row_cache
from edge.ledger.errors import (
    BadQuantity, IdConflict, InactiveMasterData, InsufficientStock, LedgerError,
    LotConflict, SerialConflict, TrackingError, UnknownBin, UnknownItem,
)

# Units whose quantities may be fractional; everything else counts whole pieces.
DECIMAL_UOMS = frozenset({"kg", "g", "lb", "oz", "t", "l", "ml", "m", "cm", "mm", "ft", "in", "m2", "m3"})


def is_decimal_uom(uom: str | None) -> bool:
    """Whether quantities in this unit may be fractional (``KG`` as ``kg``: imports keep the case sent)."""
    return (uom or "").lower() in DECIMAL_UOMS
MAX_QTY = 1_000_000_000
QTY_DECIMALS = 6

# The fields that make a movement what it is; a re-post must match them.
IDENTITY = ("kind", "sku", "lot", "serial", "qty", "from_bin", "to_bin")


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Movement:
    id: str
    kind: str
    sku: str
    qty: float
    from_bin: str | None = None
    to_bin: str | None = None
    lot: str | None = None
    serial: str | None = None
    expiry: str | None = None  # used only when the movement creates the lot
    ref_type: str | None = None
    ref_id: str | None = None
    reason: str | None = None
    user_id: int | None = None
    device_id: str | None = None
    command_id: str | None = None
    scanned_at: str | None = None


@dataclass
class StockChange:
    bin: str
    sku: str
    lot: str
    qty: float


@dataclass
class PostResult:
    movements: list[dict] = field(default_factory=list)
    duplicates: int = 0
    exceptions: list[dict] = field(default_factory=list)
    changes: list[StockChange] = field(default_factory=list)
    # Task-level live events a workflow wants sent once this commits:
    # (event, payload, rooms), e.g. ("putaway.task", {...}, ["role:receiver"]).
    notices: list[tuple[str, dict, list[str]]] = field(default_factory=list)


def post_movements(conn: sqlite3.Connection, movements: list[Movement], *, replay: bool = False,
                   now: str | None = None) -> PostResult:
    """Validate and record ``movements`` in order, all or nothing.

    ``replay=True`` marks movements a device recorded while offline: they
    already happened on the floor, so state conflicts (negative stock, a
    serial in the wrong place) are recorded with an exception for a
    supervisor instead of being refused.
    """
    now = now or utcnow()
    result = PostResult()
    conn.execute("SAVEPOINT post_movements")
    try:
        for mv in movements:
            _post_one(conn, mv, replay, now, result)
    except BaseException:
        conn.execute("ROLLBACK TO post_movements")
        conn.execute("RELEASE post_movements")
        raise
    conn.execute("RELEASE post_movements")
    return result


def _post_one(conn, mv: Movement, replay: bool, now: str, result: PostResult) -> None:
    mv.lot = (mv.lot or "").strip()
    mv.serial = (mv.serial or "").strip() or None
    stored = conn.execute("SELECT * FROM movement WHERE id = ?", (mv.id,)).fetchone()
    if stored is not None:
        _check_same(stored, mv)
        result.duplicates += 1
        result.movements.append(movement_row(stored))
        return

    item = _item(conn, mv.sku)
    for side in ("from_bin", "to_bin"):
        if getattr(mv, side) is not None:
            _bin(conn, getattr(mv, side), side)
    if mv.from_bin is None and mv.to_bin is None:
        raise LedgerError("a movement needs a from_bin, a to_bin or both", field="to_bin")
    if mv.from_bin == mv.to_bin:
        raise LedgerError("from_bin and to_bin are the same bin", field="to_bin")
    mv.qty = _check_qty(mv.qty, item)
    problems: list[tuple[str, LedgerError]] = []
    _check_tracking(conn, mv, item, now, problems)
    if mv.from_bin is not None:
        _check_available(conn, mv, problems)

    if problems and not replay:
        raise problems[0][1]

    cur = conn.execute(
        """INSERT INTO movement (id, kind, sku, lot, serial, qty, from_bin, to_bin, ref_type, ref_id,
               reason, user_id, device_id, command_id, replayed, scanned_at, recorded_at)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
        (mv.id, mv.kind, mv.sku, mv.lot, mv.serial, mv.qty, mv.from_bin, mv.to_bin, mv.ref_type,
         mv.ref_id, mv.reason, mv.user_id, mv.device_id, mv.command_id, int(replay), mv.scanned_at, now))
    seq = cur.lastrowid
    if mv.from_bin is not None:
        result.changes.append(_apply_stock(conn, mv.from_bin, mv.sku, mv.lot, -mv.qty))
    if mv.to_bin is not None:
        result.changes.append(_apply_stock(conn, mv.to_bin, mv.sku, mv.lot, mv.qty))
    if mv.serial is not None:
        conn.execute(
            "INSERT INTO serial (sku, serial, bin, lot) VALUES (?,?,?,?) "
            "ON CONFLICT (sku, serial) DO UPDATE SET bin = excluded.bin, lot = excluded.lot",
            (mv.sku, mv.serial, mv.to_bin, mv.lot))
    for kind, err in problems:
        result.exceptions.append(raise_exception(conn, kind, err.detail, mv, now,
                                                 also_count=getattr(err, "also_count", None)))
    # vars(), not asdict(): every field is a str, number or None, and
    # asdict()'s recursive deep copy cost ~15% of a command's time in the writer.
    row = dict(vars(mv), seq=seq, replayed=replay, recorded_at=now)
    row.pop("expiry")
    row["lot"] = row["lot"] or None
    result.movements.append(row)


def _check_same(stored: sqlite3.Row, mv: Movement) -> None:
    for name in IDENTITY:
        have, want = stored[name], getattr(mv, name)
        if name == "lot":
            have, want = have or "", want or ""
        if name == "qty":
            try:
                same = math.isclose(float(have), float(want), abs_tol=10 ** -QTY_DECIMALS)
            except (TypeError, ValueError):
                same = False
        else:
            same = have == want
        if not same:
            raise IdConflict(f"movement {mv.id} was already recorded with {name}={have!r}, not {want!r}",
                             field="id")


def _item(conn, sku) -> sqlite3.Row:
    item = row_cache.fetch(conn, "item", sku,
                           "SELECT sku, uom, tracking, perishable, active FROM item WHERE sku = ?", (sku,))
    if item is None:
        raise UnknownItem(f"no item with sku {sku!r}", field="sku")
    if not item["active"]:
        raise InactiveMasterData(f"item {sku!r} is inactive", field="sku")
    return item


def _bin(conn, code, side) -> sqlite3.Row:
    row = row_cache.fetch(conn, "bin", code, "SELECT code, active FROM bin WHERE code = ?", (code,))
    if row is None:
        raise UnknownBin(f"no bin with code {code!r}", field=side)
    if not row["active"]:
        raise InactiveMasterData(f"bin {code!r} is inactive", field=side)
    return row


def _check_qty(qty, item) -> float:
    try:
        value = float(qty)
    except (TypeError, ValueError):
        raise BadQuantity(f"quantity {qty!r} is not a number", field="qty") from None
    if not math.isfinite(value) or value <= 0:
        raise BadQuantity(f"quantity must be greater than zero, got {qty}", field="qty")
    if value > MAX_QTY:
        raise BadQuantity(f"quantity {qty} is larger than {MAX_QTY:,}", field="qty")
    if is_decimal_uom(item["uom"]):
        rounded = round(value, QTY_DECIMALS)
        if rounded <= 0:
            raise BadQuantity(f"quantity {qty} rounds to zero at {QTY_DECIMALS} decimals", field="qty")
        return rounded
    if value != int(value):
        raise BadQuantity(f"{item['sku']} is counted in whole {item['uom']}; {qty} is not a whole number",
                          field="qty")
    return float(int(value))


def _check_tracking(conn, mv: Movement, item, now: str, problems: list) -> None:
    tracking = item["tracking"]
    if tracking == "none" and mv.lot:
        raise TrackingError(f"{mv.sku} is not lot-tracked; do not give a lot", field="lot")
    if tracking != "serial" and mv.serial:
        raise TrackingError(f"{mv.sku} is not serial-tracked; do not give a serial", field="serial")
    if tracking == "lot" and not mv.lot:
        raise TrackingError(f"{mv.sku} is lot-tracked; scan or enter the lot", field="lot")
    if tracking == "serial":
        if not mv.serial:
            raise TrackingError(f"{mv.sku} is serial-tracked; scan the serial number", field="serial")
        if mv.qty != 1:
            raise BadQuantity(f"{mv.sku} is serial-tracked; each serial is one piece, not {mv.qty:g}", field="qty")
        _check_serial_location(conn, mv, problems)
    if mv.lot:
        _check_lot(conn, mv, item, now, problems)
    elif item["perishable"]:
        raise TrackingError(f"{mv.sku} is perishable; it needs a lot with an expiry date", field="lot")


def _check_serial_location(conn, mv: Movement, problems: list) -> None:
    row = conn.execute("SELECT bin FROM serial WHERE sku = ? AND serial = ?", (mv.sku, mv.serial)).fetchone()
    where = row["bin"] if row else None
    if mv.from_bin is None and where is not None:
        conflict = SerialConflict(f"serial {mv.serial} of {mv.sku} is already in bin {where}", field="serial")
    elif mv.from_bin is not None and where != mv.from_bin:
        place = f"in bin {where}" if where else "not in stock"
        conflict = SerialConflict(f"serial {mv.serial} of {mv.sku} is {place}, not in {mv.from_bin}",
                                  field="serial")
    else:
        return
    # Replayed anyway, the record moves the serial but leaves a unit in the bin it
    # was booked to: that bin needs counting too, not only the movement's own.
    conflict.also_count = where
    problems.append(("serial_conflict", conflict))


def _check_lot(conn, mv: Movement, item, now: str, problems: list) -> None:
    row = conn.execute("SELECT expiry FROM lot WHERE sku = ? AND lot = ?", (mv.sku, mv.lot)).fetchone()
    if row is None:
        if item["perishable"] and not mv.expiry:
            if mv.from_bin is not None:
                # Moving a lot we have never seen: stock records disagree with the floor.
                problems.append(("unknown_lot", TrackingError(
                    f"lot {mv.lot} of {mv.sku} is not known here", field="lot")))
            else:
                problems.append(("missing_expiry", TrackingError(
                    f"{mv.sku} is perishable; lot {mv.lot} needs an expiry date", field="expiry")))
        conn.execute("INSERT INTO lot (sku, lot, expiry, created_at) VALUES (?,?,?,?)",
                     (mv.sku, mv.lot, mv.expiry, now))
    elif mv.expiry and row["expiry"] and row["expiry"] != mv.expiry:
        problems.append(("lot_conflict", LotConflict(
            f"lot {mv.lot} of {mv.sku} has expiry {row['expiry']}, not {mv.expiry}", field="expiry")))
    elif mv.expiry and not row["expiry"]:
        conn.execute("UPDATE lot SET expiry = ? WHERE sku = ? AND lot = ?", (mv.expiry, mv.sku, mv.lot))


# Corrections of the record may take reserved stock: a count or an adjustment
# says the goods are not there, whatever orders hoped for. Any other movement
# takes only free stock; the pick of a reservation releases it first, in the
# same transaction (edge.ledger.reserve), so it may take what it reserved.
RESERVATION_BLIND = frozenset({"adjust", "count"})


def _check_available(conn, mv: Movement, problems: list) -> None:
    row = conn.execute("SELECT qty, reserved FROM stock WHERE bin = ? AND sku = ? AND lot = ?",
                       (mv.from_bin, mv.sku, mv.lot)).fetchone()
    have = row["qty"] if row else 0.0
    lot = f" lot {mv.lot}" if mv.lot else ""
    if have + 10 ** -QTY_DECIMALS < mv.qty:
        problems.append(("negative_stock", InsufficientStock(
            f"bin {mv.from_bin} holds {have:g} of {mv.sku}{lot}; cannot take {mv.qty:g}",
            field="qty", available=have)))
        return
    reserved = row["reserved"] if row is not None and mv.kind not in RESERVATION_BLIND else 0.0
    if reserved and have - reserved + 10 ** -QTY_DECIMALS < mv.qty:
        problems.append(("reserved_stock_taken", InsufficientStock(
            f"bin {mv.from_bin} holds {have:g} of {mv.sku}{lot} but {reserved:g} are reserved for orders; "
            f"cannot take {mv.qty:g} ({max(0.0, have - reserved):g} free)",
            field="qty", available=max(0.0, have - reserved))))


def _apply_stock(conn, bin_code: str, sku: str, lot: str, delta: float) -> StockChange:
    row = conn.execute(
        "INSERT INTO stock (bin, sku, lot, qty) VALUES (?,?,?,?) "
        "ON CONFLICT (bin, sku, lot) DO UPDATE SET qty = round(qty + excluded.qty, 6) "
        "RETURNING qty, reserved",
        (bin_code, sku, lot, delta)).fetchone()
    if row["qty"] == 0 and row["reserved"] == 0:
        conn.execute("DELETE FROM stock WHERE bin = ? AND sku = ? AND lot = ?", (bin_code, sku, lot))
    return StockChange(bin_code, sku, lot, row["qty"])


def raise_exception(conn, kind: str, detail: str, mv: Movement, now: str, *, also_count: str | None = None) -> dict:
    """Record a supervisor exception and ask for a count of the bin concerned (and of
    ``also_count``, another bin the record disagrees about)."""
    bin_code = mv.from_bin or mv.to_bin
    cur = conn.execute(
        """INSERT INTO exception (kind, bin, sku, lot, movement_id, command_id, detail, user_id,
               device_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)""",
        (kind, bin_code, mv.sku, mv.lot, mv.id, mv.command_id, detail, mv.user_id, mv.device_id, now))
    exc_id = cur.lastrowid
    for count_bin in dict.fromkeys(b for b in (bin_code, also_count) if b):
        conn.execute(
            "INSERT INTO count_request (bin, sku, reason, exception_id, created_at) VALUES (?,?,?,?,?)",
            (count_bin, mv.sku, f"{kind}: {detail}", exc_id, now))
    return {"id": exc_id, "kind": kind, "bin": bin_code, "sku": mv.sku, "lot": mv.lot or None,
            "detail": detail, "movement_id": mv.id, "created_at": now}


def movement_row(row: sqlite3.Row) -> dict:
    out = dict(row)
    out["lot"] = out["lot"] or None
    out["replayed"] = bool(out["replayed"])
    return out
