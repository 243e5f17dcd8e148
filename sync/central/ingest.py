"""Movements up: one batch per transaction, all or nothing.

The held seqs of a warehouse are always exactly 1..cursor: a batch must start
at or before cursor + 1 and be contiguous, so nothing ever lands after a hole
and "the highest contiguous seq" is simply the highest seq held. Rows at or
below the cursor are a retry's overlap: compared with what is held (same
content: a duplicate, skipped; other content: 409) and never inserted again.
Rows above it are inserted with ON CONFLICT (id) DO NOTHING; if that skips any,
an id came back under another seq or warehouse, and the batch is refused.
The stock projection, transfer statuses and the received quantities a
transfer_receipt change carries to the source move only for inserted rows, so
a re-sent batch can never count twice.
"""
from __future__ import annotations

import hashlib
import json
from operator import itemgetter
from typing import Any, Iterable, Mapping, Sequence

from edge.ledger import utcnow
from sync.central.errors import Conflict, Gap, UnknownWarehouse

# The edge's movement columns, in the order central stores them after `warehouse`.
COLS = ("seq", "id", "kind", "sku", "lot", "serial", "qty", "from_bin", "to_bin", "ref_type", "ref_id", "reason",
        "user_id", "device_id", "command_id", "replayed", "scanned_at", "recorded_at")
ROW_COLS = ("warehouse",) + COLS
DEFAULTS = {"lot": "", "replayed": 0}
I_SEQ, I_ID, I_KIND, I_QTY, I_REFTYPE, I_REFID, I_RECORDED, I_SKU, I_LOT, I_SERIAL = (COLS.index(c) for c in (
    "seq", "id", "kind", "qty", "ref_type", "ref_id", "recorded_at", "sku", "lot", "serial"))


_pick = itemgetter(*COLS)


def as_row(movement: Mapping[str, Any] | Sequence[Any]) -> tuple:
    """A movement as a tuple in COLS order (a dict, a pydantic model or a tuple already)."""
    if type(movement) is tuple:
        return movement
    if type(movement) is not dict:
        movement = movement if isinstance(movement, Mapping) else movement.__dict__
    try:
        return _pick(movement)  # the hot path: every column present
    except KeyError:
        return tuple(movement.get(c, DEFAULTS.get(c)) for c in COLS)


def movement_digest(rows: Iterable[Sequence[Any]]) -> tuple[int, str]:
    """(count, sha256) over movements in seq order, each as JSON of its COLS values.
    The same function over the edge's ledger and central's copy must agree."""
    h = hashlib.sha256()
    n = 0
    for row in rows:
        values = list(row)
        values[I_QTY] = float(values[I_QTY])
        h.update(json.dumps(values, separators=(",", ":")).encode() + b"\n")
        n += 1
    return n, h.hexdigest()


