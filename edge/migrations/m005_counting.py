"""Migration m005_counting. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, _run_script


@migrations(name="m005_counting")
def m005_counting(db):
    """Count tasks and lines, schedules, record accuracy (edge/workflows/counting.py)."""
    _run_script(db, """
    -- A count task: bins to count, blind, by one counter. Recounts are tasks too.
    CREATE TABLE count_task (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('bin', 'zone', 'schedule', 'short_pick', 'negative_stock',
                                           'request', 'recount')),
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'in_progress', 'review', 'done', 'cancelled')),
        priority INTEGER NOT NULL DEFAULT 5,
        zone TEXT,
        aisle TEXT,
        assigned_to INTEGER REFERENCES user(id),
        excluded_user INTEGER REFERENCES user(id),  -- the first counter may not recount
        recount_of INTEGER REFERENCES count_task(id),
        note TEXT NOT NULL DEFAULT '',
        created_by INTEGER,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        lines INTEGER,     -- record accuracy of this count, written when it is done
        accurate INTEGER
    );
    CREATE INDEX count_task_status ON count_task(status, priority, id);

    -- The bins of a task; sku set: count only that item in the bin.
    CREATE TABLE count_task_bin (
        task_id INTEGER NOT NULL REFERENCES count_task(id),
        bin TEXT NOT NULL REFERENCES bin(code),
        sku TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'counted', 'cancelled')),
        counted_by INTEGER,
        counted_at TEXT,
        command_id TEXT,
        PRIMARY KEY (task_id, bin)
    ) WITHOUT ROWID;
    CREATE INDEX count_task_bin_bin ON count_task_bin(bin, status);

    -- One counted (bin, sku, lot): what was found, what the records said at the
    -- moment of count, and what became of the difference.
    CREATE TABLE count_line (
        id INTEGER PRIMARY KEY,
        task_id INTEGER NOT NULL REFERENCES count_task(id),
        bin TEXT NOT NULL,
        sku TEXT NOT NULL,
        lot TEXT NOT NULL DEFAULT '',
        counted_qty REAL NOT NULL,
        expected_qty REAL NOT NULL,        -- what the records said at the moment of count
        expiry TEXT,                       -- given for a lot the edge has not seen
        variance REAL NOT NULL,
        variance_value REAL NOT NULL,
        within_tolerance INTEGER NOT NULL,
        serials TEXT,            -- JSON: serials found (serial-tracked items)
        serials_missing TEXT,    -- JSON: expected but not found
        serials_extra TEXT,      -- JSON: found but not expected
        status TEXT NOT NULL CHECK (status IN ('matched', 'adjusted', 'recount', 'recounted',
                                               'awaiting_approval', 'rejected', 'superseded')),
        final INTEGER NOT NULL DEFAULT 1,  -- this line decides the key for record accuracy
        recount_of INTEGER REFERENCES count_line(id),
        counted_by INTEGER NOT NULL,
        device_id TEXT,
        command_id TEXT,
        counted_at TEXT NOT NULL,          -- the moment of count, UTC
        recorded_at TEXT NOT NULL,
        adjusted_qty REAL,                 -- signed quantity the adjustment posted
        settled_at TEXT,
        settled_seq INTEGER,               -- ledger seq when the line was settled
        exception_id INTEGER,
        decided_by INTEGER,
        decided_at TEXT,
        decision_note TEXT
    );
    CREATE INDEX count_line_task ON count_line(task_id);
    CREATE INDEX count_line_key ON count_line(bin, sku, lot);
    CREATE INDEX count_line_status ON count_line(status, id);
    CREATE INDEX count_line_counted ON count_line(counted_at);
    CREATE INDEX count_line_recount ON count_line(recount_of);

    -- The latest settled count of each (bin, sku, lot): a movement that happened
    -- before it but reaches the edge after it is already in the counted figure.
    CREATE TABLE count_anchor (
        bin TEXT NOT NULL,
        sku TEXT NOT NULL,
        lot TEXT NOT NULL,
        line_id INTEGER NOT NULL REFERENCES count_line(id),
        moment TEXT NOT NULL,
        settled_seq INTEGER NOT NULL,
        PRIMARY KEY (bin, sku, lot)
    ) WITHOUT ROWID;

    -- Late movements already compensated (idempotency of the reconciliation).
    CREATE TABLE count_late (
        movement_id TEXT NOT NULL,
        bin TEXT NOT NULL,
        line_id INTEGER NOT NULL REFERENCES count_line(id),
        compensation_id TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (movement_id, bin)
    ) WITHOUT ROWID;

    -- Which task answers which count_request.
    CREATE TABLE count_task_request (
        request_id INTEGER PRIMARY KEY REFERENCES count_request(id),
        task_id INTEGER NOT NULL REFERENCES count_task(id),
        bin TEXT NOT NULL
    );
    CREATE INDEX count_task_request_task ON count_task_request(task_id, bin);

    -- Cursors of the counting workflow (last schedule day, reconciled seq).
    CREATE TABLE count_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    -- The serials in a bin, for the expected side of a serial count.
    CREATE INDEX IF NOT EXISTS serial_bin ON serial(bin);
    """)
