"""Site settings with defaults: tolerances, thresholds, count frequencies. No Flask."""
from __future__ import annotations

import json
import sqlite3

from edge.ledger import LedgerError, utcnow

DEFAULTS: dict[str, object] = {
    # Receiving: how far a receipt line may exceed or fall short of the PO line
    # before a supervisor must override.
    "receipt_tolerance_pct": 5.0,
    # Counting: a counted line within this share of the expected quantity is
    # accurate; beyond it, a different counter recounts.
    "count_tolerance_pct": 2.0,
    # Counting: a variance worth more than this (qty x unit cost) needs a supervisor.
    "count_approval_value": 500.0,
    # Cycle-count frequency by ABC class, in days.
    "count_days_a": 30,
    "count_days_b": 90,
    "count_days_c": 365,
}


class UnknownSetting(LedgerError):
    """No setting with that name."""

    status, title, type_slug = 404, "Unknown setting", "unknown-setting"


def get(conn: sqlite3.Connection, key: str):
    if key not in DEFAULTS:
        raise UnknownSetting(f"no setting {key!r}; known: {', '.join(sorted(DEFAULTS))}", field="key")
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    return json.loads(row["value"]) if row else DEFAULTS[key]


def all_settings(conn: sqlite3.Connection) -> dict:
    stored = {r["key"]: json.loads(r["value"]) for r in conn.execute("SELECT key, value FROM setting")}
    return {k: stored.get(k, v) for k, v in DEFAULTS.items()}


def put(conn: sqlite3.Connection, key: str, value) -> dict:
    if key not in DEFAULTS:
        raise UnknownSetting(f"no setting {key!r}; known: {', '.join(sorted(DEFAULTS))}", field="key")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise LedgerError(f"{key} must be a number >= 0, got {value!r}", field=key)
    conn.execute("INSERT INTO setting (key, value, updated_at) VALUES (?,?,?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                 (key, json.dumps(value), utcnow()))
    return all_settings(conn)
