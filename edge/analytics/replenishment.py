"""Safety stock, reorder point, min/max and EOQ, and the plan per item. No Flask.

Textbook formulas, kept plain so a planner can check them by hand:

* z = NormalDist().inv_cdf(service level)
* safety stock = z * sqrt(L * sd_d² + d² * sd_L²)   (demand and lead-time variability)
* reorder point = expected demand over the lead time + safety stock
* EOQ = sqrt(2 * D * S / H), D yearly demand, S ordering cost, H = holding rate x unit cost
* min = reorder point; max = reorder point + EOQ (the order-up-to level of an (s, S) policy)

d and sd_d come from the forecast (edge/analytics/forecast.py): its mean daily
demand over the lead time and the standard deviation of its one-step errors.
"""
from __future__ import annotations

import math
from datetime import date
from statistics import NormalDist

from edge.analytics import params as params_mod
from edge.analytics.asof import report_day
from edge.analytics.demand import demand_by_sku
from edge.analytics.forecast import forecast_many, lead_time_demand
from edge.ledger import LedgerError, utcnow

HISTORY_DAYS = 182
DAYS_PER_YEAR = 365


def z_value(service_level: float) -> float:
    if not 0 < service_level < 1:
        raise LedgerError(f"service level must be between 0 and 1, not {service_level}", field="service_level")
    return NormalDist().inv_cdf(service_level)


def safety_stock(service_level: float, demand_sd: float, lead_time_days: float, daily_demand: float = 0.0,
                 lead_time_sd_days: float = 0.0) -> float:
    """z * sqrt(L sd_d² + d² sd_L²); never below zero (a service level under 50% asks for none)."""
    if demand_sd < 0 or lead_time_days < 0 or lead_time_sd_days < 0:
        raise LedgerError("demand_sd, lead_time_days and lead_time_sd_days must be 0 or more", field="lead_time_days")
    sigma = math.sqrt(lead_time_days * demand_sd ** 2 + daily_demand ** 2 * lead_time_sd_days ** 2)
    return max(0.0, z_value(service_level) * sigma)


def reorder_point(daily_demand: float, lead_time_days: float, safety: float) -> float:
    return daily_demand * lead_time_days + safety


def eoq(annual_demand: float, ordering_cost: float, holding_cost: float) -> float | None:
    """sqrt(2DS/H); None when holding cost is zero (EOQ is unbounded)."""
    if annual_demand < 0 or ordering_cost < 0 or holding_cost < 0:
        raise LedgerError("annual demand, ordering cost and holding cost must be 0 or more", field="holding_cost")
    if holding_cost == 0:
        return None
    return math.sqrt(2 * annual_demand * ordering_cost / holding_cost)


def round_up(qty: float, pack: float | None) -> float:
    # float, not math.ceil's int: a huge plan must not become an integer SQLite cannot store
    if not pack or pack <= 0:
        return float(math.ceil(qty - 1e-9)) if math.isfinite(qty) else qty
    units = qty / pack - 1e-9
    return float(math.ceil(units)) * pack if math.isfinite(units) else qty


def plan_item(fc, p: dict, unit_cost: float) -> dict:
    """One item's plan from its forecast and effective parameters."""
    lead = float(p["lead_time_days"])
    ss = safety_stock(p["service_level"], fc.sd, lead, fc.daily, p["lead_time_sd_days"] or 0.0)
    rop = lead_time_demand(fc, lead) + ss
    q = eoq(fc.daily * DAYS_PER_YEAR, p["ordering_cost"], p["holding_cost_rate"] * unit_cost)
    min_qty = p["min_qty"] if p["min_qty"] is not None else rop
    max_qty = p["max_qty"] if p["max_qty"] is not None else min_qty + (q or 0.0)
    return {"method": fc.method, "demand_class": fc.demand_class, "daily_demand": fc.daily, "demand_sd": fc.sd,
            "mae": fc.mae, "mase": fc.mase, "lead_time_days": lead, "service_level": p["service_level"],
            "safety_stock": ss, "reorder_point": rop, "min_qty": min_qty, "max_qty": max(max_qty, min_qty), "eoq": q}


