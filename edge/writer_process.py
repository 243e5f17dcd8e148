"""The writer in a process of its own, shared by every gunicorn worker.

One CPython process runs Python on one core at a time, and under load the
in-process writer thread spends three quarters of its time waiting for the
GIL between SQLite statements while it holds the write lock. So
`floorscan serve` with several workers starts this process: it owns the
write connection alone, runs no request threads, and serves command batches
that the workers send over a Unix socket. It is the same group commit as
:class:`edge.writer.Writer`: it reads every request waiting on every worker's
connection, runs each in its own SAVEPOINT inside one transaction, commits
once and only then answers. One fsync acknowledges commands from every
worker; nobody hears "applied" before the commit.

Only named operations cross the socket (:data:`OPERATIONS`), as plain data.
Other writes (sign-in, master data) are closures and stay in the worker's own
:class:`~edge.writer.Writer`; they take SQLite's write lock in turn with this
process, and both sides poll for it (:func:`edge.writer.begin`).

The socket lives in a directory only the server's user can enter, and the
messages are pickles: whoever can connect could also write the database file.
"""
from __future__ import annotations

import argparse
import importlib
import itertools
import logging
import os
import pickle
import select
import selectors
import signal
import socket
import sys
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from edge import row_cache
from edge.wal_checkpoint import RESTART_PAGES, Checkpoints
from edge.wal_sync import DURABLE, Answerer, Peer, WalFile, database_file
from edge.wire import encode, read_message
from edge.writer import DatabaseBusy, WriterClosed, open_write_connection, run_jobs

log = logging.getLogger(__name__)

# Operations a worker may ask for: name -> "module:function". Each is called
# as function(conn, *args, **kwargs) inside the writer's transaction.
OPERATIONS = {
    "apply_batch": "edge.commands.apply:apply_batch",
    "apply_request": "edge.commands.lane:apply_request",  # the command lane (edge/command_lane.py)
}

MAX_BATCH = 512
CONNECT_WAIT_S = 10.0
DRAIN_S = 15.0


class WriterLost(DatabaseBusy):
    """The connection to the writer process broke; the request's outcome is unknown."""


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives a pickle round trip, else a RuntimeError saying what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - some exception classes take keyword-only arguments
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _not_durable(rid: int, exc: BaseException) -> bytes:
    return encode((rid, False, WriterLost(f"the commit could not be made durable ({exc}); send the same "
                                          "request again to learn its outcome")))


def _fatal(exc: BaseException) -> None:
    # Out at once, from any thread: the server's supervisor starts a new writer process.
    sys.stderr.flush()
    os._exit(70)


# -- the writer process ----------------------------------------------------------

