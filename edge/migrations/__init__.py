"""Numbered schema migrations, one module each. Never edit one after it lands: add the next.

sqlite-utils applies migrations in the order they are registered, so the
imports at the bottom are the schema's history: append, never reorder."""
from __future__ import annotations

import sqlite3

from sqlite_utils import Migrations

migrations = Migrations("floorscan")

BIN_KINDS = ("dock", "storage", "pick-face", "staging", "quarantine", "returns", "in-transit", "tote")
ROLES = ("picker", "receiver", "counter", "supervisor", "admin")
TRACKING = ("none", "lot", "serial")


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


def _run_script(db, script: str) -> None:
    # executescript() would COMMIT first and break the migration's atomicity,
    # so run the statements one by one inside sqlite-utils' transaction.
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            db.execute(buffer)
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buffer[:80]!r}")


# Registration order is application order. Append new migrations at the end.
from edge.migrations import m001_initial  # noqa: E402,F401
from edge.migrations import m002_settings  # noqa: E402,F401
from edge.migrations import m003_receiving  # noqa: E402,F401
from edge.migrations import m004_picking  # noqa: E402,F401
from edge.migrations import m005_counting  # noqa: E402,F401
from edge.migrations import m006_transfers  # noqa: E402,F401
