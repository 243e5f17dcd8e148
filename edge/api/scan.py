"""What is this barcode?"""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify

from edge.api.common import read
from edge.api.spec import endpoint
from edge.catalog import SqliteCatalog
from edge.models import ScanIn
from edge.scans import interpret

bp = Blueprint("scan", __name__, url_prefix="/api/v1")


@endpoint(bp, "/scan", method="POST", body=ScanIn, tags=("scan",))
def scan(body: ScanIn):
    """Interpret a scanned string: bin, item, GS1, SSCC, badge, tote, document, unknown or invalid.
    Another user's badge is a badge to supervisors and admins only (docs/api.md)."""
    result = interpret(body.code, body.symbology, catalog=SqliteCatalog(read(), viewer=g.user),
                       gs_substitute=current_app.config.get("GS_SUBSTITUTE"))
    return jsonify(result)
