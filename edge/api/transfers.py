"""REST endpoints of the transfers workflow (issue 3)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("transfers", __name__, url_prefix="/api/v1")
