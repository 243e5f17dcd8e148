"""The command lane (edge/command_lane.py): POST /api/v1/commands past Flask,
straight to the writer process, must answer exactly as the Flask view does.

Two real `floorscan serve` servers with two gunicorn workers and the writer
process each, on two databases seeded alike: one with the lane (the default),
one with FLOORSCAN_COMMAND_LANE=0 (the view answers everything). The same
requests, with the same command ids, go to both, and the answers are compared
byte for byte (only the server's clock and the ledger's seq may differ).
"""
from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import uuid

import pytest
import requests

from conftest import PINS, LiveServer, assert_verified, command
from edge.db import connect, init_db
from test_concurrency import seed

PROBLEM = "application/problem+json"
MAX_BATCH = 3               # FLOORSCAN_MAX_BATCH for both servers: a too-large batch is cheap
MAX_CONTENT_LENGTH = 65536  # FLOORSCAN_MAX_CONTENT_LENGTH: a too-large body is cheap too
ENV = {"FLOORSCAN_WORKERS": "2", "FLOORSCAN_MAX_BATCH": str(MAX_BATCH),
       "FLOORSCAN_MAX_CONTENT_LENGTH": str(MAX_CONTENT_LENGTH)}
# What the server's clock and the ledger's order put in an answer: the only
# bytes two databases given the same requests may differ in.
CLOCK = re.compile(rb'"(recorded_at|created_at|received_at)":"[^"]*"')
SEQ = re.compile(rb'"seq":\d+')


class Edge:
    def __init__(self, server: LiveServer):
        self.server = server
        self.url = server.url
        self.db = server.db_path
        self.tokens = {}
        self.local = threading.local()  # a kept-alive connection per test thread
        for role in ("supervisor", "picker"):
            r = requests.post(self.url + "/api/v1/session", json={"pin": PINS[role]}, timeout=30)
            assert r.status_code == 201, r.text
            self.tokens[role] = r.json()["token"]

    def auth(self, role="supervisor") -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def post(self, data, headers=None, role="supervisor", fresh=False, **kw) -> requests.Response:
        """``data``: a dict, list or str (sent as JSON), or bytes / an iterator (sent as they are).
        Sent on a kept-alive connection, as a handheld does, so that on the lane server
        the worker's main thread (edge/loop_front.py) takes it; ``fresh``: on a new
        connection, whose first request a request thread serves."""
        h = dict(self.auth(role)) if role else {}
        if isinstance(data, (dict, list, str)) or data is None:
            data = json.dumps(data).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        if fresh:
            return requests.post(self.url + "/api/v1/commands", data=data, headers=h, timeout=90, **kw)
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        return session.post(self.url + "/api/v1/commands", data=data, headers=h, timeout=90, **kw)


@pytest.fixture(scope="module")
def edges(tmp_path_factory):
    """(lane, view): the same seeded database twice, one server with the lane, one without."""
    servers = []
    for name, extra in (("lane", {}), ("view", {"FLOORSCAN_COMMAND_LANE": "0"})):
        db = str(tmp_path_factory.mktemp(name) / "edge.db")
        init_db(db)
        seed(db, bins=("A", "B", "C"), opening=1000)
        servers.append(LiveServer(db, env={**ENV, **extra}))
    errors = []

    def start(s):
        try:
            s.start()
        except Exception as exc:  # noqa: BLE001 - raised below, in the test's thread
            errors.append(exc)
    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        if errors:
            raise errors[0]
        yield tuple(Edge(s) for s in servers)
    finally:
        for s in servers:
            s.stop()
    for s in servers:
        assert_verified(s.db_path)


@pytest.fixture
def lane(edges) -> Edge:
    return edges[0]


# -- helpers -------------------------------------------------------------------------

def ledger(db: str) -> tuple:
    """Everything a write would change: movements, commands, stock."""
    conn = connect(db, readonly=True)
    try:
        return (conn.execute("SELECT count(*), coalesce(max(seq), 0) FROM movement").fetchone()[:],
                conn.execute("SELECT count(*) FROM command").fetchone()[0],
                sorted(tuple(r) for r in conn.execute("SELECT bin, sku, lot, qty FROM stock")))
    finally:
        conn.close()


def stock(db: str) -> dict:
    conn = connect(db, readonly=True)
    try:
        return {r["bin"]: r["qty"] for r in conn.execute("SELECT bin, qty FROM stock WHERE sku = 'EA' AND qty != 0")}
    finally:
        conn.close()


