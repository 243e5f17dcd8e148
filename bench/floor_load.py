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
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Server, free_port, machine_header, make_workdir, python, remove_workdir  # noqa: E402
from _loadgen import LoadResult  # noqa: E402
from _floor_clients import WARMUP_S, Handheld, run_mixed  # noqa: E402
from _floor_plan import Planner  # noqa: E402

SHARES = {"picking": 0.60, "putaway": 0.15, "receiving": 0.15, "counting": 0.05, "moves": 0.05}
NEEDS = {"picking": ("pick.tote", "pick.confirm", "order.ship"),
         "putaway": ("receipt.open", "receipt.line", "receipt.close", "putaway.confirm"),
         "receiving": ("receipt.open", "receipt.line", "receipt.close"),
         "counting": ("count.start", "count"),
         "moves": ("move",)}
ROLE = {"picking": "picker", "putaway": "picker", "receiving": "receiver", "counting": "counter", "moves": "picker"}
TARGETS = {"rate": 1000.0, "p99_ms": 50.0}


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
