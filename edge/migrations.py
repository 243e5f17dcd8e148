"""Numbered schema migrations. Never edit one after it lands: add the next."""
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


@migrations(name="m002_settings")
def m002_settings(db):
    _run_script(db, """
    -- Site settings a supervisor can change (tolerances, count frequencies).
    CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
    """)


# Each floor workflow owns its tables in its own migration, in this order.

@migrations(name="m003_receiving")
def m003_receiving(db):
    """Purchase orders, ASNs with SSCC pallets, receipts, putaway tasks (edge/workflows/receiving.py)."""
    _run_script(db, """
    -- A purchase order's id is the PO number printed on the paperwork as a barcode.
    CREATE TABLE purchase_order (
        id TEXT PRIMARY KEY,
        supplier TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'receiving', 'closed')),
        expected_at TEXT,
        note TEXT,
        created_at TEXT NOT NULL,
        created_by INTEGER,
        closed_at TEXT
    );
    CREATE INDEX purchase_order_status ON purchase_order(status, id);

    CREATE TABLE po_line (
        po_id TEXT NOT NULL REFERENCES purchase_order(id),
        line_no INTEGER NOT NULL,
        sku TEXT NOT NULL REFERENCES item(sku),
        qty REAL NOT NULL CHECK (qty > 0),
        lot TEXT,
        expiry TEXT,
        PRIMARY KEY (po_id, line_no)
    ) WITHOUT ROWID;

    -- An advance shipping notice: what the supplier says is on the lorry for a PO.
    CREATE TABLE asn (
        id TEXT PRIMARY KEY,
        po_id TEXT NOT NULL REFERENCES purchase_order(id),
        carrier TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'receiving', 'closed')),
        expected_at TEXT,
        created_at TEXT NOT NULL,
        created_by INTEGER,
        closed_at TEXT
    );
    CREATE INDEX asn_po ON asn(po_id);
    CREATE INDEX asn_status ON asn(status, id);

    CREATE TABLE asn_pallet (
        sscc TEXT PRIMARY KEY,
        asn_id TEXT NOT NULL REFERENCES asn(id),
        status TEXT NOT NULL DEFAULT 'expected' CHECK (status IN ('expected', 'received')),
        receipt_id TEXT,
        received_at TEXT
    );
    CREATE INDEX asn_pallet_asn ON asn_pallet(asn_id);

    -- Loose lines have no sscc; a pallet's lines carry its SSCC.
    CREATE TABLE asn_line (
        asn_id TEXT NOT NULL REFERENCES asn(id),
        line_no INTEGER NOT NULL,
        sscc TEXT REFERENCES asn_pallet(sscc),
        sku TEXT NOT NULL REFERENCES item(sku),
        qty REAL NOT NULL CHECK (qty > 0),
        lot TEXT,
        expiry TEXT,
        PRIMARY KEY (asn_id, line_no)
    ) WITHOUT ROWID;
    CREATE INDEX asn_line_sscc ON asn_line(sscc);

    -- A receipt's id is the id of the receipt.open command, minted on the
    -- handheld, so a device that is offline knows it before the edge does.
    -- What it received is the ledger: movements with ref_type 'receipt'.
    CREATE TABLE receipt (
        id TEXT PRIMARY KEY,
        po_id TEXT REFERENCES purchase_order(id),
        asn_id TEXT REFERENCES asn(id),
        dock_bin TEXT NOT NULL REFERENCES bin(code),
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        supplier TEXT,
        note TEXT,
        final INTEGER,
        opened_by INTEGER,
        opened_at TEXT NOT NULL,
        closed_by INTEGER,
        closed_at TEXT
    );
    CREATE INDEX receipt_status ON receipt(status, opened_at);
    CREATE INDEX receipt_po ON receipt(po_id);
    CREATE INDEX receipt_asn ON receipt(asn_id);

    -- Frozen when the receipt closes, for the supplier claim.
    CREATE TABLE receipt_discrepancy (
        receipt_id TEXT NOT NULL REFERENCES receipt(id),
        kind TEXT NOT NULL CHECK (kind IN ('short', 'over', 'unexpected', 'damaged')),
        sku TEXT NOT NULL,
        expected REAL NOT NULL,
        received REAL NOT NULL,
        difference REAL NOT NULL,
        beyond_tolerance INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (receipt_id, kind, sku)
    ) WITHOUT ROWID;

    -- Who let a receipt go beyond the site's tolerance.
    CREATE TABLE receipt_approval (
        id INTEGER PRIMARY KEY,
        receipt_id TEXT NOT NULL REFERENCES receipt(id),
        command_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('over', 'short')),
        sku TEXT NOT NULL,
        expected REAL NOT NULL,
        received REAL NOT NULL,
        tolerance_pct REAL NOT NULL,
        requested_by INTEGER,
        approved_by INTEGER NOT NULL REFERENCES user(id),
        at TEXT NOT NULL
    );
    CREATE INDEX receipt_approval_receipt ON receipt_approval(receipt_id);

    -- Done quantity is the ledger again: movements with ref_type 'putaway_task'.
    CREATE TABLE putaway_task (
        id INTEGER PRIMARY KEY,
        receipt_id TEXT REFERENCES receipt(id),
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL DEFAULT '',
        serial TEXT,
        qty REAL NOT NULL CHECK (qty > 0),
        from_bin TEXT NOT NULL REFERENCES bin(code),
        suggested_bin TEXT REFERENCES bin(code),
        rule TEXT NOT NULL,
        reason TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
        to_bin TEXT REFERENCES bin(code),
        override_reason TEXT,
        done_by INTEGER,
        done_at TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX putaway_task_status ON putaway_task(status, id);
    CREATE INDEX putaway_task_receipt ON putaway_task(receipt_id);
    CREATE INDEX putaway_task_suggested ON putaway_task(suggested_bin) WHERE status = 'open';

    -- Documents sum their movements by reference (receipt, putaway task ...).
    CREATE INDEX IF NOT EXISTS movement_ref ON movement(ref_type, ref_id);
    """)


