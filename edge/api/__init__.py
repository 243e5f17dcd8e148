"""HTTP API under /api/v1: one blueprint per area."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from edge.api import (
        commands, counting, csv_api, docs, floor, masterdata, picking, receiving, scan, session, settings_api,
        stock, transfers,
    )
    for module in (session, scan, commands, stock, masterdata, csv_api, settings_api,
                   receiving, picking, counting, transfers, floor, docs):
        app.register_blueprint(module.bp)
    # Areas that live in their own packages; each module exposes `bp`.
    import importlib
    for name in installed(EXTENSIONS):
        app.register_blueprint(importlib.import_module(name).bp)


# Blueprints outside the core floor API, in the order they are registered.
EXTENSIONS: tuple[str, ...] = (
    "sync.edge_api",          # GET /api/v1/sync/status: backlog and lag (docs/sync.md)
    "edge.api.decode",        # POST /api/v1/decode, camera stations (docs/decoding.md)
    "edge.api.ops",           # /healthz, /metrics (docs/operations.md)
    "edge.api.replenishment",  # reorder points, alerts, suggested POs (docs/replenishment.md)
    "edge.api.reports",       # analytics reports, JSON and CSV (docs/reports.md)
    "edge.api.labels",        # ZPL and PDF labels (docs/labels.md)
    "edge.api.dashboard",     # the supervisor dashboard at /dashboard/
)


def installed(names: tuple[str, ...]) -> list[str]:
    """The names whose module exists. tests/test_extensions.py checks that every
    listed module is there, so a typo cannot hide an area."""
    import importlib.util
    out = []
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # the parent package is missing
            found = False
        if found:
            out.append(name)
    return out
