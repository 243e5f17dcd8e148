"""What goes on the labels, read from the master data. No Flask.

Raises LabelNotFound naming every unknown bin or sku at once (a supervisor
pasting forty codes wants to fix them in one go) and TooManyLabels before
laying out anything when a job is too large.
"""
from __future__ import annotations

import sqlite3

from edge.labels import layout, symbols
from edge.labels.errors import LabelNotFound, NotEncodable, TooManyLabels

MAX_LABELS = 1000  # one request; a whole 2,000-bin site is two jobs, not one stuck printer


def _missing(kind: str, wanted: list[str], found: set[str], field: str) -> None:
    gone = [c for c in wanted if c not in found]
    if gone:
        shown = ", ".join(gone[:10]) + (f" and {len(gone) - 10} more" if len(gone) > 10 else "")
        raise LabelNotFound(f"no {kind} {shown}", field=field, missing=gone[:100])


def _check_count(n: int, limit: int) -> None:
    if n > limit:
        raise TooManyLabels(f"{n} labels in one job; the limit is {limit}: split it (by zone or aisle)",
                            field="codes", limit=limit, count=n)


def _rows(conn, table: str, key: str, values: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for i in range(0, len(values), 500):
        chunk = values[i:i + 500]
        marks = ",".join("?" * len(chunk))
        out.update({r[key]: dict(r) for r in conn.execute(f"SELECT * FROM {table} WHERE {key} IN ({marks})", chunk)})
    return out


def bins(conn: sqlite3.Connection, *, codes: list[str] | None = None, zone: str | None = None,
         aisle: str | None = None, limit: int = MAX_LABELS) -> list[dict]:
    """Bins by code (in the order given) or by zone/aisle (in walk order)."""
    if codes:
        _check_count(len(codes), limit)
        found = _rows(conn, "bin", "code", codes)
        _missing("bin", codes, set(found), "codes")
        return [found[c] for c in codes]
    if zone is None and aisle is None:
        raise NotEncodable("say which bins: codes, zone or aisle", field="codes")
    where, params = ["active"], []
    for col, value in (("zone", zone), ("aisle", aisle)):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    # kind <> 'tote': totes get their own labels from the tote supplier; virtual bins get none.
    rows = conn.execute(f"SELECT * FROM bin WHERE {' AND '.join(where)} AND kind NOT IN ('in-transit') "
                        f"ORDER BY zone, walk_seq, code LIMIT ?", params + [limit + 1]).fetchall()
    if not rows:
        raise LabelNotFound(f"no active bins in {'zone ' + zone if zone else ''}"
                            f"{' aisle ' + aisle if aisle else ''}".strip(), field="zone" if zone else "aisle")
    _check_count(len(rows) if len(rows) <= limit else _count_bins(conn, where, params), limit)
    return [dict(r) for r in rows]


def _count_bins(conn, where, params) -> int:
    return conn.execute(f"SELECT count(*) FROM bin WHERE {' AND '.join(where)}", params).fetchone()[0]


def bin_labels(conn, *, size: str = "4x2", qr: bool = False, **which) -> list[layout.Label]:
    return [layout.bin_label(b, size=size, qr=qr) for b in bins(conn, **which)]


def item_barcodes(conn, sku: str) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT code, pack_qty FROM barcode WHERE sku = ? ORDER BY pack_qty, code",
                                          (sku,))]


def choose_barcode(barcodes: list[dict], case: bool) -> tuple[str | None, str | None, float]:
    """(gtin14, plain code, pack qty): eaches (pack 1) for item labels, the largest pack for case labels.
    A GTIN wins over an internal code because it carries lot and expiry as GS1."""
    wanted = [b for b in barcodes if (b["pack_qty"] > 1 if case else b["pack_qty"] == 1)]
    if case:
        wanted.sort(key=lambda b: -b["pack_qty"])
    for b in wanted:
        g = symbols.gtin14(b["code"])
        if g:
            return g, b["code"], b["pack_qty"]
    if wanted:
        return None, wanted[0]["code"], wanted[0]["pack_qty"]
    return None, None, 1


def item_labels(conn, skus: list[str], *, case: bool = False, lot: str | None = None, expiry: str | None = None,
                size: str = "4x2", symbology: str = "auto", limit: int = MAX_LABELS) -> list[layout.Label]:
    """Item (each) or case labels, one per sku in the order given. With a lot, the
    expiry comes from the lot master when not given."""
    _check_count(len(skus), limit)
    items = _rows(conn, "item", "sku", skus)
    _missing("item", skus, set(items), "skus")
    labels = []
    for sku in skus:
        item = items[sku]
        gtin, code, pack = choose_barcode(item_barcodes(conn, sku), case)
        if case and code is None:
            raise NotEncodable(f"item {sku} has no case barcode (a barcode with pack qty above 1)", field="skus")
        exp = expiry
        if lot and not exp:
            row = conn.execute("SELECT expiry FROM lot WHERE sku = ? AND lot = ?", (sku, lot)).fetchone()
            exp = row["expiry"] if row else None
        labels.append(layout.item_label(item, gtin=gtin, code=code, size=size, lot=lot, expiry=exp,
                                        pack_qty=pack, symbology=symbology))
    return labels
