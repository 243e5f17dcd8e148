"""The loop front: a handheld's scan answered by the worker's main thread.

gunicorn's gthread worker polls every kept-alive connection on its main thread
and hands each request to a pool thread. For the one request a floor sends
hundreds of times a second, ``POST /api/v1/commands``, that hand-off (a thread
wake-up, a GIL hand-over, a blocking receive from the writer process) cost
more than gunicorn's parsing and the lane together (docs/performance.md,
step 11). Here the main thread reads such a request itself when its
connection becomes readable, sends it to the writer process over one
connection shared by every request of the worker, goes on polling, and writes
the answer when the writer's comes back.

It serves only the plain case, read conservatively: one complete
``POST /api/v1/commands HTTP/1.1`` with a bearer token, a JSON content type
and a Content-Length, nothing the lane would not take, no Expect, Upgrade,
Transfer-Encoding or Connection other than keep-alive. Everything else, and
every request the writer process declines or fails, is pushed back into the
connection's parser untouched and goes to a pool thread as before, where the
lane and the Flask view answer it. Sending one again after a failure is safe:
commands are idempotent by id. The answer is the lane's bytes with the
headers gunicorn writes, the same X-Request-Id, metrics and live events
(tests/test_loop_front.py holds the two paths to that).

Off under TLS, with an access log, or with ``FLOORSCAN_LOOP_FRONT=0``.
"""
from __future__ import annotations

import errno
import logging
import pickle
import selectors
import socket
import time
from functools import partial

from gunicorn import SERVER
from gunicorn.util import http_date

from edge.command_lane import CommandLane
from edge.commands.lane import UNKNOWN_TOKEN, apply_request
from edge.loop_parse import MAX_FIELDS, REQUEST_LINE, Plain, parse
from edge.ops import metrics
from edge.wire import encode, split

__all__ = ["LoopFront", "Plain", "make_front", "parse"]

log = logging.getLogger(__name__)

MAX_WAIT_S = 2.0          # a request still arriving after this goes to a thread
READ_SIZE = 65536


