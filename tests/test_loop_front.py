"""The loop front (edge/loop_front.py): a worker's main thread answers a plain
scan itself; everything else goes back to gunicorn's threads untouched.

`parse` decides which requests are plain, so it is tested on its own first.
Then one real `floorscan serve` (two workers, the writer process) with raw
sockets: split packets, pipelining, Expect, a slow client, a hang-up before
the answer, and the writer process killed with answers outstanding. Every
scan is applied exactly once and the server's metrics say which path took it.
tests/test_command_lane.py sends its byte-for-byte comparisons through the
front too (kept-alive connections).
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time

import pytest
import requests

from conftest import PINS, LiveServer, assert_verified, command
from edge.db import connect, init_db
from edge.loop_front import Plain, parse
from test_command_lane import writer_pid
from test_concurrency import seed

PATH = "/api/v1/commands"


def raw(body: bytes = b'{"commands":[1]}', headers: dict | None = None, line: str = f"POST {PATH} HTTP/1.1") -> bytes:
    h = {"Host": "edge", "Authorization": "Bearer tok", "Content-Type": "application/json",
         "Content-Length": str(len(body)), **(headers or {})}
    head = line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items() if v is not None) + "\r\n"
    return head.encode("latin-1") + body


# -- which requests are plain ------------------------------------------------------------------

def test_a_plain_scan_is_parsed_with_its_token_body_and_request_id():
    p = parse(raw(headers={"X-Request-Id": "HH-7:scan/42"}), 65536)
    assert isinstance(p, Plain)
    assert (p.token, p.body, p.request_id) == ("tok", b'{"commands":[1]}', "HH-7:scan/42")
    p = parse(raw(headers={"X-Request-Id": "a b", "Content-Type": "application/json; charset=utf-8",
                           "Authorization": "bearer tok"}), 65536)
    assert isinstance(p, Plain) and re.fullmatch("[0-9a-f]{32}", p.request_id) and p.token == "tok"


@pytest.mark.parametrize("cut", [1, 10, 40, -5, -1])
def test_a_request_still_arriving_is_waited_for(cut):
    assert parse(raw()[:cut], 65536) is None


@pytest.mark.parametrize("data", [
    raw(line=f"POST {PATH}?x=1 HTTP/1.1"),
    raw(line=f"POST {PATH} HTTP/1.0"),
    raw(line=f"PUT {PATH} HTTP/1.1"),
    raw(line="POST /api/v1/commandsX HTTP/1.1"),
    raw(headers={"Expect": "100-continue"}),
    raw(headers={"Transfer-Encoding": "chunked", "Content-Length": None}),
    raw(headers={"Connection": "close"}),
    raw(headers={"Upgrade": "h2c", "Connection": "Upgrade"}),
    raw(headers={"Content-Length": None}),
    raw(headers={"Content-Length": "+16"}),
    raw(headers={"Content-Length": "0"}, body=b""),
    raw(headers={"Content-Type": "text/plain"}),
    raw(headers={"Authorization": None}),
    raw(headers={"Authorization": "Basic dG9r"}),
    raw(headers={"Authorization": "Bearer "}),
    raw(headers={"X_Forwarded_For": "1.2.3.4"}),
    raw(body=b"x" * 70000),
    raw() + raw(),                                             # pipelined: the threads take both
    raw().replace(b"Host: edge\r\n", b"Host: edge\r\n folded\r\n"),
    raw().replace(b"Host: edge\r\n", b"Content-Length: 16\r\n"),  # twice
    b"GET /api/v1/stock HTTP/1.1\r\n",                           # not ours, not even complete
    b"x" * 9000,
], ids=lambda d: d[:60].decode("latin-1"))
def test_anything_else_is_the_threads(data):
    assert parse(data, 65536) is False


# -- a real server ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("front") / "edge.db")
    init_db(db)
    seed(db, bins=("A", "B"), opening=100000)
    live = LiveServer(db, env={"FLOORSCAN_WORKERS": "2"}).start()
    live.token = requests.post(live.url + "/api/v1/session", json={"pin": PINS["supervisor"]}, timeout=30).json()["token"]
    yield live
    live.stop()
    assert_verified(db)


def front_counts(server) -> dict[str, float]:
    text = requests.get(server.url + "/metrics", timeout=30).text
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'^floorscan_loop_front_requests_total\{outcome="(\w+)"\} (\S+)$', text, re.M)}


def scan_request(server, cmd: dict, **headers) -> bytes:
    body = json.dumps({"commands": [cmd]}).encode()
    return raw(body, {"Authorization": f"Bearer {server.token}", "Host": "127.0.0.1", **headers})


def _cmd() -> dict:
    return command("move", {"sku": "EA", "qty": 1, "from_bin": "A", "to_bin": "B"})


class Client:
    """One kept-alive connection, read by hand."""

    def __init__(self, server):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self) -> tuple[bytes, dict, bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        headers = [tuple(x.strip() for x in line.split(b":", 1)) for line in lines[1:]]
        if lines[0].startswith(b"HTTP/1.1 100"):
            return lines[0], headers, b""
        length = int(dict(headers)[b"Content-Length"])
        while len(self.buf) < length:
            self._more()
        body, self.buf = self.buf[:length], self.buf[length:]
        return lines[0], headers, body

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "the server closed the connection"
        self.buf += chunk

    def close(self) -> None:
        self.sock.close()


def status_of(body: bytes) -> str:
    return json.loads(body)["results"][0]["status"]


def applied_once(server, cid: str) -> bool:
    conn = connect(server.db_path, readonly=True)
    try:
        return conn.execute("SELECT count(*) FROM movement WHERE command_id = ?", (cid,)).fetchone()[0] == 1
    finally:
        conn.close()


def test_kept_alive_scans_are_answered_by_the_main_thread_with_the_threads_headers(server):
    before = front_counts(server)
    c = Client(server)
    try:
        answers = []
        for _ in range(6):
            cmd = _cmd()
            c.send(scan_request(server, cmd))
            answers.append(c.answer())
            assert status_of(answers[-1][2]) == "applied" and applied_once(server, cmd["id"])
    finally:
        c.close()
    after = front_counts(server)
    # The first request on a connection is a thread's; on two workers the rest may
    # land on either, but every one after the first is the main thread's.
    assert after["answered"] - before["answered"] == 5
    assert after["handed_on"] == before["handed_on"]
    first, later = answers[0], answers[1:]
    for line, headers, _ in later:
        assert line == first[0] == b"HTTP/1.1 200 OK"
        # The same headers in the same order; only the clock and the request id differ.
        assert [k for k, _ in headers] == [k for k, _ in first[1]]
        assert [v for k, v in headers if k not in (b"Date", b"X-Request-Id", b"Content-Length")] == \
            [v for k, v in first[1] if k not in (b"Date", b"X-Request-Id", b"Content-Length")]


def test_split_packets_pipelining_and_expect_are_all_answered_once(server):
    c = Client(server)
    try:
        c.send(scan_request(server, _cmd()))  # the thread's first request
        c.answer()
        before = front_counts(server)
        # Split: the head, then the body a moment later; the main thread waits for it.
        cmd = _cmd()
        data = scan_request(server, cmd)
        cut = data.index(b"\r\n\r\n") + 4
        c.send(data[:cut - 7])
        time.sleep(0.2)
        c.send(data[cut - 7:cut + 5])
        time.sleep(0.2)
        c.send(data[cut + 5:])
        assert status_of(c.answer()[2]) == "applied" and applied_once(server, cmd["id"])
        assert front_counts(server)["answered"] - before["answered"] == 1
        # Pipelined: two scans in one packet go to a thread, in order.
        a, b = _cmd(), _cmd()
        c.send(scan_request(server, a) + scan_request(server, b))
        assert status_of(c.answer()[2]) == "applied" and status_of(c.answer()[2]) == "applied"
        assert applied_once(server, a["id"]) and applied_once(server, b["id"])
        # Expect: 100-continue is gunicorn's to answer.
        e = _cmd()
        c.send(scan_request(server, e, Expect="100-continue"))
        line, _, body = c.answer()
        if line.startswith(b"HTTP/1.1 100"):
            line, _, body = c.answer()
        assert line == b"HTTP/1.1 200 OK" and status_of(body) == "applied" and applied_once(server, e["id"])
    finally:
        c.close()


def test_a_slow_client_goes_to_a_thread_and_is_still_answered(server):
    c = Client(server)
    try:
        c.send(scan_request(server, _cmd()))
        c.answer()
        before = front_counts(server)
        cmd = _cmd()
        data = scan_request(server, cmd)
        c.send(data[:30])
        time.sleep(3.5)  # beyond the main thread's wait (MAX_WAIT_S) and a turn of its loop
        c.send(data[30:])
        assert status_of(c.answer()[2]) == "applied" and applied_once(server, cmd["id"])
        assert front_counts(server)["handed_on"] - before["handed_on"] == 1
    finally:
        c.close()


def test_a_handheld_that_hangs_up_before_its_answer_still_has_its_scan_applied_once(server):
    cmds = []
    for _ in range(5):
        c = Client(server)
        c.send(scan_request(server, _cmd()))
        c.answer()
        cmd = _cmd()
        cmds.append(cmd)
        c.send(scan_request(server, cmd))
        c.sock.shutdown(socket.SHUT_RDWR)
        c.close()
    deadline = time.monotonic() + 20
    while not all(applied_once(server, c["id"]) for c in cmds) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(applied_once(server, c["id"]) for c in cmds)
    # And the workers are fine.
    c = Client(server)
    try:
        c.send(scan_request(server, _cmd()))
        assert c.answer()[0] == b"HTTP/1.1 200 OK"
    finally:
        c.close()


def test_the_writer_process_killed_with_answers_outstanding(server):
    """SIGSTOP the writer with scans from many connections waiting on the main
    threads, then SIGKILL it: each is answered (200, or the view's 503 if the
    restart takes too long) and none is applied twice; sending a 503's scan
    again applies it."""
    clients = [Client(server) for _ in range(8)]
    try:
        for c in clients:
            c.send(scan_request(server, _cmd()))
            c.answer()
        pid = writer_pid(server)
        os.kill(pid, signal.SIGSTOP)
        cmds = [_cmd() for _ in clients]
        try:
            for c, cmd in zip(clients, cmds):
                c.send(scan_request(server, cmd))
            time.sleep(1.0)
        finally:
            os.kill(pid, signal.SIGKILL)
        results = {}

        def read(c, cmd):
            results[cmd["id"]] = c.answer()
        threads = [threading.Thread(target=read, args=pair) for pair in zip(clients, cmds)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        for cmd in cmds:
            line, _, body = results[cmd["id"]]
            # The status code, not the reason phrase: Flask's 503 says "SERVICE UNAVAILABLE".
            version, code = line.split(b" ", 2)[:2]
            assert version == b"HTTP/1.1" and code in (b"200", b"503"), (line, body)
            if code == b"503":
                assert json.loads(body)["status"] == 503
                r = requests.post(server.url + PATH, json={"commands": [cmd]},
                                  headers={"Authorization": f"Bearer {server.token}"}, timeout=90)
                assert r.status_code == 200
            else:
                assert status_of(body) in ("applied", "duplicate")
            assert applied_once(server, cmd["id"])
        assert writer_pid(server) != pid
    finally:
        for c in clients:
            c.close()


@pytest.mark.parametrize("data", [
    raw(headers={"X-Request-Id": "abc\n"}),                      # a bare LF inside a value
    raw(headers={"X-Request-Id": "a\x01b"}),
    raw(headers={f"X-H{i}": "v" for i in range(101)}),          # more fields than gunicorn takes
], ids=["bare LF", "control character", "101 fields"])
def test_what_gunicorn_would_refuse_is_not_plain(data):
    assert parse(data, 65536) is False


# -- the front's own bookkeeping, without a server ---------------------------------------------

class _Worker:
    """What LoopFront uses of a gthread worker, recorded."""

    def __init__(self):
        import selectors
        from types import SimpleNamespace
        self.poller = selectors.DefaultSelector()
        self.cfg = SimpleNamespace(limit_request_fields=100, keepalive=30)
        self.alive, self.nr, self.max_requests, self.nr_conns = True, 0, 10**9, 0
        self.keepalived_conns, self.max_keepalived = [], 100
        self.tpool = None  # shut down: anything submitted would fail the test


class _Conn:
    def __init__(self):
        self.closed = False

    def close(self, graceful=False):
        self.closed = True


def _front():
    from types import SimpleNamespace
    from edge.loop_front import LoopFront
    lane = SimpleNamespace(remote=SimpleNamespace(address="/nonexistent"), max_bytes=65536, limit=3,
                           timeout=60, declined=set(), app=None)
    return LoopFront(_Worker(), lane)


def test_an_event_of_a_writer_connection_already_dropped_is_ignored():
    """The writer process dies: in one poll, a send fails (the connection is dropped)
    and the old socket's end-of-file is still to be dispatched. That must not raise:
    an exception there would end the worker with every connection it holds."""
    front = _front()
    a, b = socket.socketpair()
    try:
        front.sock = None  # dropped earlier in the same poll
        assert front._ready(a) is None
        front.sock = b
        assert front._ready(a) is None  # not the current connection either
    finally:
        a.close()
        b.close()


def test_stopping_closes_what_waits_instead_of_handing_it_to_a_stopped_pool():
    front = _front()
    conns = [_Conn(), _Conn(), _Conn()]
    front.worker.nr_conns = 3
    front.waiting = {1: (conns[0], None, 0, 0), 2: (conns[1], None, 0, 0)}
    front.reading = {conns[2]: (b"POST", 0)}
    front.close()
    assert all(c.closed for c in conns) and front.worker.nr_conns == 0
    assert front.waiting == {} and front.reading == {}


def test_a_writer_process_that_is_not_there_is_not_dialled_for_every_scan():
    front = _front()
    assert front._connect() is False
    assert front.retry_at > time.monotonic()
    front.address = None  # would raise if dialled again now
    assert front._connect() is False
