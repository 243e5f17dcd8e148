"""The report registry: one name, one function, its parameters. No Flask.

Each report is ``fn(conn, as_of, **params) -> list[dict]``; the API
(edge/api/reports.py) and the CLI (`floorscan report`) both run them through
:func:`run`, so a figure reads the same in JSON, CSV and on the terminal.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import date
from typing import Callable

from edge.analytics import abc, accuracy, asof, productivity, receiving, replenishment, turnover, valuation
from edge.ledger import LedgerError, utcnow


@dataclass
class Report:
    fn: Callable
    summary: str


def _replenishment(conn, as_of, history_days: int = replenishment.HISTORY_DAYS):
    if history_days < 14:
        raise LedgerError("history_days must be 14 or more", field="history_days")
    return replenishment.plan_rows(replenishment.compute_plans(conn, as_of, history_days=history_days))


def _fifo_layers(conn, as_of, sku: str | None = None):
    if not sku:
        raise LedgerError("give the item: sku=...", field="sku")
    return valuation.layers_report(conn, as_of, sku)


REPORTS: dict[str, Report] = {
    "stock": Report(asof.stock_report, "Stock by bin, zone, item, lot or bin/item/lot (by=...), as of a date"),
    "expiry": Report(asof.expiry_report, "Lots on hand expiring within `days` (FEFO alerts)"),
    "valuation": Report(lambda conn, as_of: valuation.valuation_report(conn, as_of),
                        "Value per item by FIFO cost layers and by moving average cost"),
    "fifo_layers": Report(_fifo_layers, "The open FIFO cost layers of one item (sku=...)"),
    "turnover": Report(turnover.turnover_report, "Turnover and days of supply over `days`"),
    "dead_slow": Report(turnover.dead_slow_report, "Dead and slow stock"),
    "abc": Report(abc.abc_report, "ABC classes by annual consumption value"),
    "accuracy": Report(accuracy.accuracy_report, "Inventory record accuracy over time from counts (by=day|week|month)"),
    "receiving": Report(receiving.receiving_report, "Receiving discrepancies and fill rate by supplier"),
    "productivity": Report(productivity.productivity_report, "Pick lines per hour per user and short-pick rate"),
    "replenishment": Report(_replenishment, "Forecast, safety stock, reorder point, min/max and EOQ per item"),
}


def accepted(name: str) -> list[str]:
    return [p for p in inspect.signature(REPORTS[name].fn).parameters if p not in ("conn", "as_of")]


def run(conn, name: str, as_of: date | None = None, params: dict | None = None, limit: int | None = None) -> dict:
    """Run report ``name``; unknown reports and parameters are refused with the field at fault."""
    if name not in REPORTS:
        raise LedgerError(f"no report {name!r}; reports: {', '.join(REPORTS)}", field="name")
    given = {k: v for k, v in (params or {}).items() if v is not None}
    allowed = accepted(name)
    for key in given:
        if key not in allowed:
            raise LedgerError(f"report {name} takes {', '.join(allowed) or 'no parameters'} besides as_of; "
                              f"not {key}", field=key)
    rows = REPORTS[name].fn(conn, as_of, **given)
    total = len(rows)
    if limit is not None:
        rows = rows[:limit]
    return {"report": name, "as_of": (as_of or asof.today()).isoformat(), "generated_at": utcnow(),
            "params": given, "count": total, "rows": rows}


def catalogue() -> list[dict]:
    return [{"name": n, "summary": r.summary, "params": ["as_of", *accepted(n)]} for n, r in REPORTS.items()]
