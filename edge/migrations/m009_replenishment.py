"""Migration m009_replenishment. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, _run_script


@migrations(name="m009_replenishment")
def m009_replenishment(db):
    """Replenishment parameters and plans, low-stock alerts, suggested purchase
    orders, pick-face minimums (edge/analytics, docs/replenishment.md)."""
    _run_script(db, """
    -- What a planner sets per item at this site. NULL: the site default
    -- (edge/analytics/params.py). The item keeps unit_cost, reorder_point and
    -- reorder_qty; min_qty / max_qty here override the computed plan.
    CREATE TABLE replenishment_param (
        sku TEXT PRIMARY KEY REFERENCES item(sku),
        supplier TEXT,
        lead_time_days REAL CHECK (lead_time_days IS NULL OR lead_time_days >= 0),
        lead_time_sd_days REAL CHECK (lead_time_sd_days IS NULL OR lead_time_sd_days >= 0),
        service_level REAL CHECK (service_level IS NULL OR (service_level > 0 AND service_level < 1)),
        ordering_cost REAL CHECK (ordering_cost IS NULL OR ordering_cost >= 0),
        holding_cost_rate REAL CHECK (holding_cost_rate IS NULL OR holding_cost_rate > 0),
        min_qty REAL CHECK (min_qty IS NULL OR min_qty >= 0),
        max_qty REAL CHECK (max_qty IS NULL OR max_qty >= 0),
        pack_qty REAL CHECK (pack_qty IS NULL OR pack_qty > 0),
        updated_at TEXT NOT NULL,
        updated_by INTEGER
    ) WITHOUT ROWID;

    -- The last computed plan per item (forecast, safety stock, reorder point,
    -- min/max, EOQ), so alerts after each commit need not recompute forecasts.
    CREATE TABLE replenishment_plan (
        sku TEXT PRIMARY KEY REFERENCES item(sku),
        as_of TEXT NOT NULL,
        method TEXT NOT NULL,
        demand_class TEXT NOT NULL,
        daily_demand REAL NOT NULL,
        demand_sd REAL NOT NULL,
        mae REAL,
        mase REAL,
        lead_time_days REAL NOT NULL,
        service_level REAL NOT NULL,
        safety_stock REAL NOT NULL,
        reorder_point REAL NOT NULL,
        min_qty REAL NOT NULL,
        max_qty REAL NOT NULL,
        eoq REAL,
        computed_at TEXT NOT NULL
    ) WITHOUT ROWID;

    -- One open alert per item at most (cleared_at NULL); the dashboard reads it.
    CREATE TABLE stock_alert (
        id INTEGER PRIMARY KEY,
        sku TEXT NOT NULL REFERENCES item(sku),
        raised_at TEXT NOT NULL,
        cleared_at TEXT,
        available REAL NOT NULL,
        reorder_point REAL NOT NULL,
        cleared_available REAL
    );
    CREATE UNIQUE INDEX stock_alert_open ON stock_alert(sku) WHERE cleared_at IS NULL;
    CREATE INDEX stock_alert_raised ON stock_alert(raised_at);

    -- Suggested purchase orders, one per supplier, edited and approved by a
    -- supervisor; approval creates the purchase_order (po_id).
    CREATE TABLE po_suggestion (
        id INTEGER PRIMARY KEY,
        supplier TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'dismissed')),
        po_id TEXT,
        note TEXT,
        created_at TEXT NOT NULL,
        decided_at TEXT,
        decided_by INTEGER
    );
    CREATE INDEX po_suggestion_status ON po_suggestion(status, supplier);
    CREATE TABLE po_suggestion_line (
        suggestion_id INTEGER NOT NULL REFERENCES po_suggestion(id),
        sku TEXT NOT NULL REFERENCES item(sku),
        qty REAL NOT NULL CHECK (qty > 0),
        unit_price REAL CHECK (unit_price IS NULL OR unit_price >= 0),
        available REAL,
        reorder_point REAL,
        PRIMARY KEY (suggestion_id, sku)
    ) WITHOUT ROWID;

    -- The price a PO line was ordered at: the receipt cost of FIFO layers.
    ALTER TABLE po_line ADD COLUMN unit_price REAL;

    -- Pick-face minimums: below min_qty a move task from reserve refills to max_qty.
    CREATE TABLE pick_face (
        bin TEXT NOT NULL REFERENCES bin(code),
        sku TEXT NOT NULL REFERENCES item(sku),
        min_qty REAL NOT NULL CHECK (min_qty >= 0),
        max_qty REAL NOT NULL CHECK (max_qty > 0),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (bin, sku),
        CHECK (max_qty >= min_qty)
    ) WITHOUT ROWID;
    CREATE INDEX pick_face_sku ON pick_face(sku);

    -- Reports read the ledger by time (a window of days, as of a date): a
    -- range scan instead of the whole ledger (bench/reports.py measures both).
    -- Not (kind, recorded_at): SQLite then took it for "kind = 'receive'" in
    -- lookups by (ref_type, ref_id) and scanned every receipt movement.
    CREATE INDEX movement_recorded ON movement(recorded_at);
    """)
