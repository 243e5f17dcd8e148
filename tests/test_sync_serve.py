"""`floorscan serve --central`: one sync process beside the server (not one
per worker), its state over REST for supervisors and live over Socket.IO,
stopped with the server."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import requests
import socketio

from _sync_support import Central, add_warehouse, central_digest, edge_digest, make_edge, write
from conftest import PINS, LiveServer


def sync_processes(db: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"sync.cli" in cmdline and db.encode() in cmdline:
            pids.append(int(proc.name))
    return pids


def add_people(db: str) -> None:
    from edge import auth
    from edge.models import UserIn

    def job(conn):
        for role in ("picker", "supervisor"):
            auth.create_user(conn, UserIn(name=role, role=role, pin=PINS[role]))
    write(db, job)


def sign_in(url: str, role: str) -> str:
    r = requests.post(url + "/api/v1/session", json={"pin": PINS[role]}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["token"]


@pytest.fixture
def served(tmp_path):
    central_db = str(tmp_path / "central.db")
    token = add_warehouse(central_db, "WH1")
    central = Central(central_db, tmp_path).start()
    edge = make_edge(str(tmp_path / "edge.db"), "WH1", 2_000)
    add_people(edge)
    server = LiveServer(edge, env={"FLOORSCAN_CENTRAL_URL": central.url, "FLOORSCAN_CENTRAL_TOKEN": token,
                                   "FLOORSCAN_WORKERS": "2"})
    server.start()
    yield server, central, edge
    server.stop()
    central.stop()


def test_serve_with_central_runs_one_sync_process_restarts_it_and_reports_it(served):
    server, central, edge = served
    boss = {"Authorization": f"Bearer {sign_in(server.url, 'supervisor')}"}
    events, got = [], threading.Event()
    sio = socketio.Client(reconnection=False, request_timeout=30)
    sio.on("sync.status", lambda data: (events.append(data), got.set()))
    sio.connect(server.url, auth={"token": boss["Authorization"][7:]}, transports=["websocket"], wait_timeout=30)
    try:
        deadline = time.monotonic() + 60
        body = {}
        while time.monotonic() < deadline:
            body = requests.get(server.url + "/api/v1/sync/status", headers=boss, timeout=10).json()
            if body["backlog"] == 0 and body["status"] == "ok":
                break
            time.sleep(0.2)
        assert body["up_cursor"] == body["edge_seq"] == 2_000 and body["last_success_at"], body
        assert body["central_url"] == central.url and body["last_error"] is None and body["lag_seconds"] == 0
        # Sent on a change, else every HEARTBEAT_S (30 s): the sync may have caught up before
        # this client connected, and then the heartbeat is the next event.
        assert got.wait(45), "no sync.status event reached the supervisor"
        assert {"backlog", "up_cursor", "down_cursor", "last_success_at", "status"} <= set(events[-1])
    finally:
        sio.disconnect()
    assert central_digest(central.db_url, "WH1") == edge_digest(edge)
    # Two workers and the writer process, but one sync process; killed, the master starts another.
    [pid] = sync_processes(edge)
    os.kill(pid, 9)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and [p for p in sync_processes(edge) if p != pid] == []:
        time.sleep(0.1)
    assert len([p for p in sync_processes(edge) if p != pid]) == 1
    picker = {"Authorization": f"Bearer {sign_in(server.url, 'picker')}"}
    r = requests.get(server.url + "/api/v1/sync/status", headers=picker, timeout=10)
    assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json"
    assert "a picker may not GET /api/v1/sync/status" in r.json()["detail"]
    assert requests.get(server.url + "/api/v1/sync/status", timeout=10).status_code == 401
    server.stop()
    deadline = time.monotonic() + 60
    while sync_processes(edge) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sync_processes(edge) == [], "the sync process outlived the server"
