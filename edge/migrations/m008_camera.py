"""Migration m008_camera. Landed: never edit it; add the next one."""
from __future__ import annotations

from edge.migrations import migrations, _run_script


@migrations(name="m008_camera")
def m008_camera(db):
    """Fixed dock cameras (edge/decode/station.py, docs/decoding.md): each station's
    latest health report, and the log of what it read."""
    _run_script(db, """
    -- One row per station, overwritten by each report (every few seconds).
    CREATE TABLE camera_station (
        station TEXT PRIMARY KEY,
        source TEXT,
        dock_bin TEXT,
        status TEXT NOT NULL CHECK (status IN ('starting', 'running', 'reconnecting', 'stopped')),
        fps REAL NOT NULL DEFAULT 0,
        decode_ms_p50 REAL,
        decode_ms_p99 REAL,
        frames INTEGER NOT NULL DEFAULT 0,
        dropped INTEGER NOT NULL DEFAULT 0,
        reads INTEGER NOT NULL DEFAULT 0,
        reconnects INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        user_id INTEGER,
        started_at TEXT,
        last_seen TEXT NOT NULL
    );
    -- Every code a station read (after its repeat window), with what it led to.
    -- The id is minted by the station, so a report sent twice is stored once.
    CREATE TABLE station_read (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        station TEXT NOT NULL,
        code TEXT NOT NULL,
        symbology TEXT,
        kind TEXT,
        sscc TEXT,
        outcome TEXT NOT NULL,
        detail TEXT,
        command_id TEXT,
        receipt_id TEXT,
        read_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX station_read_by_station ON station_read(station, seq);
    CREATE INDEX station_read_by_sscc ON station_read(sscc) WHERE sscc IS NOT NULL;
    """)
