"""Company-wide reports at central: one name, one function, its parameters.
No Flask. The same idea as the edge's registry (edge/analytics/reports.py):
``fn(company, as_of, **params) -> (rows, notes)``, run through :func:`run` so
JSON and CSV carry the same rows. The figures are defined in company.py and
docs/reports.md ("Company-wide reports at central"); the pure formulas are
the edge's own (ABC classes, turnover, days of supply, dead/slow status,
moving average cost), imported, so site and company reports cannot drift.
"""
from __future__ import annotations

import inspect
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

from edge.analytics.abc import classify
from edge.analytics.asof import report_day, today
from edge.analytics.demand import window
from edge.analytics.turnover import STATUS_ORDER, days_of_supply, stock_status, turnover_ratio
from edge.analytics.valuation import SkuValue
from edge.ledger import utcnow
from sync.central.company import Company
from sync.central.errors import BadInput, UnknownKey

ALL_WAREHOUSES = "*"  # the company row of stock_by_warehouse; no warehouse code can be "*"


def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(x, digits) + 0.0


def _days(**values) -> None:
    for name, v in values.items():
        if v < 1:
            raise BadInput(f"{name} must be 1 or more", field=name)


def stock(co: Company, as_of, warehouse: str | None = None, sku: str | None = None):
    """(warehouse, bin, sku, lot) as the warehouses' ledgers say, in-transit bins included."""
    transit = co.transit_bins()
    rows = [{"warehouse": wh, "bin": b, "sku": s, "lot": lot or None, "qty": qty,
             "in_transit_bin": b in transit.get(wh, ())}
            for (wh, b, s, lot), qty in sorted(co.stock(as_of, warehouse, sku).items())]
    return rows, []


def stock_by_warehouse(co: Company, as_of, sku: str | None = None):
    """Per sku and warehouse: on hand, in transit out/in; `total` = on hand + in transit out; a `*` row
    per sku is the company."""
    on_hand = co.on_hand(as_of)
    moving = co.in_transit(as_of)
    rows: dict[tuple[str, str], dict] = {}

    def row(s, wh):
        if (s, wh) not in rows:
            rows[(s, wh)] = {"sku": s, "warehouse": wh, "on_hand": 0.0, "in_transit_out": 0.0, "in_transit_in": 0.0,
                             "total": 0.0}
        return rows[(s, wh)]
    for (wh, s), qty in on_hand.items():
        row(s, wh)["on_hand"] += qty
        row(s, ALL_WAREHOUSES)["on_hand"] += qty
    for (src, dst, s), qty in moving.items():
        row(s, src)["in_transit_out"] += qty
        row(s, dst)["in_transit_in"] += qty
        row(s, ALL_WAREHOUSES)["in_transit_out"] += qty
        row(s, ALL_WAREHOUSES)["in_transit_in"] += qty
    out = []
    for key in sorted(rows, key=lambda k: (k[0], k[1] == ALL_WAREHOUSES, k[1])):
        r = rows[key]
        if sku is not None and r["sku"] != sku:
            continue
        for col in ("on_hand", "in_transit_out", "in_transit_in"):
            r[col] = _r(r[col])
        r["total"] = _r(r["on_hand"] + r["in_transit_out"])
        out.append(r)
    return out, []


def turnover(co: Company, as_of, days: int = 365):
    """Company demand over `days`, turnover = demand / average company stock, yearly; days of supply."""
    _days(days=days)
    start, end = window(as_of, days)
    demand, _last, internal = co.demand(start, end)
    now = co.company_stock(end)
    before = co.company_stock(start - timedelta(days=1))
    rows = []
    for s in sorted(set(now) | set(demand) | set(internal)):
        qty, used = now.get(s, 0.0), demand.get(s, 0.0)
        average = (before.get(s, 0.0) + qty) / 2
        daily = used / days
        dos = days_of_supply(qty, daily)
        cost = co.cost(s)
        rows.append({"sku": s, "on_hand": _r(qty), "demand": _r(used), "internal_transfers": _r(internal.get(s, 0.0)),
                     "average_inventory": _r(average), "turnover": turnover_ratio(used, average, days),
                     "daily_demand": _r(daily, 4), "days_of_supply": _r(dos, 1),
                     "demand_value": _r(used * cost, 2) if cost else None,
                     "average_inventory_value": _r(average * cost, 2) if cost else None})
    return rows, []


