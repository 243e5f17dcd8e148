"""The writer process's row cache (edge/row_cache.py) never serves a stale row.

Items, bins and sessions are kept between write transactions; these tests
change them every way they can change (another connection, another process,
the same connection in a transaction that commits or rolls back) and check
that the very next command sees it.
"""
from __future__ import annotations

import json
import sqlite3

import pytest

from conftest import PINS, command
from edge import auth, row_cache
from edge import masterdata as md
from edge.commands.lane import UNKNOWN_TOKEN, apply_request
from edge.models import BinIn, ItemIn
from edge.writer import Writer, open_write_connection, run_jobs
from test_concurrency import seed
from test_writer_process import WriterProcessRunning


@pytest.fixture
def site(db_path):
    seed(db_path, bins=("A", "B"), opening=50)
    return db_path


@pytest.fixture
def cached(site):
    conn = open_write_connection(site, "NORMAL")
    cache = row_cache.enable(conn)
    yield conn, cache
    row_cache.disable(conn)
    conn.close()


def sign_in(db_path: str, role: str = "counter") -> str:
    w = Writer(db_path)
    try:
        cred = w.run(lambda c: auth.credential(c, pin=PINS[role], badge=None))
        return w.run(lambda c: auth.sign_in(c, credential=cred, client="test", device_id="HH-1", ttl_hours=1)).token
    finally:
        w.close()


def elsewhere(db_path: str, job) -> None:
    """A write through another connection, as a worker's writer or the CLI makes it."""
    w = Writer(db_path)
    try:
        w.run(job)
    finally:
        w.close()


def scan(conn, token: str, ctype: str, payload: dict):
    body = json.dumps({"commands": [command(ctype, payload)]}).encode()
    [(ok, answer)] = run_jobs(conn, [lambda c: apply_request(c, token, body, 500)])
    assert ok, answer
    if answer == UNKNOWN_TOKEN:
        return answer
    return json.loads(answer[0])["results"][0]


MOVE = {"sku": "EA", "qty": 1, "from_bin": "A", "to_bin": "B"}


def test_items_bins_and_sessions_are_read_once_across_transactions(site, cached):
    conn, _ = cached
    token = sign_in(site)
    assert scan(conn, token, "move", MOVE)["status"] == "applied"
    seen = []
    conn.set_trace_callback(seen.append)
    for _ in range(3):
        assert scan(conn, token, "move", MOVE)["status"] == "applied"
    assert seen, "the trace callback sees the statements"
    assert not [q for q in seen if "FROM item " in q or "FROM bin " in q or "FROM session " in q]


def test_a_connection_without_the_cache_reads_every_time(site):
    conn = open_write_connection(site, "NORMAL")
    try:
        token = sign_in(site)
        scan(conn, token, "move", MOVE)
        seen = []
        conn.set_trace_callback(seen.append)
        scan(conn, token, "move", MOVE)
        assert [q for q in seen if "FROM item " in q] and [q for q in seen if "FROM session " in q]
    finally:
        conn.close()


def test_a_bin_deactivated_elsewhere_refuses_the_next_scan(site, cached):
    conn, _ = cached
    token = sign_in(site)
    assert scan(conn, token, "move", MOVE)["status"] == "applied"
    elsewhere(site, lambda c: md.save_bin(c, BinIn(code="B", active=False), replace=True))
    result = scan(conn, token, "move", MOVE)
    assert result["status"] == "rejected"
    assert "bin 'B' is inactive" in result["problem"]["detail"]


def test_an_item_changed_elsewhere_is_taken_as_it_now_is(site, cached):
    conn, _ = cached
    token = sign_in(site)
    assert scan(conn, token, "move", MOVE)["status"] == "applied"
    elsewhere(site, lambda c: md.save_item(c, ItemIn(sku="EA", uom="kg"), replace=True))
    assert scan(conn, token, "move", dict(MOVE, qty=0.25))["status"] == "applied"  # kg allow decimals
    elsewhere(site, lambda c: md.save_item(c, ItemIn(sku="EA", uom="kg", active=False), replace=True))
    result = scan(conn, token, "move", MOVE)
    assert result["status"] == "rejected"
    assert "item 'EA' is inactive" in result["problem"]["detail"]


