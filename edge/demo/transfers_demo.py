"""Demo documents of the transfers workflow."""
from __future__ import annotations


def add(conn, rng, today, users: dict[str, int]) -> None:
    """Add open transfers documents to the demo warehouse (issue 3)."""
