"""The writer process: several gunicorn workers, one group commit.

Real processes throughout: the writer process is started as `floorscan serve`
starts it, and killed with SIGKILL where the test is about losing it.
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from conftest import PINS, ROOT, LiveServer
from edge.db import connect
from edge.writer_process import RemoteWriter, WriterLost
from test_concurrency import SUPERVISOR, seed, stock_of, take
from test_crash import check_database, crash_loop, resend_everything


class WriterProcessRunning:
    def __init__(self, db_path: str, tmp_path):
        self.address = str(tmp_path / "writer.sock")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge.writer_process", "--db", db_path, "--socket", self.address],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.proc.stdout.readline().strip() == b"ready", self.proc.stderr.read()

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)


@pytest.fixture
def writer_process(db_path, tmp_path):
    seed(db_path, bins=("A", "B"), opening=100)
    running = WriterProcessRunning(db_path, tmp_path)
    yield running
    running.stop()


@pytest.fixture
def remote(writer_process):
    r = RemoteWriter(writer_process.address)
    yield r
    r.close()  # a stopping writer process answers its connected workers until they hang up


def apply_one(remote: RemoteWriter, cmd: dict) -> dict:
    [result] = remote.run("apply_batch", [cmd], user=SUPERVISOR, device_id="HH-1").results
    return result


def test_commands_from_many_threads_share_commits(writer_process, remote, db_path):
    statuses, lock = [], threading.Lock()

    def hand(t):
        for i in range(12):
            res = apply_one(remote, take(1, qty=1))  # a move A -> B
            with lock:
                statuses.append(res["status"])

    threads = [threading.Thread(target=hand, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == ["applied"] * 96
    assert stock_of(db_path) == {"A": 4, "B": 96}
    writer_process.stop()
    commits, jobs = map(int, re.search(rb"stopped after (\d+) commits of (\d+) jobs",
                                       writer_process.proc.stderr.read()).groups())
    assert jobs == 96 and commits < jobs


def test_an_answer_comes_only_after_the_commit(remote, db_path):
    cmd = take(1)
    assert apply_one(remote, cmd)["status"] == "applied"
    # Another connection sees it the moment the caller hears "applied".
    conn = connect(db_path, readonly=True)
    try:
        assert conn.execute("SELECT count(*) FROM movement WHERE command_id = ?", (cmd["id"],)).fetchone()[0] == 1
    finally:
        conn.close()
    assert apply_one(remote, cmd)["status"] == "duplicate"


def test_a_rejected_command_and_an_unknown_operation_stay_the_callers_own(remote, db_path):
    too_many = take(1, qty=1000)
    assert apply_one(remote, too_many)["status"] == "rejected"
    with pytest.raises(LookupError, match="no operation 'drop_table'"):
        remote.run("drop_table", "movement")
    assert apply_one(remote, take(1))["status"] == "applied"
    assert stock_of(db_path) == {"A": 99, "B": 1}


def test_losing_the_writer_process_is_a_503_not_a_hang(writer_process, remote, db_path, tmp_path, monkeypatch):
    monkeypatch.setattr("edge.writer_process.CONNECT_WAIT_S", 1.0)
    assert apply_one(remote, take(1))["status"] == "applied"
    writer_process.stop(signal.SIGKILL)
    with pytest.raises(WriterLost):
        apply_one(remote, take(1))
    # Started again at the same address, the next request reconnects.
    restarted = WriterProcessRunning(db_path, tmp_path)
    try:
        assert apply_one(remote, take(1))["status"] == "applied"
        # A connection that went stale when the writer process restarted is
        # replaced before a request is sent on it: no 503 for that request.
        restarted.stop(signal.SIGKILL)
        restarted = WriterProcessRunning(db_path, tmp_path)
        assert apply_one(remote, take(1))["status"] == "applied"
    finally:
        remote.close()
        restarted.stop()
    assert stock_of(db_path) == {"A": 97, "B": 3}


def test_the_writer_process_relays_live_events(writer_process):
    from edge.relay import WriterRelayManager
    listener, sender = WriterRelayManager(writer_process.address), WriterRelayManager(writer_process.address)
    got = []
    events = listener._listen()
    t = threading.Thread(target=lambda: got.append(next(events)), daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while t.is_alive() and time.monotonic() < deadline:
        sender._publish({"method": "emit", "event": "stock.changed", "data": [{"changes": []}]})
        t.join(0.2)
    assert got == [{"method": "emit", "event": "stock.changed", "data": [{"changes": []}]}]


# -- through `floorscan serve` with two workers ----------------------------------------

def worker_of(master_pid: int, sio) -> int:
    """The pid of the gunicorn worker holding the server end of a Socket.IO client's connection."""
    local_port = sio.eio.ws.sock.getsockname()[1]
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == local_port:  # the peer's port is the client's
                inodes.add(fields[9])
    for child in open(f"/proc/{master_pid}/task/{master_pid}/children").read().split():
        for fd in os.listdir(f"/proc/{child}/fd"):
            try:
                if os.readlink(f"/proc/{child}/fd/{fd}").strip("socket:[]") in inodes:
                    return int(child)
            except OSError:
                continue
    raise AssertionError(f"no worker holds the connection from port {local_port}")


