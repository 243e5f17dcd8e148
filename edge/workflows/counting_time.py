"""The moment of count, and what the records said at that moment. No Flask.

The moment of count is when the counter looked at the bin: the ``started_at``
the handheld stamps when the bin label is scanned, else the count command's
``at``. Like every movement's ``scanned_at`` it is the device's clock, so a
count and the picks around it are ordered by when people acted, not by when
their devices got through to the edge: an offline count replayed hours later
is compared with the bin as it was when it was counted.

What the records said at moment T = the projection now, minus every movement
of the bin whose time (``scanned_at``, else ``recorded_at``) is after T.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

# A movement recorded by the edge more than this before T cannot have been
# scanned after T unless a device clock is off by more than this.
CLOCK_MARGIN = timedelta(days=7)
EPS = 1e-9


def parse(value: str | datetime) -> datetime:
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:  # a device that sends no offset is taken to mean UTC
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def to_moment(value: str | datetime) -> str:
    """One spelling for every moment we store, so they compare as strings:
    UTC, milliseconds, ``Z`` (the ledger's ``recorded_at`` format)."""
    return parse(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seq_floor(conn, moment: str) -> int:
    """The lowest ledger seq that may hold a movement after ``moment``.

    ``recorded_at`` grows with ``seq``, so a binary search over seq finds the
    first movement recorded at or after ``moment - CLOCK_MARGIN``; the bin's
    history before it is never read, however long it is.
    """
    try:
        bound = to_moment(parse(moment) - CLOCK_MARGIN)
    except OverflowError:  # a moment in year 1: read the whole history
        return 0
    lo, hi = conn.execute("SELECT min(seq), max(seq) FROM movement").fetchone()
    if lo is None:
        return 0
    hi += 1
    while lo < hi:
        mid = (lo + hi) // 2
        row = conn.execute("SELECT seq, recorded_at FROM movement WHERE seq >= ? ORDER BY seq LIMIT 1",
                           (mid,)).fetchone()
        if row["recorded_at"] >= bound:
            hi = mid
        else:
            lo = row["seq"] + 1
    return lo


AFTER = """SELECT seq, sku, lot, serial, qty, from_bin, to_bin FROM movement
           WHERE seq >= :floor AND {side} = :bin {sku}
             AND julianday(coalesce(scanned_at, recorded_at)) > julianday(:moment)"""


def movements_after(conn, bin_code: str, moment: str, sku: str | None = None) -> list:
    """Movements into or out of ``bin_code`` that happened after ``moment``, newest first."""
    only = "AND sku = :sku" if sku else ""
    sql = (AFTER.format(side="from_bin", sku=only) + " UNION ALL " + AFTER.format(side="to_bin", sku=only)
           + " ORDER BY seq DESC")
    return conn.execute(sql, {"floor": seq_floor(conn, moment), "bin": bin_code, "moment": moment,
                              "sku": sku}).fetchall()


@dataclass
class BinState:
    """A bin as the records had it at one moment."""

    qty: dict[tuple[str, str], float] = field(default_factory=dict)
    serials: dict[tuple[str, str], set[str]] = field(default_factory=dict)


def bin_at(conn, bin_code: str, moment: str, sku: str | None = None) -> BinState:
    """What the records said ``bin_code`` held at ``moment`` (only ``sku`` if given)."""
    only, params = ("AND sku = ?", (bin_code, sku)) if sku else ("", (bin_code,))
    state = BinState()
    for r in conn.execute(f"SELECT sku, lot, qty FROM stock WHERE bin = ? {only}", params):
        state.qty[(r["sku"], r["lot"])] = r["qty"]
    for r in conn.execute(f"SELECT sku, serial, lot FROM serial WHERE bin = ? {only}", params):
        state.serials.setdefault((r["sku"], r["lot"]), set()).add(r["serial"])
    # Undo, newest first, what happened after the moment.
    for m in movements_after(conn, bin_code, moment, sku):
        key = (m["sku"], m["lot"])
        came_in = m["to_bin"] == bin_code
        state.qty[key] = state.qty.get(key, 0.0) + (-m["qty"] if came_in else m["qty"])
        if m["serial"]:
            serials = state.serials.setdefault(key, set())
            if came_in:
                serials.discard(m["serial"])
            else:
                serials.add(m["serial"])
    state.qty = {k: round(v, 6) for k, v in state.qty.items() if abs(v) > EPS}
    state.serials = {k: v for k, v in state.serials.items() if v}
    return state
