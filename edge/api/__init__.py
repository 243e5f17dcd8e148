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