def dead_slow(co: Company, as_of, dead_days: int = 180, slow_days: int = 90, days: int = 90):
    """Items the company holds: dead (no company demand for dead_days), slow (days of supply over slow_days)."""
    _days(days=days, dead_days=dead_days, slow_days=slow_days)
    end = report_day(as_of)
    held = co.company_stock(end)
    recent, _, _ = co.demand(*window(end, days))
    _, alive, _ = co.demand(*window(end, dead_days))
    rows = []
    for s, qty in held.items():
        if qty <= 1e-6:
            continue
        dos = days_of_supply(qty, recent.get(s, 0.0) / days)
        status = stock_status(s in alive, dos, slow_days)
        cost = co.cost(s)
        rows.append({"sku": s, "status": status, "on_hand": _r(qty), "value": _r(qty * cost, 2) if cost else None,
                     "last_demand": alive.get(s) or co.last_demand(s, end), "days_of_supply": _r(dos, 1)})
    rows.sort(key=lambda r: (STATUS_ORDER[r["status"]], -(r["value"] or 0.0), -r["on_hand"], r["sku"]))
    return rows, []


def abc(co: Company, as_of, days: int = 365):
    """ABC classes by annual company consumption value (quantity when central lacks costs)."""
    _days(days=days)
    used, _, _ = co.demand(*window(as_of, days))
    skus = {s for s, item in co.items.items() if item.active} | set(used) | set(co.company_stock(as_of))
    uncosted = sorted(s for s in skus if used.get(s, 0.0) > 0 and co.cost(s) <= 0)
    basis = "quantity" if uncosted else "value"
    notes = [f"ranked by annual quantity, not value: central has no unit cost for {len(uncosted)} item(s) "
             f"with demand ({', '.join(uncosted[:10])}{' ...' if len(uncosted) > 10 else ''}); "
             "POST /api/v1/items with unit_cost to rank by value"] if uncosted else []
    annual = {s: used.get(s, 0.0) * 365 / days for s in skus}
    values = {s: q * (co.cost(s) if basis == "value" else 1.0) for s, q in annual.items()}
    classes = classify(values)
    total = sum(v for v in values.values() if v > 0) or 1.0
    rows, running = [], 0.0
    for s, v in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        running += max(v, 0.0)
        rows.append({"sku": s, "annual_qty": _r(annual[s], 4), "unit_cost": co.cost(s) if s in co.items else None,
                     "annual_value": _r(annual[s] * co.cost(s), 2) if basis == "value" else None,
                     "basis": basis, "cumulative_share": _r(running / total, 4), "abc_class": classes[s]})
    return rows, notes


def valuation(co: Company, as_of):
    """Company stock at moving average cost (the edge's SkuValue over the company's boundary movements)."""
    state: dict[str, SkuValue] = {}
    for s, qty, sign, _at in co.boundary(as_of):
        v = state.setdefault(s, SkuValue())
        if sign > 0:
            v.receive(qty, co.cost(s))
        else:
            v.issue(qty, co.cost(s), True)
    uncosted = sorted(s for s, v in state.items() if abs(v.qty) > 1e-6 and co.cost(s) <= 0)
    notes = [f"no unit cost at central for {len(uncosted)} item(s) ({', '.join(uncosted[:10])}"
             f"{' ...' if len(uncosted) > 10 else ''}): their value is empty"] if uncosted else []
    rows = []
    for s, v in sorted(state.items()):
        if abs(v.qty) <= 1e-6:
            continue
        costed = co.cost(s) > 0
        rows.append({"sku": s, "description": co.items[s].description if s in co.items else "", "qty": _r(v.qty),
                     "unit_cost": co.cost(s) if costed else None,
                     "average_cost": _r(v.avg_cost, 4) if costed else None,
                     "average_value": _r(v.qty * v.avg_cost, 2) if costed else None})
    return rows, notes


