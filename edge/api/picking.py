"""REST endpoints of the picking workflow (issue 3)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("picking", __name__, url_prefix="/api/v1")
