"""Putaway: from the dock to a storage bin, on a suggestion with a reason. No Flask.

Closing a receipt makes one task per sku/lot (per serial for serial items)
for what it left in the dock bin, split where no single bin has room. The
driver scans the destination bin to confirm (``putaway.confirm``); another bin
than the suggested one is allowed with a reason, which the movement records.
How much of a task is done is the ledger's sum of its ``putaway`` movements.
"""
from __future__ import annotations

from typing import Optional

from pydantic import Field

from edge.commands.registry import register
from edge.commands.stock_commands import movement_id
from edge.ledger import Movement, PostResult, UnknownBin, post_movements, utcnow
from edge.masterdata import expected_barcodes
from edge.models import Strict
from edge.workflows import exceptions, paging
from edge.workflows.putaway_suggest import EPS, no_room_reason, suggest
from edge.workflows.receiving_errors import NotAPutawayBin, ReasonRequired, TaskDone, TooMuch, UnknownTask

PUTAWAY_ROLES = {"receiver", "picker", "supervisor", "admin"}
# Socket.IO rooms of those roles: supervisors and admins share the "supervisors" room.
TASK_ROOMS = sorted(f"role:{r}" for r in PUTAWAY_ROLES - {"supervisor", "admin"}) + ["supervisors"]
# Where a driver may take goods from the dock: storage, or quarantine when
# they find damage on the way.
DESTINATION_KINDS = ("storage", "pick-face", "quarantine")

exceptions.kind("putaway_repeated", "A putaway was confirmed again after its task was done")


# -- creating tasks -----------------------------------------------------------------

def _open_left(conn, from_bin: str, sku: str, lot: str) -> float:
    row = conn.execute(
        "SELECT SUM(t.qty - COALESCE((SELECT SUM(m.qty) FROM movement m WHERE m.ref_type = 'putaway_task' "
        "AND m.ref_id = CAST(t.id AS TEXT)), 0)) AS left FROM putaway_task t "
        "WHERE t.status = 'open' AND t.from_bin = ? AND t.sku = ? AND t.lot = ? AND t.serial IS NULL",
        (from_bin, sku, lot)).fetchone()
    return row["left"] or 0.0