def test_a_session_revoked_or_a_user_deactivated_elsewhere_is_refused_next(site, cached):
    conn, _ = cached
    token, other = sign_in(site), sign_in(site, "supervisor")
    assert scan(conn, token, "move", MOVE)["status"] == "applied"
    assert scan(conn, other, "move", MOVE)["status"] == "applied"
    elsewhere(site, lambda c: auth.revoke(c, token))
    assert scan(conn, token, "move", MOVE) == UNKNOWN_TOKEN
    elsewhere(site, lambda c: c.execute("UPDATE user SET active = 0 WHERE role = 'supervisor'"))
    assert scan(conn, other, "move", MOVE) == UNKNOWN_TOKEN


def test_its_own_writes_are_never_served_stale_even_when_rolled_back(site, cached):
    conn, cache = cached
    token = sign_in(site)
    assert scan(conn, token, "move", MOVE)["status"] == "applied"
    body = json.dumps({"commands": [command("move", MOVE)]}).encode()

    def deactivate_then_fail(c):
        c.execute("UPDATE bin SET active = 0 WHERE code = 'B'")
        # Inside the same transaction the command sees its own change ...
        assert json.loads(apply_request(c, token, body, 500)[0])["results"][0]["status"] == "rejected"
        raise RuntimeError("and then the job fails")

    [(ok, exc)] = run_jobs(conn, [deactivate_then_fail])
    assert not ok and "job fails" in str(exc)
    # ... and after the rollback the bin is active again, as the database says.
    assert scan(conn, token, "move", MOVE)["status"] == "applied"
    assert cache.forgotten >= 1


def test_nothing_is_served_or_kept_outside_a_write_transaction(site, cached):
    conn, cache = cached
    token = sign_in(site)
    assert auth.authenticate(conn, token)["role"] == "counter"  # no transaction: read, not kept
    assert cache.kinds == {}
    elsewhere(site, lambda c: auth.revoke(c, token))
    assert auth.authenticate(conn, token) is None


def test_an_expired_session_is_refused_even_when_kept(site, cached):
    conn, cache = cached
    token = sign_in(site)
    assert scan(conn, token, "move", MOVE)["status"] == "applied"
    [(digest, row)] = cache.kinds["session"].items()
    cache.kinds["session"][digest] = {**dict(row), "expires_at": "2000-01-01T00:00:00Z"}
    assert scan(conn, token, "move", MOVE) == UNKNOWN_TOKEN


def test_the_writer_process_sees_master_data_changed_by_a_worker(site, tmp_path):
    """End to end: the real writer process keeps rows; a change through another
    connection (as a worker's own writer makes it) reaches the very next scan."""
    from edge.writer_process import RemoteWriter
    running = WriterProcessRunning(site, tmp_path)
    remote = RemoteWriter(running.address)
    try:
        token = sign_in(site)

        def send():
            body = json.dumps({"commands": [command("move", MOVE)]}).encode()
            answer = remote.run("apply_request", token, body, 500)
            return answer if answer == UNKNOWN_TOKEN else json.loads(answer[0])["results"][0]

        assert send()["status"] == "applied"
        assert send()["status"] == "applied"
        elsewhere(site, lambda c: md.save_bin(c, BinIn(code="B", active=False), replace=True))
        assert "inactive" in send()["problem"]["detail"]
        elsewhere(site, lambda c: md.save_bin(c, BinIn(code="B"), replace=True))
        assert send()["status"] == "applied"
        elsewhere(site, lambda c: auth.revoke(c, token))
        assert send() == UNKNOWN_TOKEN
    finally:
        remote.close()
        running.stop()


def test_a_failing_cache_check_lets_go_of_the_write_lock(site, cached, monkeypatch):
    conn, cache = cached
    token = sign_in(site)

    def broken(conn):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(cache, "begin", broken)
    with pytest.raises(sqlite3.OperationalError):
        scan(conn, token, "move", MOVE)
    assert not conn.in_transaction
    monkeypatch.undo()
    assert scan(conn, token, "move", MOVE)["status"] == "applied"
