"""Bins, items, barcodes and lots: validated writes and plain reads. No Flask."""
from __future__ import annotations

import sqlite3

from edge.ledger.errors import LedgerError, UnknownItem
from edge.ledger.post import is_decimal_uom
from edge.models import BarcodeIn, BinIn, ItemIn


class AlreadyExists(LedgerError):
    """A record with that key exists already."""

    status, title, type_slug = 409, "Already exists", "already-exists"


class NotFound(LedgerError):
    """No record with that key."""

    status, title, type_slug = 404, "Not found", "not-found"


class InUse(LedgerError):
    """The change would contradict stock or movements already recorded."""

    status, title, type_slug = 409, "In use", "in-use"


BIN_COLUMNS = list(BinIn.model_fields)
ITEM_COLUMNS = list(ItemIn.model_fields)


def _values(model, columns):
    data = model.model_dump()
    return [int(v) if isinstance(v, bool) else v for v in (data[c] for c in columns)]


def _insert(conn, table, key, model, columns, replace):
    cols = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    if replace:
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({key}) DO UPDATE SET {updates}"
    else:
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
    try:
        conn.execute(sql, _values(model, columns))
    except sqlite3.IntegrityError as exc:
        if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
            raise AlreadyExists(f"{table} {getattr(model, key)!r} already exists", field=key) from None
        raise


def save_bin(conn, b: BinIn, *, replace: bool = False) -> dict:
    _insert(conn, "bin", "code", b, BIN_COLUMNS, replace)
    return get_bin(conn, b.code)


def save_item(conn, item: ItemIn, *, replace: bool = False) -> dict:
    if replace:
        old = conn.execute("SELECT tracking, uom FROM item WHERE sku = ?", (item.sku,)).fetchone()
        if old and old["tracking"] != item.tracking and _has_movements(conn, item.sku):
            raise InUse(f"{item.sku} already has movements as tracking={old['tracking']}; "
                        "tracking cannot change", field="tracking")
        if old and is_decimal_uom(old["uom"]) and not is_decimal_uom(item.uom):
            _refuse_fractional_stock(conn, item.sku, old["uom"], item.uom)
    _insert(conn, "item", "sku", item, ITEM_COLUMNS, replace)
    return get_item(conn, item.sku)


def save_barcode(conn, bc: BarcodeIn, *, replace: bool = False) -> dict:
    if conn.execute("SELECT 1 FROM item WHERE sku = ?", (bc.sku,)).fetchone() is None:
        raise UnknownItem(f"no item with sku {bc.sku!r}", field="sku")
    _insert(conn, "barcode", "code", bc, ["code", "sku", "pack_qty"], replace)
    return get_barcode(conn, bc.code)


def delete_barcode(conn, code: str) -> None:
    if conn.execute("DELETE FROM barcode WHERE code = ?", (code,)).rowcount == 0:
        raise NotFound(f"no barcode {code!r}")


def _refuse_fractional_stock(conn, sku: str, old_uom: str, new_uom: str) -> None:
    """A unit counted in whole pieces refuses fractional quantities, so stock of 2.5
    left behind by the change could never be moved, adjusted or counted out."""
    row = conn.execute(
        "SELECT bin, lot, qty, reserved FROM stock WHERE sku = ? AND "
        "(qty != CAST(qty AS INTEGER) OR reserved != CAST(reserved AS INTEGER)) ORDER BY bin, lot LIMIT 1",
        (sku,)).fetchone()
    if row is not None:
        lot = f" (lot {row['lot']})" if row["lot"] else ""
        held = f"{row['qty']:g} {old_uom}" + (f", {row['reserved']:g} reserved" if row["reserved"] else "")
        raise InUse(f"{sku} holds {held} in {row['bin']}{lot}, not a whole number of {new_uom}: "
                    f"adjust or count its stock to whole {old_uom} before changing the unit", field="uom")


def _has_movements(conn, sku) -> bool:
    return conn.execute("SELECT 1 FROM movement WHERE sku = ? LIMIT 1", (sku,)).fetchone() is not None


def _bools(row, *names):
    out = dict(row)
    for n in names:
        out[n] = bool(out[n])
    return out


def get_bin(conn, code: str) -> dict:
    row = conn.execute("SELECT * FROM bin WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise NotFound(f"no bin {code!r}")
    return _bools(row, "active")


def get_item(conn, sku: str) -> dict:
    row = conn.execute("SELECT * FROM item WHERE sku = ?", (sku,)).fetchone()
    if row is None:
        raise NotFound(f"no item {sku!r}")
    out = _bools(row, "active", "perishable")
    out["barcodes"] = [dict(r) for r in conn.execute(
        "SELECT code, pack_qty FROM barcode WHERE sku = ? ORDER BY pack_qty, code", (sku,))]
    return out


def get_barcode(conn, code: str) -> dict:
    row = conn.execute("SELECT * FROM barcode WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise NotFound(f"no barcode {code!r}")
    return dict(row)


def list_rows(conn, table: str, key: str, *, after: str | None, limit: int,
              filters: dict[str, str | None]) -> list[dict]:
    """Keyset paging by primary key: stable under concurrent inserts."""
    where, params = [], []
    for col, value in filters.items():
        if value is not None and value != "":
            where.append(f"{col} = ?")
            params.append(value)
    if after:
        where.append(f"{key} > ?")
        params.append(after)
    sql = f"SELECT * FROM {table}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {key} LIMIT ?"
    params.append(limit)
    rows = [dict(r) for r in conn.execute(sql, params)]
    for r in rows:
        for n in ("active", "perishable"):
            if n in r:
                r[n] = bool(r[n])
    return rows


def expected_barcodes(conn, sku: str) -> list[dict]:
    """What a handheld may accept for ``sku`` on a task line: each barcode and
    its pack quantity, eaches first, so the device can check a scan offline."""
    return [{"code": r["code"], "pack_qty": r["pack_qty"]} for r in conn.execute(
        "SELECT code, pack_qty FROM barcode WHERE sku = ? ORDER BY pack_qty, code", (sku,))]
