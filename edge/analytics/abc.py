"""ABC classification by annual consumption value, and the hook that makes it
drive the cycle-count schedule. No Flask.

Annual consumption value = demand over the last 365 days (demand.py) x the
item's unit cost. Items are ranked by it; an item is A while the cumulative
share *before* it is under 80 %, B under 95 %, else C. So the item that
crosses 80 % is still A. Items with no consumption are C (counted once a
year), not unclassified (never counted).

The cycle-count schedule (edge/workflows/counting_schedule.py) counts each
item with an ABC class once per ``count_days_a/b/c`` days, reading
``item.abc_class``. :func:`apply_classes` is the explicit hook: it writes the
computed classes there (`floorscan report abc --apply`, POST
/api/v1/reports/abc/apply), and from the next daily run the schedule counts
A items monthly, B quarterly, C yearly (the site's settings).
"""
from __future__ import annotations

from datetime import date

from edge.analytics.demand import consumption
from edge.ledger import LedgerError

A_SHARE, B_SHARE = 0.80, 0.95


def classify(values: dict[str, float], a_share: float = A_SHARE, b_share: float = B_SHARE) -> dict[str, str]:
    """key -> 'A' / 'B' / 'C' for a mapping of consumption values."""
    if not 0 < a_share <= b_share <= 1:
        raise LedgerError("shares must satisfy 0 < a_share <= b_share <= 1", field="a_share")
    total = sum(v for v in values.values() if v > 0)
    out, running = {}, 0.0
    for key, v in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        if v <= 0 or total <= 0:
            out[key] = "C"
            continue
        share_before = running / total
        out[key] = "A" if share_before < a_share else "B" if share_before < b_share else "C"
        running += v
    return out


def abc_report(conn, as_of: date | None, days: int = 365) -> list[dict]:
    if days < 1:
        raise LedgerError("days must be 1 or more", field="days")
    used = consumption(conn, as_of, days)
    items = {r["sku"]: (r["unit_cost"], r["abc_class"]) for r in conn.execute(
        "SELECT sku, unit_cost, abc_class FROM item WHERE active")}
    values = {sku: used.get(sku, 0.0) * cost * 365 / days for sku, (cost, _) in items.items()}
    classes = classify(values)
    total = sum(values.values()) or 1.0
    rows, running = [], 0.0
    for sku, v in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        running += v
        rows.append({"sku": sku, "annual_qty": round(used.get(sku, 0.0) * 365 / days, 4),
                     "unit_cost": items[sku][0], "annual_value": round(v, 2),
                     "cumulative_share": round(running / total, 4), "abc_class": classes[sku],
                     "current_class": items[sku][1]})
    return rows


def apply_classes(conn, classes: dict[str, str]) -> dict:
    """Write computed classes into item.abc_class (what the count schedule reads)."""
    current = {r["sku"]: r["abc_class"] for r in conn.execute("SELECT sku, abc_class FROM item")}
    changes = [(cls, sku) for sku, cls in classes.items() if sku in current and current[sku] != cls]
    conn.executemany("UPDATE item SET abc_class = ? WHERE sku = ?", changes)
    counts = {c: sum(1 for v in classes.values() if v == c) for c in "ABC"}
    return {"changed": len(changes), "classes": counts}
