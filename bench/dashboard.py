"""How long do the supervisor dashboard's figures take on a big site?

Builds a site with 100,000 items, 2,000 bins, N movements spread over the last
30 days (through the ledger's post_movements, like every stock write), 3,000
sales orders with carrier cut-offs, 20,000 exceptions and 1,500 low-stock
alerts, then times each KPI section of GET /api/v1/dashboard/kpis (edge/kpis.py)
and the whole endpoint over the Flask test client, and prints the query plans
so you can see which index each figure uses. Prints figures; asserts nothing.

    .venv/bin/python bench/dashboard.py [--items 100000] [--movements 500000] [--keep DIR]
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import machine_header  # noqa: E402


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build(path: Path, n_items: int, n_movements: int, now: datetime) -> None:
    from edge import auth
    from edge.db import init_db
    from edge.ledger import Movement, post_movements
    from edge.models import UserIn
    from edge.writer import Writer

    rng = random.Random(7)
    init_db(path)
    w = Writer(str(path), synchronous="OFF")  # set-up speed only; the figures are reads
    bins = [f"{z}-{a:02d}-{b:02d}" for z in "ABC" for a in range(1, 23) for b in range(1, 31)][:1997]

    def master(conn):
        # Master data goes in directly: it is set-up here, not what is measured.
        conn.executemany("INSERT INTO bin (code, zone, aisle, walk_seq, kind) VALUES (?,?,?,?, 'storage')",
                         [(b, b[0], b[:4], i) for i, b in enumerate(bins)])
        conn.executemany("INSERT INTO bin (code, zone, kind) VALUES (?, 'D', ?)",
                         [("DOCK-1", "dock"), ("TOTE-1", "tote"), ("SHIP-1", "staging")])
        conn.executemany("INSERT INTO item (sku, description, unit_cost, reorder_point) VALUES (?,?,?,?)",
                         [(f"SKU-{i:06d}", f"Item {i}", round(rng.uniform(0.5, 90), 2), rng.randint(0, 40))
                          for i in range(n_items)])
        auth.create_user(conn, UserIn(name="Sup", role="supervisor", pin="4444"))
    w.run(master)

    start = now - timedelta(days=30)
    batch = 2000
    n_batches = max(1, n_movements // batch)
    step = (now - start) / n_batches
    where: dict[str, str] = {}
    t0 = time.perf_counter()
    for k in range(n_batches):
        at = iso(start + step * k + timedelta(seconds=rng.uniform(0, 60)))
        mvs = []
        for _ in range(batch):
            sku = f"SKU-{rng.randrange(n_items):06d}"
            if sku not in where or rng.random() < 0.3:
                where[sku] = bins[int(sku[4:]) % len(bins)]
                mvs.append(Movement(id=str(uuid.uuid4()), kind="receive", sku=sku, qty=50, to_bin=where[sku]))
            elif rng.random() < 0.6:
                mvs.append(Movement(id=str(uuid.uuid4()), kind="pick", sku=sku, qty=1, from_bin=where[sku],
                                    to_bin="TOTE-1"))
            else:
                mvs.append(Movement(id=str(uuid.uuid4()), kind="ship", sku=sku, qty=1, from_bin=where[sku]))
        w.run(lambda conn, m=mvs, a=at: post_movements(conn, m, replay=True, now=a))
        if k % 50 == 0:
            print(f"  ... {k * batch:,} movements ({(k * batch) / max(0.001, time.perf_counter() - t0):,.0f}/s)",
                  file=sys.stderr)

    def documents(conn):
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for i in range(3000):
            cutoff = day + timedelta(days=rng.randint(-3, 1), hours=rng.choice([11, 14, 16, 18]))
            status = "shipped" if cutoff < now - timedelta(hours=3) and rng.random() < 0.9 else "open"
            oid = f"SO-{i:05d}"
            conn.execute("INSERT INTO sales_order (id, cutoff_at, status, created_at) VALUES (?,?,?,?)",
                         (oid, iso(cutoff).replace(".000", ""), status, iso(cutoff - timedelta(days=1))))
            for line in range(1, 4):
                qty = rng.randint(1, 5)
                conn.execute("INSERT INTO so_line (order_id, line_no, sku, qty) VALUES (?,?,?,?)",
                             (oid, line, f"SKU-{rng.randrange(n_items):06d}", qty))
                if rng.random() < 0.5:
                    conn.execute("INSERT INTO allocation (order_id, line_no, bin, sku, qty, picked_qty, status, "
                                 "created_at) VALUES (?,?,?,?,?,?, 'picked', ?)",
                                 (oid, line, bins[0], "SKU-000000", qty, qty, iso(now)))
        t = now - timedelta(days=30)
        rows = []
        for i in range(20000):
            t += timedelta(seconds=30 * 86400 / 20000)
            rows.append(("short_pick" if i % 3 else "negative_stock", "bench", iso(t),
                         "open" if i % 67 == 0 else "resolved"))
        conn.executemany("INSERT INTO exception (kind, detail, created_at, status) VALUES (?,?,?,?)", rows)
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'stock_alert'").fetchone():
            conn.executemany("INSERT INTO stock_alert (sku, raised_at, available, reorder_point) VALUES (?,?,?,?)",
                             [(f"SKU-{i:06d}", iso(now - timedelta(minutes=i)), 1, 10)
                              for i in range(0, n_items, max(1, n_items // 1500))])
    w.run(documents)
    w.run(lambda conn: conn.execute("ANALYZE"))
    w.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--movements", type=int, default=500_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--keep", metavar="DIR", help="build (or reuse) the database in DIR/dashboard.db")
    ap.add_argument("--demo", action="store_true", help="build with `floorscan demo`'s generator scaled to "
                    "--items instead (slower; realistic orders and workflows, fewer movements)")
    args = ap.parse_args()
    for line in machine_header():
        print(line)
    now = datetime.now(timezone.utc)
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="floorscan-dash-"))
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "dashboard.db"
    try:
        if not path.exists():
            t = time.perf_counter()
            if args.demo:
                from edge.demo import build as demo_build
                # The demo's item numbers have five digits: 99,999 is its largest site.
                demo_build(path, seed=42, scale=min(args.items, 99_999) / 5000, echo=print)
            else:
                build(path, args.items, args.movements, now)
            print(f"built {args.items:,} items, {args.movements:,} movements over 30 days in "
                  f"{time.perf_counter() - t:.0f} s ({path.stat().st_size / 1e6:.0f} MB)")
        report(path, args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def report(path: Path, runs: int) -> None:
    from edge import kpis
    from edge.app import create_app
    from edge.db import connect

    conn = connect(path, readonly=True)
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("item", "movement", "sales_order", "exception")}
    print("site      " + ", ".join(f"{n:,} {t}s" for t, n in counts.items()))
    cold = []
    for _ in range(3):
        t = time.perf_counter()
        kpis.trends(conn, datetime.now(timezone.utc), cache=False)
        cold.append((time.perf_counter() - t) * 1000)
    print(f"trends, all 24 hours read (first call of a process): median {statistics.median(cold):.1f} ms, "
          f"max {max(cold):.1f} ms")
    samples: dict[str, list[float]] = {s: [] for s in kpis.SECTIONS}
    for _ in range(runs):
        timings: dict = {}
        kpis.all_kpis(conn, timings=timings)
        for s, ms in timings.items():
            samples[s].append(ms)
    print(f"\nKPI section (edge/kpis.py), {runs} runs      median ms   max ms   (the first run counts the whole window)")
    for s, values in samples.items():
        print(f"  {s:<38} {statistics.median(values):9.2f} {max(values):8.2f}")
    total = [sum(samples[s][i] for s in samples) for i in range(runs)]
    print(f"  {'all sections':<38} {statistics.median(total):9.2f} {max(total):8.2f}")

    app = create_app({"DATABASE": str(path), "TESTING": True})
    client = app.test_client()
    token = client.post("/api/v1/session", json={"pin": "4444"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    http = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get("/api/v1/dashboard/kpis", headers=headers)
        http.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200
    print(f"  {'GET /api/v1/dashboard/kpis (test client)':<38} {statistics.median(http):9.2f} {max(http):8.2f}")
    app.extensions["floorscan"].close()

    print("\nquery plans (EXPLAIN QUERY PLAN)")
    now = datetime.now(timezone.utc)
    plans = {
        "receipts open": ("SELECT count(*) FROM receipt WHERE status = 'open'", ()),
        "exceptions open": ("SELECT kind, count(*) FROM exception WHERE status = 'open' GROUP BY kind", ()),
        "low-stock open": ("SELECT count(*) FROM stock_alert WHERE cleared_at IS NULL", ()),
        "trend window": ("SELECT substr(recorded_at,1,13), count(*), sum(kind = 'pick') FROM movement "
                         "WHERE seq >= ? AND +recorded_at >= ? GROUP BY 1", (1, iso(now))),
        "cut-off orders": ("SELECT count(*) FROM sales_order o JOIN so_line l ON l.order_id = o.id WHERE "
                           "(o.status IN ('open','released','shipped') AND o.cutoff_at >= ? AND o.cutoff_at < ?) "
                           "OR (o.status IN ('open','released') AND o.cutoff_at < ?)", ("a", "b", "a")),
    }
    for name, (sql, params) in plans.items():
        try:
            plan = "; ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
        except Exception as exc:  # noqa: BLE001 - an area not installed
            plan = f"({exc})"
        print(f"  {name:<16} {plan}")
    conn.close()


if __name__ == "__main__":
    sys.exit(main())
