"""The writer process's answers, sent only once the commit is on disk, while
the next batch already runs.

With ``synchronous=FULL`` SQLite fsyncs the WAL inside COMMIT, holding the
write lock, and the writer process can do nothing else meanwhile: under the
scan load COMMIT was a quarter of its time (docs/performance.md, step 8). So
the writer process commits with ``synchronous=NORMAL`` (in WAL mode: the
frames are written, not fsynced) and hands the answers to :class:`Answerer`,
a thread that fsyncs the WAL file itself and only then sends them. An answer
still leaves only after every frame of its commit is on disk, which is what
FULL promised; one fsync now covers every batch committed while the last one
ran, and the next batch's SQL runs during the fsync.

The difference from FULL: another connection may read a commit a moment
before it is durable. A power cut in that moment loses it, as it loses any
unacknowledged scan: the handheld still holds the command and sends it again.
The sync process fsyncs the WAL after reading movements and before sending
them to central (:func:`make_durable`), so central never holds a movement the
edge could lose.
"""
from __future__ import annotations

import logging
import os
import pickle
import select
import socket
import threading
import time

from edge.wire import split

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 10.0
# Values of FLOORSCAN_SYNCHRONOUS that promise an fsync before the answer.
DURABLE = {"FULL", "EXTRA", "2", "3"}


class Peer:
    """One worker's connection, as the writer process sees it."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()
        self.out: list[bytes] = []
        self.lock = threading.Lock()  # the answerer thread and the main loop both send

    def read(self) -> list | None:
        """Every complete request waiting on the socket; None when the worker hung up."""
        while True:
            try:
                chunk = self.sock.recv(1 << 20)
            except BlockingIOError:
                break
            except OSError:
                return None
            if not chunk:
                return None
            self.buffer += chunk
            if len(chunk) < 1 << 20:
                break
        return [pickle.loads(message) for message in split(self.buffer)]

    def flush(self) -> bool:
        """Send every queued message; False if the worker stopped reading or hung up."""
        with self.lock:
            data = b"".join(self.out)
            self.out.clear()
            return self._send(data)

    def send(self, data: bytes) -> bool:
        with self.lock:
            return self._send(data)

    def _send(self, data: bytes) -> bool:
        deadline = time.monotonic() + SEND_TIMEOUT_S
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
                view = view[sent:]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                select.select([], [self.sock], [], 0.05)
            except OSError:
                return False
        return True

    def break_off(self) -> None:
        """From another thread: end the connection; the main loop then sees it
        hung up and forgets it (closing the descriptor here would race its selector)."""
        with self.lock:  # the main loop closes under it: never a reused descriptor
            if self.sock.fileno() == -1:
                return
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class WalFile:
    """The database's ``-wal`` file, to fsync.

    fsync flushes a file whatever descriptor wrote it, so a descriptor of our
    own covers SQLite's writes. The file is reopened if it was replaced (it is
    removed only when the last connection closes, and the writer process keeps
    one open); its directory is fsynced once per file, for its name.
    """

    def __init__(self, db_path: str):
        self.path = f"{db_path}-wal"
        self.fd: int | None = None
        self.inode: int | None = None

    def sync(self) -> None:
        inode = os.stat(self.path).st_ino
        if self.fd is None or inode != self.inode:
            self.close()
            self.fd = os.open(self.path, os.O_RDONLY)
            directory = os.open(os.path.dirname(self.path) or ".", os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            self.inode = os.fstat(self.fd).st_ino  # only now: a failed directory fsync is tried again
        os.fsync(self.fd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def database_file(conn) -> str:
    """The file behind a connection's main database ("" for an in-memory one)."""
    for _, name, path in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return path or ""
    return ""


def make_durable(db_path: str) -> None:
    """fsync the database's WAL: whatever a reader has seen is on disk after this."""
    if not db_path:
        return
    wal = WalFile(db_path)
    try:
        wal.sync()
    except FileNotFoundError:
        pass  # no WAL: every commit is in the database file, checkpointed and synced
    finally:
        wal.close()


class Answerer(threading.Thread):
    """fsyncs the WAL, then sends the answers of every commit made before it.

    ``failed(rid, exc)`` builds the answer for a caller whose commit could not
    be made durable (its outcome is then unknown: it must send again);
    ``fatal(exc)`` is called after such a failure, and the thread ends.
    """

    def __init__(self, wal: WalFile, failed, fatal=None, checkpoints=None):
        super().__init__(name="floorscan-answerer", daemon=True)
        self.wal, self.failed = wal, failed
        # edge.wal_checkpoint.Checkpoints: run between sends, so its fsyncs never meet the WAL's.
        self.checkpoints = checkpoints
        self.fatal = fatal or (lambda exc: None)  # the writer process exits (it is restarted)
        self._cond = threading.Condition()
        self._pending: list[tuple[Peer, int, bytes]] = []
        self._closing = False
        self.syncs = 0

    def submit(self, answers: list[tuple[Peer, int, bytes]]) -> None:
        """Answers of a batch that has committed, to send once it is durable."""
        with self._cond:
            self._pending.extend(answers)
            self._cond.notify()

    def close(self) -> None:
        """Send what is pending, then stop."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self.join(SEND_TIMEOUT_S * 2)
        if not self.is_alive():
            self.wal.close()  # not under an fsync still running

    def run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # noqa: BLE001 - without this thread nobody is ever answered
            log.critical("the answering thread failed", exc_info=True)
            self.fatal(exc)
        finally:
            if self.checkpoints is not None:
                self.checkpoints.close()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                answers, self._pending = self._pending, []
                if not answers and self._closing:
                    return
            try:
                self.wal.sync()
                self.syncs += 1
            except Exception as exc:  # noqa: BLE001 - OSError mostly; nobody may hear "applied" now
                # After a failed fsync Linux marks the lost pages clean and the next
                # fsync succeeds: nothing this process commits can be trusted again.
                # Tell every caller its outcome is unknown, then let the supervisor
                # start a new writer process, which reads what is really on disk.
                log.critical("could not fsync the WAL (%s): %d answers say the outcome is unknown; "
                             "the writer process stops", exc, len(answers))
                self._send([(peer, rid, self.failed(rid, exc)) for peer, rid, _ in answers])
                self.fatal(exc)
                return
            self._send(answers)
            if self.checkpoints is not None:
                self.checkpoints.maybe()  # after the sends: nobody waits on it now

    @staticmethod
    def _send(answers) -> None:
        by_peer: dict[Peer, list[bytes]] = {}
        for peer, _, frame in answers:
            by_peer.setdefault(peer, []).append(frame)
        for peer, frames in by_peer.items():
            try:
                delivered = peer.send(b"".join(frames))
            except Exception:  # noqa: BLE001 - one worker's connection must not stop the others' answers
                log.exception("could not answer a worker")
                delivered = False
            if not delivered:
                log.warning("a worker stopped reading its answers; dropping its connection")
                peer.break_off()
