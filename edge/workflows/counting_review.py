"""The supervisor's side of counting: review, approve, reject, record accuracy. No Flask."""
from __future__ import annotations

import json
from datetime import date, timedelta

from edge.ledger import PostResult
from edge.workflows import counting_tasks as tasks
from edge.workflows import exceptions
from edge.workflows.counting_errors import CountTaskNotFound, NotAwaitingApproval, OwnCountApproval
from edge.workflows.counting_settle import derived_id, settle

LINE_STATUSES = ("matched", "adjusted", "recount", "recounted", "awaiting_approval", "rejected", "superseded")


def line_view(row) -> dict:
    out = dict(row)
    out["lot"] = out["lot"] or None
    out["within_tolerance"] = bool(out["within_tolerance"])
    out["final"] = bool(out["final"])
    for col in ("serials", "serials_missing", "serials_extra"):
        out[col] = json.loads(out[col]) if out[col] is not None else None
    return out


def get_line(conn, line_id: int):
    row = conn.execute("SELECT * FROM count_line WHERE id = ?", (line_id,)).fetchone()
    if row is None:
        raise CountTaskNotFound(f"no count line {line_id}")
    return row


def _decidable(conn, line_id: int, user: dict):
    line = get_line(conn, line_id)
    if line["status"] != "awaiting_approval":
        raise NotAwaitingApproval(f"count line {line_id} is {line['status']}; only a line awaiting approval can be "
                                  "approved or rejected")
    if line["counted_by"] == user["id"]:
        raise OwnCountApproval(f"you counted line {line_id} yourself; another supervisor must decide it")
    return line


def _resolve(conn, line, user: dict, action: str, resolution: str) -> None:
    if line["exception_id"] is not None:
        exceptions.close(conn, line["exception_id"], user_id=user["id"], action_name=action, resolution=resolution)


def approve(conn, line_id: int, user: dict, note: str | None, now: str) -> tuple[dict, PostResult]:
    """Post the line's difference (worked out again now: see counting_settle)."""
    line = _decidable(conn, line_id, user)
    result = PostResult()
    status = settle(conn, line, now=now, id_for=lambda n: derived_id("approve", line_id, n), command_id=None,
                    into=result)
    conn.execute("UPDATE count_line SET decided_by = ?, decided_at = ?, decision_note = ? WHERE id = ?",
                 (user["id"], now, note, line_id))
    done = get_line(conn, line_id)
    what = {"superseded": "a later count of the bin had already corrected it",
            "matched": "nothing to post"}.get(status, f"adjustment {done['adjusted_qty']:+g} posted")
    _resolve(conn, line, user, "approve", f"count line {line_id} approved by {user['name']}: {what}"
                                          + (f" ({note})" if note else ""))
    tasks.refresh_status(conn, line["task_id"], now)
    return line_view(done), result


def reject(conn, line_id: int, user: dict, note: str, recount: bool, now: str) -> dict:
    """Post nothing; optionally have the bin counted again by someone else."""
    line = _decidable(conn, line_id, user)
    conn.execute("UPDATE count_line SET status = 'rejected', final = 0, decided_by = ?, decided_at = ?, "
                 "decision_note = ?, settled_at = ? WHERE id = ?", (user["id"], now, note, now, line_id))
    task_id = None
    if recount:
        task_id = tasks.create_task(conn, kind="bin", bins=[(line["bin"], line["sku"])], now=now,
                                    created_by=user["id"], excluded_user=line["counted_by"],
                                    note=f"count again: line {line_id} was rejected ({note})")
    _resolve(conn, line, user, "reject", f"count line {line_id} rejected by {user['name']}: {note}"
                                         + (f"; recount in count task {task_id}" if task_id else ""))
    tasks.refresh_status(conn, line["task_id"], now)
    out = line_view(get_line(conn, line_id))
    out["recount_task_id"] = task_id
    return out


