-- An edge database as release 0.1's first schema left it: migration m001_initial
-- only, with a few rows (two users: admin PIN 5555, receiver PIN 2222; three bins;
-- two items, one lot-tracked; four movements and the stock they add up to; one
-- open exception). Frozen on purpose: tests/test_ops_upgrade.py loads it and
-- checks that today's `floorscan init` / `floorscan serve` upgrade it and that
-- `floorscan verify` passes. Never regenerate it with a newer schema.
BEGIN TRANSACTION;
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
INSERT INTO "_sqlite_migrations" VALUES(1,'floorscan','m001_initial','2026-11-27 06:25:08.294521+00:00');
CREATE TABLE barcode (
        code TEXT PRIMARY KEY,
        sku TEXT NOT NULL REFERENCES item(sku),
        pack_qty REAL NOT NULL DEFAULT 1 CHECK (pack_qty > 0)
    );
INSERT INTO "barcode" VALUES('05012345678900','SKU-1',1.0);
INSERT INTO "barcode" VALUES('15012345678907','SKU-1',12.0);
CREATE TABLE bin (
        code TEXT PRIMARY KEY,
        zone TEXT NOT NULL DEFAULT '',
        aisle TEXT NOT NULL DEFAULT '',
        walk_seq INTEGER NOT NULL DEFAULT 0,
        kind TEXT NOT NULL DEFAULT 'storage' CHECK (kind IN ('dock', 'storage', 'pick-face', 'staging', 'quarantine', 'returns', 'in-transit', 'tote')),
        capacity REAL CHECK (capacity IS NULL OR capacity > 0),
        active INTEGER NOT NULL DEFAULT 1
    );
INSERT INTO "bin" VALUES('DOCK-1','D','DOCK',1,'dock',NULL,1);
INSERT INTO "bin" VALUES('A-01-01','A','A-01',10,'storage',NULL,1);
INSERT INTO "bin" VALUES('B-02-03','B','B-02',20,'storage',NULL,1);
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
CREATE TABLE count_request (
        id INTEGER PRIMARY KEY,
        bin TEXT NOT NULL REFERENCES bin(code),
        sku TEXT,
        reason TEXT NOT NULL,
        exception_id INTEGER REFERENCES exception(id),
        status TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL
    );
CREATE TABLE device (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        last_user_id INTEGER REFERENCES user(id)
    );
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
INSERT INTO "exception" VALUES(1,'negative_stock','open','A-01-01','SKU-1',NULL,NULL,NULL,'replayed pick took more than the bin held',NULL,NULL,'2026-01-15T08:00:00.000Z',NULL,NULL,NULL);
CREATE TABLE idempotency_key (
        key TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (key, user_id)
    ) WITHOUT ROWID;
CREATE TABLE item (
        sku TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        uom TEXT NOT NULL DEFAULT 'ea',
        tracking TEXT NOT NULL DEFAULT 'none' CHECK (tracking IN ('none', 'lot', 'serial')),
        perishable INTEGER NOT NULL DEFAULT 0,
        abc_class TEXT CHECK (abc_class IS NULL OR abc_class IN ('A', 'B', 'C')),
        unit_cost REAL NOT NULL DEFAULT 0 CHECK (unit_cost >= 0),
        reorder_point REAL CHECK (reorder_point IS NULL OR reorder_point >= 0),
        reorder_qty REAL CHECK (reorder_qty IS NULL OR reorder_qty >= 0),
        preferred_zone TEXT,
        active INTEGER NOT NULL DEFAULT 1
    );
INSERT INTO "item" VALUES('SKU-1','Blue widget','ea','none',0,NULL,0.0,NULL,NULL,NULL,1);
INSERT INTO "item" VALUES('SKU-L','Yoghurt 500 g','ea','lot',1,NULL,0.0,NULL,NULL,NULL,1);
CREATE TABLE lot (
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL,
        expiry TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (sku, lot)
    ) WITHOUT ROWID;
