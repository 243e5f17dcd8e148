"""Socket.IO events between gunicorn workers, through the writer process.

A handheld's websocket lives in one worker, and the scan that should reach it
may be committed through another. python-socketio solves this with a pub/sub
"client manager" (usually Redis): every worker publishes what it emits and
delivers what the others publish to its own connections. This manager uses
the writer process (edge/writer_process.py) as that pub/sub hub, so several
workers need no Redis on the edge box. A Redis URL in
FLOORSCAN_SOCKETIO_MESSAGE_QUEUE still takes precedence.

Events are best-effort, as everywhere in floorscan's live updates: one lost
while the writer process restarts costs a refresh, because the REST API is
the source of truth.
"""
from __future__ import annotations

import logging
import pickle
import socket
import threading
import time

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from edge.wire import encode, read_message

log = logging.getLogger(__name__)


def _connect(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(address)
    except OSError:
        sock.close()
        raise
    return sock


class WriterRelayManager(socketio.PubSubManager):
    name = "floorscan-writer-relay"

    def __init__(self, address: str, channel: str = "socketio"):
        super().__init__(channel=channel)
        self.address = address
        self._lock = threading.Lock()
        self._out: socket.socket | None = None

    # Each event's Socket.IO packet is encoded once, in the worker that emits
    # it, and every worker (itself included) sends that same text to its own
    # connections. python-socketio's pub/sub manager checks the data for
    # binary parts and JSON-encodes it in every worker, and pickles the whole
    # structure through the writer process in between: under the scan load that
    # was ~17% of the server's Python time (docs/performance.md, step 6). Events
    # with callbacks or binary parts take the library's own path.
    # tests/test_writer_process.py checks live events across two workers.

    def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None,
             **kwargs):
        if callback is not None or kwargs.get("ignore_queue"):
            return super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                callback=callback, to=to, **kwargs)
        namespace = namespace or "/"
        # The argument list exactly as socketio.Manager.emit builds it.
        if isinstance(data, tuple):
            args = list(data)
        elif data is not None:
            args = [data]
        else:
            args = []
        # binary=False: the packet class would first walk all of the data looking
        # for bytes, ~40% of a live-event flush under the scan load (docs/performance.md,
        # step 12). JSON cannot encode bytes, so data holding any fails right here
        # and takes the library's own path, which sends them as attachments.
        try:
            encoded = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event] + args,
                                               binary=False).encode()
        except TypeError:
            if not self.server.packet_class.data_is_binary([event] + args):
                raise  # not JSON and not bytes either: the caller's mistake, as before
            encoded = None
        if not isinstance(encoded, str):  # binary attachments, or another serializer: the library's path
            return super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                to=to, **kwargs)
        message = {"method": "emit", "event": event, "encoded": encoded, "namespace": namespace,
                   "room": to or room, "skip_sid": skip_sid, "callback": None, "host_id": self.host_id}
        self._handle_emit(message)  # this worker's connections
        self._publish(message)  # the other workers'

    def _handle_emit(self, message):
        encoded = message.get("encoded")
        if encoded is None:
            return super()._handle_emit(message)
        namespace = message.get("namespace") or "/"
        if namespace not in self.rooms:
            return
        skip = message.get("skip_sid")
        skip = skip if isinstance(skip, list) else [skip]
        eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        for sid, eio_sid in self.get_participants(namespace, message.get("room")):
            if sid not in skip:
                self.server._send_eio_packet(eio_sid, eio_pkt)

    def disconnect_room(self, room: str, namespace: str = "/") -> None:
        """Disconnect every connection in ``room``, in every worker (signing out)."""
        message = {"method": "close_room", "room": room, "namespace": namespace, "disconnect": True,
                   "host_id": self.host_id}
        self._handle_close_room(message)
        self._publish(message)

    def _handle_close_room(self, message):
        if message.get("disconnect"):
            namespace = message.get("namespace") or "/"
            for sid, _ in list(self.get_participants(namespace, message.get("room"))):
                self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
        super()._handle_close_room(message)

    def _publish(self, data):
        frame = encode(("publish", data))
        with self._lock:
            for _ in range(2):  # once more on a fresh connection after a writer restart
                try:
                    if self._out is None:
                        self._out = _connect(self.address)
                    self._out.sendall(frame)
                    return
                except OSError:
                    if self._out is not None:
                        self._out.close()
                    self._out = None
        log.warning("live event not relayed to the other workers: the writer process does not answer")

    def _listen(self):
        pause = 0.1
        while True:
            try:
                sock = _connect(self.address)
                try:
                    sock.sendall(encode(("subscribe",)))
                    pause = 0.1
                    while True:
                        kind, data = read_message(sock)
                        if kind == "event":
                            yield data
                finally:
                    sock.close()
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                log.warning("live-event relay lost (%s); reconnecting in %.1f s", exc, pause)
                time.sleep(pause)
                pause = min(pause * 2, 5.0)


def install(socketio_ext, address: str) -> None:
    """Make this worker's Socket.IO server relay through the writer process.

    Called once per worker right after the app is built, before any client
    connects. Only the websocket transport is offered: a long-polling
    session's requests could land on any worker, and only the one that
    opened it knows it.
    """
    server = socketio_ext.server
    manager = WriterRelayManager(address)
    server.manager = manager
    manager.set_server(server)
    server.manager_initialized = False
    server.eio.transports = ["websocket"]
