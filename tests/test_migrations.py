"""The schema's history: migrations apply in registration order, named mNNN_*."""
from __future__ import annotations

import re
from pathlib import Path

import sqlite_utils

from edge.db import init_db, pending_migrations
from edge.migrations import migrations


def test_migrations_are_registered_in_number_order_one_module_each():
    names = [m.name for m in migrations._migrations]
    numbers = [int(re.match(r"m(\d{3})_", n).group(1)) for n in names]
    assert numbers == list(range(1, len(names) + 1)), names
    modules = sorted(p.stem for p in (Path(__file__).parents[1] / "edge" / "migrations").glob("m[0-9][0-9][0-9]_*.py"))
    assert modules == names


def test_a_fresh_database_records_every_migration_once(tmp_path):
    path = tmp_path / "edge.db"
    init_db(path)
    init_db(path)  # a second start applies nothing again
    applied = [r["name"] for r in sqlite_utils.Database(path)["_sqlite_migrations"].rows]
    assert applied == [m.name for m in migrations._migrations]
    assert pending_migrations(path) == []
