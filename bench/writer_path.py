"""The writer process's own path for a scan, alone in one process: CPU per command.

    python bench/writer_path.py [--commands 20000] [--batch 17] [--rounds 3]

What `bench/scan_load.py` cannot show apart from the server around it: the
CPU the writer process's main thread spends per command. It runs exactly
what that thread runs for a handheld's `POST /api/v1/commands` (the command
lane's `apply_request` for each request, each in its own SAVEPOINT inside
one `BEGIN IMMEDIATE` ... `COMMIT`, edge.writer.run_jobs) on a temp database
set up like scan_load.py's (200 bins, 100 items, 50 signed-in handhelds
sending 25% receive, 75% move), with the writer process's settings
(synchronous=NORMAL; the fsync it leaves to its answering thread is not
CPU and is left out here). No HTTP, no workers, no live events.

Prints, per round, microseconds of CPU and of wall time per command, and
the commits' share of it; then the WAL pages each commit writes (an extra
~2,000 commands with checkpoints off). --uuid4-ids and --clock-skew-ms show
what time-ordered ids save, and what device clocks that disagree give back
(docs/performance.md, step 13). Under the scan load the writer's main thread is
busy ~90% of the time (docs/performance.md, sixth session), so its CPU per
command bounds the whole edge's commands/s. Asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_header, make_workdir, remove_workdir  # noqa: E402
from _scan_clients import PINS, Handheld, prepare_floorscan_db, set_clock_skew, use_uuid4_ids  # noqa: E402


def sign_in_all(db: Path, n: int) -> list[str]:
    from edge import auth
    from edge.writer import Writer
    w = Writer(db)
    try:
        cred = w.run(lambda c: auth.credential(c, pin=PINS["receiver"], badge=None))
        return [w.run(lambda c, i=i: auth.sign_in(c, credential=cred, client="bench", device_id=f"hh-{i}",
                                                  ttl_hours=12)).token for i in range(n)]
    finally:
        w.close()


def run_round(db: Path, handhelds: list[Handheld], commands: int, batch: int, cache: bool = True,
              count_wal: bool = False) -> dict:
    """CPU and wall time per command; with ``count_wal``, instead the WAL
    frames each commit writes (checkpoints off for the round, so the WAL
    holds every frame: run it short)."""
    from edge import row_cache
    from edge.commands.lane import apply_request
    from edge.writer import open_write_connection, run_jobs

    conn = open_write_connection(db, "NORMAL")
    if cache:
        row_cache.enable(conn)  # as the writer process does
    if count_wal:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy or Path(f"{db}-wal").stat().st_size:
            raise SystemExit("could not empty the WAL before counting its pages")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        done, i, commits = 0, 0, 0.0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        while done < commands:
            group = [handhelds[(i + k) % len(handhelds)] for k in range(batch)]
            i += batch
            bodies = [hh.next_body() for hh in group]
            jobs = [lambda c, hh=hh, b=b: apply_request(c, hh.token, b, 500) for hh, b in zip(group, bodies)]
            t = time.process_time()
            outcomes = run_jobs(conn, jobs)
            commits += time.process_time() - t
            for hh, (ok, value) in zip(group, outcomes):
                if not ok or not isinstance(value, tuple):
                    raise SystemExit(f"a command failed: {value!r}")
                error = hh.judge(200, value[0])
                if error:
                    raise SystemExit(f"a command was rejected: {error}")
            done += batch
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        if count_wal:
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            frames = (Path(f"{db}-wal").stat().st_size - 32) / (page + 24)  # WAL header, frame headers
            return {"frames_per_commit": frames / (done / batch), "wal_kib_per_cmd": frames * page / done / 1024}
    finally:
        row_cache.disable(conn)
        conn.close()
    return {"cpu_us": cpu / done * 1e6, "wall_us": wall / done * 1e6, "run_jobs_us": commits / done * 1e6}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--commands", type=int, default=20000, help="commands per round (default 20,000)")
    p.add_argument("--batch", type=int, default=17, help="requests per commit (default 17, as measured under load)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--handhelds", type=int, default=50)
    p.add_argument("--no-row-cache", action="store_true",
                   help="without the writer process's row cache (edge/row_cache.py), to see what it saves")
    p.add_argument("--uuid4-ids", action="store_true",
                   help="handhelds mint random (version 4) ids instead of time-ordered ones (edge/ids.py)")
    p.add_argument("--clock-skew-ms", type=int, default=0,
                   help="each handheld's clock is off the box's by up to this many ms (default 0)")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)
    if args.uuid4_ids:
        use_uuid4_ids()
    set_clock_skew(args.clock_skew_ms)
    print("floorscan bench/writer_path.py")
    print("\n".join(machine_header()))
    tmp = make_workdir("floorscan-writer-path-")
    try:
        db = tmp / "edge.db"
        prepare_floorscan_db(db)
        tokens = sign_in_all(db, args.handhelds)
        handhelds = [Handheld(t, seed) for seed, t in enumerate(tokens)]
        print(f"\n{args.commands:,} commands per round, {args.batch} per commit, {args.handhelds} handhelds, "
              f"row cache {'off' if args.no_row_cache else 'on'}, {'random' if args.uuid4_ids else 'time-ordered'} ids"
              + (f", clocks off by up to {args.clock_skew_ms} ms" if args.clock_skew_ms and not args.uuid4_ids else ""))
        print(f"{'round':>5} {'CPU us/cmd':>11} {'wall us/cmd':>12} {'in run_jobs':>12}")
        rows = []
        for r in range(1, args.rounds + 1):
            row = run_round(db, handhelds, args.commands, args.batch, cache=not args.no_row_cache)
            rows.append(row)
            print(f"{r:>5} {row['cpu_us']:>11.0f} {row['wall_us']:>12.0f} {row['run_jobs_us']:>12.0f}")
        wal = run_round(db, handhelds, 2000, args.batch, cache=not args.no_row_cache, count_wal=True)
        print(f"WAL written: {wal['frames_per_commit']:.0f} pages per commit of {args.batch}, "
              f"{wal['wal_kib_per_cmd']:.1f} KiB per command (an extra ~2,000 commands, checkpoints off)")
        print(f"median CPU per command: {statistics.median(r['cpu_us'] for r in rows):.0f} us "
              f"(the writer's ceiling on this box: ~{1e6 / statistics.median(r['cpu_us'] for r in rows):,.0f} "
              "commands/s of one core)")
    finally:
        remove_workdir(tmp, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
