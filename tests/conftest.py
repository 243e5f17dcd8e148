"""Shared fixtures: a real SQLite file per test, the app, a client, and a
real server in a subprocess for the tests that need HTTP and signals."""
from __future__ import annotations

import os
import sqlite3
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from edge.app import create_app
from edge.db import connect, init_db
from edge.ledger import differences, serial_differences
from edge.ledger.verify import reservation_differences

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

PINS = {"picker": "1111", "receiver": "2222", "counter": "3333", "supervisor": "4444", "admin": "5555"}


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> dict[str, Path]:
    """Two databases made once per run, which most tests start from a copy of:
    "empty" (every migration applied, tens of ms each time) and "users" (one
    user per role as well: five PIN hashes, ~100-200 ms each time)."""
    base = tmp_path_factory.mktemp("templates")
    empty, with_users = base / "empty.db", base / "users.db"
    init_db(empty)
    copy_db(empty, with_users)
    app = create_app({"DATABASE": str(with_users), "TESTING": True})
    try:
        add_users(app)
        client = app.test_client()
        # And a signed-in session per role (a PIN check costs ~45 ms): auth_for hands them out.
        tokens = {role: sign_in(client, pin) for role, pin in PINS.items()}
    finally:
        app.extensions["floorscan"].close()
    return {"empty": empty, "users": with_users, "tokens": tokens}


def copy_db(source: Path, target: Path | str) -> None:
    """A consistent copy through SQLite's backup API (whatever is still in the WAL too)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture
def db_path(tmp_path, request, templates) -> str:
    path = str(tmp_path / "edge.db")
    # A test that asks for the users (or for tokens, which need them) gets them from the copy.
    copy_db(templates["users" if "users" in request.fixturenames else "empty"], path)
    yield path
    # `floorscan verify` after every scenario: whatever a test did through the
    # real write paths, the projection must still equal the ledger.
    if not request.node.get_closest_marker("corrupts_projection") and Path(path).exists():
        assert_verified(path)


@pytest.fixture
def app(db_path):
    app = create_app({"DATABASE": db_path, "TESTING": True, "EVENT_FLUSH_SECONDS": 0.05})
    yield app
    app.extensions["floorscan"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def add_users(app) -> None:
    from edge import auth
    from edge.models import UserIn
    for role, pin in PINS.items():
        app.extensions["floorscan"].write(
            lambda conn, r=role, p=pin: auth.create_user(conn, UserIn(name=r.title(), role=r, pin=p, badge=f"BADGE-{r}")))


@pytest.fixture
def users(app):
    """One user per role, PINS: already in the database (db_path copies them in)."""
    return PINS


def sign_in(client, pin: str) -> dict:
    r = client.post("/api/v1/session", json={"pin": pin})
    assert r.status_code == 201, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


@pytest.fixture
def auth_for(client, users, templates):
    """auth_for('supervisor') -> headers with a bearer token for that role: the
    session signed in when the template database was made (it is in this copy)."""
    def get(role: str) -> dict:
        return dict(templates["tokens"][role])
    return get


def make_bin(app, code, **kw):
    from edge import masterdata as md
    from edge.models import BinIn
    return app.extensions["floorscan"].write(lambda conn: md.save_bin(conn, BinIn(code=code, **kw)))


def make_item(app, sku, barcodes=(), **kw):
    from edge import masterdata as md
    from edge.models import BarcodeIn, ItemIn

    def job(conn):
        md.save_item(conn, ItemIn(sku=sku, **kw))
        for code, pack in barcodes:
            md.save_barcode(conn, BarcodeIn(code=code, sku=sku, pack_qty=pack))
        return md.get_item(conn, sku)
    return app.extensions["floorscan"].write(job)


def command(ctype: str, payload: dict, *, replay: bool = False, cid: str | None = None) -> dict:
    return {"id": cid or str(uuid.uuid4()), "type": ctype, "at": "2026-11-27T08:00:00Z", "replay": replay,
            "payload": payload}


def post_commands(client, headers, *commands):
    r = client.post("/api/v1/commands", json={"commands": list(commands)}, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["results"]


def assert_verified(db_path: str) -> None:
    """The projection equals the ledger's sum and reservations equal the open
    allocations: what `floorscan verify` checks."""
    conn = connect(db_path, readonly=True)
    try:
        assert differences(conn) == []
        assert serial_differences(conn) == []
        assert reservation_differences(conn) == []
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`floorscan serve` (gunicorn) in a subprocess on a free port."""

    def __init__(self, db_path: str, port: int | None = None, env: dict | None = None):
        self.db_path = db_path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, **(env or {}))
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(db_path).with_suffix(".server.log")

    def start(self, timeout: float = 60) -> "LiveServer":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "serve", "--db", self.db_path, "--host", "127.0.0.1",
             "--port", str(self.port), "--threads", "16"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.log_path, "ab"),
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=5).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start in time")

    def kill(self, sig=9) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)


@pytest.fixture
def live_server(db_path):
    server = LiveServer(db_path).start()
    yield server
    server.stop()


PROBLEM = "application/problem+json"


def assert_problem(r, status: int, field: str | None = None, detail: str | None = None) -> dict:
    """The response is an RFC 9457 problem with this status (and field / detail text)."""
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == PROBLEM
    body = r.get_json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    if detail is not None:
        assert detail in body["detail"], body
    return body
