"""The edge's sync client against a central that misbehaves: every bad or
hostile answer leaves the cursors where they were, is recorded for the
supervisor, and the loop waits longer and longer before trying again."""
from __future__ import annotations

import gzip
import json
import shutil
import threading

import pytest

from _sync_support import Scripted, make_edge, sync_state
from edge.db import connect
from sync import status
from sync.client import BadAnswer, CentralClient, Gap, Refused, ServerError, Unreachable, check_page
from sync.loop import BACKOFF_CAP_S, SyncLoop, backoff

JSON = "application/json"
PROBLEM = "application/problem+json"


def js(obj) -> bytes:
    return json.dumps(obj).encode()


@pytest.fixture
def central():
    server = Scripted()
    yield server
    server.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_edge(str(tmp_path_factory.mktemp("template") / "edge.db"), "WH1", 30)


@pytest.fixture
def edge(tmp_path, template):
    path = tmp_path / "edge.db"
    shutil.copy(template, path)  # closed cleanly: no -wal file to copy along
    return str(path)


# The scripted central answers at once, but a busy machine may take seconds to get round to it:
# generous timeouts, except where the test is about a timeout (see "timeout" below).
TIMEOUT = (10, 10)


def loop_for(edge, central, timeout=TIMEOUT, **kw) -> SyncLoop:
    client = CentralClient(central.url, "tok", timeout=timeout)
    return SyncLoop(edge, central.url, "tok", batch=10, client=client, **kw)


CURSOR0 = (200, JSON, js({"warehouse": "WH1", "cursor": 0}))
NO_CHANGES = (200, JSON, js({"changes": [], "cursor": 0, "more": False}))


def accepted(cursor):
    return 200, JSON, js({"warehouse": "WH1", "cursor": cursor, "inserted": 10, "duplicates": 0})


