"""REST endpoints of the counting workflow (issue 3): count tasks, the
supervisor's review and approval, record accuracy. The counting itself is
the ``count.start`` and ``count`` commands on POST /api/v1/commands."""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Literal, Optional

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from edge import realtime
from edge.api.common import edge, read, write
from edge.api.errors import ApiProblem
from edge.api.spec import SUPERVISORS, endpoint
from edge.ledger import utcnow
from edge.workflows import counting_review as review_wf
from edge.workflows import counting_tasks as tasks_wf
from edge.workflows.counting_schedule import housekeeping, needs_housekeeping

bp = Blueprint("counting", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)

COUNT_READERS = SUPERVISORS | {"counter"}
MAX_ID = 2 ** 63 - 1
TaskKind = Literal[tasks_wf.KINDS]  # type: ignore[valid-type]
LineStatus = Literal[review_wf.LINE_STATUSES]  # type: ignore[valid-type]


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


def _today() -> date:
    return date.fromisoformat(utcnow()[:10])


def _announce(created: list[dict]) -> None:
    """After commit: counters hear of new tasks; an assigned counter of theirs."""
    if created:
        realtime.notify("count.requested", {"tasks": created}, ["role:counter"])
    for t in created:
        if t["assigned_to"] is not None:
            realtime.notify("task.assigned", {"count_task": t}, [f"user:{t['assigned_to']}"])


def _housekeep(*, force_schedule: bool = False, always: bool = False) -> dict:
    today = _today()
    if not always and not needs_housekeeping(read(), today):
        return {"created": [], "late_movements": 0}
    hk = edge().write(lambda conn: housekeeping(conn, today, utcnow(), force_schedule=force_schedule))
    realtime.publish([hk.posted])
    _announce(hk.created)
    return {"created": hk.created, "late_movements": hk.late}


class TaskQuery(Query):
    status: Literal["active", "open", "in_progress", "review", "done", "cancelled", "all"] = Field(
        "active", description="active = open or in progress")
    kind: Optional[TaskKind] = None
    zone: Optional[str] = Field(None, max_length=32)
    mine: bool = Field(False, description="only tasks assigned to me")
    after_id: int = Field(0, ge=0, le=MAX_ID)
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/count-tasks", query=TaskQuery, roles=COUNT_READERS, tags=("counting",))
def list_count_tasks(query: TaskQuery):
    """Count tasks, most urgent first. A counter sees tasks that are free or theirs.

    Listing first brings the tasks up to date: open count requests (short
    picks, negative stock after offline replays) become tasks, the day's ABC
    cycle counts are created once a day, and late movements are reconciled.
    """
    try:
        _housekeep()
    except Exception:  # noqa: BLE001 - the list is still worth showing; refresh reports the error
        log.exception("count housekeeping failed while listing count tasks")
    items = tasks_wf.list_tasks(read(), user=g.user, status=query.status, kind=query.kind, zone=query.zone,
                                mine=query.mine, after_id=query.after_id, limit=query.limit)
    return jsonify({"items": items, "next_after_id": items[-1]["id"] if len(items) == query.limit else None})


class TaskIn(Body):
    kind: Literal["bin", "zone"] = Field(description="bin: the listed bins; zone: every bin of a zone (or aisle)")
    bins: Optional[list[str]] = Field(None, min_length=1, max_length=tasks_wf.MAX_TASK_BINS)
    zone: Optional[str] = Field(None, min_length=1, max_length=32)
    aisle: Optional[str] = Field(None, min_length=1, max_length=32)
    only_sku: Optional[str] = Field(None, min_length=1, max_length=64,
                                    description="count just this item in each bin")
    assigned_to: Optional[int] = Field(None, ge=1, le=MAX_ID)
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _shape(self):
        if self.kind == "bin" and (not self.bins or self.zone or self.aisle):
            raise ValueError("a bin count lists bins (and no zone or aisle)")
        if self.kind == "zone" and (not self.zone or self.bins):
            raise ValueError("a zone count names a zone (and no bins)")
        return self


@endpoint(bp, "/count-tasks", method="POST", body=TaskIn, roles=SUPERVISORS, status=201, tags=("counting",))
def create_count_task(body: TaskIn):
    """Create a count task for some bins, or for a zone (optionally one aisle of it)."""
    user = g.user
    created = []

    def job(conn):
        from edge.ledger import UnknownItem
        if body.only_sku and conn.execute("SELECT 1 FROM item WHERE sku = ?", (body.only_sku,)).fetchone() is None:
            raise UnknownItem(f"no item with sku {body.only_sku!r}", field="only_sku")
        if body.kind == "bin":
            codes = list(body.bins)
            tasks_wf.check_bins(conn, codes)
        else:
            codes = tasks_wf.zone_bins(conn, body.zone, body.aisle)
        tasks_wf.check_assignee(conn, None, body.assigned_to)
        task_id = tasks_wf.create_task(conn, kind=body.kind, bins=[(c, body.only_sku) for c in codes],
                                       now=utcnow(), created_by=user["id"], zone=body.zone, aisle=body.aisle,
                                       assigned_to=body.assigned_to, note=body.note)
        created.append(tasks_wf.summary(conn, tasks_wf.get_task(conn, task_id)))
        return tasks_wf.blind_view(conn, task_id)

    resp = write(job, status=201)
    _announce(created)
    return resp


class RefreshIn(Body):
    schedule: bool = Field(False, description="run the ABC schedule now even if it ran today")


@endpoint(bp, "/count-tasks/refresh", method="POST", body=RefreshIn, roles=SUPERVISORS, tags=("counting",))
def refresh_count_tasks(body: RefreshIn):
    """Turn open count requests into tasks, reconcile late movements and run the day's ABC schedule."""
    return jsonify(_housekeep(force_schedule=body.schedule, always=True))


