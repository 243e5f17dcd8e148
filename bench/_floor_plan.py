"""How bench/floor_load.py plans each workflow's work before the load: the
Planner creates purchase orders, sales orders released as pick lists, putaway
tasks from closed receipts and count tasks through the REST API, and turns
them into each handheld's list of floor commands.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import requests

from _floor_clients import Handheld, now_iso, step
from edge.ids import new_id

PINS = {"picker": "1111", "receiver": "2222", "counter": "3333", "supervisor": "4444"}  # the demo's users
ORDER_LINES, PO_LINES, PUTAWAY_PO_LINES, COUNT_BINS = 10, 8, 20, 5
RECEIVING_DOCKS = ("D-DOCK-01", "D-DOCK-02", "D-DOCK-03")  # the demo's docks: three unload, three feed putaway
PUTAWAY_DOCKS = ("D-DOCK-04", "D-DOCK-05", "D-DOCK-06")


# -- planning the work (REST for every write, the database file for looking around) -----------

class Planner:
    def __init__(self, url: str, db: Path, clients: dict[str, int], budget: dict[str, int]):
        from edge.db import connect
        self.url, self.clients, self.budget = url, clients, budget
        self.db = connect(db, readonly=True)
        self.http = requests.Session()
        self.tokens = {role: self.sign_in(role, f"bench-planner-{role}") for role in PINS}
        self.taken_skus: set[str] = set()   # items one workflow relies on; the others keep off
        self.count_skus: set[str] = set()

    def sign_in(self, role: str, device: str) -> str:
        r = requests.post(self.url + "/api/v1/session", json={"pin": PINS[role], "device_id": device}, timeout=30)
        r.raise_for_status()
        return r.json()["token"]

    def call(self, method: str, path: str, role: str = "supervisor", **kw):
        r = self.http.request(method, self.url + path, headers={"Authorization": f"Bearer {self.tokens[role]}"},
                              timeout=60, **kw)
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")
        return r.json()

    def commands(self, role: str, steps: list) -> None:
        for i in range(0, len(steps), 500):
            batch = [{"id": c, "type": t, "at": now_iso(), "payload": p} for c, t, p in steps[i:i + 500]]
            for res in self.call("POST", "/api/v1/commands", role, json={"commands": batch})["results"]:
                if res["status"] != "applied":
                    raise RuntimeError(f"setup command rejected: {res.get('problem')}")

    def free_stock(self) -> list:
        """(bin, sku, free qty) of plain items in storage and pick faces, most first."""
        return self.db.execute(
            "SELECT s.bin, s.sku, s.qty - s.reserved AS free, b.zone FROM stock s JOIN item i USING (sku) "
            "JOIN bin b ON b.code = s.bin WHERE i.tracking = 'none' AND i.active AND b.active "
            "AND b.kind IN ('storage', 'pick-face') AND s.lot = '' AND s.qty - s.reserved >= 1 "
            "ORDER BY free DESC, s.bin, s.sku").fetchall()

    def plain_skus(self, n: int, avoid: set[str]) -> list[str]:
        rows = self.db.execute("SELECT sku FROM item WHERE tracking = 'none' AND active AND uom = 'ea' ORDER BY sku")
        return [r[0] for r in rows if r[0] not in avoid][:n]

    def split(self, workflow: str, jobs: list[list]) -> list[list]:
        """Share whole jobs (an order, a receipt, a count task) out among the workflow's handhelds."""
        lanes: list[list] = [[] for _ in range(self.clients[workflow])]
        for i, job in enumerate(jobs):
            lanes[i % len(lanes)].extend(job)
        return lanes

    # -- counting first: its bins and their items are kept away from every other workflow --

    def counting(self) -> list[list]:
        counter_id = self.call("GET", "/api/v1/me", "counter")["id"]
        busy = {r[0] for r in self.db.execute("SELECT bin FROM count_task_bin")} if self._has("count_task_bin") else set()
        candidates = self.db.execute(
            "SELECT s.bin FROM stock s JOIN bin b ON b.code = s.bin JOIN item i USING (sku) "
            "WHERE b.kind = 'storage' AND b.active GROUP BY s.bin "
            "HAVING sum(i.tracking = 'serial') = 0 AND sum(s.reserved) = 0 AND min(s.qty) > 0 ORDER BY s.bin").fetchall()
        bins = [r[0] for r in candidates if r[0] not in busy][: self.budget["counting"] // 6 * COUNT_BINS]
        jobs = []
        for i in range(0, len(bins), COUNT_BINS):
            chunk = bins[i:i + COUNT_BINS]
            try:
                task = self.call("POST", "/api/v1/count-tasks", json={"kind": "bin", "bins": chunk,
                                                                      "assigned_to": counter_id, "note": "bench"})
            except RuntimeError as exc:  # a bin already has an open count: leave these out
                print(f"    a count task was refused: {exc}")
                continue
            job = [step("count.start", {"task_id": task["id"]})]
            for b in chunk:
                items = [{"sku": r["sku"], "lot": r["lot"] or None, "qty": r["qty"]} for r in self.db.execute(
                    "SELECT sku, lot, qty FROM stock WHERE bin = ? AND qty > 0 ORDER BY sku, lot", (b,))]
                self.taken_skus.update(it["sku"] for it in items)
                self.count_skus.update(it["sku"] for it in items)
                job.append(step("count", {"task_id": task["id"], "bin": b, "items": items}))
            jobs.append(job)
        self.count_bins = set(bins)
        return self.split("counting", jobs)

    def _has(self, table: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None

    # -- moves: one item per handheld, shuttled between two bins --------------------

    def moves(self, tokens: list[str], with_tote: bool) -> list[Handheld]:
        out, used_bins = [], set(getattr(self, "count_bins", ()))
        storage = [r[0] for r in self.db.execute("SELECT code FROM bin WHERE kind = 'storage' AND active ORDER BY code")]
        for row in self.free_stock():
            if len(out) == len(tokens):
                break
            if row["sku"] in self.taken_skus or row["bin"] in used_bins or row["free"] < 2:
                continue
            away = next(b for b in storage if b not in used_bins and b != row["bin"])
            used_bins.update((row["bin"], away))
            self.taken_skus.add(row["sku"])
            tote = f"TOTE-{50 - len(out):03d}" if with_tote else None
            out.append(Handheld("moves", tokens[len(out)], shuttle=(row["sku"], row["bin"], away, tote)))
        return out

    # -- picking: single-order pick lists, one tote per handheld, shipped when picked ------------

    def picking(self) -> list[list]:
        orders_needed = max(1, math.ceil(self.budget["picking"] / (ORDER_LINES + 2)))
        free: dict[str, float] = defaultdict(float)
        for row in self.free_stock():
            if row["sku"] not in self.taken_skus:
                free[row["sku"]] += row["free"]
        # The items with the most free stock, just enough of them: the rest stay for receiving and putaway.
        skus, enough = [], 0.0
        for sku in sorted(free, key=lambda s: -free[s]):
            if enough >= 1.2 * orders_needed * ORDER_LINES and len(skus) >= ORDER_LINES:
                break
            skus.append(sku)
            enough += free[sku]
        orders, k = [], 0
        for n in range(orders_needed):
            lines = []
            while len(lines) < ORDER_LINES and skus:
                sku = skus[k % len(skus)]
                k += 1
                if free[sku] >= 1:
                    free[sku] -= 1
                    lines.append({"sku": sku, "qty": 1})
                    self.taken_skus.add(sku)
            order_id = f"SO-BENCH-{n + 1:05d}"
            self.call("POST", "/api/v1/sales-orders", json={"id": order_id, "customer": "bench", "lines": lines})
            orders.append(order_id)
        lists = []
        for i in range(0, len(orders), 500):
            chunk = orders[i:i + 500]
            lists += self.call("POST", "/api/v1/waves", json={"order_ids": chunk, "kind": "single",
                                                              "max_orders": len(chunk)})["lists"]
        lanes = self.split("picking", [[lst] for lst in lists])
        out = []
        for lane_no, lane in enumerate(lanes):
            tote = f"TOTE-{lane_no + 1:03d}"
            steps = []
            for summary in lane:
                full = self.call("GET", f"/api/v1/pick-lists/{summary['id']}", "picker")
                steps.append(step("pick.tote", {"list_id": full["id"], "tote": tote}))
                for line in full["lines"]:
                    barcode = next((b["code"] for b in line["barcodes"] if b["pack_qty"] == 1), line["sku"])
                    steps.append(step("pick.confirm", {"list_id": full["id"], "line": line["seq"], "bin": line["bin"],
                                                       "item": barcode, "qty": line["remaining"], "lot": line["lot"]}))
                steps += [step("order.ship", {"order_id": o["order_id"], "tote": tote}) for o in full["orders"]]
            out.append(steps)
        return out

    # -- receiving and putaway ------------------------------------------------------

    def purchase_orders(self, prefix: str, count: int, lines: int, distinct: bool) -> list[tuple[str, list[str]]]:
        # Putaway needs every line to be an item of its own: a dock holding an item already
        # tasked gets no second task for it.
        # Putaway puts goods where the same item lives: never into a bin being counted. Receiving
        # only unloads onto the dock, so any item will do.
        skus = (self.plain_skus(lines * -(-count // len(PUTAWAY_DOCKS)), self.count_skus) if distinct
                else self.plain_skus(lines * 4, set()))
        out = []
        blocks = max(1, len(skus) // lines)
        for n in range(min(count, len(PUTAWAY_DOCKS) * blocks) if distinct else count):
            po_id = f"PO-BENCH-{prefix}-{n + 1:05d}"
            block = n // len(PUTAWAY_DOCKS) if distinct else n  # distinct: the same items again on another dock
            chosen = [skus[(block * lines + i) % len(skus)] for i in range(lines)]
            self.call("POST", "/api/v1/purchase-orders", json={"id": po_id, "supplier": "bench",
                                                               "lines": [{"sku": s, "qty": 12} for s in chosen]})
            out.append((po_id, chosen))
        return out

    @staticmethod
    def receipt(po_id: str, skus: list[str], dock: str, scans: int = 2) -> list:
        rid = new_id()
        job = [step("receipt.open", {"dock_bin": dock, "document": po_id}, rid)]
        for sku in skus:  # each line of 12 in scans of 12 / scans
            job += [step("receipt.line", {"receipt_id": rid, "sku": sku, "qty": 12 // scans}) for _ in range(scans)]
        return job + [step("receipt.close", {"receipt_id": rid})]

    def receiving(self) -> list[list]:
        count = max(1, math.ceil(self.budget["receiving"] / (2 * PO_LINES + 2)))
        pos = self.purchase_orders("R", count, PO_LINES, distinct=False)
        jobs = [self.receipt(po, skus, RECEIVING_DOCKS[n % len(RECEIVING_DOCKS)]) for n, (po, skus) in enumerate(pos)]
        return self.split("receiving", jobs)

    def putaway(self) -> list[list]:
        count = max(1, math.ceil(self.budget["putaway"] / PUTAWAY_PO_LINES))
        pos = self.purchase_orders("P", count, PUTAWAY_PO_LINES, distinct=True)
        tasks = []
        for n, (po, skus) in enumerate(pos):
            job = self.receipt(po, skus, PUTAWAY_DOCKS[n % len(PUTAWAY_DOCKS)], scans=1)
            self.commands("receiver", job)
            # One receipt's tasks fit a page; asked per receipt, not paged across receipts.
            tasks += self.call("GET", "/api/v1/putaway/tasks", "picker",
                               params={"status": "open", "receipt_id": job[0][0], "limit": 1000})["items"]
        jobs = [[step("putaway.confirm", {"task_id": t["id"], "to_bin": t["suggested_bin"], "qty": t["remaining"]})]
                for t in tasks if t.get("suggested_bin")]
        return self.split("putaway", jobs)
