"""The one write connection, with group commit.

Every write in the edge process goes through :meth:`Writer.run`. A single
thread owns the write connection. It takes every job waiting in the queue,
runs each inside its own SAVEPOINT within one ``BEGIN IMMEDIATE``
transaction, commits once, and only then answers the callers. So one fsync
acknowledges many handhelds, nobody hears "applied" before the data is on
disk, and one failing job rolls back only itself.
"""
from __future__ import annotations

import logging
import queue
import random
import sqlite3
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable

from edge import row_cache
from edge.db import connect

log = logging.getLogger(__name__)

Job = Callable[[sqlite3.Connection], Any]

# How long a writer waits for another process to release the write lock before a 503.
BUSY_WAIT_SECONDS = 30.0


class WriterClosed(Exception):
    """The writer has been shut down and takes no more jobs."""


class DatabaseBusy(Exception):
    """Another process held the write lock for longer than the busy timeout."""


class Writer:
    def __init__(self, path: str | Path, *, max_batch: int = 512, synchronous: str = "FULL"):
        self.path = str(path)
        self.max_batch = max_batch
        self.synchronous = synchronous
        self._queue: queue.SimpleQueue[tuple[Job, Future] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._pid = None
        self._start_error: BaseException | None = None
        # Figures for the supervisor screen and the benchmark.
        self.commits = 0
        self.jobs = 0

    def _ensure_started(self) -> None:
        import os
        # After a fork (gunicorn) the parent's thread does not exist in the
        # child: start a fresh one there.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            if self._closed:
                raise WriterClosed("the database writer is closed")
            self._queue = queue.SimpleQueue()
            self._pid = os.getpid()
            ready = threading.Event()
            self._thread = threading.Thread(target=self._loop, args=(ready,), name="floorscan-writer", daemon=True)
            self._thread.start()
            ready.wait()
            if self._start_error is not None:
                # The thread died opening the database: say why, and try again next time.
                error, self._start_error = self._start_error, None
                raise error

    def submit(self, job: Job) -> Future:
        self._ensure_started()
        future: Future = Future()
        with self._lock:
            # Checked under the lock close() takes, so no job lands behind the stop signal unanswered.
            if self._closed:
                raise WriterClosed("the database writer is closed")
            self._queue.put((job, future))
        return future

    def run(self, job: Job, timeout: float | None = 60) -> Any:
        """Run ``job(conn)`` in a write transaction; return its result after commit."""
        return self.submit(job).result(timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
            if thread is not None and thread.is_alive():
                self._queue.put(None)
        if thread is not None and thread.is_alive():
            thread.join(10)

    # -- the writer thread -------------------------------------------------

    def _loop(self, ready: threading.Event) -> None:
        try:
            conn = open_write_connection(self.path, self.synchronous)
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that started us
            self._start_error = exc
            ready.set()
            return
        ready.set()
        stop = False
        try:
            while not stop:
                first = self._queue.get()
                if first is None:
                    break
                batch = [first]
                # Whatever queued up while we were busy (usually during the
                # previous fsync) joins this transaction.
                while len(batch) < self.max_batch:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stop = True
                        break
                    batch.append(nxt)
                self._commit_batch(conn, batch)
        finally:
            conn.close()

    def _commit_batch(self, conn: sqlite3.Connection, batch: list[tuple[Job, Future]]) -> None:
        # A cancelled future is dropped before its job runs.
        batch = [(job, fut) for job, fut in batch if fut.set_running_or_notify_cancel()]
        try:
            outcomes = run_jobs(conn, [job for job, _ in batch])
        except BaseException as exc:  # noqa: BLE001 - nobody is acknowledged; every caller hears why
            for _, fut in batch:
                fut.set_exception(exc)
            return
        self.commits += 1
        self.jobs += len(outcomes)
        for (_, fut), (ok, value) in zip(batch, outcomes):
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)


def open_write_connection(path: str | Path, synchronous: str = "FULL") -> sqlite3.Connection:
    """The connection a writer owns. It never sleeps in SQLite's busy handler:
    :func:`begin` polls for the lock instead (see there)."""
    conn = connect(path, synchronous=synchronous)
    conn.execute("PRAGMA busy_timeout = 0")
    # Every command runs in a SAVEPOINT, and SQLite journals each page a
    # savepoint changes; past 64 KiB that journal spills into a temp file, a
    # pwrite() per page. In memory it costs the open transaction's pages only,
    # and took ~6-10% off a command in the writer (docs/performance.md, step 9).
    # It also keeps this connection's temporary sorts in RAM (docs/performance.md
    # says how large they get); reports sort on reader connections.
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def run_jobs(conn: sqlite3.Connection, jobs: list[Job]) -> list[tuple[bool, Any]]:
    """Run ``jobs`` in one transaction, each in its own SAVEPOINT, and commit.

    Returns ``(True, value)`` or ``(False, exception)`` per job, in order; a
    job that raises is rolled back alone. Raises if the transaction cannot be
    begun or committed: then no job's work is on disk and nobody may be told
    it is. Only after this returns may a caller be answered.
    """
    begin(conn)
    cache = row_cache.of(conn)
    outcomes: list[tuple[bool, Any]] = []
    try:
        if cache is not None:
            cache.begin(conn)  # inside the try: if it fails, the ROLLBACK below lets go of the lock
        for job in jobs:
            conn.execute("SAVEPOINT job")
            try:
                value = job(conn)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                outcomes.append((False, exc))
            else:
                conn.execute("RELEASE job")
                outcomes.append((True, value))
        conn.execute("COMMIT")
    except BaseException:
        log.exception("write transaction failed")
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        raise
    finally:
        if cache is not None:
            cache.end()
    return outcomes


def begin(conn: sqlite3.Connection, wait: float = BUSY_WAIT_SECONDS) -> None:
    """BEGIN IMMEDIATE, waiting up to ``wait`` seconds for another process to let go.

    SQLite's own busy handler sleeps 1, 2, 5, 10 ... 100 ms between tries, so a
    lock freed after 3 ms is noticed after 8 ms. Writers in other processes
    (the writer process, a worker's sign-in, the CLI) hold the lock for a few
    milliseconds at a time; polling every 50 us, backing off to 2 ms, hands it
    over at once.
    """
    deadline = time.monotonic() + wait
    pause = 50e-6
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise DatabaseBusy(f"the database stayed locked by another process for {wait:.0f} s") from exc
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(pause * 1.5, 2e-3)
