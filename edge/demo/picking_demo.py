"""Demo documents of the picking workflow."""
from __future__ import annotations


def add(conn, rng, today, users: dict[str, int]) -> None:
    """Add open picking documents to the demo warehouse (issue 3)."""
