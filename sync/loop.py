"""The sync loop: up, down, wait, again; back off when central is away.

One loop per edge database (a lock file next to it makes a second one wait
or give up), run by `floorscan sync` or by `floorscan serve --central` (see
:class:`SyncSupervisor`). Each round sends the outbox, then every movement
central lacks, then applies central's changes page by page. A failed round
waits 1, 2, 4 ... 60 s with jitter before the next, so a central that is down
costs one attempt a minute per edge, never a busy loop; the wait, the error
and the next attempt are recorded in ``sync_state`` for supervisors.
"""
from __future__ import annotations

import fcntl
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from edge.db import connect
from edge.writer import open_write_connection, run_jobs
from sync import status
from sync.apply import apply_page
from sync.client import CentralClient, CentralError, CursorAhead
from sync.up import LocalGap, edge_seq, push_movements, push_outbox

log = logging.getLogger("sync")

INTERVAL_S = 2.0     # between rounds while all is well
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0
PAGE = 500           # down changes per page


class AlreadyRunning(Exception):
    """Another sync process holds this edge database's sync lock."""


def backoff(failures: int, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S) -> float:
    """Seconds to wait after ``failures`` failed rounds in a row: doubling, capped,
    with "equal jitter" (half fixed, half random) so a fleet of edges does not
    come back at central in step after an outage."""
    delay = min(cap, base * 2 ** max(0, failures - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def _iso_in(seconds: float) -> str:
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SyncLoop:
    def __init__(self, db_path: str, central_url: str, token: str, *, batch: int = 1000, page: int = PAGE,
                 interval: float = INTERVAL_S, backoff_cap: float = BACKOFF_CAP_S, client: CentralClient | None = None):
        self.db_path = str(db_path)
        self.central_url = central_url
        self.batch = batch
        self.page = page
        self.interval = interval
        self.backoff_cap = backoff_cap
        self.client = client or CentralClient(central_url, token)
        self.stop = threading.Event()
        self._lock_fh = None
        self._read = connect(self.db_path, readonly=True)
        self._prep = connect(self.db_path, readonly=True)
        # NORMAL, not FULL: what this process writes (cursors, applied pages) is
        # redone harmlessly if a power cut loses it; the edge's scans stay FULL.
        self._write = open_write_connection(self.db_path, synchronous="NORMAL")
        self._cursor_checked = False
        self.failures = 0

    # -- plumbing -------------------------------------------------------------------

    def lock(self, wait: bool = False) -> None:
        path = self.db_path + "-sync.lock"
        fh = open(path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.close()
            raise AlreadyRunning(f"another sync process is running for {self.db_path} (lock {path})") from None
        self._lock_fh = fh

    def write(self, job):
        ok, value = run_jobs(self._write, [job])[0]
        if not ok:
            raise value
        return value

    def close(self) -> None:
        for conn in (self._read, self._prep, self._write):
            conn.close()
        self.client.close()
        if self._lock_fh is not None:
            self._lock_fh.close()

    # -- one round ------------------------------------------------------------------

    def round(self) -> dict:
        """Up then down, once, until caught up. Raises CentralError / LocalGap on failure."""
        from edge.workflows.transfers import site_id
        warehouse = site_id(self._read)
        self.write(lambda conn: status.record_attempt(conn, self.central_url))
        state = self._read.execute("SELECT up_cursor, down_cursor FROM sync_state WHERE id = 1").fetchone()
        cursor = state["up_cursor"]
        if not self._cursor_checked:
            # After a start or a failure ask central what it holds: it may have
            # been restored from a backup, or this edge may have lost the answer.
            # It also proves the token is this warehouse's before anything is sent.
            held = self.client.cursor(warehouse)
            top = edge_seq(self._read)
            if held > top:
                raise CentralError(f"central holds seq {held} of {warehouse} but this edge's ledger ends at {top}: "
                                   "was the edge restored from an old backup? (docs/sync-edge.md)")
            if held != cursor:
                self.write(lambda conn: status.record_up_cursor(conn, held, 0))
                cursor = held
            self._cursor_checked = True
        documents = push_outbox(self._read, self.write, self.client, warehouse)
        cursor, sent = push_movements(self._read, self._prep, self.write, self.client, warehouse, cursor,
                                      self.batch, self.stop)
        after, applied = state["down_cursor"], 0
        while not self.stop.is_set():
            try:
                page = self.client.changes(after, self.page)
            except CursorAhead as exc:
                # Central lost changes it had handed out (restored from a backup):
                # read its whole feed again; applying a change twice is harmless.
                log.warning("central's change feed ends at %d, before this edge's %d (%s); reading it again "
                            "from 0", exc.cursor, after, exc)
                self.write(lambda conn, a=after: status.reset_down_cursor(conn, a))
                after = 0
                continue
            if not page["changes"] and page["cursor"] == after:
                break
            result = self.write(lambda conn, p=page, a=after: apply_page(conn, p, a))
            applied += len(page["changes"])
            after = result["cursor"]
            if not page["more"]:
                break
        self.write(status.record_success)
        return {"warehouse": warehouse, "up_cursor": cursor, "sent": sent, "documents": documents,
                "down_cursor": after, "changes": applied}

    def round_safely(self) -> tuple[dict | None, float]:
        """One round; (its summary or None, seconds to wait before the next)."""
        before = self._progress()
        try:
            summary = self.round()
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, wait and try again
            # A round that got somewhere before it failed (a flaky link) is not
            # "central is away": start the backoff over instead of growing it.
            self.failures = 1 if self._progress() != before else self.failures + 1
            self._cursor_checked = False
            wait = backoff(self.failures, cap=self.backoff_cap)
            message = str(exc) if isinstance(exc, (CentralError, LocalGap)) else f"{type(exc).__name__}: {exc}"
            if isinstance(exc, (CentralError, LocalGap)):
                log.warning("sync round failed (%s); next try in %.1f s", message, wait)
            else:
                log.exception("sync round failed; next try in %.1f s", wait)
            try:
                self.write(lambda conn: status.record_failure(conn, message, _iso_in(wait)))
            except Exception:  # noqa: BLE001 - the edge is busy; the next round records it
                log.exception("could not record the sync failure")
            return None, wait
        self.failures = 0
        return summary, self.interval

    def _progress(self) -> tuple:
        try:
            row = self._read.execute("SELECT up_cursor, down_cursor, documents_sent FROM sync_state").fetchone()
        except Exception:  # noqa: BLE001 - only a hint for the backoff
            return ()
        return tuple(row)

    def run(self, once: bool = False, parent: int | None = None) -> int:
        """Rounds until stopped; with ``once``, one round (0 caught up, 1 failed).

        ``parent``: stop when that process is gone (the server that started us
        was killed outright and cannot stop us itself)."""
        while not self.stop.is_set():
            summary, wait = self.round_safely()
            if summary and (summary["sent"] or summary["changes"] or summary["documents"]):
                log.info("synced: %(sent)d movements up (cursor %(up_cursor)d), %(documents)d documents, "
                         "%(changes)d changes down (cursor %(down_cursor)d)", summary)
            if once:
                return 0 if summary is not None else 1
            if parent is None:
                self.stop.wait(wait)
                continue
            until = time.monotonic() + wait
            while not self.stop.wait(min(1.0, max(0.0, until - time.monotonic()))) and time.monotonic() < until:
                if os.getppid() != parent:
                    break
            if os.getppid() != parent:
                log.warning("the server that started this sync process is gone; stopping")
                break
        return 0


def run_process(db_path: str, central_url: str, token: str, *, batch: int = 1000, once: bool = False,
                interval: float = INTERVAL_S, backoff_cap: float = BACKOFF_CAP_S, wait_for_lock: bool = False,
                exit_with_parent: bool = False) -> int:
    """`floorscan sync`: the loop in this process until SIGTERM / SIGINT."""
    parent = os.getppid() if exit_with_parent else None
    loop = SyncLoop(db_path, central_url, token, batch=batch, interval=interval, backoff_cap=backoff_cap)
    try:
        loop.lock(wait=wait_for_lock)

        def _stop(signum, frame):
            loop.stop.set()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
        return loop.run(once=once, parent=parent)
    finally:
        loop.close()


class SyncSupervisor:
    """`floorscan serve --central`: the gunicorn master keeps one sync process alive.

    Not a thread in a worker (it would share that worker's interpreter lock
    with the handhelds, and each worker would start one) nor in the master
    itself (the master forks workers, and a fork while a sync thread holds one
    of SQLite's internal mutexes leaves the worker hung). The token travels in
    the environment, not the command line, so `ps` does not show it.
    """

    def __init__(self, db_path: str, central_url: str, token: str, batch: int = 1000):
        self.db_path, self.central_url, self.token, self.batch = db_path, central_url, token, batch
        self.proc: subprocess.Popen | None = None
        self._master = os.getpid()
        self._stopping = threading.Event()

    def start(self) -> None:
        self._master = os.getpid()
        self._spawn()
        threading.Thread(target=self._watch, name="floorscan-sync-watch", daemon=True).start()

    def _spawn(self) -> None:
        env = dict(os.environ, FLOORSCAN_CENTRAL_TOKEN=self.token, FLOORSCAN_CENTRAL_URL=self.central_url)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen([sys.executable, "-m", "sync.cli", "--db", self.db_path, "--batch",
                                      str(self.batch), "--wait-for-lock", "--exit-with-parent"],
                                     stdin=subprocess.DEVNULL, env=env)

    def _watch(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            self.proc.wait()
            if self._stopping.is_set():
                return
            failures = failures + 1 if time.monotonic() - started < 30 else 1
            wait = backoff(failures, cap=30)
            log.error("the sync process exited (status %s); starting it again in %.1f s", self.proc.returncode, wait)
            if self._stopping.wait(wait):
                return
            self._spawn()

    def stop(self) -> None:
        if os.getpid() != self._master:
            return
        self._stopping.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