INSERT INTO "lot" VALUES('SKU-L','L2026-01','2026-03-01','2026-01-15T08:00:00.000Z');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('pin_salt','00112233445566778899aabbccddeeff');
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
INSERT INTO "movement" VALUES(1,'11111111-1111-4111-8111-000000000001','receive','SKU-1','',NULL,24.0,NULL,'DOCK-1',NULL,NULL,NULL,2,'hh-01',NULL,0,'2026-01-15T08:00:00.000Z','2026-01-15T08:00:00.000Z');
INSERT INTO "movement" VALUES(2,'11111111-1111-4111-8111-000000000002','putaway','SKU-1','',NULL,20.0,'DOCK-1','A-01-01',NULL,NULL,NULL,2,'hh-01',NULL,0,'2026-01-15T08:00:00.000Z','2026-01-15T08:00:00.000Z');
INSERT INTO "movement" VALUES(3,'11111111-1111-4111-8111-000000000003','receive','SKU-L','L2026-01',NULL,6.0,NULL,'B-02-03',NULL,NULL,NULL,2,'hh-01',NULL,0,'2026-01-15T08:00:00.000Z','2026-01-15T08:00:00.000Z');
INSERT INTO "movement" VALUES(4,'11111111-1111-4111-8111-000000000004','pick','SKU-1','',NULL,3.0,'A-01-01',NULL,NULL,NULL,NULL,2,'hh-01',NULL,0,'2026-01-15T08:00:00.000Z','2026-01-15T08:00:00.000Z');
CREATE TABLE serial (
        sku TEXT NOT NULL,
        serial TEXT NOT NULL,
        bin TEXT,
        lot TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (sku, serial)
    ) WITHOUT ROWID;
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
CREATE TABLE stock (
        bin TEXT NOT NULL REFERENCES bin(code),
        sku TEXT NOT NULL REFERENCES item(sku),
        lot TEXT NOT NULL DEFAULT '',
        qty REAL NOT NULL DEFAULT 0,
        reserved REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (bin, sku, lot)
    ) WITHOUT ROWID;
INSERT INTO "stock" VALUES('A-01-01','SKU-1','',17.0,0.0);
INSERT INTO "stock" VALUES('B-02-03','SKU-L','L2026-01',6.0,0.0);
INSERT INTO "stock" VALUES('DOCK-1','SKU-1','',4.0,0.0);
CREATE TABLE user (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('picker', 'receiver', 'counter', 'supervisor', 'admin')),
        pin_hash TEXT UNIQUE,
        badge_hash TEXT UNIQUE,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
INSERT INTO "user" VALUES(1,'Old Admin','admin','8c2a5f444852cc6ac1af6d1eb0197a346faac550863e3a0a16141059117f550c',NULL,1,'2026-01-15T08:00:00.000Z');
INSERT INTO "user" VALUES(2,'Old Receiver','receiver','2b93eaff856b5ce849c3cef7f89752d686d496f1c37d4c9125f1372cabe8b900',NULL,1,'2026-01-15T08:00:00.000Z');
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE INDEX bin_walk ON bin(zone, walk_seq);
CREATE INDEX barcode_sku ON barcode(sku);
CREATE INDEX signin_failure_client ON signin_failure(client, at);
CREATE INDEX movement_sku ON movement(sku);
CREATE INDEX movement_from ON movement(from_bin);
CREATE INDEX movement_to ON movement(to_bin);
CREATE TRIGGER movement_no_update BEFORE UPDATE ON movement
        BEGIN SELECT RAISE(ABORT, 'movement is immutable'); END;
CREATE TRIGGER movement_no_delete BEFORE DELETE ON movement
        BEGIN SELECT RAISE(ABORT, 'movement is immutable'); END;
CREATE INDEX stock_sku ON stock(sku, lot);
CREATE INDEX exception_status ON exception(status, id);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('movement',4);
COMMIT;
