"""Tables out as CSV, in the columns the import reads, so a file round-trips.

Each export is one SELECT, so it is one consistent snapshot of a live
database (WAL readers never block the writer).
"""
from __future__ import annotations

import csv
import io
import sqlite3
from typing import Iterator

from edge.csvio.kinds import KINDS

MOVEMENT_COLUMNS = ["seq", "id", "kind", "sku", "lot", "serial", "qty", "from_bin", "to_bin", "ref_type",
                    "ref_id", "reason", "user_id", "device_id", "command_id", "replayed", "scanned_at",
                    "recorded_at"]
BOOLEANS = {"active", "perishable", "replayed"}
EXPORT_KINDS = ("items", "bins", "barcodes", "stock", "movements")

# Serial-tracked stock goes out one serial per row (qty 1), as it was counted;
# everything else one row per (bin, sku, lot). Zero rows are left out.
STOCK_SQL = """
    SELECT s.bin, s.sku, s.lot, l.expiry, NULL AS serial, s.qty
    FROM stock s JOIN item i ON i.sku = s.sku
    LEFT JOIN lot l ON l.sku = s.sku AND l.lot = s.lot
    WHERE i.tracking <> 'serial' AND s.qty <> 0
    UNION ALL
    SELECT se.bin, se.sku, se.lot, l.expiry, se.serial, 1 AS qty
    FROM serial se JOIN item i ON i.sku = se.sku
    LEFT JOIN lot l ON l.sku = se.sku AND l.lot = se.lot
    WHERE i.tracking = 'serial' AND se.bin IS NOT NULL
    ORDER BY 1, 2, 3, 5
"""


def columns_of(kind: str) -> list[str]:
    return MOVEMENT_COLUMNS if kind == "movements" else KINDS[kind].columns


def _query(kind: str, after_seq: int | None) -> tuple[str, tuple]:
    if kind == "stock":
        return STOCK_SQL, ()
    if kind == "movements":
        return f"SELECT {', '.join(MOVEMENT_COLUMNS)} FROM movement WHERE seq > ? ORDER BY seq", (after_seq or 0,)
    spec = KINDS[kind]
    key = "sku" if kind == "items" else "code"
    return f"SELECT {', '.join(spec.columns)} FROM {spec.table} ORDER BY {key}", ()


def cell(name: str, value) -> str:
    if value is None:
        return ""
    if name in BOOLEANS:
        return "true" if value else "false"
    if isinstance(value, float):
        # 12.0 reads better as 12, and imports back as the same number.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def rows(conn: sqlite3.Connection, kind: str, *, after_seq: int | None = None) -> Iterator[list[str]]:
    """The header, then every row as cells."""
    if kind not in EXPORT_KINDS:
        raise ValueError(f"cannot export {kind!r}; choose one of {', '.join(EXPORT_KINDS)}")
    columns = columns_of(kind)
    yield columns
    sql, params = _query(kind, after_seq)
    for row in conn.execute(sql, params):
        yield [cell(n, v) for n, v in zip(columns, row)]


def write(conn: sqlite3.Connection, kind: str, out, *, after_seq: int | None = None) -> int:
    """Write CSV to a text stream; the number of data rows written."""
    writer = csv.writer(out, lineterminator="\n")
    count = -1
    for count, row in enumerate(rows(conn, kind, after_seq=after_seq)):
        writer.writerow(row)
    return count


def chunks(conn: sqlite3.Connection, kind: str, *, after_seq: int | None = None,
           size: int = 1_000) -> Iterator[str]:
    """CSV text in pieces of ``size`` rows, for a streamed HTTP response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for n, row in enumerate(rows(conn, kind, after_seq=after_seq), start=1):
        writer.writerow(row)
        if n % size == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
