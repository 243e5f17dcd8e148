"""Durable scan throughput of the edge server, against a naive reference.

    python bench/scan_load.py [--clients 50] [--seconds 20] [--socketio-clients 10]
                              [--skip-reference] [--skip-replay] [--skip-lookup]

Starts `floorscan serve` (gunicorn, with the worker settings production
runs: edge.serve.options) on a temp database, signs in one session per simulated handheld, and
has every handheld post single-command batches (`receive` or `move`, fresh
uuid4 ids) in a closed loop over keep-alive HTTP while supervisors listen
on Socket.IO. Then the same load goes to the naive reference
(bench/reference_app.py: one INSERT + COMMIT per request, WAL,
synchronous=FULL) under the same gunicorn settings and under `sync x2`.
Then batched replay (500 commands per POST) and the on-hand lookup with
1M movements. Prints figures and PASS/MISS per target; asserts nothing.
See bench/README.md for how to read the output.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import queue
import random
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from edge.cli import build_parser  # noqa: E402
from _common import (  # noqa: E402
    Client, LoadResult, Server, cpu_line, free_port, machine_header, make_workdir, percentile, python,
    remove_workdir, run_load,
)

PINS = {"picker": "1111", "receiver": "2222", "counter": "3333", "supervisor": "4444", "admin": "5555"}
ZONES = ("A", "B", "C", "D")
BINS = [f"{z}-{aisle:02d}-{slot:02d}" for z in ZONES for aisle in range(1, 6) for slot in range(1, 11)]  # 200
SKUS = [f"SKU-{n:05d}" for n in range(1, 101)]
RECEIVE_SHARE = 0.25   # the rest are bin-to-bin moves
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


# -- a simulated handheld ------------------------------------------------------

class Handheld(Client):
    """Receives into and moves between a pool of bins.

    It only moves stock it received itself (tracked locally from applied
    results), so every move is valid however the handhelds interleave: any
    rejection is a real error.
    """

    path = "/api/v1/commands"

    def __init__(self, token: str | None, seed: int, *, batch: int = 1, replay: bool = False):
        self.token = token
        self.rng = random.Random(seed)
        self.batch, self.replay = batch, replay
        self.held: dict[tuple[str, str], int] = {}
        self.sent: list[tuple[str, list]] = []

    def _command(self) -> tuple[dict, list]:
        rng = self.rng
        at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if not self.held or rng.random() < RECEIVE_SHARE:
            key = (rng.choice(BINS), rng.choice(SKUS))
            payload = {"sku": key[1], "qty": 5, "to_bin": key[0]}
            ctype, effect = "receive", [(key, 5)]
        else:
            src = rng.choice(tuple(self.held))
            dst = rng.choice(BINS)
            while dst == src[0]:
                dst = rng.choice(BINS)
            payload = {"sku": src[1], "qty": 1, "from_bin": src[0], "to_bin": dst}
            ctype, effect = "move", [(src, -1), ((dst, src[1]), 1)]
        cmd = {"id": str(uuid.uuid4()), "type": ctype, "at": at, "replay": self.replay, "payload": payload}
        # Take the stock out of the local view at once so the next command of
        # a batch does not move the same unit twice.
        self._apply([e for e in effect if e[1] < 0])
        return cmd, effect

    def _apply(self, effect) -> None:
        for key, delta in effect:
            left = self.held.get(key, 0) + delta
            if left > 0:
                self.held[key] = left
            else:
                self.held.pop(key, None)

    def next_body(self) -> bytes:
        cmds, self.sent = [], []
        for _ in range(self.batch):
            cmd, effect = self._command()
            cmds.append(cmd)
            self.sent.append((cmd["id"], effect))
        return json.dumps({"commands": cmds}).encode()

    def judge(self, status: int, body: bytes) -> str | None:
        if status != 200:
            self._restore()
            return f"HTTP {status}"
        results = json.loads(body)["results"]
        error = None
        for (cid, effect), res in zip(self.sent, results):
            if res.get("status") == "applied" and res.get("id") == cid:
                self._apply([e for e in effect if e[1] > 0])
            else:
                self._apply([(k, -d) for k, d in effect if d < 0])  # the unit did not leave
                title = (res.get("problem") or {}).get("title", res.get("status"))
                error = error or f"{res.get('status')}: {title}"
        return error

    def _restore(self) -> None:
        for _, effect in self.sent:
            self._apply([(k, -d) for k, d in effect if d < 0])


# -- setup -------------------------------------------------------------------

def prepare_floorscan_db(path: Path) -> None:
    """`floorscan init`, then bins, items and one user per role through the writer."""
    import subprocess
    subprocess.run([python(), "-m", "edge.cli", "init", "--db", str(path)], check=True, stdout=subprocess.DEVNULL)
    from edge import auth, masterdata as md
    from edge.models import BinIn, ItemIn, UserIn
    from edge.writer import Writer

    def job(conn):
        for i, code in enumerate(BINS):
            md.save_bin(conn, BinIn(code=code, zone=code[0], aisle=code[:4], walk_seq=i))
        for sku in SKUS:
            md.save_item(conn, ItemIn(sku=sku, description=f"bench item {sku}"))
        for role, pin in PINS.items():
            auth.create_user(conn, UserIn(name=f"bench {role}", role=role, pin=pin))

    w = Writer(path)
    try:
        w.run(job)
    finally:
        w.close()


def start_floorscan(db: Path, tmp: Path, threads: int | None = None) -> Server:
    port = free_port()
    argv = [python(), "-m", "edge.cli", "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)]
    if threads:
        argv += ["--threads", str(threads)]
    return Server(argv, port, tmp / f"{db.stem}.server.log").start("/api/v1/health")


def sign_in(url: str, role: str, device_id: str) -> str:
    r = requests.post(url + "/api/v1/session", json={"pin": PINS[role], "device_id": device_id}, timeout=30)
    r.raise_for_status()
    return r.json()["token"]


def post_batch(session: requests.Session, url: str, hh: Handheld) -> tuple[int, str | None]:
    body = hh.next_body()
    r = session.post(url + hh.path, data=body, timeout=120,
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {hh.token}"})
    return len(hh.sent), hh.judge(r.status_code, r.content)


# -- Socket.IO listeners (own process, so their CPU is counted apart) ----------

def _listen(url: str, tokens: list[str], ready, stop, out) -> None:
    import threading
    import socketio

    lock = threading.Lock()
    per_client = [Counter() for _ in tokens]
    clients = []
    for i, token in enumerate(tokens):
        # Supervisor screens are browsers, which check UTF-8 natively; the
        # pure-Python check in websocket-client would cost this box ~a third
        # of a core that the server under test should have.
        sio = socketio.Client(reconnection=False, websocket_extra_options={"skip_utf8_validation": True})

        def on_stock(data, i=i):
            with lock:
                per_client[i]["stock.changed"] += 1
                per_client[i]["changes"] += len(data.get("changes", []))

        def on_moves(data, i=i):
            with lock:
                per_client[i]["movement.recorded"] += 1
                per_client[i]["movements"] += len(data.get("movements", []))

        sio.on("stock.changed", on_stock)
        sio.on("movement.recorded", on_moves)
        try:
            sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        except Exception as exc:  # noqa: BLE001 - reported, not fatal
            ready.put(f"Socket.IO connect failed: {exc!r}")
            for c in clients:
                c.disconnect()
            return
        clients.append(sio)
    ready.put(len(clients))
    stop.wait(600)
    for sio in clients:
        sio.disconnect()
    with lock:
        out.put([dict(c) for c in per_client])


class SocketIOListener:
    """Supervisors on Socket.IO in a process of their own, counting events."""

    def __init__(self, url: str, tokens: list[str]):
        self.connected, self.failure, self.pid, self.proc = 0, None, None, None
        if not tokens:
            return
        ctx = mp.get_context("fork")
        self.ready, self.stop_event, self.out = ctx.Queue(), ctx.Event(), ctx.Queue()
        self.proc = ctx.Process(target=_listen, args=(url, tokens, self.ready, self.stop_event, self.out),
                                daemon=True)
        self.proc.start()
        try:
            got = self.ready.get(timeout=60)
        except queue.Empty:
            got = "Socket.IO clients did not connect within 60 s"
        if isinstance(got, int):
            self.connected, self.pid, self.since = got, self.proc.pid, time.monotonic()
        else:
            self.failure = got
            self.proc.join(5)

    def stop(self) -> tuple[list[dict], float]:
        connected_s = time.monotonic() - self.since
        self.stop_event.set()
        try:
            counts = self.out.get(timeout=60)
        except queue.Empty:
            counts = []
        self.proc.join(10)
        return counts, connected_s


def max_seq(db: Path) -> int:
    from edge.db import connect
    conn = connect(db, readonly=True)
    try:
        return conn.execute("SELECT coalesce(max(seq), 0) FROM movement").fetchone()[0]
    finally:
        conn.close()


# -- phases ------------------------------------------------------------------

def labels(args) -> dict:
    return {"floorscan": f"floorscan serve, {serve_settings(args.threads)}",
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


def phase_floorscan(args, tmp: Path, figures: dict) -> None:
    db = tmp / "edge.db"
    prepare_floorscan_db(db)
    server = start_floorscan(db, tmp, args.threads)
    try:
        url = server.url
        handhelds = [Handheld(sign_in(url, "receiver", f"bench-hh-{i:03d}"), seed=i) for i in range(args.clients)]
        # Opening stock: every handheld starts holding some, so moves dominate from the first second.
        with requests.Session() as s:
            for hh in handhelds:
                hh.batch, hh.replay = 20, False
                n, err = post_batch(s, url, hh)
                if err:
                    raise RuntimeError(f"seeding stock failed: {err}")
                hh.batch = 1
        try:
            import socketio  # noqa: F401  (python-socketio[client], in the dev extra)
            sup_count = args.socketio_clients
        except ImportError:
            print("  python-socketio is not installed (pip install -e '.[dev]'): no Socket.IO supervisors")
            sup_count = 0
        sup_tokens = [sign_in(url, "supervisor", f"bench-sup-{i:03d}") for i in range(sup_count)]

        listener = SocketIOListener(url, sup_tokens)
        watch = {"socket.io clients": listener.pid} if listener.pid else {}
        seq_before = max_seq(db)
        print(f"\n[1] floorscan: {args.clients} handhelds, 1 command per POST, {args.seconds:g} s "
              f"(+{WARMUP_S:g} s warm-up), {listener.connected} Socket.IO supervisors", flush=True)
        if listener.failure:
            print(f"  {listener.failure}")
        res, usage = run_load(handhelds, server.port, seconds=args.seconds, warmup=WARMUP_S,
                              per_process=args.per_process, server_pid=server.pid, watch=watch)
        figures["floorscan"] = res
        print(HEAD)
        print(row(labels(args)["floorscan"], res))
        show_errors(res)
        print("  " + cpu_line(usage))
        print(f"  server CPU per answered request: {per_request_us(usage, res):,.0f} us")
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
            res, usage = run_load(clients, port, seconds=args.seconds, warmup=WARMUP_S,
                                  per_process=args.per_process, server_pid=server.pid)
        figures[key] = res
        print(HEAD)
        print(row(label, res))
        show_errors(res)
        print("  " + cpu_line(usage))
        print(f"  server CPU per answered request: {per_request_us(usage, res):,.0f} us")


# -- on-hand lookup with 1M movements -----------------------------------------

def build_million(path: Path, n: int) -> tuple[int, float, str]:
    """1M movements by INSERT ... SELECT, then the projection by edge.ledger.rebuild.

    post_movements validates each movement in Python (~10^4/s): 1M of them
    would take minutes, and the lookup does not care how the rows came.
    Each group of three is receive 2 into bin a, move 1 a -> b, ship 1 from b,
    so no (bin, sku) ever goes negative.
    """
    from edge import masterdata as md
    from edge.db import connect, init_db
    from edge.ledger import rebuild
    from edge.models import BinIn, ItemIn

    nbins, nskus = 2000, 5000
    init_db(path)
    conn = connect(path, synchronous="OFF")  # a throwaway cache for this run
    conn.execute("PRAGMA cache_size = -262144")
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for i in range(nbins):
        md.save_bin(conn, BinIn(code=f"L-{i:05d}", zone=f"Z{i % 4}", walk_seq=i))
    for i in range(nskus):
        md.save_item(conn, ItemIn(sku=f"LK-{i:06d}"))
    groups = math.ceil(n / 3)
    conn.execute(f"""CREATE TEMP TABLE grp AS
        WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n + 1 < {groups})
        SELECT n, abs(random()) % {nskus} AS s, abs(random()) % {nbins} AS a,
               abs(random()) % ({nbins} - 1) AS b FROM g""")
    conn.execute(f"""INSERT INTO movement (id, kind, sku, qty, from_bin, to_bin, ref_type, user_id, device_id,
                         scanned_at, recorded_at)
        SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
                     || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))),
               CASE k WHEN 0 THEN 'receive' WHEN 1 THEN 'move' ELSE 'ship' END,
               printf('LK-%06d', s), CASE k WHEN 0 THEN 2 ELSE 1 END,
               CASE k WHEN 0 THEN NULL WHEN 1 THEN printf('L-%05d', a)
                      ELSE printf('L-%05d', (a + 1 + b) % {nbins}) END,
               CASE k WHEN 0 THEN printf('L-%05d', a) WHEN 1 THEN printf('L-%05d', (a + 1 + b) % {nbins})
                      ELSE NULL END,
               'bench', 1, 'bench-builder', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
               strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        FROM grp, (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2)
        ORDER BY grp.n, k LIMIT {n}""")
    rebuild(conn)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    built = time.perf_counter() - t0
    stock_rows = conn.execute("SELECT count(*) FROM stock").fetchone()[0]
    moves = conn.execute("SELECT count(*) FROM movement").fetchone()[0]
    conn.close()
    return moves, built, f"{stock_rows:,} stock rows"


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
    print("\ntargets (2-core box):")
    print(f"  {verdict(fs.rate() >= TARGETS['rate'])}  durable commands/s >= {TARGETS['rate']:,.0f}: "
          f"{fs.rate():,.0f}")
    print(f"  {verdict(fs.pct(99) <= TARGETS['p99_ms'])}  p99 <= {TARGETS['p99_ms']:.0f} ms: {fs.pct(99):.1f} ms")
    print(f"  {verdict(fs.error_count == 0)}  no errors: {fs.error_count}")
    for key in ("ref_gthread", "ref_sync2"):
        if key in figures and figures[key].rate():
            ratio = fs.rate() / figures[key].rate()
            print(f"  {verdict(ratio >= TARGETS['ratio'])}  ratio floorscan / {names[key]} "
                  f">= {TARGETS['ratio']:.1f}: {ratio:.2f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=50, help="simulated handhelds = connections (default 50)")
    p.add_argument("--seconds", type=float, default=20, help="measured seconds per load run (default 20)")
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
    p.add_argument("--keep", action="store_true", help="keep the temp directory (databases, server logs)")
    args = p.parse_args(argv)

    print("floorscan bench/scan_load.py")
    for line in machine_header():
        print(line)
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