HOSTILE_POSTS = {
    "html error page": (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    "html with 200": (200, "text/html", b"<html><body>Welcome to nginx!</body></html>"),
    "truncated json": (200, JSON, js({"warehouse": "WH1", "cursor": 10, "inserted": 10})[:17]),
    "500": (500, PROBLEM, js({"title": "Internal Server Error", "status": 500})),
    "timeout": (200, JSON, js({"warehouse": "WH1", "cursor": 10}), 1.5),  # read with a 0.5 s timeout
    "cursor beyond the batch": accepted(11_000),
    "cursor before the batch end": accepted(5),
    "cursor as a string": (200, JSON, js({"warehouse": "WH1", "cursor": "10"})),
    "cursor as a float": (200, JSON, js({"warehouse": "WH1", "cursor": 10.0})),
    "cursor true": (200, JSON, js({"warehouse": "WH1", "cursor": True})),
    "cursor missing": (200, JSON, js({"warehouse": "WH1"})),
    "answer for another warehouse": (200, JSON, js({"warehouse": "WH2", "cursor": 10})),
    "json array": (200, JSON, b"[10]"),
    "gap with an impossible cursor": (409, PROBLEM, js({"type": "https://floorscan.dev/problems/gap", "status": 409,
                                                       "title": "Gap", "cursor": 50})),
    "gap without a cursor": (409, PROBLEM, js({"type": "https://floorscan.dev/problems/gap", "status": 409})),
    "403 wrong warehouse": (403, PROBLEM, js({"type": "https://floorscan.dev/problems/wrong-warehouse",
                                             "title": "Wrong warehouse", "status": 403, "detail": "no"})),
}


@pytest.mark.parametrize("name", list(HOSTILE_POSTS))
def test_a_bad_answer_to_a_batch_leaves_the_up_cursor_untouched(edge, central, name):
    central.replies = [CURSOR0, HOSTILE_POSTS[name]]
    loop = loop_for(edge, central, timeout=(10, 0.5) if name == "timeout" else TIMEOUT)
    try:
        summary, wait = loop.round_safely()
    finally:
        loop.close()
    assert summary is None and wait > 0
    state = sync_state(edge)
    assert state["up_cursor"] == 0
    assert state["failures"] == 1 and state["last_error"] and state["next_retry_at"]
    assert state["last_success_at"] is None


HOSTILE_CURSORS = {
    "negative": js({"warehouse": "WH1", "cursor": -1}),
    "beyond the ledger": js({"warehouse": "WH1", "cursor": 31}),
    "not a number": js({"warehouse": "WH1", "cursor": "lots"}),
    "another warehouse": js({"warehouse": "WH9", "cursor": 3}),
}


@pytest.mark.parametrize("name", list(HOSTILE_CURSORS))
def test_a_bad_cursor_from_central_is_not_stored(edge, central, name):
    central.replies = [(200, JSON, HOSTILE_CURSORS[name])]
    loop = loop_for(edge, central)
    try:
        summary, _ = loop.round_safely()
    finally:
        loop.close()
    assert summary is None
    assert sync_state(edge)["up_cursor"] == 0


def test_a_cut_off_body_is_unreachable_not_parsed(central):
    def cut(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", JSON)
        handler.send_header("Content-Length", "400")
        handler.end_headers()
        handler.wfile.write(b'{"warehouse": "WH1", "cursor": 1')
        handler.wfile.flush()
        handler.connection.close()
    central.replies = [cut]
    client = CentralClient(central.url, "tok", timeout=TIMEOUT)
    with pytest.raises((Unreachable, BadAnswer)):
        client.cursor("WH1")


def test_error_kinds(central):
    client = CentralClient(central.url, "tok", timeout=TIMEOUT)
    central.replies = [(503, "text/html", b"<h1>down</h1>")]
    with pytest.raises(ServerError):
        client.cursor("WH1")
    central.replies = [(401, PROBLEM, js({"title": "Unauthorized", "status": 401, "detail": "unknown token"}))]
    with pytest.raises(Refused, match="401 Unauthorized: unknown token"):
        client.cursor("WH1")
    central.replies = [(409, PROBLEM, js({"type": "https://floorscan.dev/problems/gap", "status": 409, "cursor": 3,
                                          "detail": "send from 4"}))]
    with pytest.raises(Gap) as gap:
        client.post_movements("WH1", b"", 10, 19)
    assert gap.value.cursor == 3
    unreachable = CentralClient("http://127.0.0.1:9", "tok", timeout=(0.5, 0.5))
    with pytest.raises(Unreachable):
        unreachable.cursor("WH1")


def test_a_good_round_sends_gzipped_batches_from_the_cursor_and_stores_central_answer(edge, central):
    central.replies = [CURSOR0, accepted(10), accepted(20), accepted(30), NO_CHANGES]
    loop = loop_for(edge, central)
    try:
        summary, wait = loop.round_safely()
    finally:
        loop.close()
    assert summary["up_cursor"] == 30 and summary["sent"] == 30
    posts = [r for r in central.requests if r[0] == "POST"]
    bodies = [json.loads(gzip.decompress(body)) for _, _, body in posts]
    assert [[m["seq"] for m in b["movements"]] for b in bodies] == [list(range(1, 11)), list(range(11, 21)),
                                                                    list(range(21, 31))]
    first = bodies[0]["movements"][0]
    assert first["warehouse"] == "WH1" and {"id", "kind", "sku", "qty", "recorded_at", "replayed"} <= set(first)
    state = sync_state(edge)
    assert state["up_cursor"] == 30 and state["failures"] == 0 and state["last_success_at"]
    assert state["movements_sent"] == 30


def test_a_gap_answer_resends_from_the_cursor_central_names(edge, central):
    # The edge believes central holds 20 (stored), central lost everything after 5.
    loop = loop_for(edge, central)
    loop.write(lambda conn: status.record_up_cursor(conn, 20, 0))
    loop._cursor_checked = True
    gap = (409, PROBLEM, js({"type": "https://floorscan.dev/problems/gap", "status": 409, "cursor": 5,
                             "detail": "send from 6"}))
    central.replies = [gap, accepted(15), accepted(25), accepted(30), NO_CHANGES]
    try:
        summary, _ = loop.round_safely()
    finally:
        loop.close()
    seqs = [json.loads(gzip.decompress(b))["movements"][0]["seq"] for m, _, b in central.requests if m == "POST"]
    assert seqs == [21, 6, 16, 26]
    assert summary["up_cursor"] == 30


def test_central_holding_more_than_the_edge_is_an_error_not_a_cursor(edge, central):
    central.replies = [(200, JSON, js({"warehouse": "WH1", "cursor": 500}))]
    loop = loop_for(edge, central)
    try:
        summary, _ = loop.round_safely()
    finally:
        loop.close()
    assert summary is None
    state = sync_state(edge)
    assert state["up_cursor"] == 0 and "restored from an old backup" in state["last_error"]


BAD_PAGES = {
    "cursors going back": {"changes": [{"cursor": 3, "kind": "item", "key": "A", "op": "upsert", "data": {}},
                                       {"cursor": 2, "kind": "item", "key": "B", "op": "upsert", "data": {}}],
                           "cursor": 3, "more": False},
    "page cursor behind its changes": {"changes": [{"cursor": 3, "kind": "item", "key": "A", "op": "delete"}],
                                       "cursor": 2, "more": False},
    "cursor not after 'after'": {"changes": [{"cursor": 0, "kind": "item", "key": "A", "op": "delete"}],
                                 "cursor": 0, "more": False},
    "unknown op": {"changes": [{"cursor": 1, "kind": "item", "key": "A", "op": "drop"}], "cursor": 1, "more": False},
    "upsert without data": {"changes": [{"cursor": 1, "kind": "item", "key": "A", "op": "upsert"}], "cursor": 1},
    "no changes list": {"cursor": 1, "more": False},
    "more not a bool": {"changes": [], "cursor": 0, "more": "yes"},
    "cursor a string": {"changes": [], "cursor": "7", "more": False},
}


@pytest.mark.parametrize("name", list(BAD_PAGES))
def test_a_bad_page_of_changes_is_refused(name):
    with pytest.raises(BadAnswer):
        check_page(BAD_PAGES[name], 0)


def test_a_bad_page_leaves_the_down_cursor_untouched(edge, central):
    central.replies = [CURSOR0, accepted(10), accepted(20), accepted(30), (200, JSON, js(BAD_PAGES["unknown op"]))]
    loop = loop_for(edge, central)
    try:
        summary, _ = loop.round_safely()
    finally:
        loop.close()
    state = sync_state(edge)
    assert summary is None and state["down_cursor"] == 0 and state["up_cursor"] == 30


def test_backoff_doubles_with_jitter_up_to_the_cap():
    for failures in range(1, 12):
        full = min(BACKOFF_CAP_S, 2 ** (failures - 1))
        for _ in range(20):
            assert full / 2 <= backoff(failures) <= full
    assert backoff(50) <= BACKOFF_CAP_S


class Waits(threading.Event):
    """The loop's stop event, recording every wait and stopping after ``rounds``."""

    def __init__(self, rounds):
        super().__init__()
        self.waits, self.rounds = [], rounds

    def wait(self, timeout=None):
        self.waits.append(timeout)
        if len(self.waits) >= self.rounds:
            self.set()
        return self.is_set()


def test_the_loop_never_busy_loops_while_central_is_down(edge):
    client = CentralClient("http://127.0.0.1:9", "tok", timeout=(0.2, 0.2))
    loop = SyncLoop(edge, "http://127.0.0.1:9", "tok", client=client)
    loop.stop = Waits(7)
    try:
        loop.run()
    finally:
        loop.close()
    waits = loop.stop.waits
    assert len(waits) == 7
    assert all(w >= 0.5 * min(BACKOFF_CAP_S, 2 ** i) for i, w in enumerate(waits)), waits
    state = sync_state(edge)
    assert state["failures"] == 7 and "Connection" in state["last_error"]


def test_status_reports_backlog_lag_and_errors(edge, central):
    conn = connect(edge, readonly=True)
    before = status.read(conn)
    assert before["backlog"] == 30 and before["edge_seq"] == 30 and before["lag_seconds"] >= 0
    assert before["status"] == "not configured"
    central.replies = [(503, "text/html", b"down")]
    loop = loop_for(edge, central)
    try:
        loop.round_safely()
    finally:
        loop.close()
    after = status.read(conn)
    assert after["status"] == "retrying" and after["failures"] == 1 and "503" in after["last_error"]
    assert after["next_retry_at"] and after["central_url"] == central.url
    conn.close()


# -- the command line ---------------------------------------------------------------------

def floorscan(capsys, monkeypatch, *argv):
    from edge.cli import main
    monkeypatch.delenv("FLOORSCAN_CENTRAL_URL", raising=False)
    monkeypatch.delenv("FLOORSCAN_CENTRAL_TOKEN", raising=False)
    code = main(["sync", *argv])
    return code, capsys.readouterr().err


def test_sync_command_says_what_is_missing(edge, capsys, monkeypatch):
    assert floorscan(capsys, monkeypatch, "--db", edge) == (
        2, "floorscan sync: give --central URL and --token T (or FLOORSCAN_CENTRAL_URL and FLOORSCAN_CENTRAL_TOKEN)\n")
    code, err = floorscan(capsys, monkeypatch, "--db", edge, "--central", "http://x", "--token", "t", "--batch", "0")
    assert code == 2 and "--batch is 1 to 50000" in err
    code, err = floorscan(capsys, monkeypatch, "--db", edge + ".nope", "--central", "http://x", "--token", "t")
    assert code == 2 and "no database at" in err and "floorscan init" in err


def test_one_sync_loop_per_edge_database(edge, central, capsys, monkeypatch):
    first = SyncLoop(edge, central.url, "tok")
    first.lock()
    try:
        code, err = floorscan(capsys, monkeypatch, "--db", edge, "--central", central.url, "--token", "t", "--once")
        assert code == 3 and "another sync process is running" in err
    finally:
        first.close()


def test_a_hole_in_the_edge_ledger_is_not_sent(tmp_path, template):
    import sqlite3
    from sync.up import LocalGap, prepare
    broken = str(tmp_path / "broken.db")
    shutil.copy(template, broken)
    conn = sqlite3.connect(broken)
    conn.execute("DROP TRIGGER movement_no_delete")  # only a damaged file could lose a movement
    conn.execute("DELETE FROM movement WHERE seq = 5")
    conn.commit()
    with pytest.raises(LocalGap, match="the edge ledger has no seq 5"):
        prepare(conn, "WH1", 0, 10)
    conn.close()


def test_the_sync_process_of_a_killed_server_stops_by_itself(edge):
    """`serve --central` starts the loop with --exit-with-parent: if the server
    dies by kill -9 it cannot stop its sync process, so that notices by itself."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from conftest import ROOT
    parent = subprocess.Popen(
        ["sh", "-c", f"{sys.executable} -m sync.cli --db {edge} --central http://127.0.0.1:9 --exit-with-parent "
                     "--max-wait 30 & wait"],
        cwd=ROOT, env=dict(os.environ, FLOORSCAN_CENTRAL_TOKEN="t"), stderr=subprocess.DEVNULL,
        start_new_session=True)

    def sync_pids():
        found = []
        for proc in os.listdir("/proc"):
            try:
                cmd = open(f"/proc/{proc}/cmdline", "rb").read()
            except OSError:
                continue
            if proc.isdigit() and b"sync.cli" in cmd and edge.encode() in cmd and b"sh\0-c" not in cmd:
                found.append(int(proc))
        return found
    try:
        deadline = time.monotonic() + 60
        while not sync_state(edge)["failures"] and time.monotonic() < deadline:
            time.sleep(0.05)  # started, and now waiting out its backoff
        [pid] = sync_pids()
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 60
        while sync_pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sync_pids() == [], "the orphaned sync process kept running"
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_round_that_got_somewhere_before_failing_starts_the_backoff_over(edge, central):
    loop = loop_for(edge, central)
    loop.failures = 6  # central was away for a while
    central.replies = [CURSOR0, accepted(10), (502, "text/html", b"<h1>Bad Gateway</h1>")]
    try:
        summary, wait = loop.round_safely()
        assert summary is None and loop.failures == 1 and wait <= 1.0
        assert sync_state(edge)["up_cursor"] == 10
        central.replies = [(502, "text/html", b"<h1>Bad Gateway</h1>")]
        loop.round_safely()
        assert loop.failures == 2  # nothing moved this time: the wait grows again
    finally:
        loop.close()


def test_serve_wants_both_central_and_token_or_neither(edge, monkeypatch):
    from edge.cli import main
    monkeypatch.delenv("FLOORSCAN_CENTRAL_URL", raising=False)
    monkeypatch.delenv("FLOORSCAN_CENTRAL_TOKEN", raising=False)
    with pytest.raises(SystemExit, match=r"give both --central URL and --token T \(or neither\)"):
        main(["serve", "--db", edge, "--central", "http://central:8100"])
    monkeypatch.setenv("FLOORSCAN_CENTRAL_TOKEN", "t")  # a token in the environment, no URL anywhere
    with pytest.raises(SystemExit, match="give both"):
        main(["serve", "--db", edge])
