"""The supervisor's live floor view: who is doing what, open work, late commands.

One read-only summary for the handheld's floor screen (pwa/js/screens/floor.js).
The screen re-reads it when Socket.IO says something moved; the answer is the
truth, the events only say when to ask.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from edge.api.common import read
from edge.api.spec import SUPERVISORS, endpoint

bp = Blueprint("floor", __name__, url_prefix="/api/v1")

# What a person's last command says they are doing, in floor words.
DOING = {
    "receive": "receiving", "receipt.open": "receiving", "receipt.line": "receiving",
    "receipt.pallet": "receiving", "receipt.close": "receiving",
    "putaway.confirm": "putting away", "pick.tote": "picking", "pick.confirm": "picking",
    "pick.short": "picking", "pick.sort": "sorting", "order.ship": "shipping",
    "count.start": "counting", "count": "counting", "move": "moving stock", "tote.move": "moving stock",
    "adjust": "adjusting", "scrap": "scrapping", "return.receive": "returns", "return.dispose": "returns",
    "transfer.ship": "loading a transfer", "transfer.dispatch": "dispatching",
    "transfer.receive": "receiving a transfer",
    "transfer.close": "receiving a transfer",
}


class FloorQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hours: int = Field(8, ge=1, le=72, description="People active within this many hours")
    quiet_minutes: int = Field(10, ge=1, le=720,
                               description="A device silent this long after being used may hold unsent work")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@endpoint(bp, "/floor", query=FloorQuery, roles=SUPERVISORS, tags=("floor",))
def floor(query: FloorQuery):
    """The live floor: people active lately with their last action and current task, open work by kind,
    commands replayed from offline devices in the last hour, and devices gone quiet."""
    conn = read()
    now = datetime.now(timezone.utc)
    since = _iso(now - timedelta(hours=query.hours))
    people = [dict(r) for r in conn.execute(
        "SELECT u.id, u.name, u.role, c.type AS last_type, c.at AS last_at, c.received_at AS last_received_at, "
        "       c.device_id, n.commands "
        "FROM (SELECT user_id, count(*) AS commands, max(received_at) AS last FROM command "
        "      WHERE received_at >= ? AND user_id IS NOT NULL GROUP BY user_id) n "
        "JOIN user u ON u.id = n.user_id "
        "JOIN command c ON c.user_id = n.user_id AND c.received_at = n.last "
        "GROUP BY u.id ORDER BY n.last DESC", (since,))]
    picking = {r["assigned_to"]: r for r in conn.execute(
        "SELECT assigned_to, id, status FROM pick_list WHERE status IN ('open', 'picking') "
        "AND assigned_to IS NOT NULL ORDER BY status = 'picking' DESC, id")}
    counting = {r["assigned_to"]: r for r in conn.execute(
        "SELECT assigned_to, id, status FROM count_task WHERE status = 'in_progress' AND assigned_to IS NOT NULL")}
    for p in people:
        p["doing"] = DOING.get(p["last_type"], p["last_type"])
        task = None
        if p["id"] in counting:
            task = f"count task {counting[p['id']]['id']}"
        elif p["id"] in picking:
            task = f"pick list {picking[p['id']]['id']} ({picking[p['id']]['status']})"
        p["task"] = task
    one = lambda sql, *args: conn.execute(sql, args).fetchone()[0]  # noqa: E731
    open_work = {
        "pick_lists": one("SELECT count(*) FROM pick_list WHERE status IN ('open', 'picking')"),
        "putaway_tasks": one("SELECT count(*) FROM putaway_task WHERE status = 'open'"),
        "count_tasks": one("SELECT count(*) FROM count_task WHERE status IN ('open', 'in_progress', 'review')"),
        "receipts": one("SELECT count(*) FROM receipt WHERE status = 'open'"),
        "returns": one("SELECT count(*) FROM return_order WHERE status = 'open'"),
        "exceptions": one("SELECT count(*) FROM exception WHERE status = 'open'"),
    }
    hour_ago = _iso(now - timedelta(hours=1))
    replayed = one("SELECT count(*) FROM movement WHERE replayed = 1 AND recorded_at >= ?", hour_ago)
    quiet_before = _iso(now - timedelta(minutes=query.quiet_minutes))
    quiet = [dict(r) for r in conn.execute(
        "SELECT d.id, d.last_seen_at, u.name AS last_user_name FROM device d "
        "LEFT JOIN user u ON u.id = d.last_user_id "
        "WHERE d.last_seen_at >= ? AND d.last_seen_at < ? ORDER BY d.last_seen_at", (since, quiet_before))]
    return jsonify({"at": _iso(now), "people": people, "open": open_work,
                    "replayed_last_hour": replayed, "quiet_devices": quiet})
