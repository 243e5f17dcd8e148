"""Central's insert throughput for 1,000-row batches, SQLite and PostgreSQL.

    .venv/bin/python bench/central_insert.py                 # both backends, 100 batches each
    .venv/bin/python bench/central_insert.py --backend sqlite --batches 300

Three figures per backend, rows/s:
  store    Store.ingest() alone: lock, gap check, insert, stock projection, commit
  http     POST /api/v1/sync/movements through the Flask app (test client, no sockets):
           gunzip + JSON + pydantic + ingest; the bodies are gzipped before the clock starts
  resend   the same batches again: all duplicates, compared with what is held
and rows per CPU-second of store and http (this process + its PostgreSQL backend),
which say what a core does regardless of what else the box is running.
Ids are time-ordered (UUIDv7-like) as the edge mints them; 50 skus x 400 bins.
PostgreSQL is the server at --pg (a throw-away schema is created and dropped).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import machine_header, tree_cpu_seconds  # noqa: E402


def uuid7ish(n: int, t0_ms: int) -> str:
    ms = t0_ms + n // 10
    return str(uuid.UUID(int=(ms << 80) | (0x7 << 76) | random.getrandbits(76)))


def make_batches(warehouse: str, batches: int, size: int) -> list[list[dict]]:
    rnd = random.Random(7)
    t0 = int(time.time() * 1000)
    out, seq = [], 0
    for _ in range(batches):
        rows = []
        for _ in range(size):
            seq += 1
            rows.append({"seq": seq, "id": uuid7ish(seq, t0), "kind": "move", "sku": f"SKU-{rnd.randrange(50):04d}",
                         "lot": "", "serial": None, "qty": float(rnd.randint(1, 5)),
                         "from_bin": f"A-{rnd.randrange(400):03d}", "to_bin": f"B-{rnd.randrange(400):03d}",
                         "ref_type": None, "ref_id": None, "reason": None, "user_id": 4, "device_id": "hh-07",
                         "command_id": str(uuid.uuid4()), "replayed": 0, "scanned_at": "2026-11-27T06:01:02.345Z",
                         "recorded_at": "2026-11-27T06:01:02.400Z", "warehouse": warehouse})
        out.append(rows)
    return out


def run(url: str, batches: int, size: int) -> dict:
    from sync.central.app import create_app
    app = create_app(url)
    store = app.extensions["central"]
    figures = {}
    # CPU seconds spent on the work: this process, plus the PostgreSQL backend serving
    # this thread's connection. Rows per CPU-second do not depend on what else the box runs.
    backend_pid = store.one(store.conn(), "SELECT pg_backend_pid() AS pid")["pid"] if store.backend == "postgresql" \
        else None

    def cpu() -> float:
        return time.process_time() + (tree_cpu_seconds(backend_pid) if backend_pid else 0.0)
    # store: WH1 straight into Store.ingest
    store.add_warehouse("WH1")
    data = make_batches("WH1", batches, size)
    t, c = time.perf_counter(), cpu()
    for rows in data:
        store.ingest("WH1", rows)
    figures["store"] = batches * size / (time.perf_counter() - t)
    figures["store_cpu"] = batches * size / (cpu() - c)
    # resend: the same batches, all duplicates
    t = time.perf_counter()
    for rows in data:
        assert store.ingest("WH1", rows)["duplicates"] == size
    figures["resend"] = batches * size / (time.perf_counter() - t)
    # http: WH2 through the app
    token = store.add_warehouse("WH2")
    bodies = [gzip.compress(json.dumps({"warehouse": "WH2", "movements": rows}).encode(), 5)
              for rows in make_batches("WH2", batches, size)]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Content-Encoding": "gzip"}
    t, c = time.perf_counter(), cpu()
    for body in bodies:
        r = client.post("/api/v1/sync/movements", data=body, headers=headers)
        assert r.status_code == 200, r.get_json()
    figures["http"] = batches * size / (time.perf_counter() - t)
    figures["http_cpu"] = batches * size / (cpu() - c)
    figures["gzip_kb"] = sum(len(b) for b in bodies) / len(bodies) / 1024
    assert store.stock_differences() == []
    store.close()
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--pg", default=os.environ.get("FLOORSCAN_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test"))
    args = ap.parse_args()
    print("\n".join(machine_header()))
    print(f"batches   {args.batches} x {args.batch} rows per backend and phase\n")
    print(f"{'backend':<11}{'store rows/s':>14}{'http rows/s':>14}{'resend rows/s':>15}"
          f"{'store rows/CPU-s':>18}{'http rows/CPU-s':>17}{'gzip KB/batch':>15}")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                f = run(str(Path(tmp) / "central.db"), args.batches, args.batch)
        else:
            import psycopg
            schema = "fs_bench_" + uuid.uuid4().hex[:8]
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            try:
                f = run(f"{args.pg}?options=-csearch_path%3D{schema}", args.batches, args.batch)
            finally:
                with psycopg.connect(args.pg, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
        print(f"{backend:<11}{f['store']:>14,.0f}{f['http']:>14,.0f}{f['resend']:>15,.0f}"
              f"{f['store_cpu']:>18,.0f}{f['http_cpu']:>17,.0f}{f['gzip_kb']:>15.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
