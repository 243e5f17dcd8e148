"""bench/scan_load.py's phase 4: the on-hand lookup on a database of 1M movements,
over HTTP and as bare SQL."""
from __future__ import annotations

import time
from pathlib import Path

import requests

from _common import percentile
from _scan_clients import PINS, build_million, sign_in, start_floorscan


def phase_lookup(args, tmp: Path, figures: dict) -> None:
    from edge import auth
    from edge.db import connect
    from edge.models import UserIn
    from edge.writer import Writer

    db = tmp / "million.db"
    print(f"\n[4] on-hand lookup with {args.movements:,} movements", flush=True)
    moves, built, stock_rows = build_million(db, args.movements)
    print(f"  built {moves:,} movements by INSERT ... SELECT + projection via edge.ledger.rebuild "
          f"in {built:.1f} s ({stock_rows}); post_movements was not used for the bulk (see [2] for its speed)")
    w = Writer(db)
    try:
        w.run(lambda conn: auth.create_user(conn, UserIn(name="bench picker", role="picker", pin=PINS["picker"])))
    finally:
        w.close()
    conn = connect(db, readonly=True)
    keys = [(r[0], r[1]) for r in conn.execute("SELECT bin, sku FROM stock ORDER BY random() LIMIT ?",
                                               (args.lookups,))]
    sql = "SELECT qty, reserved FROM stock WHERE bin = ? AND sku = ? AND lot = ''"
    for b, s in keys:  # warm the cache, as a running server's would be
        conn.execute(sql, (b, s)).fetchone()
    bare = []
    for b, s in keys:
        t0 = time.perf_counter_ns()
        conn.execute(sql, (b, s)).fetchone()
        bare.append((time.perf_counter_ns() - t0) / 1000)
    conn.close()
    bare.sort()
    server = start_floorscan(db, tmp)
    try:
        token = sign_in(server.url, "picker", "bench-lookup")
        http = []
        with requests.Session() as s:
            s.headers["Authorization"] = f"Bearer {token}"
            for b, k in keys[:50]:
                s.get(server.url + "/api/v1/stock", params={"bin": b, "sku": k}, timeout=30)
            for b, k in keys:
                t0 = time.perf_counter()
                r = s.get(server.url + "/api/v1/stock", params={"bin": b, "sku": k}, timeout=30)
                http.append(time.perf_counter() - t0)
                if r.status_code != 200 or not r.json()["items"]:
                    raise RuntimeError(f"lookup failed: {r.status_code} {r.text[:200]}")
    finally:
        server.stop()
    http.sort()
    figures["lookup"] = (percentile(http, 50) * 1000, percentile(http, 99) * 1000, percentile(bare, 50))
    print(f"  GET /api/v1/stock?bin=..&sku=.. over HTTP, {len(http):,} sequential lookups: "
          f"p50 {percentile(http, 50) * 1000:.2f} ms, p99 {percentile(http, 99) * 1000:.2f} ms")
    print(f"  bare SQL point lookup (warm): p50 {percentile(bare, 50):.1f} us, "
          f"p99 {percentile(bare, 99):.1f} us")
