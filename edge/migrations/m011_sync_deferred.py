"""Migration m011_sync_deferred. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, _run_script


@migrations(name="m011_sync_deferred")
def m011_sync_deferred(db):
    """Changes from central the edge refused, kept to try again.

    Central's feed holds only the newest version of each key, at the position of
    its last change, so an item updated after a purchase order that names it comes
    after the order. An edge reading the feed from 0 (a new warehouse, a restore,
    central's cursor reset) met the order first, on an earlier page, refused it,
    and never saw it again. A refused change waits here and is tried again after
    every page until it applies or a newer version of its key replaces it.

    Up, a document central refuses for what it says (4xx) is set aside
    (sync_outbox.refused_at) with central's answer, for a supervisor, instead of
    being sent again every round and holding up the movements behind it.
    """
    _run_script(db, """
    CREATE TABLE sync_deferred (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        cursor INTEGER NOT NULL,
        change TEXT NOT NULL,          -- the change as central sent it (JSON)
        exception_id INTEGER REFERENCES exception(id),
        PRIMARY KEY (kind, key)
    );
    ALTER TABLE sync_outbox ADD COLUMN refused_at TEXT;
    ALTER TABLE sync_outbox ADD COLUMN refusal TEXT;
    """)
