"""Pick-face replenishment: a move task from reserve storage when a pick face
falls below its minimum. No Flask.

The task is a ``putaway_task`` with rule 'replenish' (from a storage bin to the
pick face): drivers already list, walk and confirm putaway tasks on their
handhelds (``putaway.confirm`` moves the goods through the ledger and closes
the task), so a refill needs no new screen, command or state machine. A bare
``move`` command would move stock but leaves nothing for anybody to do.

Reserve is chosen FEFO (earliest expiry), then FIFO (oldest lot), then the
fullest bin. Serial-tracked items are left out: a putaway task of them is
one serial each, and which serial a driver takes is his choice.
"""
from __future__ import annotations

from pydantic import Field, model_validator

from edge.ledger import UnknownBin, UnknownItem, utcnow
from edge.masterdata import NotFound
from edge.models import Strict
from edge.workflows.moves import WrongBinKind
from edge.workflows.putaway import TASK_ROOMS

EPS = 1e-6
RULE = "replenish"


class PickFaceIn(Strict):
    bin: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=64)
    min_qty: float = Field(ge=0, le=1e9, description="Below this the pick face asks for a refill")
    max_qty: float = Field(gt=0, le=1e9, description="A refill tops the pick face up to this")

    @model_validator(mode="after")
    def _order(self):
        if self.max_qty < self.min_qty:
            raise ValueError("max_qty must not be below min_qty")
        return self


def save(conn, pf: PickFaceIn) -> dict:
    b = conn.execute("SELECT kind FROM bin WHERE code = ?", (pf.bin,)).fetchone()
    if b is None:
        raise UnknownBin(f"no bin with code {pf.bin!r}", field="bin")
    if b["kind"] != "pick-face":
        raise WrongBinKind(f"{pf.bin} is a {b['kind']} bin, not a pick face", field="bin")
    if conn.execute("SELECT 1 FROM item WHERE sku = ?", (pf.sku,)).fetchone() is None:
        raise UnknownItem(f"no item with sku {pf.sku!r}", field="sku")
    conn.execute("INSERT INTO pick_face (bin, sku, min_qty, max_qty, updated_at) VALUES (?,?,?,?,?) "
                 "ON CONFLICT (bin, sku) DO UPDATE SET min_qty = excluded.min_qty, max_qty = excluded.max_qty, "
                 "updated_at = excluded.updated_at", (pf.bin, pf.sku, pf.min_qty, pf.max_qty, utcnow()))
    return status(conn, [(pf.bin, pf.sku)])[0]


def delete(conn, bin_code: str, sku: str) -> None:
    if conn.execute("DELETE FROM pick_face WHERE bin = ? AND sku = ?", (bin_code, sku)).rowcount == 0:
        raise NotFound(f"no pick-face minimum for {sku} in {bin_code}")


_OPEN_TASK_LEFT = """COALESCE((SELECT SUM(t.qty - COALESCE((SELECT SUM(m.qty) FROM movement m
    WHERE m.ref_type = 'putaway_task' AND m.ref_id = CAST(t.id AS TEXT)), 0))
    FROM putaway_task t WHERE t.status = 'open' AND t.rule = 'replenish' AND {where}), 0)"""


_STATUS = ("SELECT f.bin, f.sku, f.min_qty, f.max_qty, "
           "COALESCE((SELECT SUM(qty) FROM stock s WHERE s.bin = f.bin AND s.sku = f.sku), 0) AS on_hand, "
           + _OPEN_TASK_LEFT.format(where="t.suggested_bin = f.bin AND t.sku = f.sku") + " AS incoming "
           "FROM pick_face f")


def status(conn, keys=None) -> list[dict]:
    """Each pick face (or those of ``keys`` = [(bin, sku)]): on hand, refills on their way, min and max."""
    if keys is None:
        rows = conn.execute(_STATUS + " ORDER BY f.bin, f.sku").fetchall()
    else:
        rows = [r for key in keys for r in conn.execute(_STATUS + " WHERE f.bin = ? AND f.sku = ?", key)]
    out = []
    for r in rows:
        row = dict(r)
        row["below_min"] = row["on_hand"] + row["incoming"] < row["min_qty"] - EPS
        out.append(row)
    return out


def _reserve(conn, sku: str, exclude: str):
    """Free stock of ``sku`` in storage bins, FEFO then FIFO then fullest, less what
    open refill tasks already take from there."""
    return conn.execute(
        "SELECT s.bin, s.lot, s.qty - s.reserved - "
        + _OPEN_TASK_LEFT.format(where="t.from_bin = s.bin AND t.sku = s.sku AND t.lot = s.lot")
        + " AS free, l.expiry FROM stock s JOIN bin b ON b.code = s.bin AND b.kind = 'storage' AND b.active "
        "LEFT JOIN lot l ON l.sku = s.sku AND l.lot = s.lot AND s.lot <> '' "
        "WHERE s.sku = ? AND s.bin <> ? AND s.qty - s.reserved > 0 "
        "ORDER BY l.expiry IS NULL, l.expiry, l.created_at, free DESC, s.bin", (sku, exclude)).fetchall()


def refill_due(conn, keys) -> bool:
    """Would :func:`check` create a task for ``keys``? (Read-only: below the minimum
    and something in reserve; an empty reserve must not cost a write per scan.)"""
    return any(face["below_min"] and any(src["free"] > EPS for src in _reserve(conn, face["sku"], face["bin"]))
               for face in status(conn, keys))


def check(conn, keys=None, now: str | None = None) -> list[dict]:
    """Create refill tasks for every pick face (or ``keys`` = [(bin, sku)]) below
    its minimum; returns the tasks created."""
    now = now or utcnow()
    created = []
    for face in status(conn, keys):
        if not face["below_min"]:
            continue
        item = conn.execute("SELECT tracking FROM item WHERE sku = ?", (face["sku"],)).fetchone()
        if item is None or item["tracking"] == "serial":
            continue
        need = face["max_qty"] - face["on_hand"] - face["incoming"]
        for src in _reserve(conn, face["sku"], face["bin"]):
            if need <= EPS:
                break
            take = round(min(need, src["free"]), 6)
            if take <= EPS:
                continue
            reason = (f"pick face {face['bin']} holds {face['on_hand']:g}, below its minimum {face['min_qty']:g}; "
                      f"refill to {face['max_qty']:g}")
            task_id = conn.execute(
                "INSERT INTO putaway_task (receipt_id, sku, lot, serial, qty, from_bin, suggested_bin, rule, reason, "
                "created_at) VALUES (NULL,?,?,NULL,?,?,?,?,?,?)",
                (face["sku"], src["lot"], take, src["bin"], face["bin"], RULE, reason, now)).lastrowid
            created.append({"task_id": task_id, "sku": face["sku"], "lot": src["lot"] or None, "qty": take,
                            "from_bin": src["bin"], "to_bin": face["bin"]})
            need -= take
    return created


def notice(created: list[dict]) -> tuple[str, dict, list[str]] | None:
    """The live event for new refill tasks (the same event as new putaway tasks)."""
    if not created:
        return None
    return ("putaway.tasks", {"receipt_id": None, "rule": RULE, "task_ids": [t["task_id"] for t in created]},
            TASK_ROOMS)
