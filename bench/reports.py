"""How long does each report take on a big site?

Builds a synthetic site straight into SQLite (bulk inserts, no HTTP, indexes
made after loading): ``--items`` items (default 100,000), ``--movements``
movements (default 10,000,000) spread over ``--days`` days (365) ending
today, with receipts, moves to pick faces, picks, shipments, adjustments,
transfers, count lines and closed receipts with discrepancies. Then times
every report as of today and as of half-way back, the replenishment plan,
a full alert refresh, and the after-commit alert check for one item (what
every committed scan pays). Finally drops the ledger index m009 adds
(movement by recorded_at) and times the time-window reports again, which
is why it is there.

    .venv/bin/python bench/reports.py [--items 100000] [--movements 10000000] [--keep DB]

10M movements take a few minutes to build and ~3 GB of disk; the figures
printed are for what was run. Prints figures and the machine; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine_header  # noqa: E402
from edge.db import connect, init_db  # noqa: E402

MOVEMENT_INDEXES = {  # m001/m003/m009: dropped while loading, made again after
    "movement_sku": "movement(sku)", "movement_from": "movement(from_bin)", "movement_to": "movement(to_bin)",
    "movement_ref": "movement(ref_type, ref_id)", "movement_recorded": "movement(recorded_at)",
}
M009_INDEXES = ("movement_recorded",)


def sku(i: int) -> str:
    return f"SKU-{i:06d}"


def build(path: str, items: int, movements: int, days: int, seed: int) -> dict:
    rng = random.Random(seed)
    init_db(path)
    conn = connect(path, synchronous="OFF")
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    conn.execute("BEGIN")
    storage = [f"S-{i:05d}" for i in range(4000)]
    faces = [f"P-{i:04d}" for i in range(500)]
    totes = [f"T-{i:03d}" for i in range(200)]
    conn.executemany("INSERT INTO bin (code, zone, kind, walk_seq) VALUES (?,?,?,?)",
                     [(c, "ABC"[i % 3], "storage", i) for i, c in enumerate(storage)]
                     + [(c, "P", "pick-face", i) for i, c in enumerate(faces)]
                     + [(c, "", "tote", 0) for c in totes]
                     + [("DOCK", "D", "dock", 0), ("TRANSIT", "", "in-transit", 0)])
    conn.executemany("INSERT INTO item (sku, unit_cost, reorder_point, reorder_qty, tracking, perishable) "
                     "VALUES (?,?,?,?,?,?)",
                     [(sku(i), round(rng.lognormvariate(1.5, 1.0), 2), rng.choice([None, 5, 20, 50]), 100,
                       "lot" if i % 10 == 0 else "none", int(i % 10 == 0)) for i in range(items)])
    conn.executemany("INSERT INTO user (id, name, role, created_at) VALUES (?,?,?,?)",
                     [(i, f"picker{i}", "picker", "2025-01-01") for i in range(1, 51)])
    conn.executemany("INSERT INTO pick_face (bin, sku, min_qty, max_qty, updated_at) VALUES (?,?,?,?,?)",
                     [(f, sku(i), 5, 40, "2025-01-01") for i, f in enumerate(faces)])
    for name in MOVEMENT_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    # Popularity: a few items move a lot (Zipf-like), most rarely.
    weights = [1 / (i + 1) ** 0.9 for i in range(items)]
    end = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    start = end - timedelta(days=days)
    span = (end - start).total_seconds()
    kinds = ["receive"] * 14 + ["move"] * 10 + ["pick"] * 35 + ["ship"] * 35 + ["adjust"] * 4 + ["transfer_out"] * 2
    chunk = 200_000
    seq = 0
    t0 = time.perf_counter()
    while seq < movements:
        n = min(chunk, movements - seq)
        picks = rng.choices(range(items), weights=weights, k=n)
        rows = []
        for j in range(n):
            seq += 1
            at = (start + timedelta(seconds=span * seq / (movements + 1))).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            kind = kinds[rng.randrange(100)]
            i = picks[j]
            s = sku(i)
            face = faces[i % len(faces)]
            store = storage[i % len(storage)]
            tote = totes[i % len(totes)]  # an item's picks wait in one tote until they ship from it
            user = None
            if kind == "receive":
                src, dst, qty = None, store, rng.randint(50, 200)
            elif kind == "move":
                src, dst, qty = store, face, rng.randint(10, 40)
            elif kind == "pick":
                src, dst, qty, user = face, tote, rng.randint(1, 5), rng.randint(1, 50)
            elif kind == "ship":
                src, dst, qty = tote, None, rng.randint(1, 5)
            elif kind == "transfer_out":
                src, dst, qty = store, "TRANSIT", rng.randint(1, 10)
            else:
                src, dst = (store, None) if rng.random() < 0.5 else (None, store)
                qty = rng.randint(1, 3)
            # Every 10th item is perishable: one lot per month of receipt, expiring 120 days later.
            lot = at[:7] if i % 10 == 0 else ""
            rows.append((seq, f"m{seq:012d}", kind, s, lot, qty, src, dst, user, at))
        conn.executemany("INSERT INTO movement (seq, id, kind, sku, lot, qty, from_bin, to_bin, user_id, "
                         "recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        print(f"  loaded {seq:,} movements ({seq / (time.perf_counter() - t0):,.0f}/s)", file=sys.stderr)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    for name, cols in MOVEMENT_INDEXES.items():
        conn.execute(f"CREATE INDEX {name} ON {cols}")
    index_s = time.perf_counter() - t1
    conn.execute("INSERT INTO stock (bin, sku, lot, qty) SELECT bin, sku, lot, sum(d) FROM ("
                 "SELECT from_bin AS bin, sku, lot, -qty AS d FROM movement WHERE from_bin IS NOT NULL UNION ALL "
                 "SELECT to_bin, sku, lot, qty FROM movement WHERE to_bin IS NOT NULL) GROUP BY bin, sku, lot "
                 "HAVING abs(sum(d)) > 1e-9")
    conn.execute("INSERT INTO lot (sku, lot, expiry, created_at) SELECT DISTINCT sku, lot, "
                 "date(lot || '-01', '+120 days'), lot || '-01' FROM movement WHERE lot <> ''")
    _counts_and_receipts(conn, rng, items, start, days)
    conn.execute("COMMIT")  # no ANALYZE: the edge never runs it, so the planner works without statistics
    conn.close()
    return {"load_s": load_s, "index_s": index_s}


def _counts_and_receipts(conn, rng, items: int, start: datetime, days: int) -> None:
    lines = []
    for n in range(50_000):
        at = (start + timedelta(days=rng.random() * days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ok = int(rng.random() < 0.96)
        lines.append((n // 30 + 1, f"S-{rng.randrange(4000):05d}", sku(rng.randrange(items)), 10, 10 if ok else 9,
                      0 if ok else 1, 0 if ok else 3.5, ok, "matched", 1, 1, at, at))
    conn.executemany("INSERT INTO count_task (id, kind, created_at) VALUES (?, 'schedule', '2025-01-01')",
                     [(t,) for t in range(1, 50_000 // 30 + 2)])
    conn.executemany("INSERT INTO count_line (task_id, bin, sku, counted_qty, expected_qty, variance, variance_value, "
                     "within_tolerance, status, final, counted_by, counted_at, recorded_at) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", lines)
    for r in range(10_000):
        at = (start + timedelta(days=rng.random() * days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        po, rid, supplier = f"PO-{r}", f"R-{r}", f"Supplier {r % 40}"
        conn.execute("INSERT INTO purchase_order (id, supplier, status, created_at) VALUES (?,?,?,?)",
                     (po, supplier, "closed", at))
        conn.execute("INSERT INTO po_line (po_id, line_no, sku, qty, unit_price) VALUES (?,1,?,100,?)",
                     (po, sku(rng.randrange(items)), round(rng.uniform(1, 20), 2)))
        conn.execute("INSERT INTO receipt (id, po_id, dock_bin, status, opened_at, closed_at) "
                     "VALUES (?,?,?,?,?,?)", (rid, po, "DOCK", "closed", at, at))
        if rng.random() < 0.2:
            conn.execute("INSERT INTO receipt_discrepancy VALUES (?, 'short', ?, 100, 95, -5, 0)",
                         (rid, sku(rng.randrange(items))))


def timed(label: str, fn, results: list) -> object:
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    size = len(out) if hasattr(out, "__len__") else out
    results.append((label, elapsed, size))
    print(f"  {label:<52} {elapsed:8.2f} s   {size if size is not None else '':>10}", flush=True)
    return out


def run_reports(path: str, days: int) -> list:
    from edge.analytics import alerts, asof, reports, replenishment
    conn = connect(path, readonly=True)
    today = date.today()
    half = today - timedelta(days=days // 2)
    results: list = []
    print(f"  {'report':<52} {'seconds':>8}   {'rows':>10}")
    for name in reports.REPORTS:
        params = {"sku": sku(0)} if name == "fifo_layers" else {}
        timed(f"{name} (as of today)", lambda n=name, p=params: reports.run(conn, n, None, p)["rows"], results)
    timed("stock by bin/item/lot as of half-way back (replay)", lambda: asof.stock_report(conn, half), results)
    timed("stock as of yesterday (rewind from projection)", lambda: asof.stock_as_of(conn, today - timedelta(days=1)),
          results)
    timed("valuation as of half-way back", lambda: reports.run(conn, "valuation", half)["rows"], results)
    timed("alerts: evaluate every item", lambda: alerts.evaluate(conn, None), results)
    timed("alerts: evaluate one item (after each commit)", lambda: alerts.evaluate(conn, [sku(0)]), results)
    timed("availability of every item", lambda: alerts.availability(conn, None), results)
    timed("replenishment levels in force, every item", lambda: replenishment.levels(conn), results)
    conn.close()
    return results


def without_m009_indexes(path: str) -> list:
    from edge.analytics import asof, reports
    conn = sqlite3.connect(path)
    for name in M009_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.close()
    conn = connect(path, readonly=True)
    results: list = []
    for name in ("abc", "productivity", "turnover"):
        timed(f"{name} WITHOUT the m009 ledger indexes", lambda n=name: reports.run(conn, n)["rows"], results)
    timed("stock as of yesterday WITHOUT the m009 indexes",
          lambda: asof.stock_as_of(conn, date.today() - timedelta(days=1)), results)
    conn.close()
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--movements", type=int, default=10_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", metavar="DB", help="keep the database at this path (reused if it exists)")
    ap.add_argument("--skip-index-check", action="store_true", help="do not drop indexes to compare")
    args = ap.parse_args()
    for line in machine_header():
        print(line)
    path = args.keep or os.path.join(tempfile.mkdtemp(prefix="floorscan-reports-"), "bench.db")
    if not (args.keep and Path(path).exists()):
        print(f"building {args.items:,} items and {args.movements:,} movements over {args.days} days in {path}")
        built = build(path, args.items, args.movements, args.days, args.seed)
        print(f"built: load {built['load_s']:.1f} s ({args.movements / built['load_s']:,.0f} movements/s), "
              f"indexes {built['index_s']:.1f} s, file {Path(path).stat().st_size / 1e9:.2f} GB")
    run_reports(path, args.days)
    if not args.skip_index_check:
        without_m009_indexes(path)
    if not args.keep:
        os.remove(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
