"""The benchmarks' load generator (bench/_loadgen.py) counts what it claims to.

Closed loop, a device sends again when answered, so a slow server sees fewer
requests. Open loop (``rate``), sends are planned in advance and each latency
counts from its planned time: a slow server then shows long latencies, not
fewer requests. A generator that timed from its actual send would hide the
wait (coordinated omission), and the paced figures of bench/scan_load.py
would look better than the server is.
"""
from __future__ import annotations

import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from _common import free_port  # noqa: E402
from _loadgen import UNANSWERED, Client, run_load  # noqa: E402

DELAY_S = 0.1  # each answer takes this long, so one device gets at most 10 answers/s


class _Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the load generator expects

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(DELAY_S)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class _Device(Client):
    path = "/x"

    def next_body(self) -> bytes:
        return b"{}"


@pytest.fixture
def slow_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_closed_loop_sends_only_as_fast_as_answered(slow_server):
    res, _ = run_load([_Device(), _Device()], slow_server, seconds=1.0, warmup=0.3, per_process=2)
    assert res.error_count == 0
    # One request at a time per device, each held DELAY_S by the server: at most
    # 10 per device fit in the 1 s window, however busy the box is.
    assert len(res.latencies) <= 20
    assert all(latency >= DELAY_S for latency in res.latencies)


def test_open_loop_counts_latency_from_the_planned_time(slow_server):
    # 80 sends/s planned (40 per device, a Poisson stream each) against a server that
    # answers 20/s: the backlog grows by ~0.75 s every second, and every send planned
    # in the window is counted, answered late. ~80 are planned in it; 40 would be
    # 4 standard deviations short.
    res, _ = run_load([_Device(), _Device()], slow_server, seconds=1.0, warmup=0.3, per_process=2, rate=80)
    assert res.error_count == 0
    assert len(res.latencies) >= 40, "sends planned in the window were dropped instead of counted late"
    # Timed from the actual send instead, each would read about DELAY_S.
    assert statistics.median(res.latencies) >= 3 * DELAY_S


def test_open_loop_counts_a_send_it_could_not_connect_for_and_moves_on():
    port = free_port()  # nothing listens there
    res, _ = run_load([_Device(), _Device()], port, seconds=1.0, warmup=0.3, per_process=2, rate=40)
    assert res.ok == 0
    assert sum(n for label, n in res.errors.items() if label.startswith("connect:")) >= 10
    # Each refused send is counted once and the device goes on to its next planned
    # one; it does not retry the same send until the run gives up on it.
    assert UNANSWERED not in res.errors
