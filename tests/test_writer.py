"""The group-commit writer: one thread, one BEGIN IMMEDIATE per batch, a
SAVEPOINT per job, answers only after COMMIT.

Batches are made deterministic without sleeping: a first job holds the writer
thread on an Event while the others queue up behind it.
"""
from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import Future

import pytest

from edge.db import connect
from edge.writer import Writer, WriterClosed


@pytest.fixture
def writer(db_path):
    w = Writer(db_path)
    yield w
    w.close()


def put(key: str, value: str = "v"):
    def job(conn):
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
        return key
    return job


def keys(db_path, prefix: str) -> list[str]:
    conn = connect(db_path, readonly=True)
    try:
        return [r["key"] for r in conn.execute("SELECT key FROM meta WHERE key LIKE ? ORDER BY key", (prefix + "%",))]
    finally:
        conn.close()


class Gate:
    """A job that holds the writer thread until opened."""

    def __init__(self, writer: Writer):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.future = writer.submit(self._job)
        assert self.entered.wait(30), "the writer never ran the gate job"

    def _job(self, conn):
        self.entered.set()
        assert self.release.wait(30)
        return "gate"

    def open(self):
        self.release.set()
        return self.future.result(30)


def test_group_commit_batches_jobs_from_many_threads(writer, db_path):
    gate = Gate(writer)
    futures: list[Future] = []
    lock = threading.Lock()

    def submit_some(t):
        for i in range(25):
            f = writer.submit(put(f"k-{t:02d}-{i:02d}"))
            with lock:
                futures.append(f)

    threads = [threading.Thread(target=submit_some, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    commits_before = writer.commits
    gate.open()
    assert sorted(f.result(30) for f in futures) == [f"k-{t:02d}-{i:02d}" for t in range(8) for i in range(25)]
    assert writer.jobs == 201
    # 200 jobs waited behind the gate; max_batch 512 takes them in one transaction.
    assert writer.commits - commits_before == 2
    assert writer.commits < writer.jobs
    assert len(keys(db_path, "k-")) == 200


def test_group_commit_respects_max_batch(db_path):
    w = Writer(db_path, max_batch=10)
    try:
        gate = Gate(w)
        futures = [w.submit(put(f"k-{i:03d}")) for i in range(35)]
        gate.open()
        for f in futures:
            f.result(30)
        assert w.commits == 5  # the gate's batch, then 10 + 10 + 10 + 5
        assert w.jobs == 36
    finally:
        w.close()


def test_a_failing_job_rolls_back_only_itself(writer, db_path):
    def half_then_fail(conn):
        conn.execute("INSERT INTO meta (key, value) VALUES ('k-b', 'v')")
        raise ValueError("bad scan")

    gate = Gate(writer)
    a = writer.submit(put("k-a"))
    b = writer.submit(half_then_fail)
    c = writer.submit(put("k-a"))  # the primary key is taken by a: an SQL error
    d = writer.submit(put("k-d"))
    commits = writer.commits
    gate.open()
    assert a.result(30) == "k-a"
    with pytest.raises(ValueError, match="bad scan"):
        b.result(30)
    with pytest.raises(sqlite3.IntegrityError):
        c.result(30)
    assert d.result(30) == "k-d"
    assert writer.commits == commits + 2  # the gate's, then one transaction for all four
    assert keys(db_path, "k-") == ["k-a", "k-d"]


def test_results_are_delivered_only_after_commit(writer, db_path):
    """When a future resolves, another connection already sees the job's row
    and the rows of every job in the same batch."""
    seen: dict[str, list[str]] = {}
    called = threading.Semaphore(0)

    def look(key):
        def callback(fut):
            # Runs in the writer thread the moment the result is set.
            seen[key] = keys(db_path, "k-")
            called.release()
        return callback

    gate = Gate(writer)
    futures = []
    for i in range(5):
        f = writer.submit(put(f"k-{i}"))
        f.add_done_callback(look(f"k-{i}"))
        futures.append(f)
    gate.open()
    for f in futures:
        f.result(30)
    for _ in futures:
        # result() wakes before the callbacks run: wait for them all.
        assert called.acquire(timeout=30)
    everything = [f"k-{i}" for i in range(5)]
    assert seen == {key: everything for key in everything}


def test_when_the_commit_fails_nobody_hears_applied(writer, db_path):
    def deferred_violation(conn):
        # The foreign key is checked only at COMMIT, so the whole batch fails there.
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("INSERT INTO barcode (code, sku) VALUES ('0000', 'NO-SUCH-SKU')")
        return "violator"

    gate = Gate(writer)
    good = writer.submit(put("k-good"))
    bad = writer.submit(deferred_violation)
    gate.open()
    for f in (good, bad):
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            f.result(30)
    assert keys(db_path, "k-") == []
    # The writer carries on with the next batch.
    assert writer.run(put("k-after")) == "k-after"
    assert keys(db_path, "k-") == ["k-after"]


def test_close_finishes_queued_jobs_then_refuses(db_path):
    w = Writer(db_path)
    gate = Gate(w)
    futures = [w.submit(put(f"k-{i}")) for i in range(10)]
    closer = threading.Thread(target=w.close)
    gate.release.set()
    closer.start()
    closer.join(30)
    assert not closer.is_alive()
    assert [f.result(30) for f in futures] == [f"k-{i}" for i in range(10)]
    with pytest.raises(WriterClosed):
        w.submit(put("k-late"))
    with pytest.raises(WriterClosed):
        w.run(put("k-late"))
    assert keys(db_path, "k-late") == []


def test_a_writer_closed_before_it_started_refuses(db_path):
    w = Writer(db_path)
    w.close()
    with pytest.raises(WriterClosed):
        w.run(put("k-x"))


def test_submit_while_closing_is_refused_not_lost(db_path):
    """A job that arrives after close() began must be refused, not queued
    behind the stop signal where nobody would ever answer it."""
    w = Writer(db_path)
    gate = Gate(w)
    closer = threading.Thread(target=w.close)
    closer.start()
    while not w._closed:  # close() has begun; the writer thread is still held by the gate
        threading.Event().wait(0.01)
    try:
        late = w.submit(put("k-late"))
    except WriterClosed:
        late = None
    gate.open()
    closer.join(30)
    if late is not None:
        # Accepted: then it must be answered, one way or the other.
        try:
            late.result(10)
        except WriterClosed:
            pass
    assert late is None or late.done()


def test_a_writer_that_cannot_open_its_database_says_so(tmp_path):
    """Opening the write connection fails (here: no such directory): the
    caller hears the error instead of waiting forever for a thread that died."""
    w = Writer(tmp_path / "missing" / "edge.db")
    outcome: list = []

    def call():
        try:
            outcome.append(w.run(put("k-x"), timeout=10))
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(30)
    assert not t.is_alive(), "Writer.run hung on a database it could not open"
    assert isinstance(outcome[0], sqlite3.OperationalError), outcome
    w.close()


def test_the_write_connection_keeps_savepoint_journals_in_memory(db_path):
    # Each command's SAVEPOINT journals the pages it changes; on disk that was a
    # pwrite() per page once a batch passed 64 KiB (docs/performance.md, step 9).
    from edge.writer import open_write_connection
    conn = open_write_connection(db_path)
    try:
        assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    finally:
        conn.close()
