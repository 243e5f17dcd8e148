"""Where the edge's sync stands, read from ``sync_state`` (migration m007_sync).

:func:`read` is what the REST endpoint, the supervisor's live event and any
dashboard or metrics show. The ``record_*`` functions are the sync loop's
own bookkeeping; each runs inside the caller's write transaction.
No Flask, no HTTP.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from edge.ledger import utcnow


def _seconds_since(stamp: str | None, now: datetime) -> float | None:
    if not stamp:
        return None
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, round((now - then).total_seconds(), 3))


def read(conn: sqlite3.Connection) -> dict:
    """The sync figures: backlog, cursors, lag, last success and error, next retry.

    ``backlog`` is how many movements central does not hold yet: the ledger's
    seq is gap-free, so it is the highest seq minus the up cursor. ``lag_seconds``
    is how old the oldest of them is (0 when nothing waits).
    """
    state = conn.execute("SELECT * FROM sync_state WHERE id = 1").fetchone()
    top = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'movement'").fetchone()
    edge_seq = top[0] if top else 0
    up = state["up_cursor"] if state else 0
    now = datetime.now(timezone.utc)
    oldest = conn.execute("SELECT recorded_at FROM movement WHERE seq = ?", (up + 1,)).fetchone()
    outbox = conn.execute("SELECT count(*) FROM sync_outbox WHERE sent_at IS NULL AND refused_at IS NULL").fetchone()[0]
    refused = conn.execute("SELECT count(*) FROM sync_outbox WHERE refused_at IS NOT NULL").fetchone()[0]
    failures = state["failures"] if state else 0
    configured = bool(state and state["central_url"])
    if not configured:
        health = "not configured"
    elif failures:
        health = "retrying"
    elif state["last_success_at"] is None:
        health = "starting"
    else:
        health = "ok"
    return {
        "status": health,
        "central_url": state["central_url"] if state else None,
        "edge_seq": edge_seq,
        "up_cursor": up,
        "backlog": max(0, edge_seq - up),
        "lag_seconds": (_seconds_since(oldest["recorded_at"], now) or 0.0) if oldest else 0.0,
        "outbox_pending": outbox,
        "outbox_refused": refused,  # set aside until a supervisor sends them again (sync_document_refused)
        "down_cursor": state["down_cursor"] if state else 0,
        "last_attempt_at": state["last_attempt_at"] if state else None,
        "last_success_at": state["last_success_at"] if state else None,
        "seconds_since_success": _seconds_since(state["last_success_at"], now) if state else None,
        "last_error": state["last_error"] if state else None,
        "last_error_at": state["last_error_at"] if state else None,
        "failures": failures,
        "next_retry_at": state["next_retry_at"] if state else None,
        "movements_sent": state["movements_sent"] if state else 0,
        "documents_sent": state["documents_sent"] if state else 0,
        "changes_applied": state["changes_applied"] if state else 0,
    }


# -- the loop's bookkeeping (inside a write transaction) -------------------------------

def record_up_cursor(conn, cursor: int, sent: int) -> None:
    conn.execute("UPDATE sync_state SET up_cursor = ?, movements_sent = movements_sent + ?, updated_at = ? "
                 "WHERE id = 1", (cursor, sent, utcnow()))


def reset_down_cursor(conn, expected: int) -> None:
    """Read central's change feed again from 0 (it answered cursor-ahead)."""
    stored = conn.execute("SELECT down_cursor FROM sync_state WHERE id = 1").fetchone()[0]
    if stored != expected:
        raise RuntimeError(f"the down cursor moved from {expected} to {stored} under this sync process")
    conn.execute("UPDATE sync_state SET down_cursor = 0, updated_at = ? WHERE id = 1", (utcnow(),))
    # What waited to be tried again carries cursors of the feed central lost; the
    # feed read again refuses afresh whatever is still refused.
    conn.execute("UPDATE exception SET status = 'resolved', resolved_at = ?, resolution = ?, action = "
                 "'sync_reset' WHERE status = 'open' AND id IN (SELECT exception_id FROM sync_deferred)",
                 (utcnow(), "central's change feed is read again from the start"))
    conn.execute("DELETE FROM sync_deferred")


def record_attempt(conn, central_url: str) -> None:
    conn.execute("UPDATE sync_state SET last_attempt_at = ?, central_url = ?, updated_at = ? WHERE id = 1",
                 (utcnow(), central_url, utcnow()))


def record_success(conn) -> None:
    now = utcnow()
    conn.execute("UPDATE sync_state SET last_success_at = ?, failures = 0, next_retry_at = NULL, updated_at = ? "
                 "WHERE id = 1", (now, now))


def record_failure(conn, error: str, next_retry_at: str) -> None:
    now = utcnow()
    conn.execute("UPDATE sync_state SET last_error = ?, last_error_at = ?, failures = failures + 1, "
                 "next_retry_at = ?, updated_at = ? WHERE id = 1", (error[:1000], now, next_retry_at, now))
