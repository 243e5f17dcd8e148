"""An edge with N unsynced movements (default 1,000,000) catches up to central.

    .venv/bin/python bench/sync_catchup.py                 # 1M movements, SQLite and PostgreSQL central
    .venv/bin/python bench/sync_catchup.py -n 100000       # a quick look
    .venv/bin/python bench/sync_catchup.py --backend sqlite --batch 2000

For each central backend it starts `floorscan central serve`, registers the
warehouse, runs `floorscan sync --once` as a subprocess (the real command,
from cursor 0 to the end) and prints movements/s, total time and the sync
process's peak memory (ru_maxrss from wait4). It then checks that central
holds exactly the edge's ledger (count and content hash).

"Where the time goes" is measured separately on a sample of batches: the
edge's read of the ledger, building the JSON, gzip; then the same prepared
batches POSTed to a fresh warehouse (HTTP + central's parse and insert), and
central's insert alone (Store.ingest, no HTTP). The sync process overlaps
preparing batch n+1 with POSTing batch n, so the total is about
max(edge, central) per batch, not their sum.

The edge is built once through the ledger's post_movements (20,000 per
transaction) and kept in --workdir for the next run (--rebuild to start over).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine_header  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = "postgresql://127.0.0.1:5432/test"


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the edge ---------------------------------------------------------------------------

def build_edge(path: Path, n: int) -> float:
    from edge import masterdata as md
    from edge.db import init_db
    from edge.ledger import Movement, post_movements
    from edge.models import BinIn, ItemIn
    from edge.workflows.transfers import set_site_id
    from edge.writer import open_write_connection, run_jobs
    started = time.perf_counter()
    init_db(path)
    conn = open_write_connection(path, "NORMAL")
    bins = [f"A-{i:03d}-{j}" for i in range(100) for j in range(4)]
    skus = [f"SKU-{i:05d}" for i in range(2000)]

    def setup(c):
        set_site_id(c, "WH1")
        for code in bins + ["DOCK-1"]:
            md.save_bin(c, BinIn(code=code, zone=code[:1], kind="dock" if code == "DOCK-1" else "storage"))
        for sku in skus:
            md.save_item(c, ItemIn(sku=sku, description=f"Item {sku}"))
    run_jobs(conn, [setup])
    prefix = uuid.uuid4().hex[:8]
    done, chunk = 0, 20_000
    while done < n:
        size = min(chunk, n - done)

        def job(c, start=done, size=size):
            mvs = []
            for i in range(start, start + size):
                sku, bin_code = skus[i % len(skus)], bins[(i * 7) % len(bins)]
                if i % 2 and mvs:  # move half of what the receipt before put away to the dock
                    prev = mvs[-1]
                    mvs.append(Movement(id=f"{prefix}-{i:010d}", kind="move", sku=prev.sku, qty=1,
                                        from_bin=prev.to_bin, to_bin="DOCK-1", user_id=3, device_id="hh-07",
                                        command_id=f"{prefix}-c{i}", scanned_at="2026-11-27T06:01:02.345Z"))
                else:
                    mvs.append(Movement(id=f"{prefix}-{i:010d}", kind="receive", sku=sku, qty=2, to_bin=bin_code,
                                        user_id=2, device_id="hh-03", command_id=f"{prefix}-c{i}",
                                        ref_type="receipt", ref_id="R-1", scanned_at="2026-11-27T06:01:02.345Z"))
            post_movements(c, mvs)
        [(ok, err)] = run_jobs(conn, [job])
        if not ok:
            raise err
        done += size
        print(f"\r  building the edge: {done:,} / {n:,} movements", end="", flush=True)
    conn.close()
    print()
    return time.perf_counter() - started


def reset_cursor(path: Path) -> None:
    import sqlite3
    conn = sqlite3.connect(path)
    conn.execute("UPDATE sync_state SET up_cursor = 0, down_cursor = 0, movements_sent = 0, failures = 0, "
                 "last_success_at = NULL, last_error = NULL")
    conn.commit()
    conn.close()


def edge_count(path: Path) -> int:
    import sqlite3
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM movement").fetchone()[0]
    finally:
        conn.close()


# -- central ------------------------------------------------------------------------------

class Central:
    def __init__(self, db_url: str, workdir: Path):
        self.db_url, self.port = db_url, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "central.log", "ab")
        self.proc = None

    def __enter__(self):
        import requests
        self.proc = subprocess.Popen([sys.executable, "-m", "edge.cli", "central", "serve", "--db", self.db_url,
                                      "--host", "127.0.0.1", "--port", str(self.port)],
                                     cwd=ROOT, stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/api/v1/sync/cursor", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("central did not start")

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)


def central_matches(db_url: str, edge: Path) -> bool:
    import sqlite3
    from sync.central.ingest import COLS, movement_digest
    from sync.central.store import open_store
    from sync.up import COLUMNS
    conn = sqlite3.connect(edge)
    mine = movement_digest(conn.execute(f"SELECT {', '.join(COLUMNS)} FROM movement ORDER BY seq"))
    conn.close()
    store = open_store(db_url)
    try:
        if store.backend == "postgresql":
            # Stream: a million dicts at once would measure this script, not the sync.
            conn = store.conn()
            with conn.transaction(), conn.cursor(name="digest") as cur:
                cur.execute(f"SELECT {', '.join(COLS)} FROM movement WHERE warehouse = 'WH1' ORDER BY seq")
                theirs = movement_digest(tuple(r[c] for c in COLS) if isinstance(r, dict) else r for r in cur)
        else:
            cur = store.conn().execute(f"SELECT {', '.join(COLS)} FROM movement WHERE warehouse = 'WH1' ORDER BY seq")
            theirs = movement_digest(tuple(r[c] for c in COLS) for r in cur)
    finally:
        store.close()
    return mine == theirs


def register(db_url: str, *codes: str) -> dict[str, str]:
    from sync.central.store import open_store
    store = open_store(db_url).init()
    try:
        return {code: store.add_warehouse(code) for code in codes}
    finally:
        store.close()


def catch_up(edge: Path, url: str, token: str, batch: int) -> tuple[float, float, int]:
    """The real `floorscan sync --once`; (seconds, peak RSS MB, exit status)."""
    env = dict(os.environ, FLOORSCAN_CENTRAL_TOKEN=token)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "edge.cli", "sync", "--db", str(edge), "--central", url,
                             "--once", "--batch", str(batch)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    if proc.returncode:
        print(err[-2000:])
    return elapsed, usage.ru_maxrss / 1024, proc.returncode


# -- where the time goes --------------------------------------------------------------------

def profile(edge: Path, url: str, token: str, db_url: str, batch: int, batches: int) -> dict:
    from edge.db import connect
    from sync.client import CentralClient
    from sync.central.store import open_store
    from sync.up import COLUMNS, GZIP_LEVEL, SELECT
    conn = connect(edge, readonly=True)
    cur = conn.cursor()
    cur.row_factory = None
    t = {"read": 0.0, "json": 0.0, "gzip": 0.0, "http": 0.0, "ingest": 0.0}
    payloads, plain = [], []
    after = 0
    for _ in range(batches):
        t0 = time.perf_counter()
        rows = cur.execute(SELECT, (after, batch)).fetchall()
        t1 = time.perf_counter()
        # Movement ids are unique company-wide: the sample goes in under new ones.
        rows = [(r[0], r[1] + "-p") + r[2:] for r in rows]
        body = json.dumps({"warehouse": "WHP", "movements": [dict(zip(COLUMNS, r), warehouse="WHP") for r in rows]},
                          separators=(",", ":")).encode()
        t2 = time.perf_counter()
        payloads.append((gzip.compress(body, GZIP_LEVEL, mtime=0), rows[0][0], rows[-1][0]))
        t3 = time.perf_counter()
        plain.append([(r[0], r[1] + "i") + r[2:] for r in rows])
        t["read"] += t1 - t0
        t["json"] += t2 - t1
        t["gzip"] += t3 - t2
        after = rows[-1][0]
    conn.close()
    client = CentralClient(url, token)
    for payload, first, last in payloads:
        t0 = time.perf_counter()
        client.post_movements("WHP", payload, first, last)
        t["http"] += time.perf_counter() - t0
    client.close()
    store = open_store(db_url)
    try:
        for rows in plain:
            t0 = time.perf_counter()
            store.ingest("WHI", rows)
            t["ingest"] += time.perf_counter() - t0
    finally:
        store.close()
    n = batches * batch
    raw = sum(len(gzip.decompress(p)) for p, _, _ in payloads)
    zipped = sum(len(p) for p, _, _ in payloads)
    return {k: n / v if v else float("inf") for k, v in t.items()} | {"bytes_per_movement": raw / n,
                                                                        "gzip_ratio": raw / zipped}


def run_backend(name: str, db_url: str, edge: Path, args, workdir: Path) -> None:
    reset_cursor(edge)
    tokens = register(db_url, "WH1", "WHP", "WHI")
    n = edge_count(edge)
    with Central(db_url, workdir) as central:
        seconds, rss, status = catch_up(edge, central.url, tokens["WH1"], args.batch)
        ok = status == 0 and central_matches(db_url, edge)
        print(f"{name:<11} {n:>9,} movements in {seconds:6.1f} s = {n / seconds:8,.0f} movements/s, "
              f"sync process peak RSS {rss:5.0f} MB, central == edge: {'yes' if ok else 'NO'}")
        if args.profile_batches:
            p = profile(edge, central.url, tokens["WHP"], db_url, args.batch, args.profile_batches)
            print(f"{'':11} where the time goes (movements/s each step could do alone, "
                  f"{args.profile_batches} batches of {args.batch}):")
            print(f"{'':13} edge: read {p['read']:9,.0f}   JSON {p['json']:9,.0f}   gzip {p['gzip']:9,.0f}   "
                  f"({p['bytes_per_movement']:.0f} bytes/movement, gzip x{p['gzip_ratio']:.1f})")
            print(f"{'':13} central: HTTP POST incl. insert {p['http']:9,.0f}   insert alone (Store.ingest) "
                  f"{p['ingest']:9,.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--movements", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--pg", default=PG_BASE, help=f"PostgreSQL database (default: {PG_BASE}; a private schema "
                                                   "is created and dropped)")
    ap.add_argument("--workdir", default="/tmp/floorscan-sync-bench")
    ap.add_argument("--rebuild", action="store_true", help="build the edge again even if one of that size exists")
    ap.add_argument("--profile-batches", type=int, default=50, help="batches in the where-the-time-goes pass (0: skip)")
    args = ap.parse_args()
    for line in machine_header():
        print(line)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    edge = workdir / f"edge-{args.movements}.db"
    if args.rebuild or not edge.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(edge) + suffix).unlink(missing_ok=True)
        took = build_edge(edge, args.movements)
        print(f"edge built: {args.movements:,} movements through post_movements in {took:.1f} s "
              f"({args.movements / took:,.0f}/s)")
    print(f"edge      {edge} ({edge.stat().st_size / 1e6:.0f} MB), batch {args.batch}")
    if args.backend in ("sqlite", "both"):
        central_db = workdir / "central.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(central_db) + suffix).unlink(missing_ok=True)
        run_backend("SQLite", str(central_db), edge, args, workdir)
    if args.backend in ("postgresql", "both"):
        import psycopg
        schema = f"bench_sync_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            run_backend("PostgreSQL", f"{args.pg}?options=-csearch_path%3D{schema}", edge, args, workdir)
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
