"""`floorscan serve`'s gunicorn worker: kept-alive connections, served by the
thread that has them while they are busy, by the poller when they go quiet."""
from __future__ import annotations

import socket
import time

import pytest

from conftest import LiveServer
from edge.serve import LINGER_S, default_workers

REQUEST = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"


def read_responses(sock: socket.socket, count: int, timeout: float = 10) -> list[bytes]:
    sock.settimeout(timeout)
    data, answers = b"", []
    while len(answers) < count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            head = data[:head_end].decode("latin-1")
            length = next(int(line.split(":", 1)[1]) for line in head.split("\r\n")
                          if line.lower().startswith("content-length:"))
            if len(data) >= head_end + 4 + length:
                answers.append(data[:head_end + 4 + length])
                data = data[head_end + 4 + length:]
                continue
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    return answers


@pytest.fixture(params=["1", "2"], ids=["one worker", "two workers"])
def server(db_path, request):
    live = LiveServer(db_path, env={"FLOORSCAN_WORKERS": request.param}).start()
    yield live
    live.stop()


def test_a_busy_connection_is_answered_request_after_request(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        for _ in range(50):
            sock.sendall(REQUEST)
            [answer] = read_responses(sock, 1)
            assert answer.startswith(b"HTTP/1.1 200")


def test_pipelined_requests_are_all_answered(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(REQUEST * 3)
        answers = read_responses(sock, 3)
        assert all(a.startswith(b"HTTP/1.1 200") for a in answers)


def test_a_connection_that_went_quiet_is_served_again(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(REQUEST)
        read_responses(sock, 1)
        time.sleep(LINGER_S * 4)  # back with the poller by now
        sock.sendall(REQUEST)
        [answer] = read_responses(sock, 1)
        assert answer.startswith(b"HTTP/1.1 200")


def test_two_workers_by_default_on_two_cores(monkeypatch):
    monkeypatch.delenv("FLOORSCAN_WORKERS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert default_workers() == 2
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert default_workers() == 1
    monkeypatch.setenv("FLOORSCAN_WORKERS", "3")
    assert default_workers() == 3
