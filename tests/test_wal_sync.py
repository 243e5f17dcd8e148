"""The writer process answers only after its own fsync of the WAL (edge/wal_sync.py)."""
from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time

import pytest

from edge import wal_sync
from edge.wal_sync import Answerer, Peer, WalFile, database_file, make_durable
from edge.wire import encode, read_message


class GatedWal:
    """A WAL whose fsync waits until the test lets it finish."""

    def __init__(self, fail: OSError | None = None):
        self.started, self.release = threading.Event(), threading.Event()
        self.fail, self.calls = fail, 0

    def sync(self):
        self.calls += 1
        self.started.set()
        assert self.release.wait(10)
        if self.fail:
            raise self.fail

    def close(self):
        pass


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    yield Peer(ours), theirs
    ours.close()
    theirs.close()


def failed(rid, exc):
    return encode((rid, False, RuntimeError(f"not durable: {exc}")))


@pytest.fixture
def gated():
    """A running answerer over a WAL whose fsync waits for ``wal.release``."""
    wal = GatedWal()
    answerer = Answerer(wal, failed)
    answerer.start()
    yield wal, answerer
    wal.release.set()
    answerer.close()


def test_no_answer_leaves_before_the_fsync_returns(pair, gated):
    (peer, worker), (wal, answerer) = pair, gated
    answerer.submit([(peer, 1, encode((1, True, "applied")))])
    assert wal.started.wait(5)
    worker.settimeout(0.3)
    with pytest.raises(socket.timeout):
        worker.recv(1)  # committed, not yet on disk: nothing may be said
    wal.release.set()
    worker.settimeout(5)
    assert read_message(worker) == (1, True, "applied")


def test_one_fsync_covers_every_batch_committed_meanwhile(pair, gated):
    (peer, worker), (wal, answerer) = pair, gated
    answerer.submit([(peer, 1, encode((1, True, "a")))])
    assert wal.started.wait(5)
    # Two more batches commit while the first fsync runs: the next fsync takes both.
    answerer.submit([(peer, 2, encode((2, True, "b")))])
    answerer.submit([(peer, 3, encode((3, True, "c")))])
    wal.release.set()
    worker.settimeout(5)
    assert [read_message(worker) for _ in range(3)] == [(1, True, "a"), (2, True, "b"), (3, True, "c")]
    assert wal.calls == 2


def test_a_failed_fsync_tells_every_caller_its_outcome_is_unknown_and_stops_the_process(pair):
    peer, worker = pair
    wal = GatedWal(fail=OSError(5, "Input/output error"))
    wal.release.set()
    stopped = []
    answerer = Answerer(wal, failed, fatal=stopped.append)
    answerer.start()
    try:
        answerer.submit([(peer, 7, encode((7, True, "applied")))])
        worker.settimeout(5)
        rid, ok, exc = read_message(worker)
        assert (rid, ok) == (7, False)
        assert "not durable" in str(exc) and "Input/output error" in str(exc)
        # Linux forgets a failed write-back after reporting it once: the next fsync
        # would say all is well. The writer process must not go on (it is restarted).
        answerer.join(5)
        assert not answerer.is_alive()
        assert [type(e) for e in stopped] == [OSError]
    finally:
        answerer.close()


def test_an_answering_thread_that_breaks_stops_the_process(pair):
    peer, worker = pair
    wal = GatedWal()
    wal.release.set()
    stopped = []

    def broken(rid, exc):
        raise AssertionError("unused")
    answerer = Answerer(wal, broken, fatal=stopped.append)
    answerer._send = None  # a bug in the thread: calling it raises TypeError
    answerer.start()
    answerer.submit([(peer, 1, encode((1, True, "x")))])
    answerer.join(5)
    assert not answerer.is_alive()
    assert [type(e) for e in stopped] == [TypeError]


def test_a_database_behind_a_symlink_is_fsynced_where_sqlite_writes(tmp_path):
    """SQLite follows the link and writes real/edge.db-wal; joining paths would
    look for link/edge.db-wal, fail every fsync and answer nobody."""
    from test_concurrency import SUPERVISOR, seed, stock_of, take
    from test_writer_process import WriterProcessRunning
    from edge.db import init_db
    from edge.writer_process import RemoteWriter
    (tmp_path / "real").mkdir()
    (tmp_path / "link").mkdir()
    real = tmp_path / "real" / "edge.db"
    init_db(str(real))
    seed(str(real), bins=("A", "B"), opening=10)
    link = tmp_path / "link" / "edge.db"
    link.symlink_to(real)
    running = WriterProcessRunning(str(link), tmp_path)
    remote = RemoteWriter(running.address)
    try:
        [result] = remote.run("apply_batch", [take(1)], user=SUPERVISOR, device_id="HH-1").results
        assert result["status"] == "applied"
    finally:
        remote.close()
        running.stop()
    assert stock_of(str(real)) == {"A": 9, "B": 1}
    assert not (tmp_path / "link" / "edge.db-wal").exists()


def test_a_worker_that_hung_up_is_let_go_and_the_others_still_hear(pair, gated):
    (peer, worker), (wal, answerer) = pair, gated
    gone_ours, gone_theirs = socket.socketpair()
    gone_ours.setblocking(False)
    gone = Peer(gone_ours)
    gone_theirs.close()
    wal.release.set()
    try:
        answerer.submit([(gone, 1, encode((1, True, "x"))), (peer, 2, encode((2, True, "y")))])
        worker.settimeout(5)
        assert read_message(worker) == (2, True, "y")
    finally:
        gone_ours.close()


