"""Migration m010_command_rowid. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, _run_script


@migrations(name="m010_command_rowid")
def m010_command_rowid(db):
    """The idempotency record as a rowid table with a unique index on the id.

    As a WITHOUT ROWID table keyed by the device's random UUID, each command's
    whole row (payload and answer, ~700 bytes) went into a random leaf page,
    five rows to a page: every command dirtied its own page and split one
    every few inserts, 3.5 WAL frames per command of ~11. Now rows append in
    arrival order on one page per commit and only the 40-byte index entry lands
    at random: 1.7 frames (docs/performance.md, step 9). Lookups by id are the
    same one index probe plus the row.
    """
    _run_script(db, """
    CREATE TABLE command_log (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        payload TEXT NOT NULL,
        result TEXT NOT NULL,
        user_id INTEGER,
        device_id TEXT,
        at TEXT,
        received_at TEXT NOT NULL
    );
    INSERT INTO command_log (id, type, payload_hash, payload, result, user_id, device_id, at, received_at)
        SELECT id, type, payload_hash, payload, result, user_id, device_id, at, received_at
        FROM command ORDER BY received_at, id;
    DROP TABLE command;
    ALTER TABLE command_log RENAME TO command;
    """)
