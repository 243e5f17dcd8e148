"""create_app(store_url): the central service (docs/sync.md)."""
from __future__ import annotations

import sqlite3

import psycopg
from flask import Blueprint, Flask, current_app, jsonify

from edge.api.errors import install as install_problem_handlers
from edge.api.errors import respond
from edge.problems import problem
from sync.central.spec import MAX_BODY, build_document, endpoint
from sync.central.store import open_store

docs_bp = Blueprint("central_docs", __name__)


@endpoint(docs_bp, "/api/v1/openapi.json", auth=None, tags=("docs",))
def openapi():
    """This document."""
    return jsonify(build_document(current_app.url_map))


@endpoint(docs_bp, "/api/v1/health", auth=None, tags=("docs",))
def health():
    """Liveness check for load balancers and `floorscan central serve`."""
    return jsonify({"status": "ok", "service": "central"})


def create_app(store_url: str, config: dict | None = None) -> Flask:
    """The central service. config READ_ONLY=True serves only the read API and
    writes nothing (no migrations either): for a PostgreSQL streaming replica."""
    from sync.central import api_erp, api_read, api_reports, api_sync
    app = Flask("floorscan-central")
    # The raw (maybe gzipped) body; the gunzipped size is checked separately (spec.body_bytes).
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, JSON_SORT_KEYS=False, READ_ONLY=False)
    app.config.update(config or {})
    app.json.sort_keys = False
    store = open_store(store_url)
    app.extensions["central"] = store if app.config["READ_ONLY"] else store.init()
    install_problem_handlers(app)

    @app.errorhandler(sqlite3.OperationalError)
    @app.errorhandler(psycopg.OperationalError)
    def _store_down(exc):
        app.logger.warning("store unavailable: %s", exc)
        return respond(problem(503, "the central database is busy or unreachable; send the same request again"),
                       {"Retry-After": "5"})

    @app.errorhandler(psycopg.DataError)
    def _unstorable(exc):
        # e.g. U+0000 in a query parameter: PostgreSQL text cannot hold it.
        return respond(problem(422, f"a value cannot be stored or searched for: {exc}".splitlines()[0],
                               title="Invalid input", slug="validation"))

    blueprints = ((api_read.bp, api_reports.bp, docs_bp) if app.config["READ_ONLY"]
                  else (api_sync.bp, api_erp.bp, api_read.bp, api_reports.bp, docs_bp))
    for bp in blueprints:
        app.register_blueprint(bp)
    return app
