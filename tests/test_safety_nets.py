"""Safety nets: a bug in one command, a revoked token's live connection, a proxy."""
from __future__ import annotations

from pydantic import BaseModel

from edge.commands.registry import COMMAND_TYPES, register
from edge.realtime import socketio
from conftest import command, make_bin, make_item, post_commands


class _Empty(BaseModel):
    pass


def test_a_crashing_handler_rejects_only_its_command(app, client, auth_for, db_path):
    @register("explode", _Empty, {"supervisor"}, "test only")
    def explode(conn, ctx, payload):
        conn.execute("INSERT INTO meta (key, value) VALUES ('half-done', 'x')")
        raise RuntimeError("boom")

    try:
        make_bin(app, "A-1", zone="A")
        make_item(app, "S1")
        results = post_commands(client, auth_for("supervisor"),
                                command("explode", {}),
                                command("receive", {"sku": "S1", "qty": 2, "to_bin": "A-1"}))
    finally:
        COMMAND_TYPES.pop("explode")
    assert results[0]["status"] == "rejected"
    assert results[0]["problem"]["status"] == 500
    assert "sent again" in results[0]["problem"]["detail"]
    assert results[1]["status"] == "applied"
    # The failed command left nothing behind.
    row = app.extensions["floorscan"].read().execute("SELECT 1 FROM meta WHERE key = 'half-done'").fetchone()
    assert row is None


def test_signing_out_closes_live_connections(app, client, auth_for):
    headers = auth_for("supervisor")
    token = headers["Authorization"].split()[1]
    sio = socketio.test_client(app, auth={"token": token})
    assert sio.is_connected()
    assert client.delete("/api/v1/session", headers=headers).status_code == 204
    assert not sio.is_connected()


def test_rate_limit_behind_a_trusted_proxy_is_per_handheld(db_path, users):
    from edge.app import create_app
    proxied = create_app({"DATABASE": db_path, "TESTING": True, "TRUSTED_PROXIES": 1})
    try:
        c = proxied.test_client()
        for _ in range(5):
            r = c.post("/api/v1/session", json={"pin": "000000"}, headers={"X-Forwarded-For": "10.0.0.7"})
            assert r.status_code == 401
        assert c.post("/api/v1/session", json={"pin": "000000"},
                      headers={"X-Forwarded-For": "10.0.0.7"}).status_code == 429
        # Another handheld behind the same proxy still signs in.
        r = c.post("/api/v1/session", json={"pin": users["picker"]}, headers={"X-Forwarded-For": "10.0.0.8"})
        assert r.status_code == 201
    finally:
        proxied.extensions["floorscan"].close()


def test_a_slow_write_answers_503_and_the_retry_learns_the_outcome(db_path, users):
    import threading
    from edge.app import create_app
    from conftest import PINS, sign_in
    slow = create_app({"DATABASE": db_path, "TESTING": True, "WRITE_TIMEOUT_SECONDS": 0.3})
    try:
        c = slow.test_client()
        make_bin(slow, "A-1", zone="A")
        make_item(slow, "S1")
        headers = sign_in(c, PINS["receiver"])
        gate = threading.Event()
        blocker = slow.extensions["floorscan"].writer.submit(lambda conn: gate.wait(10))
        cmd = command("receive", {"sku": "S1", "qty": 5, "to_bin": "A-1"})
        r = c.post("/api/v1/commands", json={"commands": [cmd]}, headers=headers)
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "5"
        assert "send the same request again" in r.get_json()["detail"]
        gate.set()
        blocker.result(10)
        # The first attempt committed after all: the retry says so and adds nothing.
        again = post_commands(c, headers, cmd)
        assert again[0]["status"] == "duplicate"
        stock = c.get("/api/v1/stock?sku=S1", headers=headers).get_json()["items"]
        assert [s["qty"] for s in stock] == [5]
    finally:
        slow.extensions["floorscan"].close()


def test_a_command_handler_can_announce_a_task_after_commit(app, client, auth_for):
    from edge.ledger import PostResult
    from edge.realtime import socketio as sio_server

    @register("announce", _Empty, {"supervisor"}, "test only")
    def announce(conn, ctx, payload):
        result = PostResult()
        result.notices.append(("task.assigned", {"task": 7}, ["role:picker"]))
        return result

    picker = sio_server.test_client(app, auth={"token": auth_for("picker")["Authorization"].split()[1]})
    counter = sio_server.test_client(app, auth={"token": auth_for("counter")["Authorization"].split()[1]})
    picker.get_received()
    counter.get_received()
    try:
        results = post_commands(client, auth_for("supervisor"), command("announce", {}))
    finally:
        COMMAND_TYPES.pop("announce")
    assert results[0]["status"] == "applied"
    import time
    deadline = time.monotonic() + 3
    got = []
    while time.monotonic() < deadline and not got:
        got = [m for m in picker.get_received() if m["name"] == "task.assigned"]
        time.sleep(0.02)
    assert got and got[0]["args"][0] == {"task": 7}
    assert not [m for m in counter.get_received() if m["name"] == "task.assigned"]