class LoopFront:
    """The gthread worker's main thread as the lane's front (see the module docstring)."""

    def __init__(self, worker, lane: CommandLane):
        self.worker = worker
        self.lane = lane
        self.address = lane.remote.address
        self.sock: socket.socket | None = None
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.waiting: dict[int, tuple] = {}    # rid -> (conn, plain, started, deadline)
        self.reading: dict = {}                 # conn -> (bytes so far, deadline)
        self.next_id = 1
        self.retry_at = 0.0                     # no reconnecting to a writer process that is not there before
        self.max_fields = min(int(worker.cfg.limit_request_fields or MAX_FIELDS), MAX_FIELDS)

    # -- the worker calls these -------------------------------------------------------

    def readable(self, conn) -> bool:
        """A kept-alive connection has bytes: True when the loop took the request."""
        if conn.parser is None or conn.is_http2 or conn.parser.unreader.buf.getvalue():
            return False
        return self._read(conn, b"", time.monotonic() + MAX_WAIT_S)

    def tick(self) -> None:
        """Called every turn of the worker's loop: hand on what waited too long."""
        now = time.monotonic()
        for conn, (data, deadline) in list(self.reading.items()):
            if now > deadline:
                self._stop_reading(conn)
                self._to_thread(conn, data)
        if any(deadline < now for (_, _, _, deadline) in self.waiting.values()):
            # The writer process is stuck: what it owes goes to threads, which
            # time out and word it as the view does.
            self._lost("the writer process did not answer in time")

    def close(self) -> None:
        """The worker's loop is over and its pool shut down: nothing can go to a
        thread now. The handhelds still waiting send again (by command id)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        for conn in [entry[0] for entry in self.waiting.values()] + list(self.reading):
            self._close(conn)
        self.waiting.clear()
        self.reading.clear()

    # -- reading a request ------------------------------------------------------------

    def _read(self, conn, data: bytes, deadline: float) -> bool:
        eof = False
        try:
            while True:
                chunk = conn.sock.recv(READ_SIZE)
                if not chunk:
                    eof = True
                    break
                data += chunk
                if len(chunk) < READ_SIZE:
                    break
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            eof = True
        if not data:
            return False  # the hang-up (or nothing): gthread's thread sees it as always
        plain = parse(data, self.lane.max_bytes, self.max_fields) if self.worker.alive else False
        if plain is None and not eof:
            # The rest is on its way: wait for it here, not in a thread.
            self.reading[conn] = (data, deadline)
            self.worker.poller.register(conn.sock, selectors.EVENT_READ, partial(self._more, conn))
            return True
        if not plain or plain.token in self.lane.declined or not self._send(conn, plain):
            self._to_thread(conn, data)
        return True

    def _more(self, conn, _sock) -> None:
        data, deadline = self._stop_reading(conn)
        self._read(conn, data, deadline)

    def _stop_reading(self, conn):
        self.worker.poller.unregister(conn.sock)
        return self.reading.pop(conn)

    def _to_thread(self, conn, data: bytes) -> None:
        """Put the bytes back where gunicorn's parser reads first, and let a thread serve them."""
        if data.startswith(REQUEST_LINE):
            self._count("handed_on")  # a scan after all; other requests are simply the threads'
        conn.parser.unreader.unread(data)
        conn.data_ready = True
        self.worker.enqueue_req(conn)

    # -- the writer process ------------------------------------------------------------

    def _send(self, conn, plain: Plain) -> bool:
        if self.sock is None and not self._connect():
            return False
        rid = self.next_id
        self.next_id += 1
        started = time.perf_counter()
        frame = encode(("call", rid, apply_request.__name__, (plain.token, plain.body, self.lane.limit), {}))
        self.waiting[rid] = (conn, plain, started, time.monotonic() + (self.lane.timeout or 60))
        if self.outbox:
            self.outbox += frame
            return True
        try:
            sent = self.sock.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._lost("the connection to the writer process broke")
            return True  # _lost handed this request to a thread too
        if sent < len(frame):
            self.outbox += frame[sent:]
            self.worker.poller.modify(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self._ready)
        return True

    def _connect(self) -> bool:
        if time.monotonic() < self.retry_at:
            return False
        sock = None
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(0.5)
            sock.connect(self.address)
        except OSError:
            if sock is not None:
                sock.close()
            # The threads' RemoteWriter waits for a restarted writer process; try again in a second.
            self.retry_at = time.monotonic() + 1.0
            return False
        sock.setblocking(False)
        self.sock = sock
        self.worker.poller.register(sock, selectors.EVENT_READ, self._ready)
        return True

    def _ready(self, sock) -> None:
        if self.sock is None or sock is not self.sock:
            return None  # an event of a connection _lost() already closed, in the same poll
        if self.outbox:
            try:
                sent = self.sock.send(self.outbox)
                del self.outbox[:sent]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                return self._lost("the connection to the writer process broke")
            if not self.outbox:
                self.worker.poller.modify(self.sock, selectors.EVENT_READ, self._ready)
        try:
            chunk = self.sock.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            chunk = b""
        if not chunk:
            return self._lost("the writer process closed the connection")
        self.inbox += chunk
        for message in split(self.inbox):
            try:
                rid, ok, value = pickle.loads(message)
            except Exception:  # noqa: BLE001 - a broken stream: nothing on it can be trusted
                return self._lost("the writer process sent what could not be read")
            entry = self.waiting.pop(rid, None)
            if entry is not None:
                self._answer(entry, ok, value)
        return None

    def _lost(self, why: str) -> None:
        """Every request the writer process owes goes to a thread; the next one reconnects."""
        if self.sock is not None:
            log.warning("loop front: %s; %d requests go to threads", why, len(self.waiting))
            try:
                self.worker.poller.unregister(self.sock)
            except (KeyError, ValueError):
                pass
            self.sock.close()
        self.sock = None
        self.inbox.clear()
        self.outbox.clear()
        waiting, self.waiting = self.waiting, {}
        for conn, plain, _, _ in waiting.values():
            self._to_thread(conn, plain.raw)

    # -- answering -------------------------------------------------------------------

    def _answer(self, entry, ok: bool, value) -> None:
        conn, plain, started, _ = entry
        if not ok or value is None or value == UNKNOWN_TOKEN:
            if ok and value == UNKNOWN_TOKEN:
                self.lane.decline(plain.token)
            # Declined (the view answers) or failed (the thread's lane tries
            # again and the view words what it gets): nothing was written, or
            # it was and the command ids make the second time a duplicate.
            return self._to_thread(conn, plain.raw)
        data, statuses, posts = value
        worker = self.worker
        worker.nr += 1
        if worker.nr >= worker.max_requests and worker.alive:
            worker.log.info("Autorestarting worker after current request.")
            worker.alive = False
        # As gthread's handle_request: close when stopping or when enough connections are kept.
        close = not worker.alive or not worker.cfg.keepalive or len(worker.keepalived_conns) >= worker.max_keepalived
        head = (f"HTTP/1.1 200 OK\r\nServer: {SERVER}\r\nDate: {http_date()}\r\n"
                f"Connection: {'close' if close else 'keep-alive'}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                f"X-Request-Id: {plain.request_id}\r\n\r\n").encode("latin-1")
        self.lane.answered(started, statuses, posts)
        self._count("answered")
        if close:
            # gunicorn's graceful close blocks (it drains what the handheld still sends): a thread's job.
            return self._in_thread(conn, head + data, keep=False)
        return self._write(conn, head + data)

    def _write(self, conn, out: bytes) -> None:
        try:
            sent = conn.sock.send(out)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                log.warning("loop front: writing an answer failed: %s", exc)
            return self._close(conn)
        if sent < len(out):
            # A full socket buffer (a handheld that stopped reading): a thread
            # finishes the write, with gunicorn's blocking socket and its timeout.
            return self._in_thread(conn, out[sent:], keep=True)
        return self._keep(conn)

    def _in_thread(self, conn, out: bytes, keep: bool) -> None:
        """A thread writes ``out``; gthread's finish_request then keeps or closes the connection."""
        future = self.worker.tpool.submit(self._write_blocking, conn, out, keep)
        future.add_done_callback(lambda fut: self.worker.method_queue.defer(self.worker.finish_request, conn, fut))

    @staticmethod
    def _write_blocking(conn, out: bytes, keep: bool) -> bool:
        conn.sock.setblocking(True)
        conn.sock.settimeout(30)
        try:
            conn.sock.sendall(out)
        except OSError:
            return False
        finally:
            conn.sock.settimeout(None)
        return keep

    @staticmethod
    def _count(outcome: str) -> None:
        try:
            metrics.record_front(outcome)
        except Exception:  # noqa: BLE001 - counting must never cost a handheld its answer
            pass

    def _keep(self, conn) -> None:
        """Back to gthread's kept-alive connections, as finish_request does."""
        worker = self.worker
        conn.set_timeout()
        worker.keepalived_conns.append(conn)
        worker.poller.register(conn.sock, selectors.EVENT_READ, partial(worker.on_client_socket_readable, conn))

    def _close(self, conn) -> None:
        self.worker.nr_conns -= 1
        conn.close()


def make_front(worker) -> LoopFront | None:
    """The worker's loop front, or None where it does not apply (see the module docstring)."""
    app = getattr(worker, "wsgi", None)
    lane = getattr(getattr(app, "wsgi_app", None), "app", None)
    if not isinstance(lane, CommandLane) or not lane.app.config.get("LOOP_FRONT"):
        return None
    if worker.cfg.is_ssl or worker.cfg.accesslog:
        return None  # TLS needs gunicorn's socket wrapping; the access log its request objects
    return LoopFront(worker, lane)