def receiving(co: Company, as_of, days: int = 90):
    """Per warehouse over `days`: receipts from suppliers and transfers in, with quantities and value."""
    _days(days=days)
    start, end = window(as_of, days)
    lo, hi = start.isoformat(), (end + timedelta(days=1)).isoformat()
    out: dict[str, dict] = {}
    blank = {"receipts": 0, "receipt_lines": 0, "received_qty": 0.0, "received_value": 0.0, "transfers_in": 0,
             "transfer_in_qty": 0.0, "returns_qty": 0.0}
    for r in co.store.all(co.conn, "SELECT warehouse, kind, sku, count(*) AS n, sum(qty) AS qty FROM movement "
                                   "WHERE kind IN ('receive', 'transfer_in', 'return') AND recorded_at >= ? "
                                   "AND recorded_at < ? GROUP BY warehouse, kind, sku", (lo, hi)):
        e = out.setdefault(r["warehouse"], {"warehouse": r["warehouse"], **blank})
        if r["kind"] == "receive":
            e["receipt_lines"] += r["n"]
            e["received_qty"] += r["qty"]
            e["received_value"] += r["qty"] * co.cost(r["sku"])
        elif r["kind"] == "transfer_in":
            e["transfer_in_qty"] += r["qty"]
        else:
            e["returns_qty"] += r["qty"]
    for r in co.store.all(co.conn, "SELECT warehouse, kind, count(DISTINCT ref_id) AS docs FROM movement "
                                   "WHERE kind IN ('receive', 'transfer_in') AND recorded_at >= ? AND recorded_at < ? "
                                   "GROUP BY warehouse, kind", (lo, hi)):
        out[r["warehouse"]]["receipts" if r["kind"] == "receive" else "transfers_in"] = r["docs"]
    rows = []
    for wh in sorted(out):
        e = out[wh]
        for col in ("received_qty", "transfer_in_qty", "returns_qty"):
            e[col] = _r(e[col])
        e["received_value"] = _r(e["received_value"], 2)
        rows.append(e)
    return rows, []


def transfers(co: Company, as_of, days: int = 90):
    """Per route (from, to): transfers shipped in `days`, quantities shipped and received, in transit now."""
    _days(days=days)
    start, end = window(as_of, days)
    routes: dict[tuple, dict] = {}
    ids: dict[tuple, set] = defaultdict(set)
    for line in co.transfer_lines(end, since=start - timedelta(days=1)):
        key = (line.source or "", line.destination or "")
        e = routes.setdefault(key, {"from_warehouse": key[0], "to_warehouse": key[1], "internal": line.internal,
                                    "transfers": 0, "shipped_qty": 0.0, "received_qty": 0.0, "in_transit_qty": 0.0})
        if line.shipped > 0:
            ids[key].add(line.transfer_id)
        e["shipped_qty"] += line.shipped
        e["received_qty"] += line.received
        e["in_transit_qty"] += line.in_transit
    rows = []
    for key in sorted(routes):
        e = routes[key]
        if not (ids[key] or e["received_qty"] or e["in_transit_qty"]):
            continue
        e["transfers"] = len(ids[key])
        for col in ("shipped_qty", "received_qty", "in_transit_qty"):
            e[col] = _r(e[col])
        rows.append(e)
    return rows, []


@dataclass
class Report:
    fn: Callable
    summary: str


REPORTS: dict[str, Report] = {
    "stock": Report(stock, "Stock by warehouse, bin, sku and lot as of a date (the warehouses' ledgers replayed)"),
    "stock_by_warehouse": Report(stock_by_warehouse, "Per item and warehouse: on hand, in transit out and in; "
                                                     "company totals (warehouse *)"),
    "turnover": Report(turnover, "Company demand, turnover and days of supply per item over `days`"),
    "dead_slow": Report(dead_slow, "Dead and slow stock company-wide"),
    "abc": Report(abc, "ABC classes by annual company consumption value"),
    "valuation": Report(valuation, "Company stock at moving average cost"),
    "receiving": Report(receiving, "Receipts, transfers in and returns per warehouse over `days`"),
    "transfers": Report(transfers, "Transfers per route: shipped, received, in transit"),
}


def resolve(name: str) -> str:
    """The report's registry name; `stock-by-warehouse` is accepted for `stock_by_warehouse`."""
    key = name.replace("-", "_")
    if key not in REPORTS:
        raise UnknownKey(f"no report {name!r}; reports: {', '.join(REPORTS)}", field="name")
    return key


def accepted(name: str) -> list[str]:
    return [p for p in inspect.signature(REPORTS[name].fn).parameters if p not in ("co", "as_of")]


def run(store, name: str, as_of: date | None = None, params: dict | None = None, limit: int | None = None) -> dict:
    """Run report ``name`` company-wide; unknown reports are 404, parameters a report does not take 422."""
    name = resolve(name)
    given = {k: v for k, v in (params or {}).items() if v is not None}
    allowed = accepted(name)
    for key in given:
        if key not in allowed:
            raise BadInput(f"report {name} takes {', '.join(allowed) or 'no parameters'} besides as_of; "
                           f"not {key}", field=key)
    rows, notes = REPORTS[name].fn(Company(store), as_of, **given)
    total = len(rows)
    if limit is not None:
        rows = rows[:limit]
    return {"report": name, "as_of": (as_of or today()).isoformat(), "generated_at": utcnow(), "params": given,
            "notes": notes, "count": total, "rows": rows}


def catalogue() -> list[dict]:
    return [{"name": n, "summary": r.summary, "params": ["as_of", *accepted(n)]} for n, r in REPORTS.items()]
