"""Run the edge under gunicorn, as production does.

gthread workers serve the handhelds with threads. With more than one worker
the gunicorn master first starts the writer process (edge/writer_process.py),
which commits every worker's commands with one group commit, and Socket.IO
events travel between the workers through it (edge/relay.py). See
docs/performance.md for the measurements behind the defaults.
"""
from __future__ import annotations

import atexit
import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

log = logging.getLogger("edge.serve")

# How long a thread waits for the next request on the connection it just answered.
LINGER_S = 0.05
# Threads a worker keeps free for new connections instead of lingering.
POOL_RESERVE = 4


def default_workers() -> int:
    """FLOORSCAN_WORKERS, else 2 on a machine with two or more cores.

    One CPython process runs Python on one core at a time; a second worker
    (with the writer process) uses the second core of a small edge box.
    """
    configured = os.environ.get("FLOORSCAN_WORKERS", "").strip()
    if configured:
        return max(1, int(configured))
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def writer_process_wanted(workers: int) -> bool:
    """FLOORSCAN_WRITER_PROCESS: auto (with more than one worker), on, off."""
    mode = os.environ.get("FLOORSCAN_WRITER_PROCESS", "auto").strip().lower()
    if mode in ("1", "on", "true", "yes"):
        return True
    if mode in ("0", "off", "false", "no"):
        return False
    return workers > 1


class WriterSupervisor:
    """Starts the writer process for the gunicorn master, restarts it if it dies, stops it last."""

    def __init__(self, db_path: str, synchronous: str):
        self.db_path, self.synchronous = db_path, synchronous
        self.directory = self.address = None
        self.proc: subprocess.Popen | None = None
        self._master = os.getpid()
        self._stopping = threading.Event()

    def start(self) -> None:
        """In the gunicorn master, before it forks the workers (they inherit ``address``)."""
        self._master = os.getpid()
        self.directory = tempfile.mkdtemp(prefix="floorscan-writer-")  # mode 0700: only this user
        self.address = os.path.join(self.directory, "writer.sock")
        self._spawn()
        # Also when gunicorn gives up before on_exit (its port is taken, say).
        atexit.register(self.stop)
        threading.Thread(target=self._watch, name="floorscan-writer-watch", daemon=True).start()

    def _spawn(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge.writer_process", "--db", self.db_path, "--socket", self.address,
             "--synchronous", self.synchronous],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if line.strip() != b"ready":
            self.proc.wait(10)
            raise RuntimeError(f"the writer process did not start (exit status {self.proc.returncode})")

    def _watch(self) -> None:
        while not self._stopping.is_set():
            proc = self.proc
            proc.wait()
            # When the whole server is told to stop, the writer process may finish
            # (its workers gone) a moment before the master calls stop().
            if self._stopping.wait(2.0):
                return
            log.error("the writer process exited (status %s); starting it again", proc.returncode)
            while not self._stopping.is_set():
                try:
                    self._spawn()
                    break
                except Exception:  # noqa: BLE001 - keep trying: without it no command is applied
                    log.exception("could not start the writer process; trying again in 1 s")
                    time.sleep(1)

    def stop(self) -> None:
        if os.getpid() != self._master:
            return  # a forked worker inherits the atexit hook; the writer process is not its to stop
        self._stopping.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)


class EdgeThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, but the thread that answered on a kept-alive
    connection waits a moment for that connection's next request itself.

    gthread hands every kept-alive connection back to the worker's main thread
    after each answer; the main thread polls it and hands the next request to
    a pool thread again: two thread wake-ups and GIL hand-overs. A handheld
    that is busy sends its next scan within milliseconds, so the thread that
    has its connection waits up to LINGER_S for it, unless the pool is nearly
    full (websockets hold threads for as long as they are open). With a trivial
    WSGI app this cut gunicorn's own CPU per request by a quarter. Whatever
    gunicorn version does not return True from handle() for a kept-alive
    connection simply gets plain gthread behaviour.
    """

    front = None  # edge.loop_front.LoopFront, when this worker serves scans on its main thread

    def init_process(self):
        self._busy = 0
        self._busy_lock = threading.Lock()
        super().init_process()

    def run(self):
        from edge.loop_front import make_front
        self.front = make_front(self)
        try:
            super().run()
        finally:
            if self.front is not None:
                self.front.close()

    def on_client_socket_readable(self, conn, client):
        if self.front is None:
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        if not self.front.readable(conn):
            self.enqueue_req(conn)
        return None

    def murder_keepalived(self, force=False):
        super().murder_keepalived(force)
        if self.front is not None:
            self.front.tick()  # once per turn of the main loop

    def handle(self, conn):
        with self._busy_lock:
            self._busy += 1
        try:
            result = super().handle(conn)
            # With the loop front the connection goes back to the main thread,
            # which serves the next scan itself.
            while result is True and self.alive and self.front is None and self._next_request_soon(conn):
                result = super().handle(conn)
            return result
        finally:
            with self._busy_lock:
                self._busy -= 1

    def _next_request_soon(self, conn) -> bool:
        try:
            if conn.parser.unreader.buf.getvalue():
                return True  # pipelined: already here
        except AttributeError:
            return False
        if self._busy > self.cfg.threads - POOL_RESERVE:
            return False
        readable, _, _ = select.select([conn.sock], [], [], LINGER_S)
        return bool(readable)


class EdgeServer(BaseApplication):
    def __init__(self, db_path: str, options: dict, writer_process: bool = False,
                 central: tuple[str, str] | None = None):
        self.db_path = db_path
        self.options = options
        self.writer: WriterSupervisor | None = None
        if writer_process:
            from edge.config import load
            self.writer = WriterSupervisor(db_path, load({"DATABASE": db_path})["SYNCHRONOUS"])
        # One sync process per server, kept alive by the master (sync/loop.py says why not a thread).
        self.sync = None
        if central:
            from sync.loop import SyncSupervisor
            self.sync = SyncSupervisor(db_path, *central)
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:  # older gunicorns lack some settings
                self.cfg.set(key, value)
        if self.writer is not None or self.sync is not None:
            self.cfg.set("on_starting", self._on_starting)
            self.cfg.set("on_exit", self._on_exit)

    def _on_starting(self, arbiter):
        from edge.db import init_db
        init_db(self.db_path)  # migrations first, before anyone writes
        if self.writer is not None:
            self.writer.start()
        if self.sync is not None:
            self.sync.start()

    def _on_exit(self, arbiter):
        if self.sync is not None:
            self.sync.stop()
        if self.writer is not None:
            self.writer.stop()

    def load(self):
        from edge.app import create_app
        from edge.realtime import socketio
        app = create_app({"DATABASE": self.db_path})
        if self.sync is not None:
            from sync.edge_api import start_status_events
            start_status_events(app)  # sync.status to this worker's supervisors
        if self.writer is not None:
            from edge.writer_process import RemoteWriter
            remote = app.extensions["floorscan_writer_process"] = RemoteWriter(self.writer.address)
            if app.config["COMMAND_LANE"]:
                from edge import command_lane
                command_lane.install(app, remote)
        if self.cfg.workers > 1:
            if app.config.get("SOCKETIO_MESSAGE_QUEUE"):
                # Redis carries the events; a long-polling session would still
                # need every request to reach the worker that opened it.
                socketio.server.eio.transports = ["websocket"]
            elif self.writer is not None:
                from edge import relay
                relay.install(socketio, self.writer.address)
            else:
                log.warning("%d workers without the writer process or a message queue: a live event "
                            "reaches only the connections of the worker that sent it", self.cfg.workers)
        freeze_heap()
        return app


def freeze_heap() -> None:
    """Keep what the process has loaded (Flask, pydantic, the app: ~100k objects)
    out of the cyclic garbage collector's full collections.

    A full collection walked them all: 60-75 ms with the GIL held on this box,
    a stall for every request of the worker, again and again under the scan
    load (docs/performance.md, step 6). Frozen objects are never collected; they are modules, classes
    and the app, which live as long as the process anyway.
    """
    import gc
    gc.collect()
    gc.freeze()


def options(host: str, port: int, threads: int = 64, workers: int | None = None) -> dict:
    return {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(),
        "worker_class": os.environ.get("FLOORSCAN_WORKER_CLASS", "edge.serve.EdgeThreadWorker"),
        "threads": threads,
        # Socket.IO long-polling and websockets hold a thread; no request timeout kill.
        "timeout": 0,
        "graceful_timeout": 10,
        "keepalive": 30,
        "accesslog": os.environ.get("FLOORSCAN_ACCESS_LOG"),
        "loglevel": os.environ.get("FLOORSCAN_LOG_LEVEL", "info"),
        # gunicorn >= 25 opens a control socket at one fixed path per user; two
        # edges (or a test and the demo) on one box would fight over it.
        "control_socket_disable": True,
        # JSON (or text) log lines with request ids; access log only with FLOORSCAN_ACCESS_LOG.
        "logger_class": "edge.ops.logs.GunicornLogger",
    }


def serve(db_path: str, host: str = "0.0.0.0", port: int = 8000, threads: int = 64,
          central: tuple[str, str] | None = None, tls: tuple[str, str] | None = None) -> None:
    """``central``: (url, token) to run the sync loop beside the server; ``tls``: (certfile, keyfile)."""
    opts = options(host, port, threads)
    if tls:
        opts.update(certfile=tls[0], keyfile=tls[1])
    from edge.ops.metrics import prepare_multiprocess
    prepare_multiprocess()  # before the workers fork: they share /metrics' counters through it
    EdgeServer(os.path.abspath(db_path), opts, writer_process=writer_process_wanted(opts["workers"]),
               central=central).run()
