"""HTTP API under /api/v1: one blueprint per area."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from edge.api import commands, csv_api, docs, masterdata, scan, session, stock
    for module in (session, scan, commands, stock, masterdata, csv_api, docs):
        app.register_blueprint(module.bp)
