"""A small site written straight through the ledger with chosen dates, for the
analytics and replenishment tests (holds no tests)."""
from __future__ import annotations

import uuid

from edge import masterdata as md
from edge.db import connect
from edge.ledger import Movement, post_movements
from edge.models import BinIn, ItemIn

BINS = [("DOCK", "dock", "D"), ("A-01", "storage", "A"), ("A-02", "storage", "A"), ("B-01", "storage", "B"),
        ("PF-1", "pick-face", "P"), ("TOTE-1", "tote", ""), ("TRANSIT", "in-transit", "")]


def open_site(db_path: str, items=(("BOLT", 2.0), ("NUT", 0.5), ("GLUE", 4.0))):
    """A write connection to a fresh site with BINS and ``items`` (sku, unit cost)."""
    conn = connect(db_path)
    for code, kind, zone in BINS:
        md.save_bin(conn, BinIn(code=code, kind=kind, zone=zone))
    for sku, cost in items:
        md.save_item(conn, ItemIn(sku=sku, unit_cost=cost))
    md.save_item(conn, ItemIn(sku="MILK", tracking="lot", perishable=True, unit_cost=1.0))
    return conn


def mv(conn, day: str, kind: str, sku: str, qty: float, from_bin=None, to_bin=None, *, lot=None, expiry=None,
       ref_type=None, ref_id=None, user_id=None, at: str = "10:00:00.000", replay: bool = False):
    """Post one movement recorded at ``day``T``at``Z through the one write path."""
    m = Movement(id=str(uuid.uuid4()), kind=kind, sku=sku, qty=qty, from_bin=from_bin, to_bin=to_bin, lot=lot,
                 expiry=expiry, ref_type=ref_type, ref_id=ref_id, user_id=user_id)
    return post_movements(conn, [m], now=f"{day}T{at}Z", replay=replay)


def po_receipt(conn, receipt_id: str, po_id: str, supplier: str, lines: list[tuple[str, float, float | None]],
               day: str = "2026-01-01"):
    """A purchase order with priced lines and a closed receipt against it (no movements)."""
    conn.execute("INSERT INTO purchase_order (id, supplier, created_at) VALUES (?,?,?)", (po_id, supplier, day))
    for n, (sku, qty, price) in enumerate(lines, start=1):
        conn.execute("INSERT INTO po_line (po_id, line_no, sku, qty, unit_price) VALUES (?,?,?,?,?)",
                     (po_id, n, sku, qty, price))
    conn.execute("INSERT INTO receipt (id, po_id, dock_bin, status, opened_at, closed_at) "
                 "VALUES (?,?,?,?,?,?)", (receipt_id, po_id, "DOCK", "closed", day, f"{day}T12:00:00Z"))
