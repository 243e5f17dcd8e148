"""What bench/scan_load.py drives the server with: the simulated handheld, the
databases it runs on (the bench warehouse, the 1M-movement lookup database),
starting `floorscan serve` and signing in, and the Socket.IO supervisors that
listen in a process of their own.
"""
from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import queue
import random
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import requests

from _common import Server, free_port, python
from _loadgen import Client
from edge.ids import Minter

PINS = {"picker": "1111", "receiver": "2222", "counter": "3333", "supervisor": "4444", "admin": "5555"}
ZONES = ("A", "B", "C", "D")
BINS = [f"{z}-{aisle:02d}-{slot:02d}" for z in ZONES for aisle in range(1, 6) for slot in range(1, 11)]  # 200
SKUS = [f"SKU-{n:05d}" for n in range(1, 101)]
RECEIVE_SHARE = 0.25   # the rest are bin-to-bin moves


# -- a simulated handheld ------------------------------------------------------

# How handhelds mint command ids: time-ordered, as the PWA does, each with a
# minter (and a clock) of its own. The benches' --uuid4-ids puts random ids
# back to show what ordering saves; --clock-skew-ms sets each handheld's clock
# off the box's by up to that much, as real devices' clocks are.
RANDOM_IDS = False
CLOCK_SKEW_MS = 0


def use_uuid4_ids() -> None:
    global RANDOM_IDS
    RANDOM_IDS = True


def set_clock_skew(ms: int) -> None:
    global CLOCK_SKEW_MS
    CLOCK_SKEW_MS = ms


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
        self.minter = Minter()
        self.skew_ms = self.rng.randint(-CLOCK_SKEW_MS, CLOCK_SKEW_MS) if CLOCK_SKEW_MS else 0

    def mint(self) -> str:
        if RANDOM_IDS:
            return str(uuid.uuid4())
        return str(self.minter(time.time_ns() // 1_000_000 + self.skew_ms))

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
        cmd = {"id": self.mint(), "type": ctype, "at": at, "replay": self.replay, "payload": payload}
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


def start_floorscan(db: Path, tmp: Path, threads: int | None = None, front_only: bool = False,
                    trace: Path | None = None) -> Server:
    port = free_port()
    argv = [python(), "-m", "edge.cli", "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)]
    if threads:
        argv += ["--threads", str(threads)]
    env = None
    # bench/front_only/sitecustomize.py and bench/trace/sitecustomize.py say what these do.
    if front_only or trace:
        here = Path(__file__).resolve().parent
        paths = [str(here / "front_only")] if front_only else []
        paths += [str(here / "trace")] if trace else []
        env = {"PYTHONPATH": os.pathsep.join(filter(None, [*paths, os.environ.get("PYTHONPATH")]))}
        if front_only:
            env["FLOORSCAN_BENCH_FRONT_ONLY"] = "1"
        if trace:
            env["FLOORSCAN_BENCH_TRACE"] = str(trace)
    return Server(argv, port, tmp / f"{db.stem}.server.log", env=env).start("/api/v1/health")


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

def _listen(url: str, tokens: list[str], ready, stop, out, after_seq: int) -> None:
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
            # Only what is recorded after the listener started counting: live events of
            # earlier commands may still be on their way when it connects.
            new = sum(1 for m in data.get("movements", []) if m.get("seq", 0) > after_seq)
            with lock:
                per_client[i]["movement.recorded"] += 1
                per_client[i]["movements"] += new

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

    def __init__(self, url: str, tokens: list[str], after_seq: int = 0):
        self.connected, self.failure, self.pid, self.proc = 0, None, None, None
        if not tokens:
            return
        ctx = mp.get_context("fork")
        self.ready, self.stop_event, self.out = ctx.Queue(), ctx.Event(), ctx.Queue()
        self.proc = ctx.Process(target=_listen, daemon=True,
                                args=(url, tokens, self.ready, self.stop_event, self.out, after_seq))
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


# -- the 1M-movement database for the on-hand lookup --------------------------

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
