"""HTTP API under /api/v1: one blueprint per area."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from edge.api import (
        commands, counting, csv_api, docs, masterdata, picking, receiving, scan, session, settings_api, stock,
        transfers,
    )
    for module in (session, scan, commands, stock, masterdata, csv_api, settings_api,
                   receiving, picking, counting, transfers, docs):
        app.register_blueprint(module.bp)
    # Areas that live in their own packages; each module exposes `bp`.
    import importlib
    for name in EXTENSIONS:
        app.register_blueprint(importlib.import_module(name).bp)


# Blueprints outside the core floor API (sync status, decoding, operations,
# analytics, labels, dashboard), in the order they are registered.
EXTENSIONS: tuple[str, ...] = ()
