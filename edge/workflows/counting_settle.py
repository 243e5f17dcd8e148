"""Turning a counted line into stock: tolerance, adjustment, late movements. No Flask.

A line is *settled* when its difference is posted (or found to be nil). The
adjustment is always ``counted - expected at the moment of count``, worked out
again at the moment it is posted: a pick after the count is already in the
projection and is left alone; a movement from before the count that reached
the edge since is part of what the counter saw. Adjustments are movements of
kind ``count`` with reason ``count`` and ref ``count/<task id>``.
"""
from __future__ import annotations

import json
import uuid
from typing import Callable

from edge.ledger import Movement, PostResult, post_movements
from edge.workflows import exceptions
from edge.workflows.counting_time import EPS, bin_at

COUNT_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://floorscan.dev/counting")


def derived_id(*parts) -> str:
    """A movement id that is the same every time the same step is taken again."""
    return str(uuid.uuid5(COUNT_NS, ":".join(str(p) for p in parts)))


def within_tolerance(expected: float, counted: float, tolerance_pct: float) -> bool:
    """Within ``tolerance_pct`` of the expected quantity; nothing expected and
    something found is always beyond."""
    variance = counted - expected
    if abs(variance) <= EPS:
        return True
    if abs(expected) <= EPS:
        return False
    return abs(variance) <= tolerance_pct / 100.0 * abs(expected) + EPS


def counts_agree(first, second, tolerance_pct: float) -> bool:
    """Do two counts of the same key see the same difference from the records?"""
    if first["serials"] is not None or second["serials"] is not None:
        return (first["serials_missing"] == second["serials_missing"]
                and first["serials_extra"] == second["serials_extra"])
    scale = max(abs(first["expected_qty"]), abs(second["expected_qty"]))
    return abs(second["variance"] - first["variance"]) <= tolerance_pct / 100.0 * scale + EPS


