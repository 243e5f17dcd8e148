"""Any report's rows as CSV text (RFC 4180, header row, one row per line)."""
from __future__ import annotations

import csv as _csv
import io


def columns_of(rows: list[dict]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        for key in row:
            if key not in cols:
                cols.append(key)
    return cols


def to_csv(rows: list[dict], columns: list[str] | None = None) -> str:
    out = io.StringIO()
    cols = columns or columns_of(rows)
    writer = _csv.DictWriter(out, fieldnames=cols, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else _cell(v)) for k, v in row.items()})
    return out.getvalue()


def _cell(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    return v