class WriterProcess:
    """The writer process's loop: accept workers, batch their requests, commit, answer."""

    def __init__(self, db_path: str, address: str, synchronous: str = "FULL", max_batch: int = MAX_BATCH):
        self.db_path, self.address = db_path, address
        self.synchronous, self.max_batch = synchronous, max_batch
        self.running = True
        self.commits = self.jobs = 0
        self.subscribers: set[Peer] = set()
        self.answerer: Answerer | None = None
        self._functions: dict[str, Any] = {}

    def _function(self, name: str):
        fn = self._functions.get(name)
        if fn is None:
            if name not in OPERATIONS:
                raise LookupError(f"the writer process has no operation {name!r}")
            module, _, attr = OPERATIONS[name].partition(":")
            fn = self._functions[name] = getattr(importlib.import_module(module), attr)
        return fn

    def serve(self, listener: socket.socket, ready=None) -> None:
        # FULL: commit without the fsync and let the answerer fsync before it
        # answers, while the next batch runs (edge/wal_sync.py).
        conn = open_write_connection(self.db_path, self.synchronous)
        # Items, bins and sessions kept between transactions (edge/row_cache.py).
        row_cache.enable(conn)
        self.answerer = None
        if self.synchronous.upper() in DURABLE and conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            conn.execute("PRAGMA synchronous = NORMAL")
            # Checkpoints on the answering thread, between its sends; the commits' own
            # only where the WAL starts over (edge/wal_checkpoint.py).
            conn.execute(f"PRAGMA wal_autocheckpoint = {RESTART_PAGES}")
            # The -wal file SQLite writes: it follows symlinks, so ask it rather than join paths.
            self.answerer = Answerer(WalFile(database_file(conn)), _not_durable, _fatal,
                                     checkpoints=Checkpoints(database_file(conn)))
            self.answerer.start()
        # Import every command type now, not inside the first transaction.
        for name in OPERATIONS:
            self._function(name)
        from edge.commands.registry import ensure_loaded
        ensure_loaded()
        from edge.serve import freeze_heap
        freeze_heap()  # the collector's full passes skip what is loaded (edge/serve.py says why)
        sel = selectors.DefaultSelector()
        listener.setblocking(False)
        sel.register(listener, selectors.EVENT_READ, None)
        parent = os.getppid()
        if ready:
            ready()
        draining_since = None
        try:
            while True:
                if not self.running and draining_since is None:
                    # Stopping: take no new workers, answer the ones still here
                    # until they are gone (gunicorn stops them first).
                    draining_since = time.monotonic()
                    sel.unregister(listener)
                if draining_since is not None and (len(sel.get_map()) == 0
                                                   or time.monotonic() - draining_since > DRAIN_S):
                    break
                if self.answerer is not None and not self.answerer.is_alive():
                    log.critical("the answering thread is gone; the writer process stops")
                    _fatal(RuntimeError("answerer gone"))
                waiting: list[tuple[Peer, tuple]] = []
                self._gather(sel, listener, 0.2 if draining_since else 1.0, waiting)
                # Whatever arrived while the last batch ran (its fsync, mostly)
                # is in this one: batches grow with load by themselves.
                for start in range(0, len(waiting), self.max_batch):
                    self._commit(conn, waiting[start:start + self.max_batch], sel)
                if os.getppid() != parent:
                    log.warning("the server that started the writer process is gone; stopping")
                    break
        finally:
            if self.answerer is not None:
                self.answerer.close()
            sel.close()
            row_cache.disable(conn)
            conn.close()

    def _gather(self, sel: selectors.BaseSelector, listener, timeout: float, waiting: list) -> None:
        """Read what the workers sent within ``timeout``: calls go to ``waiting``, events on at once."""
        listeners: set[Peer] = set()
        for key, _ in sel.select(timeout=timeout):
            if key.data is None:
                self._accept(listener, sel)
                continue
            peer: Peer = key.data
            messages = peer.read()
            if messages is None:
                self._hang_up(peer, sel)
                continue
            for message in messages:
                if message[0] == "call":
                    waiting.append((peer, message[1:]))
                elif message[0] == "publish":
                    # Socket.IO between workers (edge/relay.py): pass it on at once,
                    # pickled once for every subscriber.
                    if self.subscribers:
                        frame = encode(("event", message[1]))
                        for sub in self.subscribers:
                            sub.out.append(frame)
                            listeners.add(sub)
                elif message[0] == "subscribe":
                    self.subscribers.add(peer)
        for sub in listeners:
            if not sub.flush():
                self._hang_up(sub, sel)

    def _hang_up(self, peer: Peer, sel: selectors.BaseSelector) -> None:
        self.subscribers.discard(peer)
        try:
            sel.unregister(peer.sock)
        except (KeyError, ValueError):
            pass
        with peer.lock:  # not while the answerer thread sends on it: its descriptor could be reused
            peer.sock.close()

    def _accept(self, listener: socket.socket, sel: selectors.BaseSelector) -> None:
        try:
            sock, _ = listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, Peer(sock))

    def _commit(self, conn, batch: list[tuple[Peer, tuple]], sel: selectors.BaseSelector) -> None:
        jobs = []
        for _, (_, name, args, kwargs) in batch:
            def job(c, name=name, args=args, kwargs=kwargs):
                return self._function(name)(c, *args, **kwargs)
            jobs.append(job)
        try:
            outcomes = run_jobs(conn, jobs)
        except BaseException as exc:  # noqa: BLE001 - nothing committed: every caller hears why
            outcomes = [(False, exc)] * len(batch)
        else:
            self.commits += 1
            self.jobs += len(batch)
        answers = []
        for (peer, (rid, *_)), (ok, value) in zip(batch, outcomes):
            if not ok:
                value = _portable(value)
            try:
                frame = encode((rid, ok, value))
            except Exception as exc:  # noqa: BLE001 - an answer that does not pickle is a bug; say so
                log.exception("answer to request %s does not pickle", rid)
                frame = encode((rid, False, RuntimeError(f"the writer could not send its answer: {exc}")))
            answers.append((peer, rid, frame))
        if self.answerer is not None:
            self.answerer.submit(answers)  # sent once the WAL is fsynced
            return
        for peer, _, frame in answers:
            peer.out.append(frame)
        for peer in {peer for peer, _, _ in answers}:
            if not peer.flush():
                log.warning("a worker stopped reading its answers; dropping its connection")
                self._hang_up(peer, sel)


