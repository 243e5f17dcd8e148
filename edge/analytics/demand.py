"""Daily demand series from the ledger. No Flask.

Demand is what left the site to meet an order: ``ship`` movements (to a
customer) and ``transfer_out`` (to another warehouse), per day of
recorded_at. Picks are not counted on top: a pick moves goods to a tote
inside the building and the ship of the same goods would count them twice.
"""
from __future__ import annotations

from datetime import date, timedelta

from edge.analytics.asof import cutoff, report_day

DEMAND_KINDS = ("ship", "transfer_out")
_KINDS_SQL = ", ".join(f"'{k}'" for k in DEMAND_KINDS)


def window(as_of: date | None, days: int) -> tuple[date, date]:
    """The ``days`` days that end with the report day (both included)."""
    end = report_day(as_of)
    return end - timedelta(days=days - 1), end


def demand_by_sku(conn, as_of: date | None, days: int, skus: list[str] | None = None) -> dict[str, list[float]]:
    """sku -> ``days`` daily demand figures, oldest first, ending on the report day."""
    start, end = window(as_of, days)
    sql = (f"SELECT sku, substr(recorded_at, 1, 10) AS day, sum(qty) AS qty FROM movement "
           f"WHERE kind IN ({_KINDS_SQL}) AND recorded_at >= ? AND recorded_at < ?")
    params: list = [start.isoformat(), cutoff(end)]
    if skus is not None:
        if not skus:
            return {}
        if len(skus) <= 500:
            sql += f" AND sku IN ({','.join('?' * len(skus))})"
            params += skus
    out: dict[str, list[float]] = {}
    wanted = set(skus) if skus is not None else None
    for r in conn.execute(sql + " GROUP BY sku, day", params):
        if wanted is not None and r["sku"] not in wanted:
            continue
        series = out.setdefault(r["sku"], [0.0] * days)
        series[(date.fromisoformat(r["day"]) - start).days] += r["qty"]
    if wanted is not None:
        for sku in wanted:
            out.setdefault(sku, [0.0] * days)
    return out


def consumption(conn, as_of: date | None, days: int) -> dict[str, float]:
    """sku -> total demand over the window."""
    start, end = window(as_of, days)
    return {r["sku"]: r["qty"] for r in conn.execute(
        f"SELECT sku, sum(qty) AS qty FROM movement WHERE kind IN ({_KINDS_SQL}) "
        "AND recorded_at >= ? AND recorded_at < ? GROUP BY sku", (start.isoformat(), cutoff(end)))}


def last_demand(conn, as_of: date | None, days: int) -> dict[str, str]:
    """sku -> the last day with demand, for the items with any within the window."""
    start, end = window(as_of, days)
    return {r["sku"]: r["last"][:10] for r in conn.execute(
        f"SELECT sku, max(recorded_at) AS last FROM movement WHERE kind IN ({_KINDS_SQL}) "
        "AND recorded_at >= ? AND recorded_at < ? GROUP BY sku", (start.isoformat(), cutoff(end)))}