def test_close_sends_what_is_pending(pair):
    peer, worker = pair
    wal = GatedWal()
    answerer = Answerer(wal, failed)
    answerer.start()
    answerer.submit([(peer, 1, encode((1, True, "last")))])
    assert wal.started.wait(5)
    threading.Timer(0.2, wal.release.set).start()
    answerer.close()
    worker.settimeout(5)
    assert read_message(worker) == (1, True, "last")
    assert not answerer.is_alive()


def test_the_wal_file_is_fsynced_and_followed_when_replaced(tmp_path, monkeypatch):
    db = tmp_path / "edge.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(wal_sync.os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_ino), real_fsync(fd)))
    wal = WalFile(str(db))
    wal.sync()
    first = os.stat(f"{db}-wal").st_ino
    assert first in synced
    # Another file under the name (SQLite removes the WAL when its last connection
    # closes and makes a new one later): the next sync follows the name.
    conn.close()
    assert not os.path.exists(f"{db}-wal")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("INSERT INTO t VALUES (2)")
    conn.commit()
    synced.clear()
    wal.sync()
    assert os.stat(f"{db}-wal").st_ino in synced
    assert wal.inode == os.stat(f"{db}-wal").st_ino
    wal.close()
    conn.close()


def test_make_durable_knows_the_connections_file_and_needs_no_wal(tmp_path):
    db = tmp_path / "plain.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    assert database_file(conn) == str(db)
    make_durable(database_file(conn))  # rollback journal: nothing to fsync, no error
    assert database_file(sqlite3.connect(":memory:")) == ""
    make_durable("")
    conn.close()


# -- checkpoints on the answering thread (edge/wal_checkpoint.py) ---------------------

class CountingCheckpoints:
    """Records, at each call, whether the worker had its answer already."""

    def __init__(self, worker):
        self.worker, self.calls, self.answered_first = worker, 0, []
        self.closed = False

    def maybe(self):
        try:
            waiting = self.worker.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            waiting = b""
        self.answered_first.append(len(waiting) > 0)
        self.calls += 1

    def close(self):
        self.closed = True


def test_the_answering_thread_checkpoints_only_after_its_answers_are_out(pair):
    peer, worker = pair
    wal = GatedWal()
    wal.release.set()
    checkpoints = CountingCheckpoints(worker)
    answerer = Answerer(wal, failed, checkpoints=checkpoints)
    answerer.start()
    try:
        answerer.submit([(peer, 1, encode((1, True, "applied")))])
        deadline = time.monotonic() + 10
        while checkpoints.calls == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.settimeout(10)
        assert read_message(worker) == (1, True, "applied")
    finally:
        answerer.close()
    assert checkpoints.calls == 1 and checkpoints.answered_first == [True]
    assert checkpoints.closed


def wal_pages(db: str) -> int:
    size = os.path.getsize(db + "-wal")
    return max(0, (size - 32) // (4096 + 24))


def test_a_pass_copies_every_committed_page_and_the_wal_starts_over(tmp_path):
    from edge.db import connect
    from edge.wal_checkpoint import Checkpoints
    db = str(tmp_path / "edge.db")
    writer = connect(db, synchronous="NORMAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # only our passes copy
    writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    for i in range(200):
        writer.execute("INSERT INTO t (body) VALUES (?)", (os.urandom(300).hex(),))
    grown = wal_pages(db)
    assert grown > 50
    checkpoints = Checkpoints(db, every=0)
    checkpoints.maybe()
    assert checkpoints.passes == 1 and checkpoints.failures == 0
    busy, log_frames, copied = checkpoints.result
    assert busy == 0 and log_frames == copied >= grown  # every committed frame is in the file ...
    # ... so the next write starts the WAL over instead of growing it (nothing else checkpointed).
    for i in range(5):
        writer.execute("INSERT INTO t (body) VALUES ('x')")
    assert wal_pages(db) == grown
    reader = sqlite3.connect(db)
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 205
    assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reader.close()
    checkpoints.close()
    writer.close()


def test_a_failing_checkpoint_costs_no_answer(pair, tmp_path):
    from edge.wal_checkpoint import Checkpoints
    peer, worker = pair
    wal = GatedWal()
    wal.release.set()
    checkpoints = Checkpoints(str(tmp_path / "no such dir" / "edge.db"), every=0)
    answerer = Answerer(wal, failed, checkpoints=checkpoints)
    answerer.start()
    try:
        worker.settimeout(10)
        for rid in (1, 2):
            answerer.submit([(peer, rid, encode((rid, True, "applied")))])
            assert read_message(worker) == (rid, True, "applied")
    finally:
        answerer.close()
    assert checkpoints.failures == 2 and checkpoints.passes == 0 and answerer.is_alive() is False


class FailingConnection:
    def __init__(self, code: int):
        self.code = code

    def execute(self, sql):
        exc = sqlite3.OperationalError("disk I/O error" if self.code & 0xFF == 10 else "database is locked")
        exc.sqlite_errorcode = self.code
        raise exc

    def close(self):
        pass


def test_a_busy_checkpoint_is_tried_again_and_an_io_error_stops_the_answering_thread(tmp_path):
    from edge.wal_checkpoint import Checkpoints
    checkpoints = Checkpoints(str(tmp_path / "edge.db"), every=0)
    checkpoints.conn = FailingConnection(5)  # SQLITE_BUSY
    checkpoints.maybe()
    assert (checkpoints.passes, checkpoints.failures) == (0, 1)
    checkpoints.conn = FailingConnection(10 | (4 << 8))  # SQLITE_IOERR_FSYNC
    with pytest.raises(sqlite3.OperationalError, match="I/O"):
        checkpoints.maybe()