@migrations(name="m004_picking")
def m004_picking(db):
    """Sales orders, allocations, waves and pick lists (edge/workflows/picking.py)."""
    _run_script(db, """
    -- Orders to pick, from the API, a CSV file or (later) central. priority 1 is
    -- the most urgent; cutoff_at is when the carrier collects (UTC, ISO-8601).
    CREATE TABLE sales_order (
        id TEXT PRIMARY KEY,
        customer TEXT NOT NULL DEFAULT '',
        priority INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 9),
        cutoff_at TEXT,
        carrier TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'released', 'shipped', 'cancelled')),
        source TEXT NOT NULL DEFAULT 'api',
        created_at TEXT NOT NULL,
        shipped_at TEXT
    );
    CREATE INDEX sales_order_status ON sales_order(status, cutoff_at);

    -- lot: the customer wants exactly this lot (NULL: any lot, FEFO/FIFO).
    CREATE TABLE so_line (
        order_id TEXT NOT NULL REFERENCES sales_order(id),
        line_no INTEGER NOT NULL CHECK (line_no > 0),
        sku TEXT NOT NULL REFERENCES item(sku),
        qty REAL NOT NULL CHECK (qty > 0),
        lot TEXT,
        shipped_qty REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (order_id, line_no)
    ) WITHOUT ROWID;

    -- A group of orders released together; rule is the selection, as JSON.
    CREATE TABLE wave (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        rule TEXT NOT NULL,
        released_at TEXT NOT NULL,
        released_by INTEGER REFERENCES user(id)
    );

    -- tote: where a single or batch list's picks go (cluster: per order, below).
    CREATE TABLE pick_list (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('single', 'batch', 'cluster')),
        wave_id INTEGER REFERENCES wave(id),
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'picking', 'picked', 'cancelled')),
        assigned_to INTEGER REFERENCES user(id),
        tote TEXT REFERENCES bin(code),
        created_by INTEGER REFERENCES user(id),
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
    );
    CREATE INDEX pick_list_status ON pick_list(status, assigned_to);

    -- The orders on a list, their place on the cart and (cluster) their tote;
    -- sorted_to: where the sort step after a batch walk put the order's goods.
    CREATE TABLE pick_order (
        list_id INTEGER NOT NULL REFERENCES pick_list(id),
        order_id TEXT NOT NULL REFERENCES sales_order(id),
        slot INTEGER NOT NULL,
        tote TEXT REFERENCES bin(code),
        sorted_to TEXT REFERENCES bin(code),
        PRIMARY KEY (list_id, order_id)
    ) WITHOUT ROWID;

    -- One stop of the walk. order_id is NULL on a batch line (several orders).
    CREATE TABLE pick_line (
        list_id INTEGER NOT NULL REFERENCES pick_list(id),
        seq INTEGER NOT NULL,
        bin TEXT NOT NULL REFERENCES bin(code),
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL DEFAULT '',
        qty REAL NOT NULL CHECK (qty > 0),
        picked_qty REAL NOT NULL DEFAULT 0,
        order_id TEXT REFERENCES sales_order(id),
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'picked', 'short', 'cancelled')),
        PRIMARY KEY (list_id, seq)
    ) WITHOUT ROWID;

    -- A reservation of qty in (bin, sku, lot) for an order line. While open it
    -- holds qty - picked_qty of stock.reserved (checked by `floorscan verify`).
    CREATE TABLE allocation (
        id INTEGER PRIMARY KEY,
        order_id TEXT NOT NULL,
        line_no INTEGER NOT NULL,
        bin TEXT NOT NULL REFERENCES bin(code),
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL DEFAULT '',
        qty REAL NOT NULL CHECK (qty > 0),
        picked_qty REAL NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'picked', 'short', 'cancelled')),
        pick_list_id INTEGER REFERENCES pick_list(id),
        pick_seq INTEGER,
        created_at TEXT NOT NULL,
        FOREIGN KEY (order_id, line_no) REFERENCES so_line(order_id, line_no)
    );
    CREATE INDEX allocation_open ON allocation(bin, sku, lot) WHERE status = 'open';
    CREATE INDEX allocation_order ON allocation(order_id, line_no);
    CREATE INDEX allocation_list ON allocation(pick_list_id, pick_seq);

    -- Where the goods picked for an order line are now (a tote or staging
    -- bin) until they ship: what the sort step and the ship step move.
    CREATE TABLE picked_stock (
        order_id TEXT NOT NULL,
        line_no INTEGER NOT NULL,
        bin TEXT NOT NULL REFERENCES bin(code),
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL DEFAULT '',
        qty REAL NOT NULL CHECK (qty > 0),
        PRIMARY KEY (order_id, line_no, bin, sku, lot),
        FOREIGN KEY (order_id, line_no) REFERENCES so_line(order_id, line_no)
    ) WITHOUT ROWID;
    CREATE INDEX picked_stock_bin ON picked_stock(bin);
    """)


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