def listen(address: str) -> socket.socket:
    if os.path.exists(address):
        os.unlink(address)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(address)
    os.chmod(address, 0o600)
    sock.listen(128)
    return sock


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="floorscan's writer process (started by `floorscan serve`)")
    p.add_argument("--db", required=True)
    p.add_argument("--socket", required=True, help="Unix socket path, in a directory only this user can enter")
    p.add_argument("--synchronous", default="FULL")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[writer process %(process)d] %(levelname)s %(message)s")
    server = WriterProcess(args.db, args.socket, synchronous=args.synchronous)

    def stop(signum, frame):
        server.running = False
    signal.signal(signal.SIGTERM, stop)
    # Ctrl-C at the terminal reaches the whole process group: let gunicorn stop
    # its workers first; it sends SIGTERM here once they are gone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    listener = listen(args.socket)

    def ready():
        # The one line the parent waits for.
        sys.stdout.write("ready\n")
        sys.stdout.flush()
    try:
        server.serve(listener, ready)
    finally:
        listener.close()
    log.info("stopped after %d commits of %d jobs", server.commits, server.jobs)
    return 0


# -- the worker's side -------------------------------------------------------------

class RemoteWriter:
    """A worker's side of the writer process: ``run(name, *args)`` returns the answer after commit.

    Each request thread has its own connection and blocks on it until the
    answer comes: no reader thread and no hand-off between threads, which
    cost context switches and GIL hand-overs at every request. If the
    connection breaks the request fails with :class:`WriterLost` (its outcome
    is unknown; commands are idempotent, so the handheld sends them again) and
    the thread's next request reconnects, waiting up to CONNECT_WAIT_S for a
    restarted writer process.
    """

    def __init__(self, address: str):
        self.address = address
        self._local = threading.local()
        self._ids = itertools.count(1)
        self._closed = False

    def run(self, name: str, *args, timeout: float | None = 60, **kwargs) -> Any:
        if self._closed:
            raise WriterClosed("the database writer is closed")
        sock = self._connection()
        rid = next(self._ids)
        try:
            sock.settimeout(timeout)
            sock.sendall(encode(("call", rid, name, args, kwargs)))
            answer_id, ok, value = read_message(sock)
        except socket.timeout:
            # A late answer must not be read as the next request's: hang up.
            self._drop()
            raise FutureTimeout() from None
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            self._drop()
            raise WriterLost("the connection to the writer process broke before it answered; "
                             "send the same request again to learn its outcome") from exc
        if answer_id != rid:
            self._drop()
            raise WriterLost(f"the writer process answered request {answer_id}, not {rid}")
        if not ok:
            raise value
        return value


    def close(self) -> None:
        self._closed = True
        self._drop()

    def _connection(self) -> socket.socket:
        sock = getattr(self._local, "sock", None)
        # After a fork the parent's connections are not ours.
        if sock is not None and self._local.pid == os.getpid():
            # Between requests nothing may arrive: if something has (the end of
            # the file: the writer process was restarted), this connection is stale
            # and no request of ours was lost on it. Connect afresh.
            if not select.select([sock], [], [], 0)[0]:
                return sock
            self._drop()
        deadline = time.monotonic() + CONNECT_WAIT_S
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.address)
                break
            except OSError as exc:
                sock.close()
                if time.monotonic() > deadline:
                    raise WriterLost(f"the writer process does not answer at {self.address}") from exc
                time.sleep(0.05)
        self._local.sock, self._local.pid = sock, os.getpid()
        return sock

    def _drop(self) -> None:
        sock = getattr(self._local, "sock", None)
        self._local.sock = None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main())
