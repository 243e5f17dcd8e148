"""Turnover, days of supply, dead and slow stock. No Flask.

* turnover = cost of goods issued in the window (FIFO) / average inventory
  value ((value at the start + value at the end) / 2), yearly when the
  window is a year; the window is ``days`` long and ends on the report day.
* days of supply = on hand / average daily demand over the window.
* dead: stock on hand and no demand for ``dead_days``; slow: days of supply
  above ``slow_days``; the rest moves.
"""
from __future__ import annotations

from datetime import date, timedelta

from edge.analytics.asof import report_day
from edge.analytics.demand import consumption, last_demand
from edge.analytics.valuation import value
from edge.ledger import LedgerError


STATUS_ORDER = {"dead": 0, "slow": 1, "moving": 2}


def turnover_ratio(issued: float, average_inventory: float, days: int) -> float | None:
    """Issued / average inventory over a ``days`` window, scaled to a year (central reuses it)."""
    return round(issued / average_inventory * 365 / days, 3) if average_inventory > 0 else None


def days_of_supply(on_hand: float, daily_demand: float) -> float | None:
    return on_hand / daily_demand if daily_demand > 0 else None


def stock_status(demand_within_dead_days: bool, supply_days: float | None, slow_days: int) -> str:
    """dead (no demand within dead_days), slow (days of supply over slow_days), else moving."""
    if not demand_within_dead_days:
        return "dead"
    return "slow" if supply_days is None or supply_days > slow_days else "moving"


def _check(days, dead_days, slow_days):
    for name, v in (("days", days), ("dead_days", dead_days), ("slow_days", slow_days)):
        if v is not None and v < 1:
            raise LedgerError(f"{name} must be 1 or more", field=name)


def turnover_report(conn, as_of: date | None, days: int = 365) -> list[dict]:
    _check(days, None, None)
    end = report_day(as_of)
    start = end - timedelta(days=days)
    now = value(conn, end, since=start)
    before = value(conn, start)
    demand = consumption(conn, end, days)
    rows = []
    for sku in sorted(set(now) | set(demand)):
        v = now.get(sku)
        qty = v.qty if v else 0.0
        if abs(qty) <= 1e-6 and not demand.get(sku):
            continue
        start_value = before[sku].fifo_value() if sku in before else 0.0
        end_value = v.fifo_value() if v else 0.0
        avg_value = (start_value + end_value) / 2
        cogs = v.fifo_cogs if v else 0.0
        daily = demand.get(sku, 0.0) / days
        rows.append({"sku": sku, "on_hand": round(qty, 6), "issued": round(v.issued if v else 0.0, 6),
                     "cogs": round(cogs, 2), "average_inventory_value": round(avg_value, 2),
                     "turnover": turnover_ratio(cogs, avg_value, days),
                     "daily_demand": round(daily, 4),
                     "days_of_supply": round(qty / daily, 1) if daily > 0 else None})
    return rows


def dead_slow_report(conn, as_of: date | None, dead_days: int = 180, slow_days: int = 90,
                     days: int = 90) -> list[dict]:
    """Items on hand classed dead / slow / moving, with value and last demand day."""
    _check(days, dead_days, slow_days)
    end = report_day(as_of)
    vals = value(conn, end)
    recent = consumption(conn, end, days)
    # The last demand day within the dead window comes from a date range; only for dead items is it
    # looked up further back, item by item (one GROUP BY over the whole ledger took minutes at 10M).
    alive = last_demand(conn, end, dead_days)
    rows = []
    for sku in sorted(vals):
        v = vals[sku]
        if v.qty <= 1e-6:
            continue
        daily = recent.get(sku, 0.0) / days
        dos = days_of_supply(v.qty, daily)
        last_day = alive.get(sku)
        status = stock_status(last_day is not None, dos, slow_days)
        if last_day is None:
            last_day = _last_demand(conn, sku, end)
        rows.append({"sku": sku, "status": status, "on_hand": round(v.qty, 6), "value": round(v.fifo_value(), 2),
                     "last_demand": last_day, "days_of_supply": round(dos, 1) if dos is not None else None})
    rows.sort(key=lambda r: (STATUS_ORDER[r["status"]], -r["value"], r["sku"]))
    return rows


def _last_demand(conn, sku: str, end: date) -> str | None:
    row = conn.execute("SELECT max(recorded_at) FROM movement WHERE sku = ? AND kind IN ('ship', 'transfer_out') "
                       "AND recorded_at < ?", (sku, (end + timedelta(days=1)).isoformat())).fetchone()
    return row[0][:10] if row and row[0] else None
