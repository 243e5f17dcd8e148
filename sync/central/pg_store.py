"""PostgreSQL backend (psycopg 3) for a company with many warehouses.

A batch is one transaction: the warehouse row is locked (SELECT ... FOR
UPDATE) so two batches of one warehouse serialize while other warehouses'
batches run in parallel; new rows are COPYed into a temporary table and moved
with INSERT ... ON CONFLICT (id) DO NOTHING. Timestamps stay text, exactly as
the edge sent them, so a re-sent row compares equal byte for byte.
"""
from __future__ import annotations

from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row

from sync.central.store import Store
from sync.central.ingest import ROW_COLS

SCHEMA_V1 = """
CREATE TABLE warehouse (
    code text PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    synced_seq bigint NOT NULL DEFAULT 0,
    newest_recorded_at text,
    last_contact text,
    created_at text NOT NULL
);
CREATE TABLE api_key (
    name text PRIMARY KEY,
    key_hash text NOT NULL UNIQUE,
    created_at text NOT NULL
);
CREATE TABLE movement (
    warehouse text NOT NULL,
    seq bigint NOT NULL,
    id text PRIMARY KEY,
    kind text NOT NULL,
    sku text NOT NULL,
    lot text NOT NULL DEFAULT '',
    serial text,
    qty double precision NOT NULL,
    from_bin text,
    to_bin text,
    ref_type text,
    ref_id text,
    reason text,
    user_id bigint,
    device_id text,
    command_id text,
    replayed integer NOT NULL DEFAULT 0,
    scanned_at text,
    recorded_at text NOT NULL,
    UNIQUE (warehouse, seq)
);
CREATE INDEX movement_sku ON movement (sku);
CREATE TABLE stock (
    warehouse text NOT NULL,
    bin text NOT NULL,
    sku text NOT NULL,
    lot text NOT NULL DEFAULT '',
    qty double precision NOT NULL,
    PRIMARY KEY (warehouse, bin, sku, lot)
) WITH (fillfactor = 80);
CREATE TABLE change (
    pos bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    key text NOT NULL,
    warehouse text NOT NULL DEFAULT '',
    op text NOT NULL,
    data text NOT NULL,
    created_at text NOT NULL
);
CREATE UNIQUE INDEX change_key ON change (kind, key, warehouse);
CREATE INDEX change_scope ON change (warehouse, pos);
CREATE TABLE transfer (
    id text PRIMARY KEY,
    from_warehouse text,
    to_warehouse text,
    status text NOT NULL,
    ordered text,
    shipped text,
    created_at text NOT NULL,
    in_transit_at text,
    received_at text,
    updated_at text NOT NULL
);
CREATE INDEX transfer_status ON transfer (status, created_at)
"""

# Keys of pg_advisory_xact_lock: one per kind of writer that must serialize.
LOCKS = {"migrate": 7_300_001, "change": 7_300_002}


class PgStore(Store):
    backend = "postgresql"
    placeholder = "%s"
    for_update = " FOR UPDATE"
    migrations = (SCHEMA_V1,)

    def _connect(self):
        return psycopg.connect(self.url, autocommit=True, row_factory=dict_row)

    def _is_broken(self, conn) -> bool:
        return conn.closed or conn.broken

    @contextmanager
    def tx(self):
        conn = self.conn()
        with conn.transaction():
            yield conn

    def _lock_serial(self, conn, name: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCKS[name],))

    def _insert_movements(self, conn, rows: list[tuple]) -> int:
        cols = ", ".join(ROW_COLS)
        with conn.cursor() as cur:
            # Every time: creating it is transactional, so a refused batch takes it away again.
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS incoming_movement "
                        "(LIKE movement INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            with cur.copy(f"COPY incoming_movement ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO movement ({cols}) SELECT {cols} FROM incoming_movement "
                        "ON CONFLICT (id) DO NOTHING")
            return cur.rowcount

    def _project_stock(self, conn, warehouse: str, rows: list[tuple]) -> None:
        # The batch is still in the temporary table (the insert count matched it
        # exactly), so add up from there rather than read the new rows back.
        conn.execute("INSERT INTO stock (warehouse, bin, sku, lot, qty) "
                     "SELECT warehouse, bin, sku, lot, sum(d) FROM ("
                     "SELECT warehouse, from_bin AS bin, sku, lot, -qty AS d FROM incoming_movement "
                     "WHERE from_bin IS NOT NULL "
                     "UNION ALL SELECT warehouse, to_bin AS bin, sku, lot, qty AS d FROM incoming_movement "
                     "WHERE to_bin IS NOT NULL) AS delta GROUP BY warehouse, bin, sku, lot "
                     "ON CONFLICT (warehouse, bin, sku, lot) DO UPDATE SET qty = stock.qty + excluded.qty")
