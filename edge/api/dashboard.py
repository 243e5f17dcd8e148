"""The supervisor dashboard: the page at /dashboard/ and its figures at
GET /api/v1/dashboard/kpis (docs/dashboard.md).

The page is static (edge/static/dashboard/, plain ES modules, a vendored
uPlot); it signs in with the edge's session API, reads the figures over REST
and refreshes them when Socket.IO says something changed.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, jsonify, redirect, send_from_directory

from edge.api.common import read
from edge.api.spec import SUPERVISORS, endpoint

bp = Blueprint("dashboard", __name__)

STATIC = Path(__file__).resolve().parent.parent / "static" / "dashboard"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html"}


@bp.get("/dashboard")
def dashboard_root():
    return redirect("/dashboard/")


@bp.get("/dashboard/")
@bp.get("/dashboard/<path:name>")
def dashboard_page(name: str = "index.html"):
    resp = send_from_directory(STATIC, name, mimetype=TYPES.get(Path(name).suffix))
    if name == "index.html":
        resp.headers["Cache-Control"] = "no-cache"  # the page names the module versions it loads
    return resp


@endpoint(bp, "/api/v1/dashboard/kpis", roles=SUPERVISORS, tags=("dashboard",))
def kpis():
    """The dashboard's live figures: receipts open, order lines done vs due per carrier cut-off, exceptions
    waiting, sync backlog and lag, low-stock alerts, and per-hour trends (movements, picks, exceptions) for
    the last 24 hours. `timings_ms` says what each section cost the edge."""
    from edge import kpis as figures
    timings: dict = {}
    body = figures.all_kpis(read(), timings=timings)
    body["timings_ms"] = timings
    return jsonify(body)
