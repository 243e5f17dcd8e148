"""What the company holds, has in transit and uses, read from the movements
central holds for every warehouse. No Flask. The report functions in
reports.py are built on these reads (docs/reports.md, "Company-wide reports
at central").

Time base as on the edge (edge/analytics/asof.py): "as of D" is every
movement recorded (``recorded_at``, the warehouse's edge clock) before D+1.

Transfers between warehouses need care company-wide. The sending edge loads
goods into its in-transit bin (``transfer_out``) and keeps them there; the
receiving edge books them in from outside (``transfer_in`` with no
from_bin). Summing every warehouse's ledger therefore counts a received
transfer twice. So: goods in in-transit bins are not *on hand* anywhere; a
transfer to another registered warehouse is *in transit* for what was loaded
(net of what left the transit bin under the same transfer) minus what the
destination received; a transfer to a site central does not know left the
company when it was loaded, like a shipment.

Once the destination's receipt has synced, central sends the source a
``transfer_receipt`` change and the source takes the goods out of its transit
bin (``transfer_delivered``, to no bin). Those movements only follow a receipt
already subtracted here, so they count neither against in transit (that would
subtract the receipt twice) nor as goods leaving the company.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from edge.analytics.asof import cutoff

EPS = 1e-9


@dataclass
class Item:
    sku: str
    description: str = ""
    uom: str = ""
    unit_cost: float = 0.0
    active: bool = True


@dataclass
class TransferLine:
    """One item on one transfer: what was shipped and received in the window, in transit at its end."""
    transfer_id: str
    source: str | None
    destination: str | None
    internal: bool
    sku: str
    shipped: float = 0.0
    received: float = 0.0
    in_transit: float = 0.0


def _r(x: float) -> float:
    return round(x, 6) + 0.0  # + 0.0: no "-0.0" in JSON or CSV


class Company:
    """The company as central's store holds it. One instance per report run."""

    def __init__(self, store):
        self.store = store
        self.conn = store.conn()
        self.warehouses = {r["code"] for r in store.all(self.conn, "SELECT code FROM warehouse")}
        self.transfers = {r["id"]: (r["from_warehouse"], r["to_warehouse"]) for r in store.all(
            self.conn, "SELECT id, from_warehouse, to_warehouse FROM transfer")}
        self.items = self._items()
        self._transit_bins: dict[str, set[str]] | None = None

    def _items(self) -> dict[str, Item]:
        out = {}
        for r in self.store.all(self.conn, "SELECT key, op, data FROM change WHERE kind = 'item' AND warehouse = ''"):
            d = json.loads(r["data"])
            out[r["key"]] = Item(r["key"], d.get("description") or "", d.get("uom") or "",
                                 float(d.get("unit_cost") or 0.0), r["op"] != "delete" and d.get("active", True))
        return out

    def cost(self, sku: str) -> float:
        item = self.items.get(sku)
        return item.unit_cost if item else 0.0

    # -- transfers ------------------------------------------------------------------

    def route(self, tid: str | None, warehouse: str, reason: str | None) -> tuple[str | None, str | None]:
        """(source, destination) of a transfer: central's transfer record, else the shipping
        movement's warehouse and its reason ("to WH2", as the edge writes it)."""
        src, dst = self.transfers.get(tid or "", (None, None))
        if dst is None and reason and reason.startswith("to "):
            dst = reason[3:].strip() or None
        return src or warehouse, dst

    def internal(self, source: str | None, destination: str | None) -> bool:
        """Between two warehouses of the company (both registered at central)."""
        return destination in self.warehouses and destination != source

    def transit_bins(self) -> dict[str, set[str]]:
        """warehouse -> its in-transit bins: where its transfer_out movements went, and bins of kind
        in-transit the ERP declared."""
        if self._transit_bins is None:
            bins: dict[str, set[str]] = defaultdict(set)
            for r in self.store.all(self.conn, "SELECT DISTINCT warehouse, to_bin FROM movement "
                                               "WHERE kind = 'transfer_out' AND to_bin IS NOT NULL"):
                bins[r["warehouse"]].add(r["to_bin"])
            for r in self.store.all(self.conn, "SELECT key, warehouse, data FROM change WHERE kind = 'bin'"):
                if json.loads(r["data"]).get("kind") == "in-transit":
                    bins[r["warehouse"]].add(r["key"])
            self._transit_bins = dict(bins)
        return self._transit_bins

    def transfer_lines(self, as_of: date | None, since: date | None = None) -> list[TransferLine]:
        """Per (transfer, sku): shipped and received after the end of ``since`` (None: ever) up to
        the end of ``as_of``, and what is in transit at the end of ``as_of``."""
        upper, lower = cutoff(as_of), cutoff(since) or ""
        where, params = ["ref_type = 'transfer'", "ref_id IS NOT NULL"], [lower]
        if upper is not None:
            where.append("recorded_at < ?")
            params.append(upper)
        cols = "warehouse, ref_id, kind, sku, from_bin, to_bin, reason"
        rows = self.store.all(self.conn, f"SELECT {cols}, recent, sum(qty) AS qty FROM (SELECT {cols}, qty, "
                                         "CASE WHEN recorded_at >= ? THEN 1 ELSE 0 END AS recent FROM movement "
                                         f"WHERE {' AND '.join(where)}) AS m GROUP BY {cols}, recent", params)
        routes: dict[str, tuple] = {}
        for r in rows:  # the shipping movements name the route when central has no document yet
            if r["kind"] == "transfer_out" and r["ref_id"] not in routes:
                routes[r["ref_id"]] = self.route(r["ref_id"], r["warehouse"], r["reason"])
        transit = self.transit_bins()
        lines: dict[tuple[str, str], TransferLine] = {}
        for r in rows:
            tid = r["ref_id"]
            src, dst = routes.get(tid) or self.transfers.get(tid, (None, None))
            line = lines.get((tid, r["sku"]))
            if line is None:
                line = lines[(tid, r["sku"])] = TransferLine(tid, src, dst, self.internal(src, dst), r["sku"])
            qty, recent = r["qty"], bool(r["recent"])
            if r["warehouse"] == src and r["kind"] != "transfer_delivered":
                bins = transit.get(src, set())
                if r["to_bin"] in bins:
                    line.in_transit += qty
                if r["from_bin"] in bins:
                    line.in_transit -= qty
                if r["kind"] == "transfer_out" and recent:
                    line.shipped += qty
            elif r["warehouse"] == dst and r["kind"] == "transfer_in":
                line.in_transit -= qty
                if recent:
                    line.received += qty
        out = []
        for key in sorted(lines):
            line = lines[key]
            line.in_transit = _r(max(line.in_transit, 0.0)) if line.internal else 0.0
            line.shipped, line.received = _r(line.shipped), _r(line.received)
            out.append(line)
        return out

    # -- stock ------------------------------------------------------------------------

    def ledger(self, as_of: date | None, warehouse: str | None = None,
               sku: str | None = None) -> dict[tuple[str, str, str, str], float]:
        """(warehouse, bin, sku, lot) -> qty by summing the movements up to the end of ``as_of``."""
        cond, params = "", []
        for col, value in (("recorded_at <", cutoff(as_of)), ("warehouse =", warehouse), ("sku =", sku)):
            if value is not None:
                cond += f" AND {col} ?"
                params.append(value)
        sums = {}
        for r in self.store.all(self.conn, f"""SELECT warehouse, bin, sku, lot, sum(d) AS qty FROM (
                SELECT warehouse, from_bin AS bin, sku, lot, -qty AS d FROM movement WHERE from_bin IS NOT NULL{cond}
                UNION ALL
                SELECT warehouse, to_bin AS bin, sku, lot, qty AS d FROM movement WHERE to_bin IS NOT NULL{cond}
                ) AS delta GROUP BY warehouse, bin, sku, lot""", params * 2):
            if abs(r["qty"]) > 1e-6:
                sums[(r["warehouse"], r["bin"], r["sku"], r["lot"])] = _r(r["qty"])
        return sums

    def projection(self, warehouse: str | None = None, sku: str | None = None) -> dict[tuple, float]:
        """The same as :meth:`ledger` for now, from the stock projection (verify keeps them equal)."""
        where, params = ["abs(qty) > 0.000001"], []
        for col, value in (("warehouse", warehouse), ("sku", sku)):
            if value is not None:
                where.append(f"{col} = ?")
                params.append(value)
        return {(r["warehouse"], r["bin"], r["sku"], r["lot"]): _r(r["qty"]) for r in self.store.all(
            self.conn, f"SELECT warehouse, bin, sku, lot, qty FROM stock WHERE {' AND '.join(where)}", params)}

    def stock(self, as_of: date | None, warehouse: str | None = None, sku: str | None = None) -> dict[tuple, float]:
        return self.projection(warehouse, sku) if as_of is None else self.ledger(as_of, warehouse, sku)

    def on_hand(self, as_of: date | None) -> dict[tuple[str, str], float]:
        """(warehouse, sku) -> qty in every bin but the in-transit ones."""
        transit = self.transit_bins()
        out: dict[tuple[str, str], float] = defaultdict(float)
        for (wh, bin_code, sku, _lot), qty in self.stock(as_of).items():
            if bin_code not in transit.get(wh, ()):
                out[(wh, sku)] += qty
        return {k: _r(v) for k, v in out.items() if abs(v) > 1e-6}

    def in_transit(self, as_of: date | None) -> dict[tuple[str, str, str], float]:
        """(source, destination, sku) -> qty on the way between two warehouses of the company."""
        out: dict[tuple[str, str, str], float] = defaultdict(float)
        for line in self.transfer_lines(as_of):
            if line.in_transit > EPS:
                out[(line.source, line.destination, line.sku)] += line.in_transit
        return {k: _r(v) for k, v in out.items()}

    def company_stock(self, as_of: date | None) -> dict[str, float]:
        """sku -> what the company holds: on hand everywhere plus in transit between its warehouses."""
        out: dict[str, float] = defaultdict(float)
        for (_wh, sku), qty in self.on_hand(as_of).items():
            out[sku] += qty
        for (_src, _dst, sku), qty in self.in_transit(as_of).items():
            out[sku] += qty
        return {k: _r(v) for k, v in out.items() if abs(v) > 1e-6}

    # -- demand -----------------------------------------------------------------------

    def demand(self, start: date, end: date) -> tuple[dict[str, float], dict[str, str], dict[str, float]]:
        """Company demand from the start of ``start`` to the end of ``end``: (sku -> qty, sku -> last
        day with demand, sku -> qty of transfers between its own warehouses, which are not demand)."""
        lo, hi = start.isoformat(), cutoff(end)
        qty: dict[str, float] = defaultdict(float)
        last: dict[str, str] = {}
        internal: dict[str, float] = defaultdict(float)
        for r in self.store.all(self.conn, "SELECT sku, substr(recorded_at, 1, 10) AS d, sum(qty) AS qty FROM movement "
                                           "WHERE kind = 'ship' AND recorded_at >= ? AND recorded_at < ? "
                                           "GROUP BY sku, substr(recorded_at, 1, 10)", (lo, hi)):
            qty[r["sku"]] += r["qty"]
            last[r["sku"]] = max(last.get(r["sku"], ""), r["d"])
        for r in self.store.all(self.conn, "SELECT warehouse, ref_id, reason, sku, substr(recorded_at, 1, 10) AS d, "
                                           "sum(qty) AS qty FROM movement WHERE kind = 'transfer_out' "
                                           "AND recorded_at >= ? AND recorded_at < ? GROUP BY warehouse, ref_id, "
                                           "reason, sku, substr(recorded_at, 1, 10)", (lo, hi)):
            if self.internal(*self.route(r["ref_id"], r["warehouse"], r["reason"])):
                internal[r["sku"]] += r["qty"]
                continue
            qty[r["sku"]] += r["qty"]
            last[r["sku"]] = max(last.get(r["sku"], ""), r["d"])
        return dict(qty), last, dict(internal)

    def last_demand(self, sku: str, end: date) -> str | None:
        """The last day up to the end of ``end`` with company demand for one item (any age)."""
        hi = cutoff(end)
        days = [r["last"] for r in self.store.all(
            self.conn, "SELECT max(recorded_at) AS last FROM movement WHERE sku = ? AND kind = 'ship' "
                       "AND recorded_at < ?", (sku, hi)) if r["last"]]
        for r in self.store.all(self.conn, "SELECT warehouse, ref_id, reason, max(recorded_at) AS last FROM movement "
                                           "WHERE sku = ? AND kind = 'transfer_out' AND recorded_at < ? "
                                           "GROUP BY warehouse, ref_id, reason", (sku, hi)):
            if not self.internal(*self.route(r["ref_id"], r["warehouse"], r["reason"])):
                days.append(r["last"])
        return max(days)[:10] if days else None

    # -- value ------------------------------------------------------------------------

    def boundary(self, as_of: date | None):
        """Movements across the company's boundary, oldest first: (sku, qty, +1 in / -1 out, recorded_at).
        In: from outside (no from_bin), except goods arriving from another of its warehouses.
        Out: to outside (no to_bin), and transfer_out to a site central does not know."""
        where, params = ["(from_bin IS NULL OR to_bin IS NULL OR kind = 'transfer_out')"], []
        if as_of is not None:
            where.append("recorded_at < ?")
            params.append(cutoff(as_of))
        cur = self.store.run(self.conn, "SELECT warehouse, sku, qty, kind, from_bin, to_bin, ref_type, ref_id, reason, "
                                        f"recorded_at FROM movement WHERE {' AND '.join(where)} "
                                        "ORDER BY recorded_at, warehouse, seq", params)
        for r in cur:
            if r["kind"] == "transfer_delivered":
                continue  # the receiving warehouse holds them now: they never left the company
            if r["kind"] == "transfer_out":
                if not self.internal(*self.route(r["ref_id"], r["warehouse"], r["reason"])):
                    yield r["sku"], r["qty"], -1, r["recorded_at"]
            elif r["from_bin"] is None:
                if r["kind"] == "transfer_in" and r["ref_type"] == "transfer":
                    src, _ = self.transfers.get(r["ref_id"] or "", (None, None))
                    if src in self.warehouses and src != r["warehouse"]:
                        continue  # it came from another of the company's warehouses: not new stock
                yield r["sku"], r["qty"], 1, r["recorded_at"]
            elif r["to_bin"] is None:
                yield r["sku"], r["qty"], -1, r["recorded_at"]
