"""Inventory valuation by FIFO cost layers and by moving average cost. No Flask.

Only movements across the site's boundary change value: in (no from_bin:
receipts, returns, opening stock, found stock) and out (no to_bin: shipments,
scrap, lost stock). Moves between bins, transfers into the in-transit bin
included, keep their value.

Cost of what comes in: a receipt against a purchase order is valued at the
PO line's unit_price when one was recorded (suggested POs record it), else
at the item's unit_cost; everything else at the item's unit_cost. The item
master holds today's cost only, so a past date's figures use today's
unit_cost for inflows without a PO price: say so when you compare periods.

FIFO: each inflow is a layer; an outflow consumes the oldest layers first.
Stock that goes out with no layer left (the ledger allowed negative stock
after an offline replay) is costed at the item's unit_cost. Moving average:
each inflow re-averages the cost; outflows leave it unchanged.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date

from edge.analytics.asof import cutoff

EPS = 1e-9


@dataclass
class SkuValue:
    qty: float = 0.0
    layers: deque = field(default_factory=deque)  # [qty, unit_cost], oldest first
    avg_cost: float = 0.0
    fifo_cogs: float = 0.0
    avg_cogs: float = 0.0
    issued: float = 0.0

    def receive(self, qty: float, cost: float) -> None:
        if self.qty > EPS:
            self.avg_cost = (self.qty * self.avg_cost + qty * cost) / (self.qty + qty)
        else:
            self.avg_cost = cost
        self.qty += qty
        self.layers.append([qty, cost])

    def issue(self, qty: float, fallback_cost: float, count: bool) -> None:
        left, cost = qty, 0.0
        while left > EPS and self.layers:
            layer = self.layers[0]
            take = min(left, layer[0])
            cost += take * layer[1]
            layer[0] -= take
            left -= take
            if layer[0] <= EPS:
                self.layers.popleft()
        cost += max(left, 0.0) * fallback_cost
        avg = qty * (self.avg_cost if self.qty > EPS else fallback_cost)
        self.qty -= qty
        if count:
            self.fifo_cogs += cost
            self.avg_cogs += avg
            self.issued += qty

    def fifo_value(self) -> float:
        return sum(q * c for q, c in self.layers)


def _po_prices(conn) -> dict[tuple[str, str], float]:
    """(receipt id, sku) -> unit price of the PO line it was received against."""
    return {(r["receipt_id"], r["sku"]): r["price"] for r in conn.execute(
        "SELECT r.id AS receipt_id, l.sku, sum(l.qty * l.unit_price) / sum(l.qty) AS price FROM receipt r "
        "JOIN po_line l ON l.po_id = r.po_id WHERE l.unit_price IS NOT NULL GROUP BY r.id, l.sku")}


def value(conn, as_of: date | None, since: date | None = None, skus=None) -> dict[str, SkuValue]:
    """sku -> :class:`SkuValue` at the end of ``as_of``; cost of goods issued is
    summed for movements recorded after the end of ``since`` (None: from the start)."""
    costs = {r["sku"]: r["unit_cost"] for r in conn.execute("SELECT sku, unit_cost FROM item")}
    prices = _po_prices(conn)
    where, params = ["(from_bin IS NULL OR to_bin IS NULL)"], []
    upper = cutoff(as_of)
    if upper is not None:
        where.append("recorded_at < ?")
        params.append(upper)
    if skus is not None:
        where.append(f"sku IN ({','.join('?' * len(skus))})")
        params += list(skus)
    start = cutoff(since) if since is not None else ""
    out: dict[str, SkuValue] = {}
    cur = conn.cursor()
    cur.row_factory = None  # plain tuples: millions of rows
    for sku, qty, from_bin, kind, ref_type, ref_id, at in cur.execute(
            "SELECT sku, qty, from_bin, kind, ref_type, ref_id, recorded_at FROM movement "
            f"WHERE {' AND '.join(where)} ORDER BY seq", params):
        state = out.get(sku)
        if state is None:
            state = out[sku] = SkuValue()
        if from_bin is None:
            unit = costs.get(sku, 0.0)
            if ref_type == "receipt" and kind == "receive":
                unit = prices.get((ref_id, sku), unit)
            state.receive(qty, unit)
        else:
            state.issue(qty, costs.get(sku, 0.0), at >= start)
    return out


def valuation_report(conn, as_of: date | None) -> list[dict]:
    rows = []
    desc = {r["sku"]: r["description"] for r in conn.execute("SELECT sku, description FROM item")}
    for sku, v in sorted(value(conn, as_of).items()):
        if abs(v.qty) <= 1e-6:
            continue
        rows.append({"sku": sku, "description": desc.get(sku, ""), "qty": round(v.qty, 6),
                     "fifo_value": round(v.fifo_value(), 2), "fifo_unit_cost": round(v.fifo_value() / v.qty, 4)
                     if v.qty > EPS else None, "layers": len(v.layers),
                     "average_cost": round(v.avg_cost, 4), "average_value": round(v.qty * v.avg_cost, 2)})
    return rows


def layers_report(conn, as_of: date | None, sku: str) -> list[dict]:
    """The open FIFO layers of one item, oldest first."""
    v = value(conn, as_of, skus=[sku]).get(sku)
    if v is None:
        return []
    return [{"sku": sku, "layer": i + 1, "qty": round(q, 6), "unit_cost": c, "value": round(q * c, 2)}
            for i, (q, c) in enumerate(v.layers)]
