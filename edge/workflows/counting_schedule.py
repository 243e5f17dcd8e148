"""The ABC cycle-count schedule and the housekeeping that keeps count tasks
current. No Flask.

Every item with an ABC class is counted once per ``count_days_a/b/c`` days.
An item is due when its oldest bin count is older than that (or it was never
counted). Rather than raise every due item at once (on a new site that is the
whole warehouse on day one, then nothing for a month), each day's run takes
the share of a class that spreads it over its period, ``ceil(items x days
since the last run / period)``, oldest first, so counters get an even load
and each item still comes round once per period.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from edge import settings
from edge.ledger import PostResult
from edge.workflows import counting_tasks as tasks
from edge.workflows.counting_settle import reconcile_late, state_get, state_set
from edge.workflows.counting_time import parse, to_moment

SCHEDULE_TASK_BINS = 30  # one counter, about an hour

DUE = """
SELECT s.sku, s.bin, i.abc_class, b.zone, b.walk_seq,
       (SELECT max(l.counted_at) FROM count_line l
         WHERE l.bin = s.bin AND l.sku = s.sku AND l.status <> 'rejected') AS last
FROM stock s JOIN item i ON i.sku = s.sku JOIN bin b ON b.code = s.bin
WHERE i.abc_class IS NOT NULL AND i.active AND b.active AND b.kind NOT IN ('tote', 'in-transit') AND s.qty <> 0
GROUP BY s.sku, s.bin
"""


def schedule_due(conn, today: date) -> bool:
    return state_get(conn, "schedule_day") != today.isoformat()


def run_schedule(conn, today: date, now: str, *, force: bool = False) -> list[int]:
    """Create today's cycle-count tasks; returns their ids. Once a day unless forced."""
    last_run = state_get(conn, "schedule_day")
    days = 1 if last_run is None else (today - date.fromisoformat(last_run)).days
    if days <= 0 and not force:
        return []
    days = max(days, 1)
    items: dict[str, dict] = {}
    for r in conn.execute(DUE):
        it = items.setdefault(r["sku"], {"abc": r["abc_class"], "bins": {}})
        it["bins"][r["bin"]] = (r["last"], r["zone"], r["walk_seq"])
    busy = {r["bin"] for r in conn.execute(
        "SELECT tb.bin FROM count_task_bin tb JOIN count_task t ON t.id = tb.task_id "
        "WHERE tb.status = 'open' AND t.status NOT IN ('done', 'cancelled')")}
    by_zone: dict[str, list] = {}
    picked = {}
    for abc in "ABC":
        period = int(settings.get(conn, f"count_days_{abc.lower()}"))
        cutoff = to_moment(parse(now) - timedelta(days=period))
        in_class = {sku: it for sku, it in items.items() if it["abc"] == abc}
        due = []
        for sku, it in in_class.items():
            lasts = [b[0] for b in it["bins"].values()]
            oldest = None if None in lasts else min(lasts)
            todo = [code for code, b in it["bins"].items() if (b[0] is None or b[0] < cutoff) and code not in busy]
            if (oldest is None or oldest < cutoff) and todo:  # an item already waiting in a task is not due twice
                due.append((oldest is not None, oldest or "", sku, todo))
        picked[abc] = sorted(due)[:math.ceil(len(in_class) * days / period)]
        for *_, sku, todo in picked[abc]:
            for code in todo:
                zone, walk = items[sku]["bins"][code][1:]
                if code not in busy:
                    busy.add(code)
                    by_zone.setdefault(zone, []).append((walk, code))
    note = (f"cycle count {today.isoformat()}: " + ", ".join(f"{len(picked[c])} {c}" for c in "ABC")
            + " items due")
    created = []
    for zone in sorted(by_zone):
        codes = [code for _, code in sorted(by_zone[zone])]
        for start in range(0, len(codes), SCHEDULE_TASK_BINS):
            created.append(tasks.create_task(conn, kind="schedule", zone=zone, now=now, note=note,
                                             bins=[(c, None) for c in codes[start:start + SCHEDULE_TASK_BINS]]))
    state_set(conn, "schedule_day", today.isoformat())
    return created


@dataclass
class Housekeeping:
    created: list[dict] = field(default_factory=list)  # summaries of new tasks, for count.requested
    posted: PostResult = field(default_factory=PostResult)
    late: int = 0


def needs_housekeeping(conn, today: date) -> bool:
    """Cheap check on a reader: is there anything for :func:`housekeeping` to do?"""
    if conn.execute("SELECT 1 FROM count_request WHERE status = 'open' LIMIT 1").fetchone():
        return True
    if schedule_due(conn, today):
        return True
    if conn.execute("SELECT 1 FROM count_anchor LIMIT 1").fetchone() is None:
        return False
    top = conn.execute("SELECT coalesce(max(seq), 0) FROM movement").fetchone()[0]
    return top > int(state_get(conn, "reconciled_seq", 0))


def housekeeping(conn, today: date, now: str, *, schedule: bool = True, force_schedule: bool = False) -> Housekeeping:
    """Compensate late movements, turn count requests into tasks, run the day's schedule."""
    out = Housekeeping()
    out.late = reconcile_late(conn, now, out.posted)
    ids = tasks.tasks_from_requests(conn, now)
    if force_schedule or (schedule and schedule_due(conn, today)):
        ids += run_schedule(conn, today, now, force=force_schedule)
    out.created = [tasks.summary(conn, tasks.get_task(conn, i)) for i in ids]
    return out
