"""Helpers for the edge-side sync tests: edges full of movements, a real
central process, PostgreSQL schemas, a TCP proxy that injects faults and an
HTTP server that answers whatever a test tells it to."""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from conftest import IN_CI, ROOT, free_port
from edge.db import connect, init_db
from edge.ledger import Movement, post_movements
from edge.writer import open_write_connection, run_jobs

PG_BASE = "postgresql://127.0.0.1:5432/test"
BINS = [f"A-{i:02d}" for i in range(20)]
SKUS = [f"SKU-{i:03d}" for i in range(50)]


# -- edges ------------------------------------------------------------------------------

def write(path: str, job):
    conn = open_write_connection(path, "NORMAL")
    try:
        ok, value = run_jobs(conn, [job])[0]
        if not ok:
            raise value
        return value
    finally:
        conn.close()


def make_edge(path: str, site: str, movements: int = 0, *, chunk: int = 5000) -> str:
    """An edge database for ``site`` with bins, items and ``movements`` movements."""
    from edge import masterdata as md
    from edge.models import BinIn, ItemIn
    from edge.workflows.transfers import set_site_id
    init_db(path)

    def setup(conn):
        set_site_id(conn, site)
        for code in BINS + ["DOCK", "TRANSIT"]:
            kind = "dock" if code == "DOCK" else "in-transit" if code == "TRANSIT" else "storage"
            md.save_bin(conn, BinIn(code=code, kind=kind), replace=True)
        for sku in SKUS:
            md.save_item(conn, ItemIn(sku=sku), replace=True)
    write(path, setup)
    add_movements(path, movements, chunk=chunk)
    return path


def add_movements(path: str, n: int, *, chunk: int = 5000, seed: int = 0) -> None:
    """``n`` receipts and moves through the ledger's one write path, ``chunk`` per transaction."""
    rnd = random.Random(seed)
    prefix = uuid.uuid4().hex[:12]
    done = 0
    while done < n:
        size = min(chunk, n - done)

        def job(conn, start=done, size=size):
            mvs = []
            for i in range(start, start + size):
                sku, to_bin = SKUS[i % len(SKUS)], BINS[rnd.randrange(len(BINS))]
                if i % 3 == 2 and mvs:  # a move of what the receipt just before put away
                    mvs.append(Movement(id=f"{prefix}-{i:09d}", kind="move", sku=mvs[-1].sku, qty=1,
                                        from_bin=mvs[-1].to_bin, to_bin="DOCK", device_id="hh-1"))
                else:
                    mvs.append(Movement(id=f"{prefix}-{i:09d}", kind="receive", sku=sku, qty=rnd.randint(1, 9),
                                        to_bin=to_bin, user_id=1, device_id="hh-1", reason="test"))
            post_movements(conn, mvs)
        write(path, job)
        done += size


def edge_rows(path: str) -> list[tuple]:
    from sync.up import COLUMNS
    conn = connect(path, readonly=True)
    try:
        cur = conn.cursor()
        cur.row_factory = None
        return cur.execute(f"SELECT {', '.join(COLUMNS)} FROM movement ORDER BY seq").fetchall()
    finally:
        conn.close()


def edge_digest(path: str) -> tuple[int, str]:
    from sync.central.ingest import movement_digest
    return movement_digest(edge_rows(path))


def sync_state(path: str) -> dict:
    conn = connect(path, readonly=True)
    try:
        return dict(conn.execute("SELECT * FROM sync_state").fetchone())
    finally:
        conn.close()


# -- central ----------------------------------------------------------------------------

def central_digest(url: str, warehouse: str) -> tuple[int, str]:
    """(count, sha256) of what central holds for ``warehouse``, and no seq missing or doubled."""
    from sync.central.ingest import COLS, movement_digest
    from sync.central.store import open_store
    store = open_store(url)
    try:
        rows = store.all(store.conn(), f"SELECT {', '.join(COLS)} FROM movement WHERE warehouse = ? ORDER BY seq",
                         (warehouse,))
    finally:
        store.close()
    seqs = [r["seq"] for r in rows]
    assert seqs == list(range(1, len(seqs) + 1)), "central's seqs have a gap or a duplicate"
    return movement_digest([tuple(r[c] for c in COLS) for r in rows])


def pg_url(schema: str) -> str:
    """A PostgreSQL URL whose search_path is a fresh private schema (FAIL in CI if unreachable)."""
    import psycopg
    try:
        with psycopg.connect(PG_BASE, autocommit=True, connect_timeout=15) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_BASE} is unreachable; CI must run the PostgreSQL sync tests: {exc}")
        pytest.skip(f"PostgreSQL at {PG_BASE} is unreachable (CI runs these): {exc}")
    return f"{PG_BASE}?options=-csearch_path%3D{schema}"


