"""Demo documents of the counting workflow."""
from __future__ import annotations


def add(conn, rng, today, users: dict[str, int]) -> None:
    """Add open counting documents to the demo warehouse (issue 3)."""
