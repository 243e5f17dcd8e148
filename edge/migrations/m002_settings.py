"""Migration m002_settings. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, _run_script


@migrations(name="m002_settings")
def m002_settings(db):
    _run_script(db, """
    -- Site settings a supervisor can change (tolerances, count frequencies).
    CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
    """)


# Each floor workflow owns its tables in its own migration, in this order.
