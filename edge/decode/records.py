"""What the edge keeps about camera stations: their health and their reads. No Flask."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from edge.ledger import utcnow
from edge.models import Strict

OUTCOMES = ("received", "already_received", "not_on_asn", "refused", "logged", "pending")


class StationStatusIn(Strict):
    status: Literal["starting", "running", "reconnecting", "stopped"] = "running"
    source: Optional[str] = Field(None, max_length=500, description="The camera's address (credentials removed)")
    dock_bin: Optional[str] = Field(None, max_length=64)
    fps: float = Field(0, ge=0, le=1000, description="Frames decoded per second over the last report interval")
    decode_ms_p50: Optional[float] = Field(None, ge=0, le=1e6)
    decode_ms_p99: Optional[float] = Field(None, ge=0, le=1e6)
    frames: int = Field(0, ge=0, le=2 ** 62, description="Frames decoded since the station started")
    dropped: int = Field(0, ge=0, le=2 ** 62, description="Frames dropped because decoding fell behind")
    reads: int = Field(0, ge=0, le=2 ** 62, description="Codes read since start (repeats suppressed)")
    reconnects: int = Field(0, ge=0, le=2 ** 62)
    last_error: Optional[str] = Field(None, max_length=500)
    started_at: Optional[str] = Field(None, max_length=40)


class StationReadIn(Strict):
    id: str = Field(min_length=1, max_length=64, description="Minted by the station (UUID): resending is harmless")
    code: str = Field(min_length=1, max_length=4096, description="As read, with its AIM prefix")
    symbology: Optional[str] = Field(None, max_length=64)
    kind: Optional[str] = Field(None, max_length=32, description="The scan interpretation's kind")
    sscc: Optional[str] = Field(None, max_length=18)
    outcome: Literal[OUTCOMES] = "logged"  # type: ignore[valid-type]
    detail: Optional[str] = Field(None, max_length=1000)
    command_id: Optional[str] = Field(None, max_length=64)
    receipt_id: Optional[str] = Field(None, max_length=64)
    at: str = Field(min_length=1, max_length=40, description="When the station read it (ISO 8601)")


class StationReadsIn(Strict):
    reads: list[StationReadIn] = Field(min_length=1, max_length=500)


def save_status(conn, station: str, body: StationStatusIn, user_id: int) -> dict:
    now = utcnow()
    row = body.model_dump()
    conn.execute(
        "INSERT INTO camera_station (station, source, dock_bin, status, fps, decode_ms_p50, decode_ms_p99, frames, "
        "dropped, reads, reconnects, last_error, user_id, started_at, last_seen) "
        "VALUES (:station, :source, :dock_bin, :status, :fps, :decode_ms_p50, :decode_ms_p99, :frames, :dropped, "
        ":reads, :reconnects, :last_error, :user_id, :started_at, :now) "
        "ON CONFLICT (station) DO UPDATE SET source = excluded.source, dock_bin = excluded.dock_bin, "
        "status = excluded.status, fps = excluded.fps, decode_ms_p50 = excluded.decode_ms_p50, "
        "decode_ms_p99 = excluded.decode_ms_p99, frames = excluded.frames, dropped = excluded.dropped, "
        "reads = excluded.reads, reconnects = excluded.reconnects, last_error = excluded.last_error, "
        "user_id = excluded.user_id, started_at = excluded.started_at, last_seen = excluded.last_seen",
        {**row, "station": station, "user_id": user_id, "now": now})
    return get_status(conn, station)


def get_status(conn, station: str) -> dict | None:
    row = conn.execute("SELECT * FROM camera_station WHERE station = ?", (station,)).fetchone()
    return dict(row) if row else None


def list_statuses(conn) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM camera_station ORDER BY station")]


def add_reads(conn, station: str, reads: list[StationReadIn]) -> list[dict]:
    """Store the reads not stored before; return those (what is news for supervisors)."""
    now, added = utcnow(), []
    for r in reads:
        cur = conn.execute(
            "INSERT INTO station_read (id, station, code, symbology, kind, sscc, outcome, detail, command_id, "
            "receipt_id, read_at, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING",
            (r.id, station, r.code, r.symbology, r.kind, r.sscc, r.outcome, r.detail, r.command_id, r.receipt_id,
             r.at, now))
        if cur.rowcount:
            added.append({"station": station, **r.model_dump()})
    return added


def list_reads(conn, station: str, *, after_seq: int = 0, limit: int = 100) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT * FROM station_read WHERE station = ? AND seq > ? ORDER BY seq LIMIT ?", (station, after_seq, limit))]


def pallet(conn, sscc: str) -> dict | None:
    """Which ASN lists this SSCC, and whether it was received: what a station asks per pallet."""
    row = conn.execute(
        "SELECT p.sscc, p.asn_id, a.po_id, a.status AS asn_status, p.status, p.receipt_id, p.received_at "
        "FROM asn_pallet p JOIN asn a ON a.id = p.asn_id WHERE p.sscc = ?", (sscc,)).fetchone()
    return dict(row) if row else None
