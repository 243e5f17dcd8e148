"""The write half of an import: one job for the writer, all or nothing.

The job checks the rules that need the database (a barcode's item exists, an
item's tracking may not change under recorded movements, every ledger rule
for opening stock), and raises :class:`ImportFailed` if anything at all is
wrong, file errors included, so the writer rolls the whole job back.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Callable

from pydantic import BaseModel

from edge import masterdata as md
from edge.csvio.kinds import Kind
from edge.csvio.report import ImportFailed, Report, RowError
from edge.ledger import LedgerError, Movement, is_decimal_uom, post_movements, utcnow

# Movement ids of opening stock: uuid5(namespace, sha256(file) + line). The
# same file imported again yields the same ids, which the ledger recognises.
OPENING_NAMESPACE = uuid.UUID("056f0e3b-bf9c-4e7d-80a4-146dedbc5ea9")
CHUNK = 5_000

# The ledger names the sides of a movement; the file has one bin column.
LEDGER_FIELDS = {"to_bin": "bin", "from_bin": "bin", "id": None}


@dataclass
class Batch:
    """Everything the job needs, prepared outside the write lock."""

    kind: Kind
    name: str
    data: bytes
    rows: list[tuple[int, BaseModel]]
    errors: list[RowError]
    report: Report
    user_id: int | None = None
    progress: Callable[[int], None] = field(default=lambda n: None)

    def fail(self) -> ImportFailed:
        return ImportFailed(self.kind.name, self.name, self.errors)


def opening_id(digest: str, line: int) -> str:
    return str(uuid.uuid5(OPENING_NAMESPACE, f"{digest}:{line}"))


def job_for(batch: Batch) -> Callable:
    """The writer job, ``job(conn) -> Report``."""
    apply = {"items": _items, "bins": _bins, "barcodes": _barcodes, "stock": _stock}[batch.kind.name]
    return lambda conn: apply(conn, batch)


# -- master data: validated in bulk, written with executemany ----------------

def _columns(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _upsert(conn, batch: Batch, key: str) -> None:
    columns = _columns(batch.kind.model)
    cols = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    sql = (f"INSERT INTO {batch.kind.table} ({cols}) VALUES ({marks}) "
           f"ON CONFLICT ({key}) DO UPDATE SET {updates}")
    rows = batch.rows
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        conn.executemany(sql, ([int(v) if isinstance(v, bool) else v
                                for v in (getattr(m, c) for c in columns)] for _, m in chunk))
        batch.progress(len(chunk))


def _count(batch: Batch, existing, key: str) -> None:
    batch.report.created = sum(1 for _, m in batch.rows if getattr(m, key) not in existing)
    batch.report.updated = len(batch.rows) - batch.report.created


def _items(conn, batch: Batch) -> Report:
    known = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT sku, tracking, uom FROM item")}
    tracking = {sku: t for sku, (t, _) in known.items()}
    for line, item in batch.rows:
        old = known.get(item.sku)
        if old is not None and (old[0] != item.tracking
                                or (is_decimal_uom(old[1]) and not is_decimal_uom(item.uom))):
            # Rare, and masterdata owns the rules (tracking, a unit going whole
            # over fractional stock): let it decide (and write).
            try:
                md.save_item(conn, item, replace=True)
            except md.InUse as exc:
                batch.errors.append(RowError(line, exc.field, exc.detail))
    if batch.errors:
        raise batch.fail()
    _count(batch, tracking, "sku")
    _upsert(conn, batch, "sku")
    return batch.report


def _bins(conn, batch: Batch) -> Report:
    if batch.errors:
        raise batch.fail()
    existing = {r[0] for r in conn.execute("SELECT code FROM bin")}
    _count(batch, existing, "code")
    _upsert(conn, batch, "code")
    return batch.report


def _barcodes(conn, batch: Batch) -> Report:
    skus = {r[0] for r in conn.execute("SELECT sku FROM item")}
    for line, bc in batch.rows:
        if bc.sku not in skus:
            # The words masterdata.save_barcode uses, so the API and the file agree.
            batch.errors.append(RowError(line, "sku", f"no item with sku {bc.sku!r}"))
    if batch.errors:
        raise batch.fail()
    existing = {r[0] for r in conn.execute("SELECT code FROM barcode")}
    _count(batch, existing, "code")
    _upsert(conn, batch, "code")
    return batch.report


# -- opening stock: every row through the ledger -------------------------------

def _stock(conn, batch: Batch) -> Report:
    digest = hashlib.sha256(batch.data).hexdigest()
    now = utcnow()
    report = batch.report
    for line, row in batch.rows:
        mv = Movement(id=opening_id(digest, line), kind="opening", sku=row.sku, qty=row.qty, to_bin=row.bin,
                      lot=row.lot, serial=row.serial, expiry=row.expiry.isoformat() if row.expiry else None,
                      ref_type="import", ref_id=batch.name, user_id=batch.user_id)
        try:
            # One row per call: a bad row rolls back only itself, so the
            # report can name every bad row, not just the first.
            result = post_movements(conn, [mv], now=now)
        except LedgerError as exc:
            batch.errors.append(RowError(line, LEDGER_FIELDS.get(exc.field, exc.field), exc.detail))
        else:
            report.duplicates += result.duplicates
            report.movements += len(result.movements) - result.duplicates
        batch.progress(1)
    if batch.errors:
        raise batch.fail()
    return report
