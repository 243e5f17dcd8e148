"""The supervisor's exceptions queue: raise, describe, list and resolve. No Flask.

Any workflow raises an exception with :func:`raise_` inside its write job and
gets back the row as the queue shows it. To reach supervisors live, after
commit, either

* in a command handler: pass ``post=`` the PostResult the handler returns;
  POST /api/v1/commands publishes its exceptions (``exception.raised`` to the
  ``supervisors`` room) after the commit, and the command's result lists them;
* in a REST endpoint: return the rows from the write job and, after it,
  call ``realtime.publish([PostResult(exceptions=rows)])``.

Each kind has actions a supervisor may resolve it with. Every kind has
``close`` (a note, nothing else changes); a workflow adds its own with
:func:`action`, whose handler runs in the same transaction as the resolution,
so an approval and its movements are recorded together or not at all.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from edge.ledger import LedgerError, Movement, PostResult, post_movements, utcnow
from edge.masterdata import NotFound

SUPERVISORS = frozenset({"supervisor", "admin"})


class AlreadyResolved(LedgerError):
    """The exception was resolved before."""

    status, title, type_slug = 409, "Already resolved", "already-resolved"


class UnknownAction(LedgerError):
    """The action is not one this kind of exception can be resolved with."""

    status, title, type_slug = 422, "Unknown action", "unknown-action"


@dataclass(frozen=True)
class Action:
    name: str
    summary: str
    handler: Callable | None = None  # (conn, exc: dict, user: dict, params: dict, now: str) -> PostResult | None
    params: tuple[str, ...] = ()     # names of the params the action needs


@dataclass
class Kind:
    name: str
    title: str
    actions: dict[str, Action] = field(default_factory=dict)


CLOSE = Action("close", "Close with a note; nothing else changes")
KINDS: dict[str, Kind] = {}


def kind(name: str, title: str) -> Kind:
    """Declare a kind of exception (idempotent: a second call keeps the actions)."""
    k = KINDS.setdefault(name, Kind(name, title))
    k.title = title
    return k


def action(kind_name: str, name: str, summary: str, *, params: tuple[str, ...] = ()):
    """Register ``handler(conn, exc, user, params, now)`` as an action for a kind."""
    def inner(handler):
        KINDS.setdefault(kind_name, Kind(kind_name, kind_name.replace("_", " "))).actions[name] = \
            Action(name, summary, handler, params)
        return handler
    return inner


def actions_for(kind_name: str, *, count_requested: bool = False) -> list[Action]:
    """The kind's actions, then ``close``. An exception that asked for a count
    (every one raised through the ledger's raise_exception does) can also be
    settled by a count or dismissed, whoever raised it."""
    k = KINDS.get(kind_name)
    actions = dict(k.actions) if k else {}
    if count_requested:
        actions.setdefault("count", COUNT)
        actions.setdefault("dismiss", DISMISS)
    return [*actions.values(), CLOSE]


# -- raising -------------------------------------------------------------------

def raise_(conn: sqlite3.Connection, kind_name: str, detail: str, *, bin: str | None = None,
           sku: str | None = None, lot: str | None = None, ref_type: str | None = None, ref_id: str | None = None,
           data: dict | None = None, user_id: int | None = None, device_id: str | None = None,
           command_id: str | None = None, movement_id: str | None = None, count: bool = False,
           post: PostResult | None = None, now: str | None = None) -> dict:
    """Record an exception for the supervisors; ``count=True`` also asks for a
    count of ``bin``. Returns the row as the queue shows it."""
    now = now or utcnow()
    cur = conn.execute(
        """INSERT INTO exception (kind, bin, sku, lot, movement_id, command_id, detail, user_id, device_id,
               created_at, ref_type, ref_id, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
        (kind_name, bin, sku, lot or "", movement_id, command_id, detail, user_id, device_id, now, ref_type,
         ref_id, json.dumps(data) if data is not None else None))
    exc_id = cur.lastrowid
    if count and bin:
        conn.execute("INSERT INTO count_request (bin, sku, reason, exception_id, created_at) VALUES (?,?,?,?,?)",
                     (bin, sku, f"{kind_name}: {detail}", exc_id, now))
    row = get(conn, exc_id)
    if post is not None:
        post.exceptions.append(row)
    return row


# -- reading -------------------------------------------------------------------

SELECT = """SELECT e.*, b.zone, u.name AS user_name, r.name AS resolved_by_name,
        EXISTS (SELECT 1 FROM count_request c WHERE c.exception_id = e.id) AS count_requested
    FROM exception e LEFT JOIN bin b ON b.code = e.bin LEFT JOIN user u ON u.id = e.user_id
    LEFT JOIN user r ON r.id = e.resolved_by"""


def describe(row: sqlite3.Row) -> dict:
    """One queue entry: what, who, where, when, the figures, and what can be done."""
    out = dict(row)
    out["lot"] = out["lot"] or None
    out["data"] = json.loads(out["data"]) if out.get("data") else None
    out["who"] = {"id": out["user_id"], "name": out.pop("user_name")} if out["user_id"] is not None else None
    out["where"] = {"bin": out["bin"], "zone": out.pop("zone")} if out["bin"] else None
    out.pop("zone", None)
    resolver = out.pop("resolved_by_name")
    if out["resolved_by"] is not None:
        out["resolved_by_name"] = resolver
    counted = bool(out.pop("count_requested"))
    k = KINDS.get(out["kind"])
    out["title"] = k.title if k else out["kind"].replace("_", " ")
    out["actions"] = ([] if out["status"] == "resolved" else
                      [{"name": a.name, "summary": a.summary, "params": list(a.params)}
                       for a in actions_for(out["kind"], count_requested=counted)])
    return out


def get(conn, exc_id: int) -> dict:
    row = conn.execute(SELECT + " WHERE e.id = ?", (exc_id,)).fetchone()
    if row is None:
        raise NotFound(f"no exception {exc_id}")
    return describe(row)


def list_exceptions(conn, *, status: str = "open", kind: str | None = None, zone: str | None = None,
                    bin: str | None = None, sku: str | None = None, ref_type: str | None = None,
                    ref_id: str | None = None, after_id: int = 0, limit: int = 100) -> list[dict]:
    where, params = ["e.id > ?"], [after_id]
    if status != "all":
        where.append("e.status = ?")
        params.append(status)
    for col, value in (("e.kind", kind), ("b.zone", zone), ("e.bin", bin), ("e.sku", sku),
                       ("e.ref_type", ref_type), ("e.ref_id", ref_id)):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    rows = conn.execute(f"{SELECT} WHERE {' AND '.join(where)} ORDER BY e.id LIMIT ?", params + [limit])
    return [describe(r) for r in rows]


# -- resolving -------------------------------------------------------------------

def resolve(conn, exc_id: int, *, user: dict, action_name: str, resolution: str,
            params: dict | None = None) -> tuple[dict, list[PostResult]]:
    """Run the action and record who resolved the exception, how and why.

    Returns the resolved row and whatever the action posted, for live events
    after commit.
    """
    row = conn.execute("SELECT kind, status, EXISTS (SELECT 1 FROM count_request c WHERE c.exception_id = e.id) "
                       "AS count_requested FROM exception e WHERE id = ?", (exc_id,)).fetchone()
    if row is None:
        raise NotFound(f"no exception {exc_id}")
    if row["status"] == "resolved":
        raise AlreadyResolved(f"exception {exc_id} is already resolved")
    actions = {a.name: a for a in actions_for(row["kind"], count_requested=bool(row["count_requested"]))}
    chosen = actions.get(action_name)
    if chosen is None:
        raise UnknownAction(f"a {row['kind']} exception can be resolved with {', '.join(actions)}; "
                            f"not {action_name!r}", field="action")
    params = params or {}
    missing = [p for p in chosen.params if params.get(p) in (None, "")]
    if missing:
        raise LedgerError(f"{action_name} needs params.{missing[0]}", field=f"params.{missing[0]}")
    now = utcnow()
    posts = []
    if chosen.handler is not None:
        posted = chosen.handler(conn, get(conn, exc_id), user, params, now)
        if posted is not None:
            posts.append(posted)
    conn.execute("UPDATE exception SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ?, "
                 "action = ? WHERE id = ?", (now, user["id"], resolution, action_name, exc_id))
    return get(conn, exc_id), posts


def close(conn, exc_id: int, *, user_id: int | None, action_name: str, resolution: str) -> None:
    """For a workflow that settles its own exception (a count approved on the
    count screen, an override on the receipt): record it as resolved there."""
    conn.execute("UPDATE exception SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ?, "
                 "action = ? WHERE id = ? AND status = 'open'", (utcnow(), user_id, resolution, action_name, exc_id))


# -- the ledger's own kinds (offline replays that contradicted the records) ------

LEDGER_KINDS = {
    "negative_stock": "Stock went below zero after an offline replay",
    "serial_conflict": "A serial number was somewhere else",
    "lot_conflict": "A lot arrived with another expiry date",
    "missing_expiry": "A perishable lot has no expiry date",
    "unknown_lot": "A lot the records have never seen was moved",
    "reserved_stock_taken": "An offline replay took stock that orders had reserved",
}
for _name, _title in LEDGER_KINDS.items():
    kind(_name, _title)


def request_count(conn, exc, user, params, now):
    """Action: make sure a counter is asked to count the exception's bins: its own,
    and any other it asked for (a serial conflict's bin the serial was booked to)."""
    asked = [r[0] for r in conn.execute("SELECT DISTINCT bin FROM count_request WHERE exception_id = ? "
                                        "ORDER BY bin", (exc["id"],))]
    for bin_code in dict.fromkeys([b for b in (exc["bin"], *asked) if b]):
        open_request = conn.execute("SELECT 1 FROM count_request WHERE exception_id = ? AND bin = ? "
                                    "AND status = 'open'", (exc["id"], bin_code)).fetchone()
        if open_request is None:
            conn.execute("INSERT INTO count_request (bin, sku, reason, exception_id, created_at) VALUES (?,?,?,?,?)",
                         (bin_code, exc["sku"], f"{exc['kind']}: {exc['detail']}", exc["id"], now))


def cancel_count(conn, exc, user, params, now):
    """Action: the records were right; nobody needs to count."""
    conn.execute("UPDATE count_request SET status = 'cancelled' WHERE exception_id = ? AND status = 'open'",
                 (exc["id"],))


def _set_expiry(conn, exc, user, params, now):
    try:
        expiry = date.fromisoformat(str(params["expiry"])).isoformat()
    except ValueError:
        raise LedgerError(f"params.expiry must be a date (YYYY-MM-DD), not {params['expiry']!r}",
                          field="params.expiry") from None
    if not exc["lot"]:
        raise LedgerError("this exception names no lot", field="action")
    conn.execute("UPDATE lot SET expiry = ? WHERE sku = ? AND lot = ? AND expiry IS NULL",
                 (expiry, exc["sku"], exc["lot"]))


COUNT = Action("count", "Have the bin counted: the count request stays open for a counter", request_count)
DISMISS = Action("dismiss", "The records are right after all: cancel the count request", cancel_count)
for _name in LEDGER_KINDS:
    KINDS[_name].actions.update(count=COUNT, dismiss=DISMISS)
action("missing_expiry", "set_expiry", "Enter the lot's expiry date from the label", params=("expiry",))(_set_expiry)


def write_off(conn, exc: dict, user: dict, *, qty: float, from_bin: str, reason: str, lot: str | None = None,
              serial: str | None = None, ref_type: str | None = None, ref_id: str | None = None) -> PostResult:
    """Take stock out of the building with a reason, on a supervisor's word.

    The movement id derives from the exception, so resolving is idempotent
    even if the same write is retried."""
    mid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"floorscan:exception:{exc['id']}:write-off"))
    mv = Movement(id=mid, kind="adjust", sku=exc["sku"], qty=qty, from_bin=from_bin, lot=lot, serial=serial, reason=reason,
                  ref_type=ref_type, ref_id=ref_id, user_id=user["id"], device_id=user.get("device_id"))
    return post_movements(conn, [mv])