def compute_plans(conn, as_of: date | None = None, skus: list[str] | None = None,
                  history_days: int = HISTORY_DAYS) -> dict[str, dict]:
    """sku -> plan for every active item (or ``skus``) with demand history or parameters."""
    stored = params_mod.all_effective(conn)
    series = demand_by_sku(conn, as_of, history_days, skus)
    wanted = set(series) | set(stored)
    if skus is not None:
        wanted &= set(skus)
    items = {r["sku"]: r["unit_cost"] for r in conn.execute("SELECT sku, unit_cost FROM item WHERE active")}
    wanted &= set(items)
    horizon = max([int(math.ceil(p["lead_time_days"])) for p in stored.values()] +
                  [int(math.ceil(params_mod.DEFAULTS["lead_time_days"]))]) + 1
    forecasts = forecast_many({s: series.get(s, [0.0] * history_days) for s in sorted(wanted)}, horizon=horizon)
    defaults = params_mod.effective({})
    return {s: plan_item(fc, stored.get(s, defaults), items[s]) for s, fc in forecasts.items()}


def save_plans(conn, plans: dict[str, dict], as_of: date | None) -> int:
    """Store the plans (the reorder points alerts and suggestions use)."""
    now = utcnow()
    day = report_day(as_of).isoformat()
    conn.executemany(
        "INSERT INTO replenishment_plan (sku, as_of, method, demand_class, daily_demand, demand_sd, mae, mase, "
        "lead_time_days, service_level, safety_stock, reorder_point, min_qty, max_qty, eoq, computed_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (sku) DO UPDATE SET as_of = excluded.as_of, "
        "method = excluded.method, demand_class = excluded.demand_class, daily_demand = excluded.daily_demand, "
        "demand_sd = excluded.demand_sd, mae = excluded.mae, mase = excluded.mase, "
        "lead_time_days = excluded.lead_time_days, service_level = excluded.service_level, "
        "safety_stock = excluded.safety_stock, reorder_point = excluded.reorder_point, "
        "min_qty = excluded.min_qty, max_qty = excluded.max_qty, eoq = excluded.eoq, "
        "computed_at = excluded.computed_at",
        [(s, day, p["method"], p["demand_class"], p["daily_demand"], p["demand_sd"], p["mae"], p["mase"],
          p["lead_time_days"], p["service_level"], p["safety_stock"], p["reorder_point"], p["min_qty"],
          p["max_qty"], p["eoq"], now) for s, p in plans.items()])
    return len(plans)


def plan_rows(plans: dict[str, dict]) -> list[dict]:
    out = []
    for sku in sorted(plans):
        p = plans[sku]
        row = {"sku": sku}
        for key, value in p.items():
            row[key] = round(value, 4) if isinstance(value, float) else value
        out.append(row)
    return out


def levels(conn, skus=None) -> dict[str, dict]:
    """sku -> the reorder point and order-up-to level in force, and where each comes
    from: a planner's min/max, else the stored plan, else the item master."""
    where, params = "", []
    if skus is not None:
        skus = list(skus)
        if not skus:
            return {}
        where, params = f"WHERE i.sku IN ({','.join('?' * len(skus))})", skus
    out = {}
    for r in conn.execute(
            "SELECT i.sku, i.reorder_point AS item_rop, i.reorder_qty AS item_qty, p.min_qty, p.max_qty, p.pack_qty, "
            "p.supplier, pl.reorder_point AS plan_rop, pl.max_qty AS plan_max, pl.eoq "
            "FROM item i LEFT JOIN replenishment_param p ON p.sku = i.sku "
            f"LEFT JOIN replenishment_plan pl ON pl.sku = i.sku {where}", params):
        if r["min_qty"] is not None:
            rop, source = r["min_qty"], "parameter"
        elif r["plan_rop"] is not None:
            rop, source = r["plan_rop"], "plan"
        elif r["item_rop"] is not None:
            rop, source = r["item_rop"], "item"
        else:
            continue
        if r["max_qty"] is not None:
            top = r["max_qty"]
        elif source == "plan":
            top = r["plan_max"]
        else:
            top = rop + (r["item_qty"] or r["eoq"] or 0.0)
        out[r["sku"]] = {"reorder_point": rop, "order_up_to": max(top, rop), "source": source,
                         "pack_qty": r["pack_qty"], "supplier": r["supplier"]}
    return out
