"""Where should this go? Directed putaway with a stated reason. No Flask.

Rules, in order, as issue 3 sets them:

1. ``same_lot``: a bin where the same sku and lot already lives, with room left;
2. ``preferred_zone``: an empty bin in the item's preferred zone, first in walk order;
3. ``nearest_empty``: the empty bin nearest the goods by walk_seq.

Only active storage and pick-face bins are suggested (never a dock, tote,
quarantine, staging or returns bin). Room is ``capacity`` (eaches) minus what
the bin holds minus what open putaway tasks are already sending there; a bin
without a capacity has unlimited room. When nothing holds it all, the
quantity is split over several bins, each with its own reason.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from edge.ledger import UnknownItem, is_decimal_uom

PUTAWAY_KINDS = ("storage", "pick-face")
KINDS_SQL = "('storage', 'pick-face')"
EPS = 1e-6
MAX_SPLITS = 20


@dataclass
class Suggestion:
    bin: str
    qty: float
    rule: str
    reason: str
    room: float | None  # before this suggestion; None: no capacity limit

    def to_dict(self) -> dict:
        return asdict(self)


def pending_by_bin(conn) -> dict[str, float]:
    """What open putaway tasks still have to bring to each suggested bin."""
    out: dict[str, float] = {}
    for r in conn.execute(
            "SELECT t.suggested_bin AS bin, t.qty - COALESCE((SELECT SUM(m.qty) FROM movement m "
            "WHERE m.ref_type = 'putaway_task' AND m.ref_id = CAST(t.id AS TEXT)), 0) AS left "
            "FROM putaway_task t WHERE t.status = 'open' AND t.suggested_bin IS NOT NULL"):
        if r["left"] > 0:
            out[r["bin"]] = out.get(r["bin"], 0.0) + r["left"]
    return out


class _Search:
    def __init__(self, conn, item, lot: str, from_bin: str | None):
        self.conn = conn
        self.item = item
        self.lot = lot
        self.from_bin = from_bin
        self.whole = not is_decimal_uom(item["uom"])
        self.pending = pending_by_bin(conn)
        row = conn.execute("SELECT walk_seq FROM bin WHERE code = ?", (from_bin,)).fetchone() if from_bin else None
        self.origin = row["walk_seq"] if row else 0

    def room(self, code: str, capacity, load: float) -> float | None:
        if capacity is None:
            return None
        left = capacity - load - self.pending.get(code, 0.0)
        return float(math.floor(left + EPS)) if self.whole else round(left, 6)

    def same_lot(self, want: float):
        lot = f" lot {self.lot}" if self.lot else ""
        best = None
        for r in self.conn.execute(
                "SELECT b.code, b.capacity, s.qty AS here, (SELECT SUM(x.qty) FROM stock x WHERE x.bin = b.code) "
                "AS load FROM stock s JOIN bin b ON b.code = s.bin WHERE s.sku = ? AND s.lot = ? AND s.qty > 0 "
                f"AND b.active = 1 AND b.kind IN {KINDS_SQL} ORDER BY b.walk_seq, b.code",
                (self.item["sku"], self.lot)):
            room = self.room(r["code"], r["capacity"], r["load"])
            if room is not None and room < (1 if self.whole else EPS):
                continue
            room_text = "no capacity limit" if room is None else f"room for {room:g} more"
            reason = f"{self.item['sku']}{lot} is already in {r['code']} ({r['here']:g} there); {room_text}"
            if room is None or room >= want - EPS:
                return r["code"], room, "same_lot", reason
            if best is None or room > best[1]:
                best = (r["code"], room, "same_lot", reason)
        return best

    def _empty(self, zone: str | None):
        sql = (f"SELECT b.code, b.capacity FROM bin b WHERE b.active = 1 AND b.kind IN {KINDS_SQL} "
               "AND NOT EXISTS (SELECT 1 FROM stock s WHERE s.bin = b.code)")
        if zone is not None:
            rows = self.conn.execute(sql + " AND b.zone = ? ORDER BY b.walk_seq, b.code", (zone,))
        else:
            rows = self.conn.execute(sql + " ORDER BY abs(b.walk_seq - ?), b.walk_seq, b.code", (self.origin,))
        for r in rows:
            if self.pending.get(r["code"], 0.0) > 0:
                continue  # promised to another pallet already
            room = self.room(r["code"], r["capacity"], 0.0)
            if room is None or room >= (1 if self.whole else EPS):
                return r["code"], room
        return None

    def preferred_zone(self, want: float):
        zone = self.item["preferred_zone"]
        if not zone:
            return None
        found = self._empty(zone)
        if found is None:
            return None
        return (*found, "preferred_zone",
                f"no bin with {self.item['sku']}{' lot ' + self.lot if self.lot else ''} has room; "
                f"empty bin in its preferred zone {zone}, first in walk order")

    def nearest_empty(self, want: float):
        found = self._empty(None)
        if found is None:
            return None
        zone = self.item["preferred_zone"]
        why = f"no empty bin left in preferred zone {zone}" if zone else f"{self.item['sku']} has no preferred zone"
        near = f" to {self.from_bin}" if self.from_bin else ""
        return (*found, "nearest_empty", f"{why}; nearest empty bin{near} in walk order")


def suggest(conn, sku: str, lot: str | None, qty: float, *, from_bin: str | None = None
            ) -> tuple[list[Suggestion], float]:
    """Bins for ``qty`` of ``sku`` (lot), best first, and what is left without a place."""
    item = conn.execute("SELECT sku, uom, preferred_zone FROM item WHERE sku = ?", (sku,)).fetchone()
    if item is None:
        raise UnknownItem(f"no item with sku {sku!r}", field="sku")
    search = _Search(conn, item, lot or "", from_bin)
    out: list[Suggestion] = []
    left = float(qty)
    while left > EPS and len(out) < MAX_SPLITS:
        pick = search.same_lot(left) or search.preferred_zone(left) or search.nearest_empty(left)
        if pick is None:
            break
        code, room, rule, reason = pick
        take = left if room is None else min(left, room)
        out.append(Suggestion(code, round(take, 6), rule, reason, room))
        search.pending[code] = search.pending.get(code, 0.0) + take
        left = round(left - take, 6)
    return out, max(left, 0.0)


def no_room_reason(sku: str, qty: float) -> str:
    return (f"no storage or pick-face bin has room for {qty:g} more of {sku}; put it where it fits and "
            "say where")
