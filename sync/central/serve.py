"""Run central under gunicorn (gthread workers).

Why gunicorn and not Flask's threaded server: batches are CPU work (gunzip,
JSON, validation), so one process per core is what uses a 2-core box;
gunicorn restarts a crashed worker and drains on SIGTERM. Every worker opens
its own store connections after the fork; batches of one warehouse still
serialize in the database (BEGIN IMMEDIATE on SQLite, the warehouse row lock
on PostgreSQL), so any number of workers is safe.
"""
from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication


def default_workers() -> int:
    configured = os.environ.get("FLOORSCAN_CENTRAL_WORKERS", "").strip()
    if configured:
        return max(1, int(configured))
    return 2 if (os.cpu_count() or 1) >= 2 else 1


class CentralApplication(BaseApplication):
    def __init__(self, store_url: str, options: dict, read_only: bool = False):
        self.store_url = store_url
        self.options = options
        self.read_only = read_only
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from sync.central.app import create_app
        return create_app(self.store_url, {"READ_ONLY": self.read_only})


def serve(store_url: str, host: str, port: int, threads: int, *, read_only: bool = False) -> int:
    options = {
        "bind": f"{host}:{port}",
        "workers": default_workers(),
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 120,          # a 32 MiB batch on a slow disk takes a while; never kill it half-way
        "graceful_timeout": 30,
        "keepalive": 30,         # the sync loop sends batch after batch on one connection
        "accesslog": None,
        "errorlog": "-",
        # gunicorn >= 25 opens a control socket at one fixed path per user: a second
        # server on the box (an edge, another central) would take it over.
        "control_socket_disable": True,
    }
    print(f"floorscan central on http://{host}:{port} over {store_url.split('@')[-1]} "
          f"({options['workers']} workers x {threads} threads{', read-only' if read_only else ''})", flush=True)
    CentralApplication(store_url, options, read_only).run()
    return 0