def movements_of(db: str, command_id: str) -> int:
    conn = connect(db, readonly=True)
    try:
        return conn.execute("SELECT count(*) FROM movement WHERE command_id = ?", (command_id,)).fetchone()[0]
    finally:
        conn.close()


def same_answer(a: requests.Response, b: requests.Response) -> None:
    """What a handheld sees: status, the headers that matter, and the body's bytes."""
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.headers.get("Content-Type") == b.headers.get("Content-Type")
    for header in ("WWW-Authenticate", "Retry-After"):
        assert a.headers.get(header) == b.headers.get(header), header
    # (seq may differ in digits between the two ledgers: the lengths are each their own body's)
    assert int(a.headers["Content-Length"]) == len(a.content) and int(b.headers["Content-Length"]) == len(b.content)
    assert a.headers["X-Request-Id"] and b.headers["X-Request-Id"]
    assert SEQ.sub(b"", CLOCK.sub(b"", a.content)) == SEQ.sub(b"", CLOCK.sub(b"", b.content)), (a.content, b.content)


def both(edges, data, **kw) -> requests.Response:
    lane, view = edges
    a, b = lane.post(data, **kw), view.post(data, **kw)
    same_answer(a, b)
    return a


def is_problem(r: requests.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and {"type", "title", "detail"} <= set(body)
    return body


# -- 1. the lane's answer is the view's ------------------------------------------------------

def test_the_lane_answers_a_batch_byte_for_byte_as_the_view(edges):
    lane, view = edges
    receive = command("receive", {"sku": "EA", "qty": 10, "to_bin": "A"})
    move = command("move", {"sku": "EA", "qty": 3, "from_bin": "A", "to_bin": "B"})
    zero = command("move", {"sku": "EA", "qty": 0, "from_bin": "A", "to_bin": "B"})
    r = both(edges, {"commands": [receive, move, zero]})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert [x["status"] for x in r.json()["results"]] == ["applied", "applied", "rejected"]
    assert r.json()["results"][2]["problem"]["status"] == 422
    # The movements' ids are the commands' own: the same on both databases.
    assert [m["id"] for m in r.json()["results"][0]["movements"]] == [receive["id"]]

    # A re-send of the same ids (a handheld that lost the answer), an unknown bin
    # (non-ASCII: escaped alike by both), and one more move.
    nowhere = command("move", {"sku": "EA", "qty": 1, "from_bin": "A", "to_bin": "Lager-Ü-東京"})
    again = command("move", {"sku": "EA", "qty": 2, "from_bin": "A", "to_bin": "C"})
    r = both(edges, {"commands": [receive, nowhere, again]})
    assert [x["status"] for x in r.json()["results"]] == ["duplicate", "rejected", "applied"]
    assert b"\\u" in r.content and not any(b > 127 for b in r.content)  # ASCII only, as jsonify sends
    r = both(edges, {"commands": [move, zero]})
    assert [x["status"] for x in r.json()["results"]] == ["duplicate", "rejected"]
    # The same id with another payload is a conflict in the result, alike.
    r = both(edges, {"commands": [dict(move, payload=dict(move["payload"], qty=4))]})
    assert r.json()["results"][0]["status"] == "rejected"

    # An applied result with non-ASCII text in it (the delivery note's reference):
    # the lane sends the text stored with the command, escaped as jsonify escapes it.
    noted = command("receive", {"sku": "EA", "qty": 1, "to_bin": "C", "ref_type": "Lieferschein",
                                "ref_id": "LS-Ä-東京-1"})
    r = both(edges, {"commands": [noted]})
    assert r.json()["results"][0]["status"] == "applied"
    assert r.json()["results"][0]["movements"][0]["ref_id"] == "LS-Ä-東京-1"
    assert b"\\u" in r.content and not any(b > 127 for b in r.content)
    assert both(edges, {"commands": [noted]}).json()["results"][0]["status"] == "duplicate"

    assert stock(lane.db) == stock(view.db) == {"A": 1005, "B": 3, "C": 3}
    for cmd in (receive, move, again, noted):
        assert movements_of(lane.db, cmd["id"]) == 1


def test_the_lane_answers_alike_with_a_charset_and_a_lowercase_scheme(edges):
    cmd = command("move", {"sku": "EA", "qty": 1, "from_bin": "B", "to_bin": "C", "lot": "Charge-Ä"})
    body = json.dumps({"commands": [cmd]}, ensure_ascii=False).encode()
    a, b = (e.post(body, role=None, headers={"Content-Type": "application/json; charset=utf-8",
                                            "Authorization": f"bearer  {e.tokens['supervisor']}"})
            for e in edges)
    same_answer(a, b)
    assert a.status_code == 200 and a.json()["results"][0]["status"] == "rejected"  # no such lot in B


def test_odd_commands_in_a_well_formed_batch_are_rejected_alike(edges):
    """Not objects, no id, an unknown type: the lane takes the batch, and each is rejected as the view rejects it."""
    lane, view = edges
    before = ledger(lane.db), ledger(view.db)
    r = both(edges, {"commands": [1, "x", None]})
    assert [x["status"] for x in r.json()["results"]] == ["rejected"] * 3
    unknown = command("teleport", {"sku": "EA"})
    r = both(edges, {"commands": [{}, unknown, dict(_cmd(), id="not-a-uuid")]})
    assert [x["status"] for x in r.json()["results"]] == ["rejected"] * 3
    assert [x["problem"]["status"] for x in r.json()["results"]] == [422, 422, 422]
    assert (ledger(lane.db), ledger(view.db)) == before


def test_a_signed_out_token_is_the_views_401(edges):
    answers = []
    for e in edges:
        token = requests.post(e.url + "/api/v1/session", json={"pin": PINS["receiver"]}, timeout=30).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.delete(e.url + "/api/v1/session", headers=headers, timeout=30).status_code == 204
        before = ledger(e.db)
        answers.append(e.post({"commands": [_cmd()]}, role=None, headers=headers))
        assert ledger(e.db) == before
    same_answer(*answers)
    is_problem(answers[0], 401)
    assert answers[0].headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_encode_answer_is_what_flask_jsonify_sends(tmp_path):
    from flask import jsonify

    from edge.app import create_app
    from edge.commands.lane import encode_answer
    app = create_app({"DATABASE": str(tmp_path / "edge.db"), "TESTING": True})
    try:
        obj = {"results": [
            {"id": str(uuid.UUID(int=7)), "status": "rejected", "movements": [],
             "problem": {"type": "x", "status": 422, "detail": "Lagerplatz „Ü-3“ – 東京 😀 unbekannt",
                         "errors": [{"field": "commands[0].payload.qty", "message": "ä\n\t\"q\"\\"}]}},
            {"zeta": 1, "alpha": [1.5, 2.0, -0.0, 1e21, 10**20, None, True, False], "nested": {"": {}, "b": []}},
        ]}
        with app.app_context():
            assert encode_answer(obj) == jsonify(obj).get_data()
            assert encode_answer({"results": []}) == jsonify({"results": []}).get_data()
    finally:
        app.extensions["floorscan"].close()


# -- 2. everything the lane declines is the view's, and writes nothing ------------------------------

def _cmd():
    return command("move", {"sku": "EA", "qty": 1, "from_bin": "A", "to_bin": "B"})


FALLBACKS = {
    "no Authorization": (lambda e: e.post({"commands": [_cmd()]}, role=None), 401),
    "not a bearer token": (lambda e: e.post({"commands": [_cmd()]}, role=None,
                                            headers={"Authorization": "Basic c3VwZXI6NDQ0NA=="}), 401),
    "an empty bearer token": (lambda e: e.post({"commands": [_cmd()]}, role=None,
                                               headers={"Authorization": "Bearer  "}), 401),
    "an unknown token": (lambda e: e.post({"commands": [_cmd()]}, role=None,
                                          headers={"Authorization": "Bearer not-a-token"}), 401),
    "text/plain": (lambda e: e.post(json.dumps({"commands": [_cmd()]}).encode(),
                                    headers={"Content-Type": "text/plain"}), 415),
    "no content type": (lambda e: e.post(json.dumps({"commands": [_cmd()]}).encode()), 415),
    "invalid JSON": (lambda e: e.post(b'{"commands": [', headers={"Content-Type": "application/json"}), 400),
    "not UTF-8": (lambda e: e.post(b'{"commands": ["\xff"]}', headers={"Content-Type": "application/json"}), 400),
    "no body": (lambda e: e.post(b"", headers={"Content-Type": "application/json"}), 400),
    "JSON nested too deeply": (lambda e: e.post(b'{"commands":' + b"[" * 4000 + b"]" * 4000 + b"}",
                                                headers={"Content-Type": "application/json"}), 400),
    "an empty batch": (lambda e: e.post({"commands": []}), 200),
    "too many commands": (lambda e: e.post({"commands": [_cmd() for _ in range(MAX_BATCH + 1)]}), 413),
    "too large a body": (lambda e: e.post({"commands": [dict(_cmd(), pad="x" * MAX_CONTENT_LENGTH)]}), 413),
    "a JSON array": (lambda e: e.post([_cmd()]), 422),
    "a JSON string": (lambda e: e.post("commands"), 422),
    "commands not a list": (lambda e: e.post({"commands": {"0": _cmd()}}), 422),
    "commands null": (lambda e: e.post({"commands": None}), 422),
    "no commands key": (lambda e: e.post({"command": [_cmd()]}), 422),
}


@pytest.mark.parametrize("case", list(FALLBACKS))
def test_a_request_the_lane_declines_is_answered_by_the_view_and_writes_nothing(edges, case):
    lane, view = edges
    send, status = FALLBACKS[case]
    before = ledger(lane.db), ledger(view.db)
    a, b = send(lane), send(view)
    same_answer(a, b)
    if status == 200:
        assert a.status_code == 200 and a.headers["Content-Type"] == "application/json"
        assert a.json() == {"results": []}
    else:
        body = is_problem(a, status)
        if status == 401:
            assert a.headers["WWW-Authenticate"].startswith("Bearer")
            if case == "an unknown token":
                assert a.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
            else:
                assert a.headers["WWW-Authenticate"] == "Bearer"
        if status == 413 and case == "too many commands":
            assert str(MAX_BATCH) in body["detail"]
    assert (ledger(lane.db), ledger(view.db)) == before


def test_requests_the_lane_declines_but_the_view_takes_are_applied_alike(edges):
    """Not the lane's common case, but valid for the view: an extra top-level key,
    a +json content type, a chunked body without Content-Length."""
    lane, view = edges
    extra = _cmd()
    r = both(edges, {"commands": [extra], "device": "HH-7"})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied"
    plus = _cmd()
    r = both(edges, json.dumps({"commands": [plus]}).encode(),
             headers={"Content-Type": "application/vnd.floorscan+json"})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied"
    chunked = _cmd()
    payload = json.dumps({"commands": [chunked]}).encode()
    a = lane.post(iter([payload[:10], payload[10:]]), headers={"Content-Type": "application/json"})
    b = view.post(iter([payload[:10], payload[10:]]), headers={"Content-Type": "application/json"})
    same_answer(a, b)
    assert a.status_code == 200 and a.json()["results"][0]["status"] == "applied"
    for cmd in (extra, plus, chunked):
        assert movements_of(lane.db, cmd["id"]) == movements_of(view.db, cmd["id"]) == 1
    assert stock(lane.db) == stock(view.db)


def test_the_lane_is_in_front_an_unknown_token_asks_the_writer_process(edges):
    """Proof that the lane server really takes the lane: a well-formed request is
    sent to the writer process (which checks the token) before Flask sees it. With
    the writer process stopped (SIGSTOP) that request waits; the view's 401 does not."""
    lane, view = edges
    body = {"commands": [_cmd()]}
    # A token no test sent before: a worker remembers the ones the writer did not know.
    bad = {"Authorization": f"Bearer never-seen-{uuid.uuid4().hex}"}
    pid = writer_pid(lane.server)
    vpid = writer_pid(view.server)
    os.kill(pid, signal.SIGSTOP)
    os.kill(vpid, signal.SIGSTOP)
    try:
        r = view.post(body, role=None, headers=bad)
        assert r.status_code == 401
        got = []
        t = threading.Thread(target=lambda: got.append(lane.post(body, role=None, headers=bad)), daemon=True)
        t.start()
        t.join(2)
        assert t.is_alive(), "the lane server answered without its writer process: is the lane installed?"
    finally:
        os.kill(pid, signal.SIGCONT)
        os.kill(vpid, signal.SIGCONT)
    t.join(60)
    [r] = got
    is_problem(r, 401)
    assert r.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_the_writer_did_not_know_is_not_sent_to_it_again(edges):
    """Repeating an unknown token (a handheld left signed in after a revoke, or
    anyone on the network) costs the writer process one look, per worker."""
    lane, _ = edges
    token = f"revoked-{uuid.uuid4().hex}"
    body = json.dumps({"commands": [_cmd()]}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    before = ledger(lane.db)
    with requests.Session() as s:  # one connection: one worker
        r = s.post(lane.url + "/api/v1/commands", data=body, headers=headers, timeout=60)
        is_problem(r, 401)
        pid = writer_pid(lane.server)
        os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            r = s.post(lane.url + "/api/v1/commands", data=body, headers=headers, timeout=10)
            waited = time.monotonic() - started
        finally:
            os.kill(pid, signal.SIGCONT)
    problem = is_problem(r, 401)
    assert "unknown, expired or revoked" in problem["detail"]
    assert waited < 10  # answered with the writer process stopped: the view's own check
    assert ledger(lane.db) == before


# -- 3. roles are checked inside the batch ------------------------------------------------------------

def test_a_picker_may_not_adjust_through_the_lane(edges):
    lane, view = edges
    before = ledger(lane.db)
    adjust = command("adjust", {"sku": "EA", "bin": "A", "delta": 5, "reason": "found"})
    r = both(edges, {"commands": [adjust]}, role="picker")
    assert r.status_code == 200
    [result] = r.json()["results"]
    assert result["status"] == "rejected" and result["movements"] == []
    assert result["problem"]["status"] == 403 and "picker" in result["problem"]["detail"]
    assert ledger(lane.db) == before
    # A picker's move goes through, as the view lets it.
    r = both(edges, {"commands": [_cmd()]}, role="picker")
    assert r.json()["results"][0]["status"] == "applied"


# -- 4. request ids ------------------------------------------------------------------------------

def test_every_lane_answer_carries_a_request_id(lane):
    r = lane.post({"commands": [_cmd()]})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied"
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-Id"])
    other = lane.post({"commands": [_cmd()]})
    assert other.headers["X-Request-Id"] != r.headers["X-Request-Id"]

    r = lane.post({"commands": [_cmd()]}, headers={"X-Request-Id": "HH-7:scan/42@dock+1=ok"})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied"
    assert r.headers["X-Request-Id"] == "HH-7:scan/42@dock+1=ok"
    for insane in ("a b", "x" * 129, "<script>"):
        r = lane.post({"commands": [_cmd()]}, headers={"X-Request-Id": insane})
        assert r.status_code == 200
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-Id"])
    # A declined request (the view's 401) and a 403-in-the-result carry it too.
    r = lane.post({"commands": [_cmd()]}, role=None, headers={"X-Request-Id": "retry-1"})
    assert r.status_code == 401 and r.headers["X-Request-Id"] == "retry-1"
    r = lane.post({"commands": [command("adjust", {"sku": "EA", "bin": "A", "delta": 1, "reason": "found"})]},
                  role="picker", headers={"X-Request-Id": "retry-2"})
    assert r.status_code == 200 and r.headers["X-Request-Id"] == "retry-2"


# -- 5. metrics ----------------------------------------------------------------------------------

def scrape(edge: Edge) -> dict[str, float]:
    r = requests.get(edge.url + "/metrics", timeout=30)
    assert r.status_code == 200, r.text  # METRICS_TOKEN is not set: open
    assert r.headers["Content-Type"].startswith("text/plain")
    out = {}
    for line in r.text.splitlines():
        m = re.match(r'^(floorscan_commands_total\{result="\w+"\}|floorscan_http_responses_total\{status="\dxx"\}'
                     r'|floorscan_command_request_seconds_count) (\S+)$', line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def test_metrics_count_the_commands_sent_through_the_lane(lane):
    applied, rejected, duplicate = ('floorscan_commands_total{result="%s"}' % s
                                    for s in ("applied", "rejected", "duplicate"))
    before = scrape(lane)
    assert applied in before, before
    n = 5
    sent = [_cmd() for _ in range(n)]
    posts = 0
    for start in range(0, n, MAX_BATCH):
        r = lane.post({"commands": sent[start:start + MAX_BATCH]})
        posts += 1
        assert [x["status"] for x in r.json()["results"]] == ["applied"] * len(sent[start:start + MAX_BATCH])
    r = lane.post({"commands": [sent[0], dict(_cmd(), payload={"sku": "EA"})]})
    posts += 1
    assert [x["status"] for x in r.json()["results"]] == ["duplicate", "rejected"]
    after = scrape(lane)
    assert after[applied] - before[applied] == n
    assert after[duplicate] - before[duplicate] == 1
    assert after[rejected] - before[rejected] == 1
    assert after["floorscan_command_request_seconds_count"] - before["floorscan_command_request_seconds_count"] == posts
    # The first scrape's own answer is counted too.
    key = 'floorscan_http_responses_total{status="2xx"}'
    assert after[key] - before[key] == posts + 1


# -- live events ---------------------------------------------------------------------------------

def test_a_command_through_the_lane_is_a_live_event(lane):
    import socketio
    seen, got = [], threading.Event()
    sio = socketio.Client(reconnection=False, request_timeout=30)

    def on_movements(data):
        seen.extend(m["command_id"] for m in data["movements"])
        got.set()
    sio.on("movement.recorded", on_movements)
    sio.connect(lane.url, auth={"token": lane.tokens["supervisor"]}, transports=["websocket"], wait_timeout=30)
    try:
        cmd = _cmd()
        deadline = time.monotonic() + 15
        r = lane.post({"commands": [cmd]})
        assert r.json()["results"][0]["status"] == "applied"
        while cmd["id"] not in seen and time.monotonic() < deadline:
            got.wait(0.2)
        assert cmd["id"] in seen
    finally:
        sio.disconnect()


# -- 6. losing the writer process -----------------------------------------------------------------

def writer_pid(server: LiveServer) -> int:
    """The gunicorn master's child running edge.writer_process (a restarted one
    is a child of the master's watch thread, so look at every thread's children)."""
    master = server.proc.pid
    for task in os.listdir(f"/proc/{master}/task"):
        try:
            children = open(f"/proc/{master}/task/{task}/children").read().split()
        except OSError:
            continue
        for child in children:
            try:
                cmdline = open(f"/proc/{child}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if b"edge.writer_process" in cmdline and server.db_path.encode() in cmdline:
                return int(child)
    raise AssertionError("no writer process under the server")


def test_losing_the_writer_process_is_a_503_or_a_wait_never_a_500(lane):
    # The lane's usual path on every thread's connection first.
    assert lane.post({"commands": [_cmd()]}).status_code == 200
    old = writer_pid(lane.server)
    before = stock(lane.db)
    os.kill(old, signal.SIGKILL)
    cmd = _cmd()
    answers = []
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        r = lane.post({"commands": [cmd]})
        answers.append(r.status_code)
        assert r.status_code in (200, 503), (r.status_code, r.text)
        if r.status_code == 200:
            break
        is_problem(r, 503)
        assert int(r.headers["Retry-After"]) > 0
        time.sleep(0.5)
    assert answers[-1] == 200, answers
    assert r.json()["results"][0]["status"] in ("applied", "duplicate")
    new = writer_pid(lane.server)
    assert new != old
    # Sent again with the same id: a duplicate, and applied exactly once.
    r = lane.post({"commands": [cmd]})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "duplicate"
    assert movements_of(lane.db, cmd["id"]) == 1
    after = stock(lane.db)
    assert after["A"] == before["A"] - 1 and after["B"] == before["B"] + 1
    # Every worker thread's connection recovers: a run of requests, all 200.
    for _ in range(20):
        assert lane.post({"commands": [_cmd()]}).status_code == 200


def test_a_writer_process_lost_mid_request_is_a_503_problem(lane):
    """SIGSTOP the writer process so the request is surely in flight, then SIGKILL
    it: the lane's request breaks, and Flask answers 503 problem+json with Retry-After."""
    assert lane.post({"commands": [_cmd()]}).status_code == 200
    pid = writer_pid(lane.server)
    cmd = _cmd()
    got = []
    os.kill(pid, signal.SIGSTOP)
    try:
        t = threading.Thread(target=lambda: got.append(lane.post({"commands": [cmd]})), daemon=True)
        t.start()
        t.join(1.5)
        assert t.is_alive()
    finally:
        os.kill(pid, signal.SIGKILL)
    t.join(60)
    [r] = got
    body = is_problem(r, 503)
    assert int(r.headers["Retry-After"]) > 0
    assert "again" in body["detail"]
    assert r.headers["X-Request-Id"]
    # Its outcome was unknown: the same id again, once the writer is back, applies it once.
    deadline = time.monotonic() + 45
    while True:
        r = lane.post({"commands": [cmd]})
        assert r.status_code in (200, 503), r.text
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied"
    assert movements_of(lane.db, cmd["id"]) == 1
