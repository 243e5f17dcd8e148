"""Migration m004_picking. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, _run_script


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
