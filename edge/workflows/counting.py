"""Cycle counting (issue 3): the counter's commands. No Flask.

``count.start`` claims a count task; ``count`` reports what one bin holds,
blind. Each counted (bin, sku, lot) becomes a count line judged against what
the records said at the moment of count (see counting_time): within tolerance
it is posted at once (or waits for a supervisor when its value is high);
beyond tolerance a different counter recounts it. The rest of the workflow
lives in counting_tasks (tasks and views), counting_settle (adjustments, late
movements), counting_schedule (ABC schedule, requests) and counting_review
(approval, accuracy).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional

from pydantic import Field, field_validator

from edge import settings
from edge.commands.registry import register
from edge.commands.stock_commands import movement_id
from edge.ledger import PostResult, UnknownItem, utcnow
from edge.ledger.post import is_decimal_uom
from edge.models import Strict
from edge.workflows import counting_tasks as tasks
from edge.workflows.counting_errors import (
    BadCountLine, BinAlreadyCounted, BinNotInTask, CountIncomplete, CountTaskClosed,
)
from edge.workflows.counting_settle import (
    counts_agree, reconcile_late, record_exception, settle, within_tolerance,
)
from edge.workflows.counting_time import EPS, bin_at, parse, to_moment

COUNTERS = {"counter", "supervisor", "admin"}


class CountedItem(Strict):
    sku: str = Field(min_length=1, max_length=64)
    lot: Optional[str] = Field(None, max_length=64)
    qty: Optional[float] = Field(None, ge=0, le=1_000_000_000,
                                 description="How many were found; 0 for an expected item that is not there")
    serials: Optional[list[str]] = Field(None, max_length=5000,
                                         description="Serial-tracked items: every serial found ([] for none)")
    expiry: Optional[date] = Field(None, description="For a lot of a perishable item the edge has not seen")

    @field_validator("serials")
    @classmethod
    def _serials(cls, value):
        if value is not None and any(not s.strip() or len(s) > 64 for s in value):
            raise ValueError("each serial is 1 to 64 characters")
        return value


class CountStartPayload(Strict):
    task_id: int = Field(ge=1, le=2 ** 63 - 1)


class CountPayload(Strict):
    task_id: int = Field(ge=1, le=2 ** 63 - 1)
    bin: str = Field(min_length=1, max_length=64)
    started_at: Optional[datetime] = Field(
        None, description="When the counter scanned the bin label: the moment of count (else the command's at)")
    items: list[CountedItem] = Field(max_length=2000, description="What the bin holds; [] for an empty bin")


@register("count.start", CountStartPayload, COUNTERS, "Claim a count task before walking to its bins")
def count_start(conn, ctx, p: CountStartPayload):
    task = tasks.get_task(conn, p.task_id)
    tasks.check_open(task)
    tasks.check_counter(conn, task, ctx.user_id, ctx.role, ctx.replay)
    tasks.claim(conn, task, ctx.user_id, utcnow())
    return PostResult()


@dataclass
class Found:
    qty: float = 0.0
    serials: set[str] | None = None
    expiry: str | None = None


@dataclass
class BinCount:
    """One ``count`` command while it is applied."""

    task: object
    entry: object
    moment: str
    ctx: object
    now: str
    tolerance: float
    approval_value: float
    result: PostResult = field(default_factory=PostResult)
    recount_skus: set = field(default_factory=set)
    ids: itertools.count = field(default_factory=itertools.count)


@register("count", CountPayload, COUNTERS,
          "Report what one bin of a count task holds (blind): each item, lot and quantity or serials found")
def count_bin(conn, ctx, p: CountPayload):
    now = utcnow()
    task = tasks.get_task(conn, p.task_id)
    tasks.check_open(task)
    tasks.check_counter(conn, task, ctx.user_id, ctx.role, ctx.replay)
    entry = conn.execute("SELECT * FROM count_task_bin WHERE task_id = ? AND bin = ?", (task["id"], p.bin)).fetchone()
    if entry is None:
        raise BinNotInTask(f"bin {p.bin} is not part of count task {task['id']}; scan a bin of the task", field="bin")
    if entry["status"] == "counted":
        raise BinAlreadyCounted(f"bin {p.bin} of count task {task['id']} was counted by "
                                f"{tasks.user_name(conn, entry['counted_by'])} at {entry['counted_at']}", field="bin")
    if entry["status"] == "cancelled":
        raise CountTaskClosed(f"bin {p.bin} was taken off count task {task['id']}", field="bin")
    moment = _moment(p.started_at, ctx.at)
    run = BinCount(task, entry, moment, ctx, now,
                   float(settings.get(conn, "count_tolerance_pct")), float(settings.get(conn, "count_approval_value")))
    # Late movements are settled before this count reads the records.
    reconcile_late(conn, now, run.result)
    found = _found(conn, p.items, entry["sku"], ctx.replay)
    state = bin_at(conn, p.bin, run.moment, entry["sku"])
    _check_complete(conn, state, found, ctx.replay, p.bin)
    for key in _keys(conn, run, state, found):
        _count_line(conn, run, key, state, found.get(key, Found()))
    if run.recount_skus:
        skus = run.recount_skus
        sku = entry["sku"] or (next(iter(skus)) if len(skus) == 1 else None)
        recount = tasks.recount_task(conn, task, ctx.user_id, p.bin, sku, now)
        # Counters hear of it at once; the payload is the task's summary, which names no quantity.
        run.result.notices.append(("count.requested", {"tasks": [
            {**tasks.summary(conn, tasks.get_task(conn, recount)), "bin": p.bin}]}, ["role:counter"]))
    conn.execute("UPDATE count_task_bin SET status = 'counted', counted_by = ?, counted_at = ?, command_id = ? "
                 "WHERE task_id = ? AND bin = ?", (ctx.user_id, run.moment, ctx.command_id, task["id"], p.bin))
    tasks.close_requests(conn, task["id"], p.bin, "done")
    tasks.claim(conn, task, ctx.user_id, now)
    tasks.refresh_status(conn, task["id"], now)
    return _blind(run.result)


def _moment(started_at, at: str) -> str:
    try:
        if started_at is not None and parse(started_at) > parse(at):
            raise BadCountLine("started_at is after the command's at: the count cannot end before it began",
                               field="started_at")
        return to_moment(started_at or at)
    except OverflowError:
        raise BadCountLine("that time is out of range; check the handheld's clock", field="started_at") from None


def _blind(result: PostResult) -> PostResult:
    """The counter's answer names no quantity: adjustments would give the expected
    figure away. Stock changes still go out live; exceptions say only what they are."""
    result.movements = []
    result.exceptions = [{"id": e["id"], "kind": e["kind"], "bin": e["bin"], "sku": e["sku"], "lot": e.get("lot"),
                          "detail": e.get("blind") or f"{e['kind'].replace('_', ' ')}: recorded for a supervisor",
                          "created_at": e.get("created_at")} for e in result.exceptions]
    return result


def _found(conn, items: list[CountedItem], only_sku: str | None, replay: bool) -> dict[tuple[str, str], Found]:
    found: dict[tuple[str, str], Found] = {}
    for i, it in enumerate(items):
        where = f"items[{i}]"
        item = conn.execute("SELECT sku, uom, tracking, perishable FROM item WHERE sku = ?", (it.sku,)).fetchone()
        if item is None:
            raise UnknownItem(f"no item with sku {it.sku!r}", field=f"{where}.sku")
        if only_sku and it.sku != only_sku:
            raise BadCountLine(f"this count is for {only_sku} only; do not report {it.sku} here", field=f"{where}.sku")
        lot = (it.lot or "").strip()
        if item["tracking"] == "none" and lot:
            raise BadCountLine(f"{it.sku} is not lot-tracked; do not give a lot", field=f"{where}.lot")
        if item["tracking"] == "lot" and not lot:
            raise BadCountLine(f"{it.sku} is lot-tracked; scan or enter the lot", field=f"{where}.lot")
        expiry = it.expiry.isoformat() if it.expiry else None
        if item["perishable"] and lot and not expiry and not replay and conn.execute(
                "SELECT 1 FROM lot WHERE sku = ? AND lot = ?", (it.sku, lot)).fetchone() is None:
            # Offline it is recorded anyway and the ledger raises missing_expiry.
            raise BadCountLine(f"lot {lot} of {it.sku} is new here; enter its expiry date from the label",
                               field=f"{where}.expiry")
        if item["tracking"] == "serial":
            _found_serials(conn, found, it, item, lot, expiry, where)
            continue
        if it.serials is not None:
            raise BadCountLine(f"{it.sku} is not serial-tracked; send qty, not serials", field=f"{where}.serials")
        if it.qty is None:
            raise BadCountLine(f"say how many {it.sku} you found (qty; 0 if none)", field=f"{where}.qty")
        if not is_decimal_uom(item["uom"]) and it.qty != int(it.qty):
            raise BadCountLine(f"{it.sku} is counted in whole {item['uom']}; {it.qty:g} is not a whole number",
                               field=f"{where}.qty")
        f = found.setdefault((it.sku, lot), Found())
        f.qty = round(f.qty + it.qty, 6)  # the same item counted in two places of the bin adds up
        f.expiry = f.expiry or expiry
    return found


def _found_serials(conn, found, it: CountedItem, item, lot: str, expiry, where: str) -> None:
    if it.serials is None:
        raise BadCountLine(f"{it.sku} is serial-tracked; scan every serial (serials: [] if none)",
                           field=f"{where}.serials")
    serials = {s.strip() for s in it.serials}  # a serial scanned twice is one piece
    if it.qty is not None and it.qty != len(serials):
        raise BadCountLine(f"qty {it.qty:g} but {len(serials)} serials of {it.sku}; scan each piece",
                           field=f"{where}.qty")
    if not serials:
        found.setdefault((it.sku, lot), Found(serials=set()))
    for serial in sorted(serials):
        row = conn.execute("SELECT lot FROM serial WHERE sku = ? AND serial = ?", (it.sku, serial)).fetchone()
        if row is None and item["perishable"] and not lot:
            raise BadCountLine(f"serial {serial} of perishable {it.sku} is new here; give its lot and expiry",
                               field=f"{where}.lot")
        f = found.setdefault((it.sku, row["lot"] if row else lot), Found(serials=set()))
        f.serials.add(serial)
        f.expiry = f.expiry or expiry


def _serial_skus(conn, skus) -> set[str]:
    skus = list(skus)
    marks = ",".join("?" * len(skus))
    return {r[0] for r in conn.execute(f"SELECT sku FROM item WHERE tracking = 'serial' AND sku IN ({marks})", skus)}


def _check_complete(conn, state, found, replay: bool, bin_code: str) -> None:
    """Interactive: every item the records place in the bin must be reported
    (0 if absent). On replay a missing one counts as 0: the count happened."""
    if replay:
        return
    expected = set(state.qty) | set(state.serials)
    serial = _serial_skus(conn, {sku for sku, _ in expected})
    reported_skus = {sku for sku, _ in found}
    missing = sorted(k for k in expected if k not in found and not (k[0] in serial and k[0] in reported_skus))
    if missing:
        names = ", ".join(sku + (f" lot {lot}" if lot and sku not in serial else "") for sku, lot in missing[:10])
        ask = "count it and send 0 if it is not there" if len(missing) == 1 else \
            "count each and send 0 for any that is not there"
        raise CountIncomplete(f"bin {bin_code}: you did not report {names}; {ask}", field="items")


def _keys(conn, run: BinCount, state, found) -> list[tuple[str, str]]:
    keys = set(state.qty) | set(state.serials) | set(found)
    if run.task["recount_of"] is not None:
        # Every line the recount was asked for gets an answer, even "none here, none expected".
        only = "AND sku = ?" if run.entry["sku"] else ""
        params = (run.task["recount_of"], run.entry["bin"]) + ((run.entry["sku"],) if run.entry["sku"] else ())
        keys |= {(r["sku"], r["lot"]) for r in conn.execute(
            f"SELECT sku, lot FROM count_line WHERE task_id = ? AND bin = ? AND status = 'recount' {only}", params)}
    return sorted(keys)


def _count_line(conn, run: BinCount, key, state, f: Found) -> None:
    sku, lot = key
    item = conn.execute("SELECT tracking, unit_cost FROM item WHERE sku = ?", (sku,)).fetchone()
    if item["tracking"] == "serial":
        expected_serials = state.serials.get(key, set())
        got = f.serials or set()
        missing, extra = sorted(expected_serials - got), sorted(got - expected_serials)
        expected, counted = float(len(expected_serials)), float(len(got))
        within = not missing and not extra
        value = (len(missing) + len(extra)) * item["unit_cost"]
        serial_cols = (json.dumps(sorted(got)), json.dumps(missing), json.dumps(extra))
    else:
        expected, counted = state.qty.get(key, 0.0), f.qty
        within = within_tolerance(expected, counted, run.tolerance)
        value = abs(counted - expected) * item["unit_cost"]
        serial_cols = (None, None, None)
    ctx = run.ctx
    cur = conn.execute(
        "INSERT INTO count_line (task_id, bin, sku, lot, counted_qty, expected_qty, expiry, variance, variance_value, "
        "within_tolerance, serials, serials_missing, serials_extra, status, counted_by, device_id, command_id, "
        "counted_at, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'matched',?,?,?,?,?)",
        (run.task["id"], run.entry["bin"], sku, lot, counted, expected, f.expiry, round(counted - expected, 6),
         round(value, 2), int(within), *serial_cols, ctx.user_id, ctx.device_id, ctx.command_id, run.moment, run.now))
    line = conn.execute("SELECT * FROM count_line WHERE id = ?", (cur.lastrowid,)).fetchone()
    _decide(conn, run, line)


def _decide(conn, run: BinCount, line) -> None:
    over_value = line["variance_value"] > run.approval_value + EPS
    limit = f"its value {line['variance_value']:.2f} is above the approval limit {run.approval_value:.2f}"
    if run.task["recount_of"] is None:
        if not line["within_tolerance"]:
            conn.execute("UPDATE count_line SET status = 'recount' WHERE id = ?", (line["id"],))
            run.recount_skus.add(line["sku"])
            return
        reason = limit if over_value else None
    else:
        first = conn.execute("SELECT * FROM count_line WHERE task_id = ? AND bin = ? AND sku = ? AND lot = ? "
                             "ORDER BY id DESC LIMIT 1",
                             (run.task["recount_of"], line["bin"], line["sku"], line["lot"])).fetchone()
        if first is not None and first["status"] == "recount":
            conn.execute("UPDATE count_line SET status = 'recounted', final = 0 WHERE id = ?", (first["id"],))
            conn.execute("UPDATE count_line SET recount_of = ? WHERE id = ?", (first["id"], line["id"]))
        # The recount's figure stands. It needs a supervisor when it is worth a
        # lot, or when it is beyond tolerance and the two counters disagree.
        if line["within_tolerance"] or (first is not None and first["status"] == "recount"
                                        and counts_agree(first, line, run.tolerance)):
            reason = limit if over_value else None
        else:
            reason = "the recount disagrees with the first count and with the records"
    if reason is None:
        settle(conn, line, now=run.now, id_for=lambda n: movement_id(run.ctx.command_id, next(run.ids)),
               command_id=run.ctx.command_id, into=run.result)
        return
    await_approval(conn, line, reason, run.now, run.result)


def await_approval(conn, line, reason: str, now: str, result: PostResult) -> None:
    lot = f" lot {line['lot']}" if line["lot"] else ""
    detail = (f"count of {line['sku']}{lot} in bin {line['bin']} by {tasks.user_name(conn, line['counted_by'])}: "
              f"counted {line['counted_qty']:g}, expected {line['expected_qty']:g} at {line['counted_at']} "
              f"(variance {line['variance']:+g}, value {line['variance_value']:.2f}); {reason}. "
              f"Approve or reject count line {line['id']}.")
    exc = record_exception(conn, "count_variance", line, detail, now)
    conn.execute("UPDATE count_line SET status = 'awaiting_approval', exception_id = ? WHERE id = ?",
                 (exc, line["id"]))
    _announce_approval(result, line, reason, exc)
    result.exceptions.append({"id": exc, "kind": "count_variance", "bin": line["bin"], "sku": line["sku"],
                              "lot": line["lot"] or None, "detail": detail, "created_at": now,
                              "blind": f"the count of {line['sku']}{lot} in bin {line['bin']} waits for a "
                                       f"supervisor's approval (count line {line['id']})"})


def _announce_approval(result: PostResult, line, reason: str, exception_id: int) -> None:
    """Supervisors hear of the line with its figures (the counter's own answer stays
    blind); the lines of one count go out as one event."""
    entry = {"id": line["id"], "task_id": line["task_id"], "bin": line["bin"], "sku": line["sku"],
             "lot": line["lot"] or None, "counted": line["counted_qty"], "expected": line["expected_qty"],
             "variance": line["variance"], "value": line["variance_value"], "counted_by": line["counted_by"],
             "counted_at": line["counted_at"], "exception_id": exception_id, "reason": reason}
    for event, payload, _ in result.notices:
        if event == "count.approval":
            payload["lines"].append(entry)
            return
    result.notices.append(("count.approval", {"lines": [entry]}, ["supervisors"]))


# Registered after the commands above: the rest of the workflow.
from edge.workflows import counting_review, counting_schedule  # noqa: E402,F401
