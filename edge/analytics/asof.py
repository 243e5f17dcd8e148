"""Stock as of a date, by replaying the ledger. No Flask.

"As of D" means every movement the edge had *recorded* before the end of day
D (UTC): ``recorded_at < D+1``. The edge clock orders the ledger; a device's
``scanned_at`` can be wrong or late, and a report for a past date must give
the same answer whenever it is run, so recorded_at is the time base.

Two ways to the same numbers: replay the ledger forward up to the cut-off,
or take the projection (which `floorscan verify` keeps equal to the ledger)
and undo the movements recorded after the cut-off. The second reads only the
recent tail of the ledger; :func:`stock_as_of` picks it for recent dates.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from edge.ledger import LedgerError

EPS = 1e-9
GROUPS = {"bin": ("bin",), "zone": ("zone",), "item": ("sku",), "lot": ("sku", "lot"),
          "bin_item_lot": ("bin", "sku", "lot")}


def cutoff(as_of: date | None) -> str | None:
    """The exclusive upper bound on recorded_at for "as of the end of ``as_of``"."""
    if as_of is None:
        return None
    return (as_of + timedelta(days=1)).isoformat() + "T00:00:00"


def today() -> date:
    return datetime.now(timezone.utc).date()


def report_day(as_of: date | None) -> date:
    return as_of or today()


def _ledger_upto(conn, upper: str | None, lots_only: bool = False) -> dict[tuple[str, str, str], float]:
    where = []
    params: list = []
    if upper is not None:
        where.append("recorded_at < ?")
        params.append(upper)
    if lots_only:
        where.append("lot <> ''")
    cond = "".join(f" AND {w}" for w in where)
    sums: dict[tuple[str, str, str], float] = {}
    sql = f"""SELECT bin, sku, lot, sum(delta) AS qty FROM (
                SELECT from_bin AS bin, sku, lot, -qty AS delta FROM movement WHERE from_bin IS NOT NULL{cond}
                UNION ALL
                SELECT to_bin AS bin, sku, lot, qty AS delta FROM movement WHERE to_bin IS NOT NULL{cond})
              GROUP BY bin, sku, lot"""
    for r in conn.execute(sql, params * 2):
        if abs(r["qty"]) > EPS:
            sums[(r["bin"], r["sku"], r["lot"])] = round(r["qty"], 6)
    return sums


def replay(conn, as_of: date | None, lots_only: bool = False) -> dict[tuple[str, str, str], float]:
    """(bin, sku, lot) -> qty by summing the ledger up to the cut-off (the definition)."""
    return _ledger_upto(conn, cutoff(as_of), lots_only)


def rewind(conn, as_of: date | None, lots_only: bool = False) -> dict[tuple[str, str, str], float]:
    """The same as :func:`replay`, from the projection minus later movements."""
    lots = " AND lot <> ''" if lots_only else ""
    sums = {(r["bin"], r["sku"], r["lot"]): r["qty"] for r in conn.execute(
        f"SELECT bin, sku, lot, qty FROM stock WHERE qty <> 0{lots}")}
    upper = cutoff(as_of)
    if upper is not None:
        for r in conn.execute(f"SELECT sku, lot, qty, from_bin, to_bin FROM movement WHERE recorded_at >= ?{lots}",
                              (upper,)):
            if r["from_bin"] is not None:
                key = (r["from_bin"], r["sku"], r["lot"])
                sums[key] = sums.get(key, 0.0) + r["qty"]
            if r["to_bin"] is not None:
                key = (r["to_bin"], r["sku"], r["lot"])
                sums[key] = sums.get(key, 0.0) - r["qty"]
    return {k: round(v, 6) for k, v in sums.items() if abs(v) > 1e-6}


def stock_as_of(conn, as_of: date | None, lots_only: bool = False) -> dict[tuple[str, str, str], float]:
    """(bin, sku, lot) -> qty at the end of ``as_of`` (None: now); ``lots_only``:
    only stock with a lot. Rewinds when fewer than half of the movements came
    later, else replays."""
    if as_of is None:
        return rewind(conn, None, lots_only)
    total = conn.execute("SELECT coalesce(max(seq), 0) FROM movement").fetchone()[0]
    later = conn.execute("SELECT count(*) FROM (SELECT 1 FROM movement WHERE recorded_at >= ? LIMIT ?)",
                         (cutoff(as_of), total // 2 + 1)).fetchone()[0]
    return rewind(conn, as_of, lots_only) if later <= total // 2 else replay(conn, as_of, lots_only)


def stock_report(conn, as_of: date | None, by: str = "bin_item_lot", zone: str | None = None) -> list[dict]:
    """Stock grouped by bin, zone, item, lot or (bin, item, lot), as of a date."""
    if by not in GROUPS:
        raise LedgerError(f"group by one of {', '.join(GROUPS)}, not {by!r}", field="by")
    bins = {r["code"]: (r["zone"], r["kind"]) for r in conn.execute("SELECT code, zone, kind FROM bin")}
    items = {r["sku"]: (r["description"], r["uom"]) for r in conn.execute("SELECT sku, description, uom FROM item")}
    out: dict[tuple, dict] = {}
    for (bin_code, sku, lot), qty in stock_as_of(conn, as_of).items():
        bin_zone = bins.get(bin_code, ("", ""))[0]
        if zone is not None and bin_zone != zone:
            continue
        row = {"bin": bin_code, "zone": bin_zone, "sku": sku, "lot": lot or None}
        key = tuple(row[c] for c in GROUPS[by])
        entry = out.get(key)
        if entry is None:
            entry = out[key] = {c: row[c] for c in GROUPS[by]}
            if "sku" in entry:
                entry["description"], entry["uom"] = items.get(sku, ("", ""))
            if by in ("bin", "bin_item_lot"):
                entry["zone"] = bin_zone
            entry["qty"] = 0.0
        entry["qty"] = round(entry["qty"] + qty, 6)
    return [out[k] for k in sorted(out, key=lambda k: tuple(x or "" for x in k))]


def expiry_report(conn, as_of: date | None, days: int = 30) -> list[dict]:
    """Lots on hand that expire within ``days`` of the report day (expired ones
    included, days_left <= 0), soonest first, with the FEFO warning where a
    later-expiring lot of the same item was picked while this one waited."""
    if days < 0:
        raise LedgerError("days must be 0 or more", field="days")
    day = report_day(as_of)
    limit = (day + timedelta(days=days)).isoformat()
    lots = {(r["sku"], r["lot"]): r["expiry"] for r in conn.execute(
        "SELECT sku, lot, expiry FROM lot WHERE expiry IS NOT NULL")}
    bins = {r["code"]: r["zone"] for r in conn.execute("SELECT code, zone FROM bin")}
    rows = []
    for (bin_code, sku, lot), qty in stock_as_of(conn, as_of, lots_only=True).items():
        expiry = lots.get((sku, lot))
        if qty <= 0 or expiry is None or expiry[:10] > limit:
            continue
        rows.append({"sku": sku, "lot": lot, "expiry": expiry[:10], "bin": bin_code, "zone": bins.get(bin_code, ""),
                     "qty": qty, "days_left": (date.fromisoformat(expiry[:10]) - day).days})
    rows.sort(key=lambda r: (r["expiry"], r["sku"], r["lot"], r["bin"]))
    _fefo_alerts(conn, rows, as_of)
    return rows


def _fefo_alerts(conn, rows: list[dict], as_of: date | None) -> None:
    """Flag lots that were passed over: a lot of the same item expiring later
    was picked in the last 30 days while this (earlier) lot stayed on hand."""
    if not rows:
        return
    day = report_day(as_of)
    lo = (day - timedelta(days=30)).isoformat()
    hi = cutoff(day)
    later_picked: dict[str, str] = {}
    for r in conn.execute(
            "SELECT m.sku, max(l.expiry) AS expiry FROM movement m JOIN lot l ON l.sku = m.sku AND l.lot = m.lot "
            "WHERE m.kind = 'pick' AND m.recorded_at >= ? AND m.recorded_at < ? AND l.expiry IS NOT NULL "
            "GROUP BY m.sku", (lo, hi)):
        later_picked[r["sku"]] = r["expiry"][:10]
    for row in rows:
        picked = later_picked.get(row["sku"])
        row["fefo_alert"] = bool(picked and picked > row["expiry"])
        row["status"] = "expired" if row["days_left"] < 0 else "expiring"
