"""Mixed floor load: receiving, putaway, picking, counting and moves at once.

    python bench/floor_load.py [--clients 40] [--seconds 15] [--rate-guess 800] [--keep]

Builds the demo warehouse (`floorscan demo --no-serve`), serves it with
`floorscan serve` (gunicorn, one gthread worker, as production runs it),
plans each workflow's work through the REST API (purchase orders, sales
orders released as pick lists, putaway tasks from closed receipts, count
tasks), then simulated handhelds work through their workflow's floor steps,
one command per POST over keep-alive HTTP, in a closed loop. Handhelds are
shared out as a floor is: picking 60 %, putaway 15 %, receiving 15 %,
counting 5 %, moves 5 %. Prints commands/s and p50/p99 per workflow, the
errors, and the machine; asserts nothing.

Which command types exist is read from the registry (COMMAND_TYPES), so a
workflow whose commands are not there yet is skipped with a note. Only
`applied` counts as success: every planned step is valid when planned, and
each workflow works on stock the others do not touch, so a rejection is a
finding, printed with its problem.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import os
import subprocess
import sys
import time
import uuid
from array import array
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    LoadResult, Server, _read_response, free_port, machine_cpu_seconds, machine_header, make_workdir, python,
    remove_workdir, tree_cpu_seconds,
)

SHARES = {"picking": 0.60, "putaway": 0.15, "receiving": 0.15, "counting": 0.05, "moves": 0.05}
NEEDS = {"picking": ("pick.tote", "pick.confirm", "order.ship"),
         "putaway": ("receipt.open", "receipt.line", "receipt.close", "putaway.confirm"),
         "receiving": ("receipt.open", "receipt.line", "receipt.close"),
         "counting": ("count.start", "count"),
         "moves": ("move",)}
ROLE = {"picking": "picker", "putaway": "picker", "receiving": "receiver", "counting": "counter", "moves": "picker"}
PINS = {"picker": "1111", "receiver": "2222", "counter": "3333", "supervisor": "4444"}  # the demo's users
WARMUP_S = 3.0
ORDER_LINES, PO_LINES, PUTAWAY_PO_LINES, COUNT_BINS = 10, 8, 20, 5
TARGETS = {"rate": 1000.0, "p99_ms": 50.0}
RECEIVING_DOCKS = ("D-DOCK-01", "D-DOCK-02", "D-DOCK-03")  # the demo's docks: three unload, three feed putaway
PUTAWAY_DOCKS = ("D-DOCK-04", "D-DOCK-05", "D-DOCK-06")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def step(ctype: str, payload: dict, cid: str | None = None) -> tuple[str, str, dict]:
    return cid or str(uuid.uuid4()), ctype, payload


# -- a simulated handheld ------------------------------------------------------

class Handheld:
    """Works through a planned list of commands; a moves handheld goes back and forth forever."""

    def __init__(self, workflow: str, token: str, steps: list | None = None, shuttle: tuple | None = None):
        self.workflow, self.token = workflow, token
        self.steps, self.pos = steps or [], 0
        self.shuttle, self.turn = shuttle, 0

    def next_step(self):
        if self.shuttle is not None:
            return self._shuttle()
        if self.pos >= len(self.steps):
            return None
        self.pos += 1
        return self.steps[self.pos - 1]

    def _shuttle(self):
        # Out to the other bin and back, one piece at a time; with tote.move, every other trip
        # goes through a tote and comes back as a whole-tote move.
        sku, home, away, tote = self.shuttle
        self.turn += 1
        n = self.turn % 4
        if tote and n == 1:
            return step("move", {"sku": sku, "qty": 1, "from_bin": home, "to_bin": tote})
        if tote and n == 2:
            return step("tote.move", {"from_bin": tote, "to_bin": home})
        src, dst = (home, away) if n == 3 else (away, home)
        return step("move", {"sku": sku, "qty": 1, "from_bin": src, "to_bin": dst})


async def _drive(hh: Handheld, port: int, warm_end: float, end: float, out: LoadResult, lat: array,
                 ran_out: dict) -> None:
    head = (f"POST /api/v1/commands HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {hh.token}\r\n")
    reader = writer = None
    clock = time.monotonic
    while clock() < end:
        nxt = hh.next_step()
        if nxt is None:
            ran_out[hh.workflow] = min(ran_out.get(hh.workflow, math.inf), clock())
            break
        cid, ctype, payload = nxt
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = json.dumps({"commands": [{"id": cid, "type": ctype, "at": now_iso(), "payload": payload}]}).encode()
        t0 = clock()
        try:
            writer.write((head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
            status, answer, close = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            if t0 >= warm_end:
                out.errors[f"{ctype}: connection {type(exc).__name__}"] += 1
            writer.close()
            reader = writer = None
            continue
        t1 = clock()
        error = None
        if status != 200:
            error = f"{ctype}: HTTP {status}"
        else:
            res = json.loads(answer)["results"][0]
            if res["status"] != "applied":
                problem = res.get("problem") or {}
                error = f"{ctype}: {res['status']} {problem.get('title', '')}".strip()
                if len(out.samples) < 5:
                    out.samples.append(f"{error}: {problem.get('detail', '')[:200]}")
        if t0 >= warm_end and t1 <= end:
            lat.append(t1 - t0)
            if error is None:
                out.ok += 1
            else:
                out.errors[error] += 1
        if close:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def _load_process(handhelds: list[Handheld], port: int, warm_end: float, end: float, results) -> None:
    outs = {w: LoadResult() for w in {h.workflow for h in handhelds}}
    lats = {w: array("d") for w in outs}
    ran_out: dict[str, float] = {}
    cpu: dict[str, float] = {}

    async def main():
        loop = asyncio.get_running_loop()
        # This process's CPU within the measured window only.
        loop.call_at(warm_end, lambda: cpu.setdefault("start", time.process_time()))
        loop.call_at(end, lambda: cpu.setdefault("end", time.process_time()))
        tasks = [asyncio.create_task(_drive(h, port, warm_end, end, outs[h.workflow], lats[h.workflow], ran_out))
                 for h in handhelds]
        done, pending = await asyncio.wait(tasks, timeout=max(0.0, end - time.monotonic()) + 30)
        for t in pending:
            t.cancel()
        for t in done:
            if t.exception() is not None:
                print(f"  a handheld crashed: {t.exception()!r}", file=sys.stderr)

    asyncio.run(main())
    for w, out in outs.items():
        out.latencies = lats[w].tolist()
    results.put((outs, ran_out, cpu.get("end", time.process_time()) - cpu.get("start", 0.0)))


def run_mixed(handhelds: list[Handheld], port: int, seconds: float, server_pid: int, per_process: int = 20):
    ctx = mp.get_context("fork")
    nproc = max(1, -(-len(handhelds) // per_process))
    groups = [handhelds[i::nproc] for i in range(nproc)]
    start = time.monotonic() + 1.0
    warm_end, end = start + WARMUP_S, start + WARMUP_S + seconds
    results = ctx.Queue()
    procs = [ctx.Process(target=_load_process, args=(g, port, warm_end, end, results), daemon=True) for g in groups]
    for p in procs:
        p.start()
    time.sleep(max(0.0, warm_end - time.monotonic()))
    cpu0 = (machine_cpu_seconds(), tree_cpu_seconds(server_pid), time.monotonic())
    time.sleep(max(0.0, end - time.monotonic()))
    cpu1 = (machine_cpu_seconds(), tree_cpu_seconds(server_pid), time.monotonic())
    merged: dict[str, LoadResult] = defaultdict(lambda: LoadResult(window=seconds))
    ran_out: dict[str, float] = {}
    loadgen = 0.0
    for _ in procs:
        outs, out_of_work, used = results.get(timeout=120)
        loadgen += used
        for w, res in outs.items():
            merged[w].merge(res)
        for w, t in out_of_work.items():
            ran_out[w] = min(ran_out.get(w, math.inf), t)
    for p in procs:
        p.join(10)
    wall = cpu1[2] - cpu0[2]
    usage = {"server": (cpu1[1] - cpu0[1]) / wall, "machine": (cpu1[0] - cpu0[0]) / wall, "load processes": nproc,
             "load generator": loadgen / wall}
    usage["everything else"] = max(0.0, usage["machine"] - usage["server"] - usage["load generator"])
    return dict(merged), {w: t - warm_end for w, t in ran_out.items()}, usage


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
        rid = str(uuid.uuid4())
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


# -- the run -------------------------------------------------------------------

def share_out(total: int, workflows: list[str]) -> dict[str, int]:
    weights = {w: SHARES[w] for w in workflows}
    scale = sum(weights.values())
    counts = {w: max(1, round(total * weights[w] / scale)) for w in workflows}
    return counts


def build_demo(db: Path) -> None:
    subprocess.run([python(), "-m", "edge.cli", "demo", "--no-serve", "--db", str(db)], check=True,
                   stdout=subprocess.DEVNULL)


def plan(url: str, db: Path, clients: dict[str, int], budget: dict[str, int], types: set[str]) -> list[Handheld]:
    planner = Planner(url, db, clients, budget)
    handhelds: list[Handheld] = []

    def tokens(workflow):
        return [planner.sign_in(ROLE[workflow], f"bench-{workflow}-{i:03d}") for i in range(clients[workflow])]

    order = [w for w in ("counting", "moves", "picking", "putaway", "receiving") if w in clients]
    for workflow in order:
        t0 = time.perf_counter()
        try:
            if workflow == "moves":
                made = planner.moves(tokens("moves"), "tote.move" in types)
            else:
                lanes = getattr(planner, workflow)()
                made = [Handheld(workflow, tok, steps) for tok, steps in zip(tokens(workflow), lanes)]
        except RuntimeError as exc:
            print(f"  {workflow}: skipped, its setup failed: {exc}")
            continue
        steps = "endless" if workflow == "moves" else f"{sum(len(h.steps) for h in made):,}"
        print(f"  {workflow:<10} {len(made):>3} handhelds, {steps:>7} planned commands "
              f"({time.perf_counter() - t0:.1f} s to plan)", flush=True)
        handhelds += made
    return handhelds


HEAD = f"{'workflow':<12} {'handhelds':>9} {'commands':>9} {'cmd/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"


def report(results: dict[str, LoadResult], clients: dict[str, int], ran_out: dict[str, float], seconds: float,
           usage: dict) -> None:
    print("\n" + HEAD)
    total = LoadResult(window=seconds)
    for workflow in SHARES:
        if workflow not in results:
            continue
        res = results[workflow]
        total.merge(res)
        print(f"{workflow:<12} {clients[workflow]:>9} {res.ok:>9,} {res.rate():>8,.0f} {res.pct(50):>8.1f} "
              f"{res.pct(99):>8.1f} {res.error_count:>7}")
    total.window = seconds
    print(f"{'all':<12} {sum(clients[w] for w in results):>9} {total.ok:>9,} {total.rate():>8,.0f} "
          f"{total.pct(50):>8.1f} {total.pct(99):>8.1f} {total.error_count:>7}")
    for workflow, res in results.items():
        for label, n in res.errors.most_common(4):
            print(f"  {workflow} error x{n}: {label}")
        for s in res.samples[:2]:
            print(f"    e.g. {s}")
    for workflow, t in sorted(ran_out.items()):
        if t < seconds:
            print(f"  note: a {workflow} handheld ran out of planned work {max(t, 0):.1f} s into the measured "
                  f"window; raise --rate-guess for a full run")
    print(f"  CPU, cores busy: {usage['machine']:.2f} of {os.cpu_count()} = server {usage['server']:.2f} + "
          f"load generator ({usage['load processes']} proc) {usage['load generator']:.2f} + everything else "
          f"{usage['everything else']:.2f}")
    answered = sum(len(r.latencies) for r in results.values()) / seconds
    if answered:
        print(f"  server CPU per answered command: {usage['server'] / answered * 1e6:,.0f} us")
    print("\ntargets of the foundation (2-core box), for the whole mix:")
    print(f"  {'PASS' if total.rate() >= TARGETS['rate'] else 'MISS'}  durable commands/s >= {TARGETS['rate']:,.0f}: "
          f"{total.rate():,.0f}")
    print(f"  {'PASS' if total.pct(99) <= TARGETS['p99_ms'] else 'MISS'}  p99 <= {TARGETS['p99_ms']:.0f} ms: "
          f"{total.pct(99):.1f} ms")
    print(f"  {'PASS' if total.error_count == 0 else 'MISS'}  no errors: {total.error_count}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=40, help="simulated handhelds in all (default 40)")
    p.add_argument("--seconds", type=float, default=15, help="measured seconds (default 15, after a 3 s warm-up)")
    p.add_argument("--rate-guess", type=float, default=800,
                   help="commands/s to plan work for, x1.5 (default 800); a handheld that runs out is reported")
    p.add_argument("--only", nargs="*", choices=list(SHARES), help="run just these workflows")
    p.add_argument("--keep", action="store_true", help="keep the temp directory (database, server log)")
    args = p.parse_args(argv)

    print("floorscan bench/floor_load.py")
    for line in machine_header():
        print(line)
    from edge.commands.registry import COMMAND_TYPES, ensure_loaded
    ensure_loaded()
    types = set(COMMAND_TYPES)
    workflows = []
    for workflow in args.only or SHARES:
        missing = [t for t in NEEDS[workflow] if t not in types]
        if missing:
            print(f"  {workflow}: skipped, command types not there yet: {', '.join(missing)}")
        else:
            workflows.append(workflow)
    if not workflows:
        print("nothing to run")
        return 1
    clients = share_out(args.clients, workflows)
    span = args.seconds + WARMUP_S
    scale = sum(SHARES[w] for w in workflows)
    budget = {w: int(args.rate_guess * SHARES[w] / scale * span * 1.5) for w in workflows}

    tmp = make_workdir("floorscan-floor-")
    db = tmp / "demo.db"
    started = time.monotonic()
    try:
        t0 = time.perf_counter()
        build_demo(db)
        port = free_port()
        argv_ = [python(), "-m", "edge.cli", "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)]
        server = Server(argv_, port, tmp / "server.log").start("/api/v1/health")
        try:
            print(f"\ndemo warehouse built and served in {time.perf_counter() - t0:.1f} s; planning the work "
                  f"for {args.rate_guess:,.0f} commands/s x {span:g} s x 1.5:", flush=True)
            handhelds = plan(server.url, db, clients, budget, types)
            running = {h.workflow for h in handhelds}
            clients = {w: sum(h.workflow == w for h in handhelds) for w in running}
            print(f"\nmixed load: {len(handhelds)} handhelds, one command per POST, {args.seconds:g} s "
                  f"(+{WARMUP_S:g} s warm-up)", flush=True)
            results, ran_out, usage = run_mixed(handhelds, port, args.seconds, server.pid)
            report(results, clients, ran_out, args.seconds, usage)
        finally:
            server.stop()
        print(f"\n(total {time.monotonic() - started:.0f} s)")
    finally:
        remove_workdir(tmp, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
