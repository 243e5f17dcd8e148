"""Migration m006_transfers. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, _run_script


@migrations(name="m006_transfers")
def m006_transfers(db):
    """Returns and transfers between warehouses (edge/workflows/transfers.py),
    and what the exceptions queue records about each exception."""
    _run_script(db, """
    -- The exceptions queue (edge/workflows/exceptions.py): the document an
    -- exception is about, the figures behind it, and the action that closed it.
    ALTER TABLE exception ADD COLUMN ref_type TEXT;
    ALTER TABLE exception ADD COLUMN ref_id TEXT;
    ALTER TABLE exception ADD COLUMN data TEXT;
    ALTER TABLE exception ADD COLUMN action TEXT;
    CREATE INDEX exception_kind ON exception(kind, status, id);
    CREATE INDEX exception_ref ON exception(ref_type, ref_id);
    -- The queue shows count/dismiss for exceptions that asked for a count.
    CREATE INDEX count_request_by_exception ON count_request(exception_id);

    -- This edge's warehouse: a transfer goes from one site to another.
    INSERT OR IGNORE INTO meta (key, value) VALUES ('site_id', 'WH1');

    -- Customer returns: goods come back into a returns bin and wait there
    -- until somebody decides, line by line, what happens to them.
    CREATE TABLE return_order (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        order_ref TEXT,
        customer TEXT,
        created_by INTEGER,
        created_at TEXT NOT NULL,
        closed_at TEXT
    );
    CREATE INDEX return_status ON return_order(status, id);
    CREATE TABLE return_line (
        return_id TEXT NOT NULL REFERENCES return_order(id),
        line_no INTEGER NOT NULL,
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL DEFAULT '',
        serial TEXT,
        qty REAL NOT NULL CHECK (qty > 0),
        bin TEXT NOT NULL REFERENCES bin(code),
        reason TEXT NOT NULL,
        note TEXT,
        disposed_qty REAL NOT NULL DEFAULT 0,
        command_id TEXT NOT NULL,
        received_by INTEGER,
        received_at TEXT NOT NULL,
        PRIMARY KEY (return_id, line_no)
    ) WITHOUT ROWID;
    CREATE TABLE return_disposition (
        id INTEGER PRIMARY KEY,
        return_id TEXT NOT NULL,
        line_no INTEGER NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('restock', 'quarantine', 'scrap')),
        qty REAL NOT NULL CHECK (qty > 0),
        to_bin TEXT REFERENCES bin(code),
        reason TEXT,
        command_id TEXT NOT NULL,
        user_id INTEGER,
        at TEXT NOT NULL,
        FOREIGN KEY (return_id, line_no) REFERENCES return_line(return_id, line_no)
    );

    -- Transfers between warehouses. The sending edge plans lines, ships stock
    -- into its in-transit bin and dispatches; the receiving edge needs only
    -- the document and what was shipped (transfer_item) to receive against it.
    CREATE TABLE transfer (
        id TEXT PRIMARY KEY,
        from_site TEXT NOT NULL,
        to_site TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'shipped', 'received')),
        transit_bin TEXT REFERENCES bin(code),
        note TEXT,
        created_by INTEGER,
        created_at TEXT NOT NULL,
        shipped_at TEXT,
        shipped_by INTEGER,
        received_at TEXT,
        received_by INTEGER,
        CHECK (from_site <> to_site)
    );
    CREATE INDEX transfer_status ON transfer(status, id);
    CREATE TABLE transfer_line (
        transfer_id TEXT NOT NULL REFERENCES transfer(id),
        line_no INTEGER NOT NULL,
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL DEFAULT '',
        qty REAL NOT NULL CHECK (qty > 0),
        PRIMARY KEY (transfer_id, line_no)
    ) WITHOUT ROWID;
    CREATE TABLE transfer_item (
        transfer_id TEXT NOT NULL REFERENCES transfer(id),
        sku TEXT NOT NULL,
        lot TEXT NOT NULL DEFAULT '',
        serial TEXT NOT NULL DEFAULT '',
        expiry TEXT,
        shipped REAL NOT NULL DEFAULT 0,
        received REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (transfer_id, sku, lot, serial)
    ) WITHOUT ROWID;
    """)
