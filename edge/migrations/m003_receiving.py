"""Migration m003_receiving. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, _run_script


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
