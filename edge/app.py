"""The edge server's application factory."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, redirect

from edge import config as config_mod
from edge.db import Readers, init_db
from edge.writer import Writer


class Edge:
    """What the app holds: the database path, the single writer and the readers."""

    def __init__(self, path: str, synchronous: str = "FULL", write_timeout: float = 60):
        self.path = path
        self.write_timeout = write_timeout
        self.writer = Writer(path, synchronous=synchronous)
        self.readers = Readers(path)

    def read(self):
        return self.readers.get()

    def write(self, job, timeout: float | None = None):
        return self.writer.run(job, timeout or self.write_timeout)

    def close(self):
        self.writer.close()


def create_app(overrides: dict | None = None) -> Flask:
    cfg = config_mod.load(overrides)
    app = Flask(__name__, static_folder=None)
    app.config.update(cfg)
    app.json.sort_keys = False
    proxies = int(cfg.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind a TLS proxy every handheld would share the proxy's address,
        # and one person's wrong PINs would lock out the whole floor.
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    db_path = str(Path(cfg["DATABASE"]).resolve())
    # Opening a server on a missing or old database should just work.
    init_db(db_path)
    app.extensions["floorscan"] = Edge(db_path, synchronous=cfg["SYNCHRONOUS"],
                                          write_timeout=float(cfg["WRITE_TIMEOUT_SECONDS"]))

    import edge.workflows  # noqa: F401  (registers every command type)
    from edge.api import errors
    errors.install(app)
    from edge.api import register_blueprints
    register_blueprints(app)
    from edge import realtime
    realtime.init_app(app)
    from edge.ops.logs import RequestIds
    app.wsgi_app = RequestIds(app.wsgi_app)  # X-Request-Id in and out, and in every log line

    pwa_dir = Path(__file__).resolve().parent.parent / "pwa"

    @app.get("/")
    def index():
        if (pwa_dir / "index.html").exists():
            return redirect("/app/")
        return redirect("/api/docs")

    if pwa_dir.is_dir():
        from flask import send_from_directory

        # Types a browser insists on: module scripts, the manifest, and wasm
        # (which WebAssembly.instantiateStreaming refuses under any other type).
        pwa_types = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                     ".webmanifest": "application/manifest+json"}

        @app.get("/app")
        def pwa_root():
            return redirect("/app/")

        @app.get("/app/")
        @app.get("/app/<path:name>")
        def pwa(name: str = "index.html"):
            resp = send_from_directory(pwa_dir, name, mimetype=pwa_types.get(Path(name).suffix))
            if name in ("sw.js", "precache.js", "index.html"):
                # The service worker decides what is cached; the HTTP cache must
                # never hand it an old copy of itself or of the shell page.
                resp.headers["Cache-Control"] = "no-cache"
                resp.headers["Service-Worker-Allowed"] = "/app/"
            return resp

    logging.getLogger("edge").setLevel(logging.INFO)
    return app
