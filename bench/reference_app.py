"""The naive reference for bench/scan_load.py: a bare Flask endpoint that
does one durable SQLite insert per request.

Each request thread (or sync worker) has its own connection and commits its
own row: WAL, synchronous=FULL, so every answer waits for its own fsync.
It answers in floorscan's result shape so the same load generator judges it.

    python bench/reference_app.py --db /tmp/ref.db --port 8001 [--worker-class sync --workers 2]

Worker settings default to exactly what `floorscan serve` uses (edge.serve.options).
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import threading
from pathlib import Path

from flask import Flask, jsonify, request
from gunicorn.app.base import BaseApplication

SCHEMA = """CREATE TABLE IF NOT EXISTS scan (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)"""


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def create_app(db_path: str) -> Flask:
    app = Flask(__name__)
    local = threading.local()
    init = connect(db_path)
    init.execute(SCHEMA)
    init.close()

    @app.get("/health")
    def health():
        return jsonify({"status": "ok"})

    @app.post("/api/v1/commands")
    def commands():
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = connect(db_path)
        results = []
        for cmd in request.get_json()["commands"]:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO scan (id, type, payload) VALUES (?,?,?)",
                         (cmd["id"], cmd["type"], json.dumps(cmd["payload"])))
            conn.execute("COMMIT")
            results.append({"id": cmd["id"], "status": "applied"})
        return jsonify({"results": results})

    return app


class ReferenceServer(BaseApplication):
    def __init__(self, db_path: str, options: dict):
        self.db_path, self.options = db_path, options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self.db_path)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from edge.serve import options

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--worker-class", default=None, help="default: as floorscan serve (gthread)")
    p.add_argument("--workers", type=int, default=None, help="default: as floorscan serve (1)")
    p.add_argument("--threads", type=int, default=64, help="default: as floorscan serve (64)")
    args = p.parse_args()
    opts = options("127.0.0.1", args.port, threads=args.threads, workers=args.workers)
    if args.worker_class:
        opts["worker_class"] = args.worker_class
    ReferenceServer(os.path.abspath(args.db), opts).run()


if __name__ == "__main__":
    main()