def state_get(conn, key: str, default=None):
    row = conn.execute("SELECT value FROM count_state WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else default


def state_set(conn, key: str, value) -> None:
    conn.execute("INSERT INTO count_state (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, str(value)))


def merge(into: PostResult, other: PostResult) -> None:
    into.movements.extend(other.movements)
    into.exceptions.extend(other.exceptions)
    into.changes.extend(other.changes)
    into.duplicates += other.duplicates


def _post(conn, movements: list[Movement], now: str, into: PostResult) -> None:
    # A count is a physical fact: if the records contradict it (an adjustment
    # would drive a bin negative), it is recorded with an exception, never refused.
    if movements:
        merge(into, post_movements(conn, movements, replay=True, now=now))


def settle(conn, line, *, now: str, id_for: Callable[[int], str], command_id: str | None,
           into: PostResult) -> str:
    """Post the difference of ``line`` and anchor it; returns the line's new status."""
    key = (line["bin"], line["sku"], line["lot"])
    anchor = conn.execute("SELECT moment FROM count_anchor WHERE bin = ? AND sku = ? AND lot = ?", key).fetchone()
    if anchor is not None and anchor["moment"] > line["counted_at"]:
        # A later count of the same bin and item has been settled: it saw the
        # bin after this one did, so this one must not correct it again.
        conn.execute("UPDATE count_line SET status = 'superseded', adjusted_qty = 0, settled_at = ? WHERE id = ?",
                     (now, line["id"]))
        return "superseded"
    base = dict(id="", kind="count", reason="count", ref_type="count", ref_id=str(line["task_id"]),
                user_id=line["counted_by"], device_id=line["device_id"], command_id=command_id,
                scanned_at=line["counted_at"], sku=line["sku"])
    state = bin_at(conn, line["bin"], line["counted_at"], line["sku"])
    if line["serials"] is not None:
        movements, net = _serial_movements(conn, line, state, base)
    else:
        net = round(line["counted_qty"] - state.qty.get((line["sku"], line["lot"]), 0.0), 6)
        side = {"to_bin": line["bin"]} if net > 0 else {"from_bin": line["bin"]}
        movements = [] if abs(net) <= EPS else [Movement(qty=abs(net), lot=line["lot"], expiry=line["expiry"],
                                                         **side, **base)]
    for n, mv in enumerate(movements):
        mv.id = id_for(n)
    _post(conn, movements, now, into)
    status = "adjusted" if movements else "matched"
    seq = conn.execute("SELECT coalesce(max(seq), 0) FROM movement").fetchone()[0]
    conn.execute("UPDATE count_line SET status = ?, adjusted_qty = ?, settled_at = ?, settled_seq = ? WHERE id = ?",
                 (status, net, now, seq, line["id"]))
    conn.execute("INSERT INTO count_anchor (bin, sku, lot, line_id, moment, settled_seq) VALUES (?,?,?,?,?,?) "
                 "ON CONFLICT (bin, sku, lot) DO UPDATE SET line_id = excluded.line_id, moment = excluded.moment, "
                 "settled_seq = excluded.settled_seq", (*key, line["id"], line["counted_at"], seq))
    return status


def _serial_movements(conn, line, state, base) -> tuple[list[Movement], float]:
    """A serial expected but not found leaves the bin; a serial found but not
    expected comes in, from the bin the records had it in if any."""
    expected = state.serials.get((line["sku"], line["lot"]), set())
    found = set(json.loads(line["serials"]))
    movements = []
    for serial in sorted(expected - found):
        where = _serial_bin(conn, line["sku"], serial)
        if where and where[0] == line["bin"]:  # else it has moved on since: the records already let it go
            movements.append(Movement(qty=1, serial=serial, lot=where[1], from_bin=line["bin"], **base))
    for serial in sorted(found - expected):
        where = _serial_bin(conn, line["sku"], serial)
        if where and where[0] == line["bin"]:
            continue
        if where and where[0]:
            movements.append(Movement(qty=1, serial=serial, lot=where[1], from_bin=where[0], to_bin=line["bin"],
                                      **base))
        else:
            movements.append(Movement(qty=1, serial=serial, lot=where[1] if where else line["lot"],
                                      to_bin=line["bin"], expiry=line["expiry"], **base))
    net = sum(1 if m.to_bin == line["bin"] else -1 for m in movements)
    return movements, float(net)


def _serial_bin(conn, sku: str, serial: str) -> tuple[str | None, str] | None:
    row = conn.execute("SELECT bin, lot FROM serial WHERE sku = ? AND serial = ?", (sku, serial)).fetchone()
    return (row["bin"], row["lot"]) if row else None


def record_exception(conn, kind: str, line, detail: str, now: str) -> int:
    """A count for the supervisor's queue, with its figures. Unlike the ledger's
    exceptions it asks for no count_request: the bin has just been counted."""
    data = {"count_line": line["id"], "count_task": line["task_id"], "counted": line["counted_qty"],
            "expected": line["expected_qty"], "variance": line["variance"], "value": line["variance_value"],
            "counted_at": line["counted_at"]}
    row = exceptions.raise_(conn, kind, detail, bin=line["bin"], sku=line["sku"], lot=line["lot"],
                            ref_type="count_line", ref_id=str(line["id"]), data=data, user_id=line["counted_by"],
                            device_id=line["device_id"], command_id=line["command_id"], now=now)
    return row["id"]


def reconcile_late(conn, now: str, into: PostResult) -> int:
    """Compensate movements that happened before a settled count but reached the
    edge after it (an offline pick replayed late): the counter already saw
    their effect, so the count's figure stands. Only replayed movements can
    arrive that late; an online one that merely looks earlier is a device
    clock running slow, and is left alone. Processes each movement once, by a
    cursor over the ledger's seq. Returns how many were compensated."""
    cursor = int(state_get(conn, "reconciled_seq", 0))
    top = conn.execute("SELECT coalesce(max(seq), 0) FROM movement").fetchone()[0]
    if top <= cursor:
        return 0
    done = 0
    if conn.execute("SELECT 1 FROM count_anchor LIMIT 1").fetchone() is not None:
        for side in ("from_bin", "to_bin"):
            for row in conn.execute(LATE.format(side=side), (cursor, top)).fetchall():
                _compensate(conn, row, side, now, into)
                done += 1
    state_set(conn, "reconciled_seq", top)
    return done


LATE = """
SELECT m.id, m.sku, m.lot, m.serial, m.qty, a.bin, a.moment, a.line_id
FROM movement m JOIN count_anchor a ON a.bin = m.{side} AND a.sku = m.sku AND a.lot = m.lot
WHERE m.seq > ? AND m.seq <= ? AND m.seq > a.settled_seq AND m.replayed AND coalesce(m.ref_type, '') <> 'count'
  AND julianday(coalesce(m.scanned_at, m.recorded_at)) <= julianday(a.moment)
  AND NOT EXISTS (SELECT 1 FROM count_late c WHERE c.movement_id = m.id AND c.bin = a.bin)
"""


def _compensate(conn, row, side: str, now: str, into: PostResult) -> None:
    line = conn.execute("SELECT * FROM count_line WHERE id = ?", (row["line_id"],)).fetchone()
    compensation = None
    if row["serial"]:
        # A serial is in one place: undoing half of its journey would put it in two.
        record_exception(conn, "count_late_movement", line,
                         f"movement {row['id']} of serial {row['serial']} ({row['sku']}) happened before the count "
                         f"of bin {row['bin']} at {row['moment']} but reached the edge after it; check where the "
                         f"serial is", now)
    else:
        compensation = derived_id("late", row["line_id"], row["id"], row["bin"])
        # It took stock out of the counted bin: give it back, and vice versa.
        sides = {"to_bin": row["bin"]} if side == "from_bin" else {"from_bin": row["bin"]}
        _post(conn, [Movement(id=compensation, kind="count", reason="count", ref_type="count",
                              ref_id=str(line["task_id"]), sku=row["sku"], lot=row["lot"], qty=row["qty"],
                              user_id=line["counted_by"], scanned_at=row["moment"], **sides)], now, into)
    conn.execute("INSERT INTO count_late (movement_id, bin, line_id, compensation_id, at) VALUES (?,?,?,?,?)",
                 (row["id"], row["bin"], row["line_id"], compensation, now))
