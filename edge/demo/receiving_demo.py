"""Demo documents of the receiving workflow."""
from __future__ import annotations


def add(conn, rng, today, users: dict[str, int]) -> None:
    """Add open receiving documents to the demo warehouse (issue 3)."""
