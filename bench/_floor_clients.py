"""What bench/floor_load.py's load is made of: the simulated handheld, which works
through its planned commands (or shuttles stock back and forth), and the mixed
load generator that drives the handhelds, one command per POST, from processes
of their own and measures each workflow apart.
"""
from __future__ import annotations

import asyncio
import json
import math
import multiprocessing as mp
import sys
import time
from array import array
from collections import defaultdict
from datetime import datetime, timezone

from _common import machine_cpu_seconds, tree_cpu_seconds
from _loadgen import LoadResult, _read_response
from edge.ids import new_id

WARMUP_S = 3.0


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def step(ctype: str, payload: dict, cid: str | None = None) -> tuple[str | None, str, dict]:
    """One command of a plan. Its id is minted when it is sent (as the PWA mints
    when the person acts: ids are time-ordered, edge/ids.py), unless the plan
    needs it before, e.g. a receipt's id that its lines name."""
    return cid, ctype, payload


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
        cid = cid or new_id()
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
