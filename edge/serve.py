"""Run the edge under gunicorn, as production does.

One gthread worker: the SQLite writer and Socket.IO rooms live in the
process; threads serve the handhelds. Several workers need a Redis message
queue for Socket.IO (FLOORSCAN_SOCKETIO_MESSAGE_QUEUE) and then each worker
has its own writer, serialised by SQLite's lock (see docs/operations.md).
"""
from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication


class EdgeServer(BaseApplication):
    def __init__(self, db_path: str, options: dict):
        self.db_path = db_path
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:  # older gunicorns lack some settings
                self.cfg.set(key, value)

    def load(self):
        from edge.app import create_app
        return create_app({"DATABASE": self.db_path})


def options(host: str, port: int, threads: int = 64, workers: int | None = None) -> dict:
    return {
        "bind": f"{host}:{port}",
        "workers": workers or int(os.environ.get("FLOORSCAN_WORKERS", "1")),
        "worker_class": "gthread",
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
    }


def serve(db_path: str, host: str = "0.0.0.0", port: int = 8000, threads: int = 64) -> None:
    EdgeServer(os.path.abspath(db_path), options(host, port, threads)).run()