def drop_pg_schema(schema: str) -> None:
    import psycopg
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def add_warehouse(db_url: str, code: str) -> str:
    from sync.central.store import open_store
    store = open_store(db_url)
    try:
        store.init()
        return store.add_warehouse(code)
    finally:
        store.close()


class Central:
    """`floorscan central serve` in a subprocess; kill -9 and start again at will."""

    def __init__(self, db_url: str, log_dir: Path, port: int | None = None, workers: int = 1):
        self.db_url = db_url
        # One worker by default: the box has two cores and the edge side needs one.
        self.env = dict(os.environ, FLOORSCAN_CENTRAL_WORKERS=str(workers))
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_dir) / f"central-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Central":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "central", "serve", "--db", self.db_url, "--port", str(self.port),
             "--host", "127.0.0.1"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.log_path, "ab"),
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"central exited: {self.log_path.read_text()[-2000:]}")
            try:
                requests.get(self.url + "/api/v1/sync/cursor", timeout=5)
                return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("central did not start in time")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def sync_once(db: str, url: str, token: str, *, batch: int = 1000, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, FLOORSCAN_CENTRAL_TOKEN=token)
    return subprocess.run([sys.executable, "-m", "edge.cli", "sync", "--db", db, "--central", url, "--once",
                           "--batch", str(batch)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def start_sync(db: str, url: str, token: str, log_path: Path, *, batch: int = 1000) -> subprocess.Popen:
    env = dict(os.environ, FLOORSCAN_CENTRAL_TOKEN=token)
    return subprocess.Popen([sys.executable, "-m", "sync.cli", "--db", db, "--central", url, "--batch", str(batch),
                             "--interval", "0.2", "--max-wait", "0.5", "--wait-for-lock"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log_path, "ab"), start_new_session=True)


# -- a TCP proxy that misbehaves ------------------------------------------------------------

FAULTS = ("pass", "drop", "delay", "reset", "lose_answer", "truncate", "duplicate")


def _read_request(sock: socket.socket) -> bytes | None:
    """One HTTP/1.1 request with a Content-Length body (what requests sends), or None at EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    # One request per upstream connection: the answer then ends at EOF.
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
    return b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body


def _exchange(upstream: tuple[str, int], request: bytes, timeout: float = 60) -> bytes:
    with socket.create_connection(upstream, timeout=timeout) as up:
        up.sendall(request)
        answer = b""
        while True:
            chunk = up.recv(65536)
            if not chunk:
                return answer
            answer += chunk


def _close_answer(answer: bytes) -> bytes:
    head, sep, body = answer.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
    return b"\r\n".join(lines) + b"\r\nConnection: close" + sep + body


def _reset(sock: socket.socket) -> None:
    import struct
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    """Listens on a free port and forwards each request to ``upstream``, with a
    fault picked at random per request (weights in ``faults``): dropped before
    central sees it, delayed, reset, answered by central but the answer lost,
    answer cut off mid-body, or sent to central twice."""

    def __init__(self, upstream_port: int, faults: dict[str, float] | None = None, seed: int = 1):
        self.upstream = ("127.0.0.1", upstream_port)
        self.faults = faults or {"pass": 4, "drop": 1, "delay": 1, "reset": 1, "lose_answer": 1, "truncate": 1,
                                 "duplicate": 1}
        self.rnd = random.Random(seed)
        self.counts = {f: 0 for f in FAULTS}
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _pick(self) -> str:
        with self._lock:
            fault = self.rnd.choices(list(self.faults), weights=list(self.faults.values()))[0]
            self.counts[fault] += 1
            return fault

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            request = _read_request(client)
            if request is None:
                client.close()
                return
            fault = self._pick()
            if fault == "drop":
                client.close()
                return
            if fault == "reset":
                _reset(client)
                return
            if fault == "delay":
                time.sleep(self.rnd.uniform(0.05, 0.4))
            try:
                answer = _exchange(self.upstream, request)
                if fault == "duplicate":
                    answer = _exchange(self.upstream, request)
            except OSError:
                _reset(client)
                return
            if fault == "lose_answer":
                _reset(client)
                return
            answer = _close_answer(answer)
            if fault == "truncate":
                answer = answer[:max(1, len(answer) - max(1, len(answer.partition(b"\r\n\r\n")[2]) // 2))]
                client.sendall(answer)
                _reset(client)
                return
            client.sendall(answer)
            client.close()
        except OSError:
            client.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()


# -- a central that says whatever the test wants ------------------------------------------------

class Scripted:
    """An HTTP server answering each request with the next scripted reply:
    (status, content_type, body bytes[, seconds to wait first]) or a callable(handler)."""

    def __init__(self):
        self.replies: list = []
        self.requests: list[tuple[str, str, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append((self.command, self.path, self.rfile.read(length)))
                reply = outer.replies.pop(0) if outer.replies else (503, "text/plain", b"no more replies")
                if callable(reply):
                    return reply(self)
                status, ctype, body, *wait = reply
                if wait:
                    time.sleep(wait[0])
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
