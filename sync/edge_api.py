"""GET /api/v1/sync/status, and the ``sync.status`` live event to supervisors.

The sync loop runs in a process of its own (sync/loop.py) and writes its
state to ``sync_state``; this side only reads it. Every gunicorn worker of
`floorscan serve --central` watches that row (one cheap read every
STATUS_POLL_S) and, when something a supervisor cares about changed, emits
``sync.status`` to the supervisors connected *to that worker* only: each
worker tells its own connections, so nobody hears it twice, and it works
with one worker, several, or a sync loop started separately.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Blueprint, jsonify

from edge.api.common import read
from edge.api.spec import SUPERVISORS, endpoint
from sync import apply  # noqa: F401 - registers the sync_refused exception kind for the queue's screens
from sync import status

log = logging.getLogger(__name__)

bp = Blueprint("sync", __name__, url_prefix="/api/v1")
TAGS = ("sync",)
STATUS_POLL_S = 2.0
# What makes a new event: not the timestamps of every quiet round.
WATCHED = ("status", "backlog", "up_cursor", "down_cursor", "outbox_pending", "outbox_refused", "last_error", "failures")
# ... but at least this often, so "last success" on a screen stays fresh.
HEARTBEAT_S = 30.0


@endpoint(bp, "/sync/status", roles=SUPERVISORS, tags=TAGS)
def sync_status():
    """Sync with central: backlog (movements central lacks), up and down cursors, lag of the oldest
    unsynced movement, last success, last error and when the next attempt is due."""
    return jsonify(status.read(read()))


def _fingerprint(now: dict) -> tuple:
    return tuple(now[k] for k in WATCHED)


def start_status_events(app, interval: float = STATUS_POLL_S) -> threading.Thread:
    """In a serving worker: emit ``sync.status`` to this worker's supervisors when it changes."""
    from edge.realtime import socketio

    stop = threading.Event()
    app.extensions["floorscan_sync_events"] = stop

    def watch():
        last, sent_at, conn = None, 0.0, None
        while not stop.wait(interval):
            try:
                if conn is None:
                    from edge.db import connect
                    conn = connect(app.extensions["floorscan"].path, readonly=True)
                now = status.read(conn)
                if _fingerprint(now) != last or time.monotonic() - sent_at >= HEARTBEAT_S:
                    # ignore_queue: this worker's connections only (see the module docstring).
                    socketio.server.emit("sync.status", now, to="supervisors", namespace="/", ignore_queue=True)
                    last, sent_at = _fingerprint(now), time.monotonic()
            except Exception:  # noqa: BLE001 - a lost event costs nothing: GET /sync/status has it
                log.exception("sync status event failed")
        if conn is not None:
            conn.close()

    thread = threading.Thread(target=watch, name="floorscan-sync-events", daemon=True)
    thread.start()
    return thread
