"""Migration m007_sync. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, _run_script


@migrations(name="m007_sync")
def m007_sync(db):
    """Edge <-> central sync (docs/sync.md, docs/sync-edge.md): where the loop
    stands and the outbox of documents the edge created for central."""
    _run_script(db, """
    -- One row: the cursors and the loop's health. up_cursor is the highest
    -- seq central holds contiguously (its answer, never our guess);
    -- down_cursor is the last change applied from GET /sync/changes.
    CREATE TABLE sync_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        up_cursor INTEGER NOT NULL DEFAULT 0,
        down_cursor INTEGER NOT NULL DEFAULT 0,
        central_url TEXT,
        last_attempt_at TEXT,
        last_success_at TEXT,
        last_error TEXT,
        last_error_at TEXT,
        next_retry_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        movements_sent INTEGER NOT NULL DEFAULT 0,
        documents_sent INTEGER NOT NULL DEFAULT 0,
        changes_applied INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT
    );
    INSERT INTO sync_state (id) VALUES (1);

    -- Documents the edge created that central must learn about. Workflows
    -- insert a row in the same transaction as their own change; the sync
    -- loop sends unsent rows in id order and stamps sent_at.
    CREATE TABLE sync_outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        body TEXT NOT NULL CHECK (json_valid(body)),
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX sync_outbox_unsent ON sync_outbox(id) WHERE sent_at IS NULL;
    CREATE INDEX sync_outbox_key ON sync_outbox(kind, key);
    """)
