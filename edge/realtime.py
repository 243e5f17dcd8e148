"""Live updates over Socket.IO.

Connections authenticate with the same bearer token as the REST API and join
rooms: ``user:<id>``, ``role:<role>``, ``supervisors`` and any ``zone:<z>``
they ask for. Events are emitted after commit, and coalesced: changes pile up
for EVENT_FLUSH_SECONDS and go out as one event per room, so a burst of scans
costs one message per interested device, not one per scan per device.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone

from flask import current_app, request
from flask_socketio import SocketIO, join_room, leave_room

from edge.auth import authenticate, bearer_token, hash_token

log = logging.getLogger(__name__)

socketio = SocketIO()


def init_app(app) -> None:
    socketio.init_app(app, async_mode="threading", cors_allowed_origins=app.config.get("CORS_ORIGINS") or [],
                      message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"))
    app.extensions["floorscan_realtime"] = _Pending(float(app.config["EVENT_FLUSH_SECONDS"]))
    app.wsgi_app = _SocketIOPathsOnly(app.wsgi_app, app)
    app.extensions["floorscan_sweep"] = _Sweeper(app, float(app.config["SOCKET_SWEEP_SECONDS"]))


class _SocketIOPathsOnly:
    """Send only /socket.io/ requests through Socket.IO's WSGI middleware.

    Flask-SocketIO's middleware copies the environ and engineio's defines a
    class on every request under gunicorn (~15 us, and garbage with reference
    cycles for the collector), for every API request too. Everything else goes
    straight to Flask, as that middleware would send it (it serves no static
    files here), with the same ``flask.app`` in the environ.
    """

    def __init__(self, middleware, app):
        self.middleware = middleware
        self.app = app
        self.flask_wsgi = getattr(middleware, "wsgi_app", None)
        self.prefix = getattr(middleware, "engineio_path", None)
        if self.flask_wsgi is None or not self.prefix or getattr(middleware, "static_files", None):
            self.prefix = ""  # not the middleware we know: every request through it

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or ""
        if not self.prefix or path.startswith(self.prefix):
            return self.middleware(environ, start_response)
        environ["flask.app"] = self.app
        return self.flask_wsgi(environ, start_response)


def _token_from(auth) -> str | None:
    if isinstance(auth, dict) and auth.get("token"):
        return str(auth["token"])
    return bearer_token(request.headers.get("Authorization")) or request.args.get("token")


@socketio.on("connect")
def on_connect(auth=None):
    token = _token_from(auth)
    user = authenticate(current_app.extensions["floorscan"].read(), token) if token else None
    if user is None:
        # Refuses the connection; the client sees connect_error with this message.
        raise ConnectionRefusedError("unauthorized: sign in and pass auth={token}")
    # Remember which connections ride on which token, so signing out closes them
    # (and the sweep below closes them when the token expires or its user goes).
    join_room(f"token:{hash_token(token)}")
    current_app.extensions["floorscan_sweep"].start()
    join_room(f"user:{user['id']}")
    join_room(f"role:{user['role']}")
    if user["role"] in ("supervisor", "admin"):
        join_room("supervisors")
    socketio.emit("hello", {"user": {k: user[k] for k in ("id", "name", "role")}}, to=request.sid)


@socketio.on("zone.join")
def on_zone_join(data):
    zone = (data or {}).get("zone") if isinstance(data, dict) else None
    if not zone or not isinstance(zone, str) or len(zone) > 32:
        return {"ok": False, "error": "send {zone: '<zone>'}"}
    join_room(f"zone:{zone}")
    return {"ok": True}


@socketio.on("zone.leave")
def on_zone_leave(data):
    zone = (data or {}).get("zone") if isinstance(data, dict) else None
    if isinstance(zone, str):
        leave_room(f"zone:{zone}")
    return {"ok": True}


def close_token(token: str) -> None:
    """Disconnect every live connection that signed in with this token."""
    room = f"token:{hash_token(token)}"
    manager = socketio.server.manager
    if hasattr(manager, "disconnect_room"):  # several workers: edge/relay.py tells them all
        manager.disconnect_room(room, namespace="/")
        return
    for sid, _ in list(manager.get_participants("/", room)):
        socketio.server.disconnect(sid, namespace="/")


class _Sweeper:
    """Closes this process's live connections whose token has expired or been
    revoked, or whose user was deactivated, every ``every`` seconds.

    A connection is checked when it connects; REST checks the token on every
    request, but an open socket kept receiving supervisor events for as long as
    it stayed up. Each worker sweeps its own connections, so this also closes
    what a sign-out on another worker could not reach (a Redis message queue
    has no disconnect_room)."""

    def __init__(self, app, every: float):
        self.app, self.every = app, every
        self.server = socketio.server  # this app's; a later init_app (tests make many apps) replaces it
        self.started = False
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.started or self.every <= 0:
                return
            self.started = True
        socketio.start_background_task(self._run)

    def _run(self) -> None:
        while socketio.server is self.server:  # else another app took the Socket.IO server over
            time.sleep(self.every)
            try:
                sweep(self.app)
            except Exception:  # noqa: BLE001 - the next pass tries again
                log.exception("live connection sweep failed")


def sweep(app) -> int:
    """One pass (see _Sweeper); the number of connections closed."""
    server = app.extensions["floorscan_sweep"].server
    if server is not socketio.server:
        return 0  # not this app's connections any more
    rooms = dict(server.manager.rooms.get("/", {}))  # a copy: connections come and go meanwhile
    by_token = {room[len("token:"):]: list(sids) for room, sids in rooms.items()
                if isinstance(room, str) and room.startswith("token:") and sids}
    if not by_token:
        return 0
    now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    hashes = list(by_token)
    good: set[str] = set()
    with app.app_context():
        conn = app.extensions["floorscan"].read()
        for i in range(0, len(hashes), 500):
            chunk = hashes[i:i + 500]
            good.update(r[0] for r in conn.execute(
                f"SELECT s.token_hash FROM session s JOIN user u ON u.id = s.user_id "
                f"WHERE s.token_hash IN ({','.join('?' * len(chunk))}) AND s.revoked_at IS NULL AND u.active "
                f"AND s.expires_at > ?", [*chunk, now]))
    closed = 0
    for digest, sids in by_token.items():
        if digest not in good:
            for sid in sids:
                server.disconnect(sid, namespace="/")
                closed += 1
    return closed


class _Pending:
    """Committed posts waiting for the next flush, per app."""

    def __init__(self, flush_seconds: float):
        self.flush_seconds = flush_seconds
        self.lock = threading.Lock()
        self.posts: list = []
        self.scheduled = False


def publish(posts, app=None) -> None:
    """Queue the results of committed posts for the next flush (``app``: outside
    a request context, as the command lane calls it)."""
    if not posts:
        return
    app = app or current_app._get_current_object()
    pending: _Pending = app.extensions["floorscan_realtime"]
    with pending.lock:
        pending.posts.extend(posts)
        if pending.scheduled:
            return
        pending.scheduled = True
    timer = threading.Timer(pending.flush_seconds, _flush, args=(app,))
    timer.daemon = True
    timer.start()


def _flush(app) -> None:
    pending: _Pending = app.extensions["floorscan_realtime"]
    with pending.lock:
        posts, pending.posts = pending.posts, []
        pending.scheduled = False
    if not posts:
        return
    try:
        with app.app_context():
            _emit(app, posts)
    except Exception:  # noqa: BLE001 - a lost event costs nothing: clients refresh from REST
        log.exception("live event flush failed")


def _emit(app, posts) -> None:
    movements, exceptions = [], []
    latest: dict[tuple, dict] = {}
    for post in posts:
        movements.extend(post.movements)
        exceptions.extend(post.exceptions)
        for ch in post.changes:
            latest[(ch.bin, ch.sku, ch.lot)] = {"bin": ch.bin, "sku": ch.sku, "lot": ch.lot or None, "qty": ch.qty}
    conn = app.extensions["floorscan"].read()
    bins = sorted({k[0] for k in latest})
    zones = {}
    for i in range(0, len(bins), 500):
        chunk = bins[i:i + 500]
        marks = ",".join("?" * len(chunk))
        zones.update({r["code"]: r["zone"] for r in conn.execute(
            f"SELECT code, zone FROM bin WHERE code IN ({marks})", chunk)})
    by_zone: dict[str, list] = defaultdict(list)
    for key, change in latest.items():
        by_zone[zones.get(key[0], "")].append(change)
    changes = list(latest.values())
    socketio.emit("stock.changed", {"changes": changes}, to="supervisors")
    for zone, zone_changes in by_zone.items():
        if zone:
            socketio.emit("stock.changed", {"changes": zone_changes}, to=f"zone:{zone}")
    if movements:
        socketio.emit("movement.recorded", {"movements": movements}, to="supervisors")
    if exceptions:
        socketio.emit("exception.raised", {"exceptions": exceptions}, to="supervisors")
    for post in posts:
        for event, payload, rooms in getattr(post, "notices", ()):
            notify(event, payload, rooms)
    changed = [ch for post in posts for ch in post.changes]
    for hook in COMMIT_HOOKS:
        try:
            hook(app, changed)
        except Exception:  # noqa: BLE001 - one area's hook must not stop the others' events
            log.exception("after-commit hook %s failed", getattr(hook, "__qualname__", hook))


# Areas that react to committed stock changes (low-stock alerts, pick-face refills:
# edge/api/replenishment.py) register here with on_commit(); each hook gets the app
# and the changes of one flush, on the live-event thread, after the commit.
COMMIT_HOOKS: list = []


def on_commit(hook):
    if hook not in COMMIT_HOOKS:
        COMMIT_HOOKS.append(hook)
    return hook


def notify(event: str, payload: dict, rooms: list[str]) -> None:
    """Send one task-level event (task.assigned, list.changed, count.requested,
    exception.raised ...) to the given rooms. Call it after the write committed;
    never with a room of every device."""
    for room in rooms:
        socketio.emit(event, payload, to=room)