def test_two_workers_apply_every_command_once_and_share_live_events(db_path):
    import socketio
    seed(db_path, bins=("A", "B", "C"), opening=500)
    server = LiveServer(db_path, env={"FLOORSCAN_WORKERS": "2"}).start()
    try:
        token = requests.post(server.url + "/api/v1/session", json={"pin": PINS["supervisor"]},
                              timeout=30).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        seen, lock = [], threading.Lock()

        def listen():
            # 30 s, not python-socketio's 5: a busy box (two test processes) once took
            # longer than 5 s to answer a websocket handshake, and this test is not about that.
            sio = socketio.Client(reconnection=False, request_timeout=30)
            sio.on("movement.recorded", lambda data: (lock.acquire(), seen.extend(
                m["command_id"] for m in data["movements"]), lock.release()))
            sio.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=30)
            return sio
        # Which worker accepts a connection is up to the kernel: connect until both have some.
        listeners, workers = [], set()
        while len(workers) < 2 and len(listeners) < 40:
            batch = [None] * 4
            threads = [threading.Thread(target=lambda i=i: batch.__setitem__(i, listen())) for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(70)
            listeners += batch
            workers = {worker_of(server.proc.pid, sio) for sio in listeners}
        assert len(workers) == 2, "every live connection landed on the same worker"
        # Long-polling could land on the other worker: it is not offered.
        with pytest.raises(socketio.exceptions.ConnectionError):
            socketio.Client(reconnection=False).connect(server.url, auth={"token": token},
                                                        transports=["polling"], wait_timeout=5)
        sent = [take(i, to="B" if i % 4 == 1 else "C") for i in range(1, 121, 2)]  # moves
        results = []

        def client(chunk):
            with requests.Session() as s:  # a new connection per client: both workers get some
                for cmd in chunk:
                    r = s.post(server.url + "/api/v1/commands", json={"commands": [cmd]}, headers=headers, timeout=60)
                    assert r.status_code == 200, r.text
                    with lock:
                        results.append(r.json()["results"][0]["status"])
        threads = [threading.Thread(target=client, args=(sent[i::6],)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert results == ["applied"] * len(sent)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(seen) < len(listeners) * len(sent):
            time.sleep(0.1)
        # Every supervisor got every movement, whichever worker committed it.
        assert sorted(seen) == sorted(c["id"] for c in sent for _ in listeners)
        # Signing out closes the token's live connections in every worker.
        assert requests.delete(server.url + "/api/v1/session", headers=headers, timeout=30).status_code == 204
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(sio.connected for sio in listeners):
            time.sleep(0.1)
        assert not any(sio.connected for sio in listeners)
    finally:
        server.stop()
    assert stock_of(db_path) == {"A": 440, "B": 30, "C": 30}


def test_sigkill_with_two_workers_loses_no_acknowledged_command(db_path, monkeypatch):
    """The crash loop of test_crash.py, with the writer process in between."""
    monkeypatch.setenv("FLOORSCAN_WORKERS", "2")
    every, acked, headers = crash_loop(db_path, rounds=3, seed_value=random.randrange(1 << 30))
    assert acked, "no command was ever acknowledged"
    resend_everything(db_path, every, acked, headers)
    check_database(db_path)


def test_the_relay_encodes_json_events_once_and_leaves_bytes_to_the_library(monkeypatch):
    """Events go out as their JSON text without the library's walk for bytes; an event
    that does hold bytes still goes the library's way, as a binary event."""
    import socketio
    from edge.relay import WriterRelayManager

    manager = WriterRelayManager("/nonexistent/writer.sock")
    manager.set_server(socketio.Server())
    handled, published, library = [], [], []
    monkeypatch.setattr(manager, "_handle_emit", handled.append)
    monkeypatch.setattr(manager, "_publish", published.append)
    monkeypatch.setattr(socketio.PubSubManager, "emit", lambda self, event, data, **kw: library.append(data))
    walked = []
    real = socketio.packet.Packet.data_is_binary.__func__

    def walk(cls, data):
        walked.append(data)
        return real(cls, data)
    monkeypatch.setattr(socketio.packet.Packet, "data_is_binary", classmethod(walk))

    manager.emit("stock.changed", {"changes": [{"bin": "A-01", "qty": 3.0, "lot": None}]}, room="supervisors")
    assert walked == []
    assert handled == published
    assert handled[0]["encoded"] == '2["stock.changed",{"changes":[{"bin":"A-01","qty":3.0,"lot":null}]}]'
    assert handled[0]["room"] == "supervisors" and library == []

    walked.clear()
    manager.emit("label.ready", {"png": b"\x89PNG"}, room="supervisors")
    assert library == [{"png": b"\x89PNG"}] and len(handled) == 1
    assert walked  # only an event JSON refused is walked for bytes



def test_the_relay_refuses_data_that_is_neither_json_nor_bytes(monkeypatch):
    """A caller's mistake (a set, a Decimal) raises here, as before, instead of
    being published for every other worker to fail on."""
    import socketio
    from edge.relay import WriterRelayManager

    manager = WriterRelayManager("/nonexistent/writer.sock")
    manager.set_server(socketio.Server())
    published = []
    monkeypatch.setattr(manager, "_publish", published.append)
    with pytest.raises(TypeError):
        manager.emit("stock.changed", {"bins": {"A-01"}}, room="supervisors")
    assert published == []