class IngestMixin:
    """Movements up (part of Store)."""

    def cursor(self, warehouse: str) -> int:
        row = self.one(self.conn(), "SELECT synced_seq FROM warehouse WHERE code = ?", (warehouse,))
        if row is None:
            raise UnknownWarehouse(f"no warehouse {warehouse!r}", field="warehouse")
        return row["synced_seq"]

    def ingest(self, warehouse: str, movements: Sequence) -> dict:
        """Apply one batch (rows in seq order); answer the new cursor, inserted and duplicates."""
        rows = [as_row(m) for m in movements]
        with self.tx() as conn:
            wh = self.one(conn, "SELECT synced_seq, newest_recorded_at FROM warehouse WHERE code = ?"
                          + self.for_update, (warehouse,))
            if wh is None:
                raise UnknownWarehouse(f"no warehouse {warehouse!r}", field="warehouse")
            cursor = wh["synced_seq"]
            now = utcnow()
            if not rows:
                self.run(conn, "UPDATE warehouse SET last_contact = ? WHERE code = ?", (now, warehouse))
                return {"warehouse": warehouse, "cursor": cursor, "inserted": 0, "duplicates": 0}
            self._check_contiguous(warehouse, rows, cursor)
            held = sum(1 for r in rows if r[I_SEQ] <= cursor)
            if held:
                self._check_overlap(conn, warehouse, rows[:held], cursor)
            new = rows[held:]
            if new:
                inserted = self._insert_movements(conn, [(warehouse,) + r for r in new])
                if inserted != len(new):
                    self._raise_id_conflict(conn, warehouse, new, held, cursor)
                self._project_stock(conn, warehouse, new)
                self._advance_transfers_from_movements(conn, warehouse, new, now)
            newest = max([wh["newest_recorded_at"] or ""] + [r[I_RECORDED] or "" for r in new]) or None
            last = max(cursor, rows[-1][I_SEQ])
            self.run(conn, "UPDATE warehouse SET synced_seq = ?, newest_recorded_at = ?, last_contact = ? "
                           "WHERE code = ?", (last, newest, now, warehouse))
        return {"warehouse": warehouse, "cursor": last, "inserted": len(new), "duplicates": held}

    @staticmethod
    def _check_contiguous(warehouse: str, rows: list[tuple], cursor: int) -> None:
        first = rows[0][I_SEQ]
        if first > cursor + 1:
            raise Gap(f"the batch starts at seq {first} but central holds {warehouse} up to {cursor}; "
                      f"send from {cursor + 1}", field="movements[0].seq", cursor=cursor)
        for i in range(1, len(rows)):
            if rows[i][I_SEQ] != rows[i - 1][I_SEQ] + 1:
                raise Gap(f"seq {rows[i][I_SEQ]} follows {rows[i - 1][I_SEQ]} in the batch; seqs must increase "
                          f"by 1 (central holds {warehouse} up to {cursor})", field=f"movements[{i}].seq",
                          cursor=cursor)

    def _check_overlap(self, conn, warehouse: str, rows: list[tuple], cursor: int) -> None:
        stored = self.all(conn, f"SELECT {', '.join(COLS)} FROM movement WHERE warehouse = ? AND seq >= ? "
                                "AND seq <= ?", (warehouse, rows[0][I_SEQ], rows[-1][I_SEQ]))
        by_seq = {r["seq"]: r for r in stored}
        for i, row in enumerate(rows):
            held = by_seq.get(row[I_SEQ])
            if held is None:  # cannot happen while 1..cursor are all held; refuse rather than guess
                raise Conflict(f"seq {row[I_SEQ]} is below the cursor but not held", field=f"movements[{i}].seq",
                               cursor=cursor)
            for col, value in zip(COLS, row):
                if held[col] != value:
                    raise Conflict(f"{warehouse} seq {row[I_SEQ]} is held with {col} = {held[col]!r}, the batch "
                                   f"says {value!r}; a movement never changes", field=f"movements[{i}].{col}",
                                   cursor=cursor)

    def _raise_id_conflict(self, conn, warehouse: str, new: list[tuple], offset: int, cursor: int) -> None:
        ids = [r[I_ID] for r in new]
        found: dict[str, dict] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for r in self.all(conn, f"SELECT id, warehouse, seq FROM movement WHERE id IN "
                                    f"({', '.join('?' * len(chunk))})", chunk):
                found[r["id"]] = r
        for i, row in enumerate(new):
            other = found.get(row[I_ID])
            if other and (other["warehouse"], other["seq"]) != (warehouse, row[I_SEQ]):
                raise Conflict(f"movement id {row[I_ID]} is held already as {other['warehouse']} seq {other['seq']}",
                               field=f"movements[{offset + i}].id", cursor=cursor)
        raise Conflict("an id of this batch is held already", cursor=cursor)

    def _project_stock(self, conn, warehouse: str, rows: list[tuple]) -> None:
        # One statement over the rows just inserted (a contiguous seq range): the
        # database adds up the deltas, no per-key round trips from Python.
        span = (warehouse, rows[0][I_SEQ], rows[-1][I_SEQ])
        self.run(conn, "INSERT INTO stock (warehouse, bin, sku, lot, qty) "
                       "SELECT warehouse, bin, sku, lot, sum(d) FROM ("
                       "SELECT warehouse, from_bin AS bin, sku, lot, -qty AS d FROM movement "
                       "WHERE warehouse = ? AND seq >= ? AND seq <= ? AND from_bin IS NOT NULL "
                       "UNION ALL SELECT warehouse, to_bin AS bin, sku, lot, qty AS d FROM movement "
                       "WHERE warehouse = ? AND seq >= ? AND seq <= ? AND to_bin IS NOT NULL) AS delta "
                       "WHERE true GROUP BY warehouse, bin, sku, lot "  # WHERE: SQLite's upsert-after-SELECT rule
                       "ON CONFLICT (warehouse, bin, sku, lot) DO UPDATE SET qty = stock.qty + excluded.qty",
                 span + span)

    def _advance_transfers_from_movements(self, conn, warehouse: str, rows: list[tuple], now: str) -> None:
        out = {r[I_REFID] for r in rows if r[I_REFTYPE] == "transfer" and r[I_KIND] == "transfer_out" and r[I_REFID]}
        came = [r for r in rows if r[I_REFTYPE] == "transfer" and r[I_KIND] == "transfer_in" and r[I_REFID]]
        if not out and not came:
            return
        # The change lock before any transfer row, the order record_documents takes them in:
        # a receipt appends a transfer_receipt change for the source (changes.py).
        self._lock_serial(conn, "change")
        for tid in sorted(out):
            self._advance_transfer(conn, tid, "in_transit", now, from_warehouse=warehouse)
        received: dict[str, dict[tuple, float]] = {}
        for r in came:
            key = (r[I_SKU], r[I_LOT] or "", r[I_SERIAL] or "")
            got = received.setdefault(r[I_REFID], {})
            got[key] = got.get(key, 0.0) + float(r[I_QTY])
        for tid in sorted(received):
            self._advance_transfer(conn, tid, "received", now, to_warehouse=warehouse)
            self._record_receipt(conn, tid, warehouse, received[tid])