@endpoint(bp, "/count-tasks/<int:task_id>", roles=COUNT_READERS, tags=("counting",))
def get_count_task(task_id: int):
    """A count task as the counter's handheld shows it: bins in walk order, the
    items to look for and their barcodes. Blind: no expected quantity, no serials."""
    return jsonify(tasks_wf.blind_view(read(), min(task_id, MAX_ID)))


@endpoint(bp, "/count-tasks/<int:task_id>/review", roles=SUPERVISORS, tags=("counting",))
def review_count_task(task_id: int):
    """A count task for the supervisor: every line with expected, counted, variance, value and outcome."""
    return jsonify(review_wf.review(read(), min(task_id, MAX_ID)))


class AssignIn(Body):
    assigned_to: Optional[int] = Field(None, ge=1, le=MAX_ID, description="a user id; null to free the task")


@endpoint(bp, "/count-tasks/<int:task_id>/assign", method="POST", body=AssignIn, roles=SUPERVISORS,
          tags=("counting",))
def assign_count_task(task_id: int, body: AssignIn):
    """Give a count task to a counter (or free it)."""
    done = []

    def job(conn):
        tasks_wf.assign(conn, min(task_id, MAX_ID), body.assigned_to, utcnow())
        done.append(tasks_wf.summary(conn, tasks_wf.get_task(conn, task_id)))
        return done[-1]
    resp = write(job)
    if done and body.assigned_to is not None:
        realtime.notify("task.assigned", {"count_task": done[0]}, [f"user:{body.assigned_to}"])
    return resp


class CancelIn(Body):
    reason: str = Field(min_length=1, max_length=300)


@endpoint(bp, "/count-tasks/<int:task_id>/cancel", method="POST", body=CancelIn, roles=SUPERVISORS,
          tags=("counting",))
def cancel_count_task(task_id: int, body: CancelIn):
    """Cancel the bins of a task that are not counted yet. Cancelling a recount
    sends its first counts to the supervisor for a decision."""
    user, done = g.user, []

    def job(conn):
        pending = tasks_wf.cancel(conn, min(task_id, MAX_ID), body.reason, user["id"], utcnow())
        out = tasks_wf.summary(conn, tasks_wf.get_task(conn, task_id))
        out["lines_awaiting_approval"] = pending
        done.append(out)
        return out
    resp = write(job)
    if done and done[0]["assigned_to"] is not None:
        realtime.notify("task.cancelled", {"count_task": done[0]}, [f"user:{done[0]['assigned_to']}"])
    return resp


class LineQuery(Query):
    status: Optional[LineStatus] = Field(None, description="awaiting_approval: the approval queue")
    task_id: Optional[int] = Field(None, ge=1, le=MAX_ID)
    bin: Optional[str] = Field(None, max_length=64)
    sku: Optional[str] = Field(None, max_length=64)
    after_id: int = Field(0, ge=0, le=MAX_ID)
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/count-lines", query=LineQuery, roles=SUPERVISORS, tags=("counting",))
def list_count_lines(query: LineQuery):
    """Counted lines with expected, counted and variance; filter by status, task, bin or sku."""
    items = review_wf.list_lines(read(), status=query.status, task_id=query.task_id, bin_code=query.bin,
                                 sku=query.sku, after_id=query.after_id, limit=query.limit)
    return jsonify({"items": items, "next_after_id": items[-1]["id"] if len(items) == query.limit else None})


class ApproveIn(Body):
    note: Optional[str] = Field(None, max_length=500)


@endpoint(bp, "/count-lines/<int:line_id>/approve", method="POST", body=ApproveIn, roles=SUPERVISORS,
          tags=("counting",))
def approve_count_line(line_id: int, body: ApproveIn):
    """Accept a counted line awaiting approval: its adjustment is posted (reason count)."""
    user, posted = g.user, []

    def job(conn):
        view, result = review_wf.approve(conn, min(line_id, MAX_ID), user, body.note, utcnow())
        posted.append(result)
        return view
    resp = write(job)
    realtime.publish(posted)
    return resp


class RejectIn(Body):
    note: str = Field(min_length=1, max_length=500, description="why the count is not accepted")
    recount: bool = Field(False, description="create a count of the bin by a different counter")


@endpoint(bp, "/count-lines/<int:line_id>/reject", method="POST", body=RejectIn, roles=SUPERVISORS,
          tags=("counting",))
def reject_count_line(line_id: int, body: RejectIn):
    """Refuse a counted line awaiting approval: nothing is posted; optionally count the bin again."""
    user, created = g.user, []

    def job(conn):
        out = review_wf.reject(conn, min(line_id, MAX_ID), user, body.note, body.recount, utcnow())
        if out["recount_task_id"]:
            created.append(tasks_wf.summary(conn, tasks_wf.get_task(conn, out["recount_task_id"])))
        return out
    resp = write(job)
    _announce(created)
    return resp


AccuracyQuery = create_model(
    "AccuracyQuery", __base__=Query,
    **{"from": (Optional[date], Field(None, description="first day (default: 29 days before to)")),
       "to": (Optional[date], Field(None, description="last day, included (default: today)"))})


@endpoint(bp, "/counts/accuracy", query=AccuracyQuery, roles=SUPERVISORS, tags=("counting",))
def count_accuracy(query):
    """Inventory record accuracy: the share of counted lines within tolerance, over a period,
    by ABC class, and per finished count."""
    end = getattr(query, "to") or _today()
    start = getattr(query, "from") or end - timedelta(days=29)
    if start > end:
        raise ApiProblem(422, "from is after to", errors=[{"field": "query.from", "message": "after to"}])
    return jsonify(review_wf.accuracy(read(), start, end))