def review(conn, task_id: int) -> dict:
    """A task with everything the counter did not see: expected, variance, value, outcome."""
    task = tasks.get_task(conn, task_id)
    out = tasks.summary(conn, task)
    out["bins"] = [dict(r) for r in conn.execute(
        "SELECT bin, sku AS only_sku, status, counted_by, counted_at FROM count_task_bin WHERE task_id = ? "
        "ORDER BY bin", (task_id,))]
    out["lines"] = [line_view(r) for r in conn.execute(
        "SELECT * FROM count_line WHERE task_id = ? ORDER BY bin, sku, lot, id", (task_id,))]
    lines, accurate = tasks.task_accuracy(conn, task_id)
    out["accuracy"] = {"lines": lines, "accurate": accurate, "ira": round(accurate / lines, 4) if lines else None}
    out["recounts"] = [r["id"] for r in conn.execute("SELECT id FROM count_task WHERE recount_of = ?", (task_id,))]
    return out


def list_lines(conn, *, status: str | None, task_id: int | None, bin_code: str | None, sku: str | None,
               after_id: int, limit: int) -> list[dict]:
    where, params = ["id > ?"], [after_id]
    for col, value in (("status", status), ("task_id", task_id), ("bin", bin_code), ("sku", sku)):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    sql = f"SELECT * FROM count_line WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"
    return [line_view(r) for r in conn.execute(sql, params + [limit])]


def accuracy(conn, start: date, end: date) -> dict:
    """Inventory record accuracy over the counts made from ``start`` to ``end``
    (both days included): the share of counted lines within tolerance. Each
    (bin, sku, lot) of a count counts once, judged by its recount if it had
    one; rejected counts are left out."""
    lo = start.isoformat()
    hi = (end + timedelta(days=1)).isoformat()
    by_class = {}
    for r in conn.execute(
            "SELECT coalesce(i.abc_class, 'none') AS abc, count(*) AS lines, sum(l.within_tolerance) AS accurate, "
            "sum(l.variance_value) AS value FROM count_line l JOIN item i ON i.sku = l.sku "
            "WHERE l.final AND l.counted_at >= ? AND l.counted_at < ? GROUP BY abc ORDER BY abc", (lo, hi)):
        by_class[r["abc"]] = _ira(r["lines"], r["accurate"], r["value"])
    lines = sum(v["lines"] for v in by_class.values())
    accurate = sum(v["accurate"] for v in by_class.values())
    value = sum(v["variance_value"] for v in by_class.values())
    counts = [{"task_id": r["id"], "kind": r["kind"], "finished_at": r["finished_at"],
               **_ira(r["lines"], r["accurate"], None)} for r in conn.execute(
        "SELECT id, kind, finished_at, lines, accurate FROM count_task WHERE status = 'done' AND finished_at >= ? "
        "AND finished_at < ? ORDER BY finished_at, id LIMIT 1000", (lo, hi))]
    return {"from": start.isoformat(), "to": end.isoformat(), **_ira(lines, accurate, value),
            "by_class": by_class, "counts": counts}


def _ira(lines, accurate, value) -> dict:
    out = {"lines": lines or 0, "accurate": accurate or 0,
           "ira": round(accurate / lines, 4) if lines else None}
    if value is not None:
        out["variance_value"] = round(value, 2)
    return out


# -- the exceptions queue: a count variance is decided there too ---------------

exceptions.kind("count_variance", "A count differs from the records by more than may be posted without approval")
exceptions.kind("count_late_movement", "A serial moved before a count of its bin but reached the edge after it")


@exceptions.action("count_variance", "approve", "Post the counted figure (an adjustment with reason count)")
def _approve_action(conn, exc, user, params, now):
    return approve(conn, int(exc["ref_id"]), user, params.get("note"), now)[1]


@exceptions.action("count_variance", "reject", "Post nothing; params.recount = true has the bin counted again")
def _reject_action(conn, exc, user, params, now):
    note = str(params.get("note") or "rejected from the exceptions queue")
    reject(conn, int(exc["ref_id"]), user, note, params.get("recount") in (True, "true", 1, "1"), now)
