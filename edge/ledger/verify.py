"""Check the stock projection against the ledger, and rebuild it."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

LEDGER_SUMS = """
    SELECT bin, sku, lot, round(sum(delta), 6) AS qty FROM (
        SELECT from_bin AS bin, sku, lot, -qty AS delta FROM movement WHERE from_bin IS NOT NULL
        UNION ALL
        SELECT to_bin AS bin, sku, lot, qty AS delta FROM movement WHERE to_bin IS NOT NULL
    ) GROUP BY bin, sku, lot
"""


@dataclass
class Difference:
    bin: str
    sku: str
    lot: str
    ledger: float
    projection: float


def differences(conn: sqlite3.Connection) -> list[Difference]:
    """Every (bin, sku, lot) where the projection disagrees with the ledger's sum."""
    ledger = {(r["bin"], r["sku"], r["lot"]): r["qty"] for r in conn.execute(LEDGER_SUMS)}
    projection = {(r["bin"], r["sku"], r["lot"]): r["qty"]
                  for r in conn.execute("SELECT bin, sku, lot, qty FROM stock")}
    out = []
    for key in sorted(set(ledger) | set(projection)):
        have, want = projection.get(key, 0.0), ledger.get(key, 0.0)
        if abs(have - want) > 1e-6:
            out.append(Difference(*key, ledger=want, projection=have))
    return out


def serial_differences(conn: sqlite3.Connection) -> list[str]:
    """Serials whose recorded location is not where their last movement took them."""
    rows = conn.execute("""
        SELECT m.sku, m.serial, m.to_bin AS last_bin, s.bin AS recorded
        FROM movement m
        JOIN (SELECT sku, serial, max(seq) AS seq FROM movement WHERE serial IS NOT NULL
              GROUP BY sku, serial) last ON last.seq = m.seq
        LEFT JOIN serial s ON s.sku = m.sku AND s.serial = m.serial
        WHERE s.bin IS NOT m.to_bin
    """).fetchall()
    return [f"serial {r['serial']} of {r['sku']}: ledger says {r['last_bin']}, projection says {r['recorded']}"
            for r in rows]


def rebuild(conn: sqlite3.Connection) -> int:
    """Recompute stock quantities from the ledger inside the caller's transaction.

    Reservations are not ledger facts, so they are kept as they are.
    Returns the number of rows that changed.
    """
    diffs = differences(conn)
    for d in diffs:
        conn.execute(
            "INSERT INTO stock (bin, sku, lot, qty) VALUES (?,?,?,?) "
            "ON CONFLICT (bin, sku, lot) DO UPDATE SET qty = excluded.qty",
            (d.bin, d.sku, d.lot, d.ledger))
    conn.execute("DELETE FROM stock WHERE qty = 0 AND reserved = 0")
    conn.execute("""
        INSERT INTO serial (sku, serial, bin, lot)
        SELECT m.sku, m.serial, m.to_bin, m.lot FROM movement m
        JOIN (SELECT sku, serial, max(seq) AS seq FROM movement WHERE serial IS NOT NULL
              GROUP BY sku, serial) last ON last.seq = m.seq
        WHERE true
        ON CONFLICT (sku, serial) DO UPDATE SET bin = excluded.bin, lot = excluded.lot
    """)
    return len(diffs)


# What the open allocations of the picking workflow hold (edge/workflows/allocation.py).
OPEN_RESERVATIONS = """
    SELECT bin, sku, lot, round(sum(qty - picked_qty), 6) AS reserved FROM allocation
    WHERE status = 'open' GROUP BY bin, sku, lot
"""


def reservations_wanted(conn: sqlite3.Connection) -> dict[tuple[str, str, str], float]:
    """(bin, sku, lot) -> what the open allocations reserve there."""
    return {(r["bin"], r["sku"], r["lot"]): r["reserved"] for r in conn.execute(OPEN_RESERVATIONS)}


def reservation_differences(conn: sqlite3.Connection) -> list[str]:
    """Every (bin, sku, lot) whose stock.reserved is not the sum of its open allocations."""
    wanted = reservations_wanted(conn)
    have = {(r["bin"], r["sku"], r["lot"]): r["reserved"]
            for r in conn.execute("SELECT bin, sku, lot, reserved FROM stock WHERE reserved <> 0")}
    out = []
    for key in sorted(set(wanted) | set(have)):
        if abs(have.get(key, 0.0) - wanted.get(key, 0.0)) > 1e-6:
            bin_code, sku, lot = key
            shown = f" lot {lot}" if lot else ""
            out.append(f"reserved in bin {bin_code} sku {sku}{shown}: open allocations {wanted.get(key, 0.0):g}, "
                       f"projection {have.get(key, 0.0):g}")
    return out
