"""Keyset paging for task lists shown in another order than their ids. No Flask.

Every list pages the same way for the handheld: ``after_id`` is the id of the
last row of the previous page. A list sorted by something else (walk order,
urgency) looks up that row's sort key and continues after it, so a later page
neither skips nor repeats a row, whatever order the rows were created in.
"""
from __future__ import annotations

from edge.ledger import LedgerError


class UnknownCursor(LedgerError):
    """after_id names no row of the list, so there is no place to continue from."""

    status, title, type_slug = 422, "Unknown paging cursor", "unknown-cursor"


def after(conn, key: str, source: str, id_column: str, after_id: int, what: str) -> tuple[str, list]:
    """A WHERE condition (and its parameters) for the rows whose ``key`` comes
    after the key of row ``after_id``; ``key`` must end with the id so it is unique."""
    if not after_id:
        return "1", []
    row = conn.execute(f"SELECT {key} FROM {source} WHERE {id_column} = ?", (after_id,)).fetchone()
    if row is None:
        raise UnknownCursor(f"no {what} {after_id} to continue after; list again without after_id",
                            field="query.after_id")
    return f"({key}) > ({', '.join('?' * len(row))})", list(row)
