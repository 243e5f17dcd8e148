"""Count tasks: creating them (by bin, zone, request, recount), their state,
and the counter's blind view. No Flask."""
from __future__ import annotations

from edge.ledger import UnknownBin
from edge.masterdata import expected_barcodes
from edge.workflows import paging
from edge.workflows.counting_errors import (
    BadCountTask, CountTaskClosed, CountTaskNotFound, CountTaskTaken, RecountBySameCounter,
)
from edge.workflows.counting_settle import record_exception

KINDS = ("bin", "zone", "schedule", "short_pick", "negative_stock", "request", "recount")
# Lower comes first in a counter's list: a short pick blocks an order.
PRIORITY = {"recount": 1, "short_pick": 1, "negative_stock": 1, "request": 2, "bin": 3, "zone": 4, "schedule": 5}
# Totes move and in-transit is not a place anyone can walk to.
UNCOUNTABLE_BIN_KINDS = ("tote", "in-transit")
CLOSED = ("done", "cancelled")
COUNTING_ROLES = ("counter", "supervisor", "admin")
MAX_TASK_BINS = 2000


def create_task(conn, *, kind: str, bins: list[tuple[str, str | None]], now: str, created_by: int | None = None,
                zone: str | None = None, aisle: str | None = None, assigned_to: int | None = None,
                excluded_user: int | None = None, recount_of: int | None = None, note: str = "") -> int:
    cur = conn.execute(
        "INSERT INTO count_task (kind, priority, zone, aisle, assigned_to, excluded_user, recount_of, note, "
        "created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (kind, PRIORITY[kind], zone, aisle, assigned_to, excluded_user, recount_of, note, created_by, now))
    task_id = cur.lastrowid
    conn.executemany("INSERT INTO count_task_bin (task_id, bin, sku) VALUES (?,?,?)",
                     [(task_id, b, sku) for b, sku in bins])
    return task_id


def get_task(conn, task_id: int):
    row = conn.execute("SELECT * FROM count_task WHERE id = ?", (task_id,)).fetchone()
    if row is None:
        raise CountTaskNotFound(f"no count task {task_id}", field="task_id")
    return row


def check_open(task) -> None:
    if task["status"] in CLOSED:
        raise CountTaskClosed(f"count task {task['id']} is {task['status']}; nothing more can be counted in it",
                              field="task_id")


def user_name(conn, user_id) -> str:
    row = conn.execute("SELECT name FROM user WHERE id = ?", (user_id,)).fetchone()
    return row["name"] if row else f"user {user_id}"


def check_counter(conn, task, user_id: int, role: str, replay: bool) -> None:
    """The first counter may not recount; an assigned task belongs to its counter."""
    if task["excluded_user"] is not None and task["excluded_user"] == user_id:
        raise RecountBySameCounter(
            f"you made the count that count task {task['id']} double-checks; a different counter must do it",
            field="task_id")
    taken = task["assigned_to"] is not None and task["assigned_to"] != user_id
    # On replay the count already happened on the floor; a supervisor may step in.
    if taken and not replay and role not in ("supervisor", "admin"):
        raise CountTaskTaken(f"count task {task['id']} is assigned to {user_name(conn, task['assigned_to'])}; "
                             "ask a supervisor to reassign it", field="task_id")


def claim(conn, task, user_id: int, now: str) -> None:
    if task["assigned_to"] is None:
        conn.execute("UPDATE count_task SET assigned_to = ? WHERE id = ?", (user_id, task["id"]))
    conn.execute("UPDATE count_task SET started_at = coalesce(started_at, ?), "
                 "status = CASE status WHEN 'open' THEN 'in_progress' ELSE status END WHERE id = ?",
                 (now, task["id"]))


def task_accuracy(conn, task_id: int) -> tuple[int, int]:
    """Lines counted in the task and how many were within tolerance; a line
    that was recounted is judged by its recount (the records may have been right)."""
    row = conn.execute(
        "SELECT count(*), coalesce(sum(coalesce(r.within_tolerance, l.within_tolerance)), 0) "
        "FROM count_line l LEFT JOIN count_line r ON r.recount_of = l.id "
        "WHERE l.task_id = ? AND l.status <> 'rejected'", (task_id,)).fetchone()
    return row[0], row[1]


def refresh_status(conn, task_id: int, now: str) -> str:
    task = get_task(conn, task_id)
    if task["status"] == "cancelled":
        return "cancelled"
    bins = dict(conn.execute("SELECT status, count(*) FROM count_task_bin WHERE task_id = ? GROUP BY status",
                             (task_id,)).fetchall())
    if bins.get("open"):
        status = "in_progress" if bins.get("counted") or task["started_at"] else "open"
    elif conn.execute("SELECT 1 FROM count_line WHERE task_id = ? AND status IN ('recount', 'awaiting_approval') "
                      "LIMIT 1", (task_id,)).fetchone():
        status = "review"
    else:
        status = "done"
    if status == "done":
        lines, accurate = task_accuracy(conn, task_id)
        conn.execute("UPDATE count_task SET status = 'done', finished_at = coalesce(finished_at, ?), lines = ?, "
                     "accurate = ? WHERE id = ?", (now, lines, accurate, task_id))
    else:
        conn.execute("UPDATE count_task SET status = ? WHERE id = ?", (status, task_id))
    if task["recount_of"] is not None:
        refresh_status(conn, task["recount_of"], now)
    return status


def close_requests(conn, task_id: int, bin_code: str, status: str) -> None:
    conn.execute("UPDATE count_request SET status = ? WHERE id IN "
                 "(SELECT request_id FROM count_task_request WHERE task_id = ? AND bin = ?)",
                 (status, task_id, bin_code))


def check_bins(conn, codes: list[str]) -> None:
    for i, code in enumerate(codes):
        row = conn.execute("SELECT active, kind FROM bin WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise UnknownBin(f"no bin with code {code!r}", field=f"bins[{i}]")
        if not row["active"]:
            raise BadCountTask(f"bin {code} is inactive", field=f"bins[{i}]")
        if row["kind"] in UNCOUNTABLE_BIN_KINDS:
            raise BadCountTask(f"bin {code} is a {row['kind']}; count the bin it stands in", field=f"bins[{i}]")
    if len(set(codes)) != len(codes):
        raise BadCountTask("a bin is listed twice", field="bins")


def zone_bins(conn, zone: str, aisle: str | None) -> list[str]:
    sql = ("SELECT code FROM bin WHERE zone = ? AND active AND kind NOT IN ('tote', 'in-transit')"
           + (" AND aisle = ?" if aisle else "") + " ORDER BY walk_seq, code")
    codes = [r["code"] for r in conn.execute(sql, (zone, aisle) if aisle else (zone,))]
    where = f"zone {zone}" + (f" aisle {aisle}" if aisle else "")
    if not codes:
        raise BadCountTask(f"{where} has no bins to count", field="aisle" if aisle else "zone")
    if len(codes) > MAX_TASK_BINS:
        raise BadCountTask(f"{where} has {len(codes)} bins; count at most {MAX_TASK_BINS} in one task "
                           "(give an aisle)", field="zone")
    return codes


def check_assignee(conn, task, user_id: int | None) -> None:
    if user_id is None:
        return
    row = conn.execute("SELECT role, active FROM user WHERE id = ?", (user_id,)).fetchone()
    if row is None or not row["active"]:
        raise BadCountTask(f"no active user {user_id}", field="assigned_to")
    if row["role"] not in COUNTING_ROLES:
        raise BadCountTask(f"user {user_id} is a {row['role']}; only a counter, supervisor or admin counts",
                           field="assigned_to")
    if task is not None and task["excluded_user"] == user_id:
        raise BadCountTask(f"{user_name(conn, user_id)} made the count that count task {task['id']} double-checks; "
                           "assign a different counter", field="assigned_to")


def assign(conn, task_id: int, user_id: int | None, now: str) -> None:
    task = get_task(conn, task_id)
    check_open(task)
    check_assignee(conn, task, user_id)
    conn.execute("UPDATE count_task SET assigned_to = ? WHERE id = ?", (user_id, task_id))


def cancel(conn, task_id: int, reason: str, user_id: int, now: str) -> list[int]:
    """Cancel what is not counted yet; returns count lines that now need a decision."""
    task = get_task(conn, task_id)
    check_open(task)
    if task["status"] == "review":
        raise CountTaskClosed(f"every bin of count task {task_id} is counted; approve or reject its lines instead",
                              field="task_id")
    open_bins = [r["bin"] for r in conn.execute(
        "SELECT bin FROM count_task_bin WHERE task_id = ? AND status = 'open'", (task_id,))]
    for b in open_bins:
        close_requests(conn, task_id, b, "cancelled")
    conn.execute("UPDATE count_task_bin SET status = 'cancelled' WHERE task_id = ? AND status = 'open'", (task_id,))
    conn.execute("UPDATE count_task SET status = 'cancelled', finished_at = ?, note = trim(note || ' ' || ?) "
                 "WHERE id = ?", (now, f"[cancelled by {user_name(conn, user_id)}: {reason}]", task_id))
    pending = []
    if task["recount_of"] is not None and open_bins:
        # No recount is coming: a supervisor decides on the first count alone.
        marks = ",".join("?" * len(open_bins))
        for line in conn.execute(f"SELECT * FROM count_line WHERE task_id = ? AND status = 'recount' "
                                 f"AND bin IN ({marks})", (task["recount_of"], *open_bins)).fetchall():
            exc = record_exception(conn, "count_variance", line,
                                   f"count of {line['sku']} in bin {line['bin']}: counted {line['counted_qty']:g}, "
                                   f"expected {line['expected_qty']:g}; its recount was cancelled. Approve or "
                                   f"reject count line {line['id']}.", now)
            conn.execute("UPDATE count_line SET status = 'awaiting_approval', exception_id = ? WHERE id = ?",
                         (exc, line["id"]))
            pending.append(line["id"])
        refresh_status(conn, task["recount_of"], now)
    return pending


def open_entry(conn, bin_code: str, sku: str | None):
    """An uncounted entry of an open task that already covers this bin (and sku)."""
    return conn.execute(
        "SELECT tb.task_id FROM count_task_bin tb JOIN count_task t ON t.id = tb.task_id "
        "WHERE tb.bin = ? AND tb.status = 'open' AND t.status NOT IN ('done', 'cancelled') "
        "AND t.kind <> 'recount' AND (tb.sku IS NULL OR tb.sku IS ?) ORDER BY t.priority, t.id LIMIT 1",
        (bin_code, sku)).fetchone()


def _request_kind(conn, req) -> str:
    kind = None
    if req["exception_id"] is not None:
        row = conn.execute("SELECT kind FROM exception WHERE id = ?", (req["exception_id"],)).fetchone()
        kind = row["kind"] if row else None
    kind = kind or req["reason"].split(":", 1)[0].strip()
    return kind if kind in ("short_pick", "negative_stock") else "request"


def tasks_from_requests(conn, now: str) -> list[int]:
    """Turn every open count_request into a count task (one per bin), or attach
    it to a task that already has that bin waiting. Returns the new task ids."""
    requests = conn.execute("SELECT * FROM count_request WHERE status = 'open' ORDER BY id").fetchall()
    by_bin: dict[str, list] = {}
    for req in requests:
        by_bin.setdefault(req["bin"], []).append(req)
    created = []
    for bin_code, reqs in by_bin.items():
        skus = {r["sku"] for r in reqs}
        sku = skus.pop() if len(skus) == 1 else None  # several items asked for: count the whole bin
        entry = open_entry(conn, bin_code, sku)
        if entry is not None:
            task_id = entry["task_id"]
        else:
            reasons = "; ".join(r["reason"] for r in reqs)[:500]
            task_id = create_task(conn, kind=_request_kind(conn, reqs[0]), bins=[(bin_code, sku)], now=now,
                                  note=reasons)
            created.append(task_id)
        conn.executemany("INSERT INTO count_task_request (request_id, task_id, bin) VALUES (?,?,?)",
                         [(r["id"], task_id, bin_code) for r in reqs])
        conn.executemany("UPDATE count_request SET status = 'tasked' WHERE id = ?", [(r["id"],) for r in reqs])
    return created


def recount_task(conn, parent, first_counter: int, bin_code: str, sku: str | None, now: str) -> int:
    """Add the bin to the open recount of ``parent`` by others than ``first_counter``."""
    row = conn.execute("SELECT id FROM count_task WHERE recount_of = ? AND excluded_user = ? AND status = 'open' "
                       "ORDER BY id DESC LIMIT 1", (parent["id"], first_counter)).fetchone()
    if row is None:
        return create_task(conn, kind="recount", bins=[(bin_code, sku)], now=now, zone=parent["zone"],
                           aisle=parent["aisle"], excluded_user=first_counter, recount_of=parent["id"],
                           note=f"recount of count task {parent['id']}")
    conn.execute("INSERT INTO count_task_bin (task_id, bin, sku) VALUES (?,?,?)", (row["id"], bin_code, sku))
    return row["id"]


def summary(conn, task) -> dict:
    counts = dict(conn.execute("SELECT status, count(*) FROM count_task_bin WHERE task_id = ? GROUP BY status",
                               (task["id"],)).fetchall())
    out = {k: task[k] for k in ("id", "kind", "status", "priority", "zone", "aisle", "assigned_to",
                                "excluded_user", "recount_of", "note", "created_at", "started_at", "finished_at")}
    out["bins"] = sum(counts.values())
    out["bins_counted"] = counts.get("counted", 0)
    if task["status"] == "done":
        out["accuracy"] = {"lines": task["lines"], "accurate": task["accurate"],
                           "ira": round(task["accurate"] / task["lines"], 4) if task["lines"] else None}
    return out


def list_tasks(conn, *, user: dict, status: str, kind: str | None, zone: str | None, mine: bool,
               after_id: int, limit: int) -> list[dict]:
    """Most urgent first; a page is the next ``limit`` tasks in that order after task ``after_id``."""
    cursor, params = paging.after(conn, "priority, id", "count_task", "id", after_id, "count task")
    where = [cursor]
    if status == "active":
        where.append("status IN ('open', 'in_progress')")
    elif status != "all":
        where.append("status = ?")
        params.append(status)
    for col, value in (("kind", kind), ("zone", zone)):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    if mine or user["role"] == "counter":
        # A counter sees what is free or theirs, never a recount of their own count.
        where.append("(assigned_to IS NULL OR assigned_to = ?) AND (excluded_user IS NULL OR excluded_user <> ?)")
        params += [user["id"], user["id"]]
        if mine:
            where.append("assigned_to = ?")
            params.append(user["id"])
    sql = f"SELECT * FROM count_task WHERE {' AND '.join(where)} ORDER BY priority, id LIMIT ?"
    return [summary(conn, t) for t in conn.execute(sql, params + [limit]).fetchall()]


def blind_view(conn, task_id: int) -> dict:
    """The task as a counter's handheld needs it: bins in walk order and the
    items to look for with their barcodes, never a quantity (a blind count)."""
    task = get_task(conn, task_id)
    out = summary(conn, task)
    out["assigned_to_name"] = user_name(conn, task["assigned_to"]) if task["assigned_to"] else None
    bins, barcodes = [], {}
    for entry in conn.execute(
            "SELECT tb.*, b.zone, b.aisle, b.walk_seq FROM count_task_bin tb JOIN bin b ON b.code = tb.bin "
            "WHERE tb.task_id = ? ORDER BY b.walk_seq, tb.bin", (task_id,)).fetchall():
        view = {"bin": entry["bin"], "zone": entry["zone"], "aisle": entry["aisle"], "walk_seq": entry["walk_seq"],
                "only_sku": entry["sku"], "status": entry["status"]}
        if entry["status"] == "counted":
            view["counted_by"] = user_name(conn, entry["counted_by"])
            view["counted_at"] = entry["counted_at"]
        elif entry["status"] == "open":
            view["look_for"] = _look_for(conn, entry["bin"], entry["sku"], barcodes)
        bins.append(view)
    out["bins"] = bins
    return out


def _look_for(conn, bin_code: str, sku: str | None, barcodes: dict) -> list[dict]:
    """Items the records place in the bin: sku, lot, how to recognise them. No quantities, no serials."""
    only, params = ("AND s.sku = ?", (bin_code, sku)) if sku else ("", (bin_code,))
    rows = conn.execute(
        "SELECT DISTINCT s.sku, CASE WHEN i.tracking = 'lot' THEN s.lot ELSE '' END AS lot, i.description, "
        "i.uom, i.tracking FROM stock s JOIN item i ON i.sku = s.sku "
        f"WHERE s.bin = ? AND s.qty <> 0 {only} ORDER BY s.sku, lot", params).fetchall()
    items = []
    for r in rows:
        if r["sku"] not in barcodes:
            barcodes[r["sku"]] = expected_barcodes(conn, r["sku"])
        items.append({"sku": r["sku"], "lot": r["lot"] or None, "description": r["description"], "uom": r["uom"],
                      "tracking": r["tracking"], "barcodes": barcodes[r["sku"]]})
    if sku and not items:
        row = conn.execute("SELECT sku, description, uom, tracking FROM item WHERE sku = ?", (sku,)).fetchone()
        if row:
            items.append({**dict(row), "lot": None, "barcodes": expected_barcodes(conn, sku)})
    return items
