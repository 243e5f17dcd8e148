"""Durable scan throughput of the edge server, against a naive reference.

    python bench/scan_load.py [--clients 50] [--seconds 20] [--socketio-clients 10]
                              [--skip-reference] [--skip-replay] [--skip-lookup]
    python bench/scan_load.py --front-only    # the same load, the ledger taken out
    python bench/scan_load.py --trace         # also a scan's time by stage inside the server

Starts `floorscan serve` (gunicorn, with the worker settings production
runs: edge.serve.options) on a temp database, signs in one session per simulated handheld, and
has every handheld post single-command batches (`receive` or `move`, fresh
version 7 ids, minted as the PWA mints them: edge/ids.py) in a closed loop
over keep-alive HTTP while supervisors listen on Socket.IO. Then the same load goes to the naive reference
(bench/reference_app.py: one INSERT + COMMIT per request, WAL,
synchronous=FULL) under the same gunicorn settings and under `sync x2`.
Then batched replay (500 commands per POST) and the on-hand lookup with
1M movements. Prints figures and PASS/MISS per target; asserts nothing.
See bench/README.md for how to read the output.

--trace is a diagnostic too: the server's processes time each scan in the
worker and in the writer process (bench/trace/), and the bench prints the
stages' percentiles under the floorscan row.

--front-only is a diagnostic: the writer process answers every scan "applied"
after the token check, without touching the ledger (bench/front_only/), so the
figures are what the HTTP front alone costs. It judges no target.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from edge.cli import build_parser  # noqa: E402
from _common import (  # noqa: E402
    Server, box_jitter, free_port, machine_header, make_workdir, percentile, python, remove_workdir,
)
from _loadgen import LoadResult, cpu_line, run_load  # noqa: E402
from _scan_clients import (  # noqa: E402
    Handheld, SocketIOListener, max_seq, post_batch, prepare_floorscan_db, sign_in, set_clock_skew,
    start_floorscan, use_uuid4_ids,
)
from _scan_lookup import phase_lookup  # noqa: E402
from _trace import stage_lines  # noqa: E402

WARMUP_S = 3.0

SERVE_THREADS = build_parser().parse_args(["serve"]).threads  # what `floorscan serve` runs with


def serve_settings(threads: int | None) -> str:
    """What `floorscan serve` runs here, e.g. "EdgeThreadWorker x2 + writer process, 64 threads"."""
    from edge.serve import options, writer_process_wanted
    opts = options("127.0.0.1", 0, threads or SERVE_THREADS)
    kind = opts["worker_class"].rsplit(".", 1)[-1]
    extra = " + writer process" if writer_process_wanted(opts["workers"]) else ""
    return f"{kind} x{opts['workers']}{extra}, {opts['threads']} threads"


def reference_settings(threads: int | None) -> str:
    from edge.serve import options
    opts = options("127.0.0.1", 0, threads or SERVE_THREADS)
    return f"{opts['worker_class'].rsplit('.', 1)[-1]} x{opts['workers']}, {opts['threads']} threads"
TARGETS = {"rate": 1000.0, "p99_ms": 50.0, "ratio": 1.0}


# -- phases ------------------------------------------------------------------

def labels(args) -> dict:
    what = "front only" if args.front_only else "floorscan serve"
    return {"floorscan": f"{what}{' (no ledger)' if args.front_only else ''}, {serve_settings(args.threads)}",
            "paced": f"{what}, {args.rate:,.0f} commands/s offered",
            "ref_gthread": f"reference, {reference_settings(args.threads)}",
            "ref_sync2": "reference, sync x2"}


def row(label: str, res: LoadResult) -> str:
    return (f"{label:<66} {res.rate():>9,.0f} {res.pct(50):>8.1f} {res.pct(95):>8.1f} {res.pct(99):>8.1f} "
            f"{res.error_count:>7}")


HEAD = f"{'':<66} {'ok/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"


def per_request_us(usage: dict, res: LoadResult) -> float:
    answered = len(res.latencies) / res.window if res.window else 0
    return usage["server"] / answered * 1e6 if answered else float("nan")


def show_errors(res: LoadResult) -> None:
    for label, n in res.errors.most_common(5):
        print(f"    error x{n}: {label}")
    for s in res.samples[:3]:
        print(f"    e.g. {s}")


def seeded_handhelds(url: str, n: int, tag: str) -> list[Handheld]:
    """Signed-in handhelds that each start holding some stock (received here), so
    moves dominate from the first second."""
    handhelds = [Handheld(sign_in(url, "receiver", f"bench-{tag}-{i:03d}"), seed=i) for i in range(n)]
    with requests.Session() as s:
        for hh in handhelds:
            hh.batch, hh.replay = 20, False
            _, err = post_batch(s, url, hh)
            if err:
                raise RuntimeError(f"seeding stock failed: {err}")
            hh.batch = 1
    return handhelds


def phase_floorscan(args, tmp: Path, figures: dict) -> None:
    db = tmp / "edge.db"
    prepare_floorscan_db(db)
    trace = tmp / "trace" if args.trace else None
    if trace:
        trace.mkdir()
    server = start_floorscan(db, tmp, args.threads, front_only=args.front_only, trace=trace)
    try:
        url = server.url
        handhelds = seeded_handhelds(url, args.clients, "hh")
        try:
            import socketio  # noqa: F401  (python-socketio[client], in the dev extra)
            sup_count = args.socketio_clients
        except ImportError:
            print("  python-socketio is not installed (pip install -e '.[dev]'): no Socket.IO supervisors")
            sup_count = 0
        sup_tokens = [sign_in(url, "supervisor", f"bench-sup-{i:03d}") for i in range(sup_count)]

        # The supervisors count the movements recorded from here on, by seq.
        seq_before = max_seq(db)
        listener = SocketIOListener(url, sup_tokens, after_seq=seq_before)
        watch = {"socket.io clients": listener.pid} if listener.pid else {}
        what = "front only, no ledger" if args.front_only else "floorscan"
        print(f"\n[1] {what}: {args.clients} handhelds, 1 command per POST, {args.seconds:g} s "
              f"(+{args.warmup:g} s warm-up), {listener.connected} Socket.IO supervisors", flush=True)
        if listener.failure:
            print(f"  {listener.failure}")
        res, usage = run_load(handhelds, server.port, seconds=args.seconds, warmup=args.warmup,
                              per_process=args.per_process, server_pid=server.pid, watch=watch)
        figures["floorscan"] = res
        print(HEAD)
        print(row(labels(args)["floorscan"], res))
        show_errors(res)
        print("  " + cpu_line(usage))
        print(f"  server CPU per answered request: {per_request_us(usage, res):,.0f} us")
        if trace:
            time.sleep(1.0)  # the trace files are appended to every 0.5 s
            print("\n".join(stage_lines(trace, res.span, res.latencies)))
        if args.rate:
            # The same supervisors and as many handhelds, now offering a set rate instead of
            # all the server can take: latency at the target's rate, not at saturation.
            print(f"\n[1b] {what} at a set rate: {args.clients} fresh handhelds offer {args.rate:,.0f} "
                  f"commands/s together (open loop, sends at planned times, latency from the planned time), "
                  f"{args.seconds:g} s", flush=True)
            # New handhelds: the first run's load processes kept what they held to themselves.
            paced, usage = run_load(seeded_handhelds(url, args.clients, "paced"), server.port,
                                    seconds=args.seconds, warmup=args.warmup, per_process=args.per_process,
                                    server_pid=server.pid, watch=watch, rate=args.rate)
            figures["paced"] = paced
            print(HEAD)
            print(row(labels(args)["paced"], paced))
            show_errors(paced)
            print("  " + cpu_line(usage))
        if listener.connected:
            time.sleep(1.0)  # the last coalescing window (0.25 s) and its delivery
            recorded = max_seq(db) - seq_before
            counts, connected_s = listener.stop()
            if counts:
                sc = [c.get("stock.changed", 0) for c in counts]
                mr = [c.get("movement.recorded", 0) for c in counts]
                mv = [c.get("movements", 0) for c in counts]
                print(f"  Socket.IO, per supervisor over {connected_s:.0f} s: stock.changed {min(sc)}-{max(sc)} "
                      f"events, movement.recorded {min(mr)}-{max(mr)} events carrying {min(mv):,}-{max(mv):,} "
                      f"of the {recorded:,} movements recorded meanwhile "
                      f"(~{recorded / max(1, max(mr)):.0f} movements per event)")
                figures["socketio"] = (min(mv), recorded)
            else:
                print("  Socket.IO listener gave no counts (it died; see above)")

        if not args.skip_replay:
            phase_replay(args, url, figures)
    finally:
        server.stop()


def phase_replay(args, url: str, figures: dict) -> None:
    hh = Handheld(sign_in(url, "receiver", "bench-replay"), seed=10_000, batch=500, replay=True)
    print(f"\n[2] batched replay: batches of 500 commands (replay=true), one client, sequential", flush=True)
    done, errors, times = 0, Counter(), []
    t_start = time.perf_counter()
    with requests.Session() as s:
        while len(times) < args.replay_batches and time.perf_counter() - t_start < args.replay_seconds:
            t0 = time.perf_counter()
            n, err = post_batch(s, url, hh)
            times.append(time.perf_counter() - t0)
            done += n
            if err:
                errors[err] += 1
    total = time.perf_counter() - t_start
    times.sort()
    rate = done / total
    figures["replay"] = rate
    print(f"  {done:,} commands in {len(times)} batches in {total:.1f} s: {rate:,.0f} commands/s; "
          f"per batch p50 {percentile(times, 50) * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms; "
          f"batches with a non-applied command: {sum(errors.values())}")
    for label, n in errors.most_common(3):
        print(f"    x{n}: {label}")


def phase_reference(args, tmp: Path, figures: dict) -> None:
    names = labels(args)
    settings = [("ref_gthread", "the same gunicorn settings as floorscan serve", []),
                ("ref_sync2", "gunicorn sync workers x2, as DESIGN.md measured",
                 ["--worker-class", "sync", "--workers", "2"])]
    for key, why, extra in settings:
        label = names[key]
        db = tmp / f"{key}.db"
        port = free_port()
        argv = [python(), str(Path(__file__).with_name("reference_app.py")), "--db", str(db),
                "--port", str(port), "--threads", str(args.threads or SERVE_THREADS), *extra]
        print(f"\n[3] naive reference ({why}): the same load, {args.seconds:g} s", flush=True)
        with Server(argv, port, tmp / f"{key}.log").start("/health") as server:
            clients = [Handheld(None, seed=i) for i in range(args.clients)]
            res, usage = run_load(clients, port, seconds=args.seconds, warmup=args.warmup,
                                  per_process=args.per_process, server_pid=server.pid)
        figures[key] = res
        print(HEAD)
        print(row(label, res))
        show_errors(res)
        print("  " + cpu_line(usage))
        print(f"  server CPU per answered request: {per_request_us(usage, res):,.0f} us")


# -- summary -----------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def summary(args, figures: dict) -> None:
    print("\n== summary " + "=" * 70)
    print(HEAD)
    names = labels(args)
    for key, label in names.items():
        if key in figures:
            print(row(label, figures[key]))
    fs = figures.get("floorscan")
    if "replay" in figures:
        print(f"batched replay (500 per POST): {figures['replay']:,.0f} commands/s")
    if "lookup" in figures:
        p50, p99, bare = figures["lookup"]
        print(f"on-hand lookup, {args.movements:,} movements: HTTP p50 {p50:.2f} ms / p99 {p99:.2f} ms, "
              f"bare SQL p50 {bare:.1f} us")
    if "socketio" in figures:
        got, recorded = figures["socketio"]
        print(f"Socket.IO: every supervisor received at least {got:,} of {recorded:,} movements")
    if fs is None:
        return
    if args.front_only:
        print("\n--front-only: a diagnostic of the HTTP front; no target is judged")
        return
    print("\ntargets (2-core box):")
    print(f"  {verdict(fs.rate() >= TARGETS['rate'])}  durable commands/s >= {TARGETS['rate']:,.0f}: "
          f"{fs.rate():,.0f}")
    print(f"  {verdict(fs.pct(99) <= TARGETS['p99_ms'])}  p99 <= {TARGETS['p99_ms']:.0f} ms flat out "
          f"(closed loop, {fs.rate():,.0f} commands/s): {fs.pct(99):.1f} ms")
    errors = fs.error_count
    paced = figures.get("paced")
    if paced is not None:
        errors += paced.error_count
        print(f"  {verdict(paced.pct(99) <= TARGETS['p99_ms'])}  "
              f"p99 <= {TARGETS['p99_ms']:.0f} ms at {args.rate:,.0f} commands/s offered "
              f"({len(paced.latencies):,} sends planned in {args.seconds:g} s): {paced.pct(99):.1f} ms")
    print(f"  {verdict(errors == 0)}  no errors: {errors}")
    for key in ("ref_gthread", "ref_sync2"):
        if key in figures and figures[key].rate():
            ratio = fs.rate() / figures[key].rate()
            print(f"  {verdict(ratio >= TARGETS['ratio'])}  ratio floorscan / {names[key]} "
                  f">= {TARGETS['ratio']:.1f}: {ratio:.2f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=50, help="simulated handhelds = connections (default 50)")
    p.add_argument("--seconds", type=float, default=20, help="measured seconds per load run (default 20)")
    p.add_argument("--warmup", type=float, default=WARMUP_S,
                   help=f"unmeasured seconds before each load run (default {WARMUP_S:g})")
    p.add_argument("--socketio-clients", type=int, default=10, help="supervisors on Socket.IO (default 10)")
    p.add_argument("--per-process", type=int, default=25, help="connections per load-generator process (default 25)")
    p.add_argument("--threads", type=int, default=None,
                   help=f"request threads for floorscan serve and the reference (default: serve's, {SERVE_THREADS})")
    p.add_argument("--skip-reference", action="store_true", help="do not run the naive reference")
    p.add_argument("--skip-replay", action="store_true", help="do not run batched replay")
    p.add_argument("--skip-lookup", action="store_true", help="do not build the 1M-movement database")
    p.add_argument("--replay-batches", type=int, default=20, help="most replay batches (default 20)")
    p.add_argument("--replay-seconds", type=float, default=15, help="most seconds of replay (default 15)")
    p.add_argument("--movements", type=int, default=1_000_000, help="movements for the lookup (default 1M)")
    p.add_argument("--lookups", type=int, default=2000, help="lookups timed (default 2000)")
    p.add_argument("--uuid4-ids", action="store_true",
                   help="handhelds mint random (version 4) ids instead of time-ordered ones (edge/ids.py)")
    p.add_argument("--clock-skew-ms", type=int, default=0,
                   help="each handheld's clock is off the box's by up to this many ms (default 0)")
    p.add_argument("--rate", type=float, default=TARGETS["rate"],
                   help="after the closed loop, as many fresh handhelds offer this many commands/s together "
                        f"(open loop); 0 skips it (default {TARGETS['rate']:,.0f}, the target)")
    p.add_argument("--keep", action="store_true", help="keep the temp directory (databases, server logs)")
    p.add_argument("--trace", action="store_true",
                   help="diagnostic: time each scan's stages in the server too (bench/trace/) and print them")
    p.add_argument("--front-only", action="store_true",
                   help="diagnostic: the writer process answers scans without the ledger (bench/front_only/); "
                        "implies --skip-reference --skip-replay --skip-lookup")
    args = p.parse_args(argv)
    if args.rate < 0:
        p.error("--rate must be 0 (no paced run) or more")
    if args.trace and args.front_only:
        p.error("--trace and --front-only each put a sitecustomize module on the server's path: use one")
    if args.uuid4_ids:
        use_uuid4_ids()
    set_clock_skew(args.clock_skew_ms)
    if args.front_only:
        args.skip_reference = args.skip_replay = args.skip_lookup = True

    print("floorscan bench/scan_load.py")
    for line in machine_header():
        print(line)
    print(box_jitter())
    tmp = make_workdir("floorscan-bench-")
    figures: dict = {}
    started = time.monotonic()
    try:
        try:
            phase_floorscan(args, tmp, figures)
        except RuntimeError as exc:
            print(f"\nfloorscan server failed: {exc}", file=sys.stderr)
            return 1
        if not args.skip_reference:
            phase_reference(args, tmp, figures)
        if not args.skip_lookup:
            phase_lookup(args, tmp, figures)
        summary(args, figures)
        print(f"\n(total {time.monotonic() - started:.0f} s)")
    finally:
        remove_workdir(tmp, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
