"""Numbered schema migrations, one module each. Never edit one after it lands: add the next.

sqlite-utils applies migrations in the order they are registered; the modules
register in file-name order, so the numbers are the schema's history."""
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


def _register_all() -> None:
    # One module per migration, imported in file-name order (m001_, m002_, ...),
    # which is the order sqlite-utils applies them in. Add the next number.
    import importlib
    from pathlib import Path
    for path in sorted(Path(__file__).parent.glob("m[0-9][0-9][0-9]_*.py")):
        importlib.import_module(f"{__name__}.{path.stem}")


_register_all()
