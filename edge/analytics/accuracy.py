"""Inventory record accuracy over time, from counts. No Flask.

IRA = share of counted (bin, sku, lot) lines whose count was within the
site's count tolerance (count_line.within_tolerance, decided when counted).
Each key of a count counts once, judged by its recount if it had one
(count_line.final); rejected counts are left out. Bucketed by day, week
(ISO, Monday) or month of counted_at, over the ``days`` ending on the report day.
"""
from __future__ import annotations

from datetime import date, timedelta

from edge.analytics.asof import cutoff, report_day
from edge.ledger import LedgerError

BUCKETS = ("day", "week", "month")


def _bucket(day: str, by: str) -> str:
    if by == "day":
        return day
    if by == "month":
        return day[:7]
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def accuracy_report(conn, as_of: date | None, days: int = 90, by: str = "week") -> list[dict]:
    if by not in BUCKETS:
        raise LedgerError(f"by must be one of {', '.join(BUCKETS)}, not {by!r}", field="by")
    if days < 1:
        raise LedgerError("days must be 1 or more", field="days")
    end = report_day(as_of)
    start = end - timedelta(days=days - 1)
    out: dict[tuple[str, str], dict] = {}
    for r in conn.execute(
            "SELECT substr(l.counted_at, 1, 10) AS day, coalesce(i.abc_class, '-') AS abc, count(*) AS lines, "
            "sum(l.within_tolerance) AS accurate, sum(abs(l.variance_value)) AS value FROM count_line l "
            "JOIN item i ON i.sku = l.sku WHERE l.final AND l.status <> 'rejected' AND l.counted_at >= ? "
            "AND l.counted_at < ? GROUP BY day, abc", (start.isoformat(), cutoff(end))):
        for abc in (r["abc"], "all"):
            key = (_bucket(r["day"], by), abc)
            e = out.setdefault(key, {"period": key[0], "abc_class": abc, "lines": 0, "accurate": 0,
                                     "variance_value": 0.0})
            e["lines"] += r["lines"]
            e["accurate"] += r["accurate"] or 0
            e["variance_value"] += r["value"] or 0.0
    rows = []
    for key in sorted(out, key=lambda k: (k[0], k[1] != "all", k[1])):
        e = out[key]
        e["ira"] = round(e["accurate"] / e["lines"], 4) if e["lines"] else None
        e["variance_value"] = round(e["variance_value"], 2)
        rows.append(e)
    return rows