def _insert(conn, receipt_id, sku, lot, serial, qty, from_bin, suggested, rule, reason, now) -> int:
    return conn.execute(
        "INSERT INTO putaway_task (receipt_id, sku, lot, serial, qty, from_bin, suggested_bin, rule, reason, "
        "created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (receipt_id, sku, lot, serial, qty, from_bin, suggested, rule, reason, now)).lastrowid


def _plan(conn, receipt_id, sku, lot, serial, qty, from_bin, now) -> list[int]:
    found, left = suggest(conn, sku, lot, qty, from_bin=from_bin)
    ids = [_insert(conn, receipt_id, sku, lot, serial, s.qty, from_bin, s.bin, s.rule, s.reason, now)
           for s in found]
    if left > EPS:
        ids.append(_insert(conn, receipt_id, sku, lot, serial, left, from_bin, None, "none",
                           no_room_reason(sku, left), now))
    return ids


def create_tasks(conn, receipt, *, movement_ids: list[str] | None = None) -> list[int]:
    """Tasks for what this receipt (or just these movements of it) left in its dock bin.

    Never more than the dock still holds of a sku/lot beyond what open tasks
    already cover, so stock moved off the dock by hand is not put away twice.
    """
    now = utcnow()
    sql = ("SELECT sku, lot, serial, SUM(qty) AS qty FROM movement WHERE ref_type = 'receipt' AND ref_id = ? "
           "AND kind = 'receive' AND to_bin = ?")
    params: list = [receipt["id"], receipt["dock_bin"]]
    if movement_ids is not None:
        sql += f" AND id IN ({','.join('?' * len(movement_ids))})"
        params += movement_ids
    ids: list[int] = []
    for r in conn.execute(sql + " GROUP BY sku, lot, serial ORDER BY min(seq)", params).fetchall():
        dock = receipt["dock_bin"]
        if r["serial"]:
            where = conn.execute("SELECT bin FROM serial WHERE sku = ? AND serial = ?",
                                 (r["sku"], r["serial"])).fetchone()
            tasked = conn.execute("SELECT 1 FROM putaway_task WHERE status = 'open' AND sku = ? AND serial = ?",
                                  (r["sku"], r["serial"])).fetchone()
            if where and where["bin"] == dock and not tasked:
                ids += _plan(conn, receipt["id"], r["sku"], r["lot"], r["serial"], 1.0, dock, now)
            continue
        on_dock = conn.execute("SELECT qty FROM stock WHERE bin = ? AND sku = ? AND lot = ?",
                               (dock, r["sku"], r["lot"])).fetchone()
        qty = min(r["qty"], (on_dock["qty"] if on_dock else 0.0) - _open_left(conn, dock, r["sku"], r["lot"]))
        if qty > EPS:
            ids += _plan(conn, receipt["id"], r["sku"], r["lot"], None, round(qty, 6), dock, now)
    return ids


def announce(result: PostResult, receipt_id: str, task_ids: list[int]) -> None:
    """Tell every handheld that may put away that tasks wait on the dock (sent after commit)."""
    if task_ids:
        result.notices.append(("putaway.tasks", {"receipt_id": receipt_id, "task_ids": task_ids}, TASK_ROOMS))


# -- reading tasks ---------------------------------------------------------------------

TASK_SELECT = """SELECT t.*, i.description, i.uom, l.expiry, b.zone AS suggested_zone,
    b.walk_seq AS suggested_walk_seq, u.name AS done_by_name,
    COALESCE((SELECT SUM(m.qty) FROM movement m WHERE m.ref_type = 'putaway_task'
              AND m.ref_id = CAST(t.id AS TEXT)), 0) AS done
    FROM putaway_task t JOIN item i ON i.sku = t.sku LEFT JOIN lot l ON l.sku = t.sku AND l.lot = t.lot
    LEFT JOIN bin b ON b.code = t.suggested_bin LEFT JOIN user u ON u.id = t.done_by"""


def _task(conn, row) -> dict:
    out = dict(row)
    out["lot"] = out["lot"] or None
    out["remaining"] = max(0.0, round(out["qty"] - out["done"], 6))
    out["expected_barcodes"] = expected_barcodes(conn, out["sku"])
    return out


def get_task(conn, task_id: int) -> dict:
    row = conn.execute(TASK_SELECT + " WHERE t.id = ?", (task_id,)).fetchone()
    if row is None:
        raise UnknownTask(f"no putaway task {task_id}", field="task_id")
    return _task(conn, row)


# Walk order of the suggested bin; tasks without a suggestion last.
WALK_ORDER = "t.suggested_bin IS NULL, COALESCE(b.walk_seq, 0), t.id"


def list_tasks(conn, *, status: str, zone: str | None, receipt_id: str | None, done_by: int | None,
               sku: str | None, after_id: int, limit: int) -> list[dict]:
    """Tasks in walk order of their suggested bins, so a driver with several walks forward.

    A page is the next ``limit`` tasks in walk order after task ``after_id``."""
    cursor, params = paging.after(conn, WALK_ORDER, "putaway_task t LEFT JOIN bin b ON b.code = t.suggested_bin",
                                  "t.id", after_id, "putaway task")
    where = [cursor]
    if status != "all":
        where.append("t.status = ?")
        params.append(status)
    for col, value in (("b.zone", zone), ("t.receipt_id", receipt_id), ("t.done_by", done_by), ("t.sku", sku)):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    rows = conn.execute(f"{TASK_SELECT} WHERE {' AND '.join(where)} ORDER BY {WALK_ORDER} LIMIT ?",
                        params + [limit]).fetchall()
    return [_task(conn, r) for r in rows]


# -- the driver's step ------------------------------------------------------------------

class PutawayConfirmPayload(Strict):
    task_id: int = Field(ge=1, le=2 ** 63 - 1)
    to_bin: str = Field(min_length=1, max_length=64, description="The bin label the driver scanned")
    qty: Optional[float] = Field(None, gt=0, le=1_000_000_000, description="Default: all the task has left")
    reason: Optional[str] = Field(None, min_length=1, max_length=200,
                                  description="Why not the suggested bin (needed when to_bin differs)")


def _check_destination(conn, task, p: PutawayConfirmPayload, replay: bool) -> None:
    row = conn.execute("SELECT kind, active FROM bin WHERE code = ?", (p.to_bin,)).fetchone()
    if row is None:
        raise UnknownBin(f"no bin with code {p.to_bin!r}", field="to_bin")
    if row["kind"] not in DESTINATION_KINDS:
        raise NotAPutawayBin(f"{p.to_bin} is a {row['kind']} bin; put away into a storage or pick-face bin"
                             + (f" (suggested: {task['suggested_bin']})" if task["suggested_bin"] else ""),
                             field="to_bin")
    # Offline the device asks for the reason itself; a replay without one is still where the goods are.
    if task["suggested_bin"] and p.to_bin != task["suggested_bin"] and not p.reason and not replay:
        raise ReasonRequired(f"the suggested bin is {task['suggested_bin']}; say why {task['sku']} goes to "
                             f"{p.to_bin} instead", field="reason")


@register("putaway.confirm", PutawayConfirmPayload, PUTAWAY_ROLES,
          "Put a task's goods away: the driver scans the destination bin (another bin than the suggested one "
          "needs a reason)")
def putaway_confirm(conn, ctx, p: PutawayConfirmPayload):
    task = get_task(conn, p.task_id)
    _check_destination(conn, task, p, ctx.replay)
    qty = p.qty if p.qty is not None else task["remaining"]
    again = task["status"] == "done" or qty > task["remaining"] + EPS
    if again and not ctx.replay:
        if task["status"] == "done":
            raise TaskDone(f"task {task['id']} is done: {task['done']:g} of {task['sku']} went to {task['to_bin']}"
                           f" ({task['done_by_name'] or 'unknown'}, {task['done_at']})", field="task_id")
        raise TooMuch(f"task {task['id']} has {task['remaining']:g} of {task['sku']} left to put away, "
                      f"not {qty:g}", field="qty", remaining=task["remaining"])
    if qty <= EPS:
        qty = task["qty"]  # a replayed whole-task confirm of a finished task: the driver moved the lot again
    other = task["suggested_bin"] is not None and p.to_bin != task["suggested_bin"]
    mv = Movement(id=movement_id(ctx.command_id, 0), kind="putaway", sku=task["sku"], qty=qty,
                  from_bin=task["from_bin"], to_bin=p.to_bin, lot=task["lot"], serial=task["serial"],
                  ref_type="putaway_task", ref_id=str(task["id"]), reason=p.reason if other or p.reason else None,
                  user_id=ctx.user_id, device_id=ctx.device_id, command_id=ctx.command_id, scanned_at=ctx.at)
    result = post_movements(conn, [mv], replay=ctx.replay)
    if again:
        exceptions.raise_(conn, "putaway_repeated",
                          f"task {task['id']} had {task['remaining']:g} of {task['sku']} left; {qty:g} more were "
                          f"put away to {p.to_bin} from {task['from_bin']} (replayed from a device)",
                          bin=task["from_bin"], sku=task["sku"], lot=task["lot"], ref_type="putaway_task",
                          ref_id=str(task["id"]), user_id=ctx.user_id, device_id=ctx.device_id,
                          command_id=ctx.command_id, movement_id=mv.id, count=True, post=result)
    done = task["done"] + qty
    if done >= task["qty"] - EPS and task["status"] == "open":
        conn.execute("UPDATE putaway_task SET status = 'done', to_bin = ?, override_reason = ?, done_by = ?, "
                     "done_at = ? WHERE id = ?",
                     (p.to_bin, p.reason if other else None, ctx.user_id, utcnow(), task["id"]))
    elif other:
        conn.execute("UPDATE putaway_task SET override_reason = ? WHERE id = ?", (p.reason, task["id"]))
    return result


def suggestion(conn, sku: str, lot: str | None, qty: float, from_bin: str | None) -> dict:
    found, left = suggest(conn, sku, lot, qty, from_bin=from_bin)
    return {"sku": sku, "lot": lot, "qty": qty, "from_bin": from_bin,
            "suggestions": [s.to_dict() for s in found], "unplaced": left,
            "unplaced_reason": no_room_reason(sku, left) if left > EPS else None}

