"""Migration m001_initial. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, BIN_KINDS, ROLES, TRACKING, _in, _run_script


@migrations(name="m001_initial")
def m001_initial(db):
    _run_script(db, f"""
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE bin (
        code TEXT PRIMARY KEY,
        zone TEXT NOT NULL DEFAULT '',
        aisle TEXT NOT NULL DEFAULT '',
        walk_seq INTEGER NOT NULL DEFAULT 0,
        kind TEXT NOT NULL DEFAULT 'storage' CHECK (kind IN ({_in(BIN_KINDS)})),
        capacity REAL CHECK (capacity IS NULL OR capacity > 0),
        active INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX bin_walk ON bin(zone, walk_seq);

    CREATE TABLE item (
        sku TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        uom TEXT NOT NULL DEFAULT 'ea',
        tracking TEXT NOT NULL DEFAULT 'none' CHECK (tracking IN ({_in(TRACKING)})),
        perishable INTEGER NOT NULL DEFAULT 0,
        abc_class TEXT CHECK (abc_class IS NULL OR abc_class IN ('A', 'B', 'C')),
        unit_cost REAL NOT NULL DEFAULT 0 CHECK (unit_cost >= 0),
        reorder_point REAL CHECK (reorder_point IS NULL OR reorder_point >= 0),
        reorder_qty REAL CHECK (reorder_qty IS NULL OR reorder_qty >= 0),
        preferred_zone TEXT,
        active INTEGER NOT NULL DEFAULT 1
    );

    CREATE TABLE barcode (
        code TEXT PRIMARY KEY,
        sku TEXT NOT NULL REFERENCES item(sku),
        pack_qty REAL NOT NULL DEFAULT 1 CHECK (pack_qty > 0)
    );
    CREATE INDEX barcode_sku ON barcode(sku);

    CREATE TABLE lot (
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL,
        expiry TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (sku, lot)
    ) WITHOUT ROWID;

    CREATE TABLE user (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ({_in(ROLES)})),
        pin_hash TEXT UNIQUE,
        badge_hash TEXT UNIQUE,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );

    CREATE TABLE device (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        last_user_id INTEGER REFERENCES user(id)
    );

    CREATE TABLE session (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES user(id),
        device_id TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
    );

    CREATE TABLE signin_failure (
        id INTEGER PRIMARY KEY,
        client TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX signin_failure_client ON signin_failure(client, at);

    -- The ledger. seq is the edge-local order that sync uploads by.
    CREATE TABLE movement (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL DEFAULT '',
        serial TEXT,
        qty REAL NOT NULL CHECK (qty > 0),
        from_bin TEXT REFERENCES bin(code),
        to_bin TEXT REFERENCES bin(code),
        ref_type TEXT,
        ref_id TEXT,
        reason TEXT,
        user_id INTEGER,
        device_id TEXT,
        command_id TEXT,
        replayed INTEGER NOT NULL DEFAULT 0,
        scanned_at TEXT,
        recorded_at TEXT NOT NULL,
        CHECK (from_bin IS NOT NULL OR to_bin IS NOT NULL),
        CHECK (from_bin IS NULL OR to_bin IS NULL OR from_bin <> to_bin)
    );
    CREATE INDEX movement_sku ON movement(sku);
    CREATE INDEX movement_from ON movement(from_bin);
    CREATE INDEX movement_to ON movement(to_bin);
    CREATE TRIGGER movement_no_update BEFORE UPDATE ON movement
        BEGIN SELECT RAISE(ABORT, 'movement is immutable'); END;
    CREATE TRIGGER movement_no_delete BEFORE DELETE ON movement
        BEGIN SELECT RAISE(ABORT, 'movement is immutable'); END;

    -- Projection of the ledger; rebuilt and checked by `floorscan verify`.
    CREATE TABLE stock (
        bin TEXT NOT NULL REFERENCES bin(code),
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL DEFAULT '',
        qty REAL NOT NULL DEFAULT 0,
        reserved REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (bin, sku, lot)
    ) WITHOUT ROWID;
    CREATE INDEX stock_sku ON stock(sku, lot);

    -- Where each serial is now (bin NULL: left the building).
    CREATE TABLE serial (
        sku TEXT NOT NULL,
        serial TEXT NOT NULL,
        bin TEXT,
        lot TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (sku, serial)
    ) WITHOUT ROWID;

    CREATE TABLE exception (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        bin TEXT,
        sku TEXT,
        lot TEXT,
        movement_id TEXT,
        command_id TEXT,
        detail TEXT NOT NULL,
        user_id INTEGER,
        device_id TEXT,
        created_at TEXT NOT NULL,
        resolved_at TEXT,
        resolved_by INTEGER,
        resolution TEXT
    );
    CREATE INDEX exception_status ON exception(status, id);

    CREATE TABLE count_request (
        id INTEGER PRIMARY KEY,
        bin TEXT NOT NULL REFERENCES bin(code),
        sku TEXT,
        reason TEXT NOT NULL,
        exception_id INTEGER REFERENCES exception(id),
        status TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL
    );

    -- Idempotency-Key header on REST mutations: the first answer, replayed.
    CREATE TABLE idempotency_key (
        key TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (key, user_id)
    ) WITHOUT ROWID;

    -- Idempotency record: every applied command and the answer it got.
    CREATE TABLE command (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        payload TEXT NOT NULL,
        result TEXT NOT NULL,
        user_id INTEGER,
        device_id TEXT,
        at TEXT,
        received_at TEXT NOT NULL
    ) WITHOUT ROWID;
    """)
