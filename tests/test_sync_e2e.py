"""Edge -> central end to end, with a real central process: through a proxy
that drops, delays, resets, truncates and duplicates; with kill -9 of the sync
process and of central; two edges at once; a token of the wrong warehouse;
on SQLite and PostgreSQL. Each ends with central holding exactly the edge's
ledger: same count, same content hash, seqs 1..n with no gap or duplicate."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import time
import uuid

import pytest

from _sync_support import (
    Central, FaultProxy, add_movements, add_warehouse, central_digest, drop_pg_schema, edge_digest, make_edge,
    pg_url, start_sync, sync_once, sync_state,
)
from conftest import assert_verified
from edge.ledger import utcnow
from sync.client import CentralClient, Refused
from sync.loop import SyncLoop


def caught_up(edge: str) -> bool:
    from edge.db import connect
    from sync.up import edge_seq
    conn = connect(edge, readonly=True)
    try:
        return sync_state(edge)["up_cursor"] == edge_seq(conn)
    finally:
        conn.close()


def wait_until(predicate, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def sync_through_faults(edge: str, url: str, token: str, *, batch: int = 1000, rounds: int = 400) -> SyncLoop:
    """Rounds of the real loop until a round succeeds with nothing left to send (short waits: no sleeping
    through backoff in a test)."""
    # The faults fail fast by themselves; the timeouts only have to outlast a busy machine.
    loop = SyncLoop(edge, url, token, batch=batch, backoff_cap=0.02,
                    client=CentralClient(url, token, timeout=(10, 30)))
    try:
        for _ in range(rounds):
            summary, wait = loop.round_safely()
            if summary is not None and caught_up(edge) and summary["sent"] == 0:
                return loop
            time.sleep(min(wait, 0.02))
        raise AssertionError(f"not caught up after {rounds} rounds: {sync_state(edge)}")
    finally:
        loop.close()


def assert_same_ledger(edge: str, db_url: str, warehouse: str) -> None:
    count, digest = edge_digest(edge)
    assert central_digest(db_url, warehouse) == (count, digest)
    assert sync_state(edge)["up_cursor"] == count


@pytest.fixture
def sqlite_central(tmp_path):
    db_url = str(tmp_path / "central.db")
    tokens = {wh: add_warehouse(db_url, wh) for wh in ("WH1", "WH2")}
    central = Central(db_url, tmp_path).start()
    yield central, tokens
    central.stop()


def test_tens_of_thousands_through_a_faulty_network_arrive_exactly_once(tmp_path, sqlite_central):
    central, tokens = sqlite_central
    edge = make_edge(str(tmp_path / "edge.db"), "WH1", 20_000, chunk=10_000)
    proxy = FaultProxy(central.port, seed=5)
    try:
        sync_through_faults(edge, proxy.url, tokens["WH1"])
        # More scans arrive; a second catch-up through the same faults.
        add_movements(edge, 2_000, seed=2)
        sync_through_faults(edge, proxy.url, tokens["WH1"], batch=700)
    finally:
        proxy.close()
    for fault in ("drop", "reset", "lose_answer", "truncate", "duplicate", "delay"):
        assert proxy.counts[fault] > 0, proxy.counts
    assert_same_ledger(edge, central.db_url, "WH1")
    assert_verified(edge)


@pytest.mark.slow
def test_kill_9_of_the_sync_process_and_of_central_at_random_moments(tmp_path, sqlite_central):
    central, tokens = sqlite_central
    edge = make_edge(str(tmp_path / "edge.db"), "WH1", 8_000)
    rnd = random.Random(11)
    log = tmp_path / "sync.log"
    # Small batches: more requests in flight to be killed in the middle of.
    sync = start_sync(edge, central.url, tokens["WH1"], log, batch=300)
    kills = {"sync": 0, "central": 0}
    try:
        for i in range(8):
            time.sleep(rnd.uniform(0.05, 0.5))
            if rnd.random() < 0.5:
                os.killpg(sync.pid, signal.SIGKILL)
                sync.wait(10)
                kills["sync"] += 1
                sync = start_sync(edge, central.url, tokens["WH1"], log, batch=300)
            else:
                central.kill()
                kills["central"] += 1
                time.sleep(rnd.uniform(0, 0.3))
                central.start()
            if i % 3 == 0:
                add_movements(edge, 1_000, seed=i)  # the floor keeps scanning meanwhile
        # Caught up, by the process now running (not only by one killed before it).
        since = utcnow()
        wait_until(lambda: caught_up(edge) and (sync_state(edge)["last_success_at"] or "") > since, 180,
                   "the sync process to catch up")
    finally:
        os.killpg(sync.pid, signal.SIGTERM)
        try:
            sync.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(sync.pid, signal.SIGKILL)  # no process left behind; the returncode check below fails
            sync.wait(10)
    assert kills["sync"] and kills["central"], kills
    assert_same_ledger(edge, central.db_url, "WH1")
    assert sync.returncode == 0  # SIGTERM: a clean stop


def test_two_edges_sync_into_one_central_at_once(tmp_path, sqlite_central):
    central, tokens = sqlite_central
    edges = {wh: make_edge(str(tmp_path / f"{wh}.db"), wh, 6_000, chunk=6_000) for wh in ("WH1", "WH2")}
    env = dict(os.environ)
    procs = {}
    for wh, edge in edges.items():
        procs[wh] = subprocess.Popen(
            [os.sys.executable, "-m", "edge.cli", "sync", "--db", edge, "--central", central.url, "--once",
             "--batch", "400"], env=dict(env, FLOORSCAN_CENTRAL_TOKEN=tokens[wh]), stderr=subprocess.PIPE, text=True)
    try:
        for wh, proc in procs.items():
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
    finally:
        for proc in procs.values():  # no sync process outlives a failed test
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    for wh, edge in edges.items():
        assert_same_ledger(edge, central.db_url, wh)


def test_a_token_of_another_warehouse_is_refused_and_nothing_lands(tmp_path, sqlite_central):
    central, tokens = sqlite_central
    edge = make_edge(str(tmp_path / "edge.db"), "WH1", 500)
    result = sync_once(edge, central.url, tokens["WH2"])
    assert result.returncode == 1
    state = sync_state(edge)
    assert state["up_cursor"] == 0 and state["failures"] == 1
    assert "this edge is warehouse WH1 but its token is warehouse WH2's" in state["last_error"]
    # Had the edge sent anyway, central would refuse the batch and apply nothing of it.
    from sync.up import prepare
    from edge.db import connect
    conn = connect(edge, readonly=True)
    batch = prepare(conn, "WH1", 0, 100)
    conn.close()
    with pytest.raises(Refused, match="403 Wrong warehouse"):
        CentralClient(central.url, tokens["WH2"]).post_movements("WH1", batch.payload, batch.first, batch.last)
    assert central_digest(central.db_url, "WH1")[0] == 0 and central_digest(central.db_url, "WH2")[0] == 0
    result = sync_once(edge, central.url, "not-a-token")
    assert result.returncode == 1 and "401" in sync_state(edge)["last_error"]
    assert sync_once(edge, central.url, tokens["WH1"]).returncode == 0
    assert_same_ledger(edge, central.db_url, "WH1")


@pytest.fixture
def pg_central(tmp_path):
    schema = f"sync_edge_{uuid.uuid4().hex[:10]}"
    db_url = pg_url(schema)
    tokens = {wh: add_warehouse(db_url, wh) for wh in ("WH1", "WH2")}
    central = Central(db_url, tmp_path).start()
    yield central, tokens
    central.stop()
    drop_pg_schema(schema)


@pytest.mark.postgres
def test_postgresql_central_through_a_faulty_network(tmp_path, pg_central):
    central, tokens = pg_central
    edges = {wh: make_edge(str(tmp_path / f"{wh}.db"), wh, 8_000, chunk=8_000) for wh in ("WH1", "WH2")}
    proxy = FaultProxy(central.port, seed=9)
    try:
        for wh, edge in edges.items():
            sync_through_faults(edge, proxy.url, tokens[wh])
    finally:
        proxy.close()
    for wh, edge in edges.items():
        assert_same_ledger(edge, central.db_url, wh)
    result = sync_once(edges["WH1"], central.url, tokens["WH2"])
    assert result.returncode == 1 and "its token is warehouse WH2's" in sync_state(edges["WH1"])["last_error"]
