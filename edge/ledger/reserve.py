"""Reservations: the ledger's only writers of ``stock.reserved``.

A reservation holds part of a bin's on-hand for an order (the picking
workflow keeps one allocation row per reservation). It is not a movement:
nothing moves until the pick. :func:`post_movements` refuses an interactive
movement that would take reserved stock, so the pick of a reservation
releases it first, in the same transaction, and then posts its movement.
"""
from __future__ import annotations

import sqlite3

from edge.ledger.errors import InsufficientStock, LedgerError

EPS = 1e-6


def free(conn: sqlite3.Connection, bin_code: str, sku: str, lot: str = "") -> float:
    """On-hand that no order has reserved (never below zero)."""
    row = conn.execute("SELECT qty, reserved FROM stock WHERE bin = ? AND sku = ? AND lot = ?",
                       (bin_code, sku, lot or "")).fetchone()
    return max(0.0, row["qty"] - row["reserved"]) if row else 0.0


def reserve(conn: sqlite3.Connection, bin_code: str, sku: str, lot: str, qty: float) -> None:
    """Hold ``qty`` of (bin, sku, lot) for an order; refused beyond what is free."""
    if qty <= 0:
        raise LedgerError(f"a reservation needs a quantity above zero, not {qty:g}", field="qty")
    available = free(conn, bin_code, sku, lot)
    if available + EPS < qty:
        shown = f" lot {lot}" if lot else ""
        raise InsufficientStock(f"bin {bin_code} has {available:g} of {sku}{shown} free; cannot reserve {qty:g}",
                                field="qty", available=available)
    conn.execute("UPDATE stock SET reserved = round(reserved + ?, 6) WHERE bin = ? AND sku = ? AND lot = ?",
                 (qty, bin_code, sku, lot or ""))


def release(conn: sqlite3.Connection, bin_code: str, sku: str, lot: str, qty: float) -> None:
    """Give back ``qty`` of a reservation (a pick, a short, a cancelled order)."""
    if qty <= EPS:
        return
    row = conn.execute(
        "UPDATE stock SET reserved = max(0, round(reserved - ?, 6)) WHERE bin = ? AND sku = ? AND lot = ? "
        "RETURNING qty, reserved", (qty, bin_code, sku, lot or "")).fetchone()
    if row is not None and row["qty"] == 0 and row["reserved"] == 0:
        conn.execute("DELETE FROM stock WHERE bin = ? AND sku = ? AND lot = ?", (bin_code, sku, lot or ""))


def repair(conn: sqlite3.Connection, wanted: dict[tuple[str, str, str], float]) -> int:
    """Set ``reserved`` to ``wanted[(bin, sku, lot)]`` (0 where absent), for
    `floorscan verify --repair`. Returns the number of rows changed."""
    changed = 0
    have = {(r["bin"], r["sku"], r["lot"]): r["reserved"]
            for r in conn.execute("SELECT bin, sku, lot, reserved FROM stock WHERE reserved <> 0")}
    for key in set(have) | set(wanted):
        target = round(wanted.get(key, 0.0), 6)
        if abs(have.get(key, 0.0) - target) <= EPS:
            continue
        conn.execute("INSERT INTO stock (bin, sku, lot, qty, reserved) VALUES (?,?,?,0,?) "
                     "ON CONFLICT (bin, sku, lot) DO UPDATE SET reserved = excluded.reserved", (*key, target))
        changed += 1
    conn.execute("DELETE FROM stock WHERE qty = 0 AND reserved = 0")
    return changed
