"""REST endpoints of the receiving workflow (issue 3)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("receiving", __name__, url_prefix="/api/v1")
