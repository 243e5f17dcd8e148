"""REST endpoints of the counting workflow (issue 3)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("counting", __name__, url_prefix="/api/v1")
