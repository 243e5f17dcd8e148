"""Pick productivity (lines per hour per user) and short-pick rate. No Flask.

A pick line is one ``pick`` movement. Active time is the time between a
picker's consecutive picks when the gap is under IDLE_MINUTES (a longer gap
is a break or other work), plus FIRST_LINE_MINUTES for the first line of
each stretch; lines per hour = lines / active hours. The short-pick rate is
short lines over finished lines (picked + short) of the pick lists the user
worked on, lists created in the window.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from edge.analytics.asof import cutoff, report_day
from edge.ledger import LedgerError

IDLE_MINUTES = 15.0
FIRST_LINE_MINUTES = 1.0


def _t(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def productivity_report(conn, as_of: date | None, days: int = 7) -> list[dict]:
    if days < 1:
        raise LedgerError("days must be 1 or more", field="days")
    end = report_day(as_of)
    lo, hi = (end - timedelta(days=days - 1)).isoformat(), cutoff(end)
    names = {r["id"]: r["name"] for r in conn.execute("SELECT id, name FROM user")}
    users: dict[int | None, dict] = {}
    last_at: dict[int | None, datetime] = {}
    for user_id, at, qty in conn.execute(
            "SELECT user_id, recorded_at, qty FROM movement WHERE kind = 'pick' AND recorded_at >= ? "
            "AND recorded_at < ? ORDER BY user_id, recorded_at", (lo, hi)):
        e = users.setdefault(user_id, {"lines": 0, "qty": 0.0, "minutes": 0.0})
        now = _t(at)
        prev = last_at.get(user_id)
        gap = (now - prev).total_seconds() / 60 if prev else None
        e["minutes"] += gap if gap is not None and gap < IDLE_MINUTES else FIRST_LINE_MINUTES
        e["lines"] += 1
        e["qty"] += qty
        last_at[user_id] = now
    shorts: dict[int | None, tuple[int, int]] = {}
    for r in conn.execute(
            "SELECT p.assigned_to AS user_id, sum(l.status = 'short') AS short, "
            "sum(l.status IN ('picked', 'short')) AS done FROM pick_line l JOIN pick_list p ON p.id = l.list_id "
            "WHERE p.created_at >= ? AND p.created_at < ? GROUP BY p.assigned_to", (lo, hi)):
        shorts[r["user_id"]] = (r["short"] or 0, r["done"] or 0)
    rows = []
    for user_id in sorted(set(users) | set(shorts), key=lambda u: (u is None, u or 0)):
        e = users.get(user_id, {"lines": 0, "qty": 0.0, "minutes": 0.0})
        short, done = shorts.get(user_id, (0, 0))
        hours = e["minutes"] / 60
        rows.append({"user_id": user_id, "user": names.get(user_id, "") if user_id is not None else "",
                     "lines": e["lines"], "qty": round(e["qty"], 6), "active_hours": round(hours, 3),
                     "lines_per_hour": round(e["lines"] / hours, 2) if hours > 0 else None,
                     "short_lines": short, "finished_lines": done,
                     "short_pick_rate": round(short / done, 4) if done else None})
    total_short = sum(r["short_lines"] for r in rows)
    total_done = sum(r["finished_lines"] for r in rows)
    total_lines = sum(r["lines"] for r in rows)
    total_hours = sum(r["active_hours"] for r in rows)
    if rows:
        rows.append({"user_id": None, "user": "(all)", "lines": total_lines,
                     "qty": round(sum(r["qty"] for r in rows), 6), "active_hours": round(total_hours, 3),
                     "lines_per_hour": round(total_lines / total_hours, 2) if total_hours > 0 else None,
                     "short_lines": total_short, "finished_lines": total_done,
                     "short_pick_rate": round(total_short / total_done, 4) if total_done else None})
    return rows
