"""Replenishment (docs/replenishment.md): parameters, plans, low-stock alerts,
suggested purchase orders, pick-face minimums and refills.

:func:`after_commit` is registered with edge.realtime.on_commit and runs after every committed
batch that changed stock: it re-evaluates low-stock alerts and pick-face
minimums for the items and bins that moved, in one writer job, and tells
supervisors (``low_stock``) and drivers (``putaway.tasks``)."""
from __future__ import annotations

import logging
from datetime import date
from typing import Literal, Optional

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from edge import realtime
from edge.analytics import alerts, orders, params, pickface, replenishment
from edge.api.common import edge, read, write
from edge.api.spec import SUPERVISORS, endpoint
from edge.masterdata import NotFound

bp = Blueprint("replenishment", __name__, url_prefix="/api/v1/replenishment")
log = logging.getLogger(__name__)
MAX_ID = 2 ** 63 - 1


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _id(value: int, what: str) -> int:
    if value > MAX_ID:
        raise NotFound(f"no {what} {value}")
    return value


# -- after every commit that changed stock --------------------------------------------

@realtime.on_commit
def after_commit(app, changes) -> None:
    """Alerts and pick-face refills for what moved; runs on the live-event thread.
    Checks on a reader first, so the writer is asked only when something changes."""
    skus = sorted({ch.sku for ch in changes})
    if not skus:
        return
    reader = app.extensions["floorscan"].read()
    faces = _pick_faces(reader, {(ch.bin, ch.sku) for ch in changes})
    alerting = any(alerts.evaluate(reader, skus[i:i + 500]) for i in range(0, len(skus), 500))
    refilling = bool(faces) and pickface.refill_due(reader, faces)
    if not alerting and not refilling:
        return

    def job(conn):
        return alerts.refresh(conn, skus), pickface.check(conn, faces) if faces else []

    changed, tasks = app.extensions["floorscan"].write(job)
    _announce(realtime, changed, tasks)


def _pick_faces(reader, keys: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Which of ``keys`` (bin, sku) are pick faces: one query per 500 bins, not one per key."""
    bins = sorted({b for b, _ in keys})
    found = set()
    for i in range(0, len(bins), 500):
        chunk = bins[i:i + 500]
        found.update((r["bin"], r["sku"]) for r in reader.execute(
            f"SELECT bin, sku FROM pick_face WHERE bin IN ({','.join('?' * len(chunk))})", chunk))
    return sorted(keys & found)


def _announce(realtime, changed: list[dict], tasks: list[dict]) -> None:
    if changed:
        realtime.notify("low_stock", {"alerts": changed}, ["supervisors"])
    note = pickface.notice(tasks)
    if note:
        realtime.notify(*note)


# -- parameters and plans ---------------------------------------------------------------

@endpoint(bp, "/params/<sku>", roles=SUPERVISORS, tags=("replenishment",))
def get_params(sku: str):
    """An item's replenishment parameters: what is stored (null: site default) and what is in force."""
    return jsonify(params.get(read(), sku))


@endpoint(bp, "/params/<sku>", method="PUT", body=params.ParamsIn, roles=SUPERVISORS, tags=("replenishment",))
def put_params(sku: str, body: params.ParamsIn):
    """Set an item's lead time, service level, ordering and holding cost, min/max overrides, supplier, pack."""
    user_id = g.user["id"]
    return write(lambda conn: params.put(conn, sku, body, user_id))


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: Optional[date] = None
    history_days: int = Field(replenishment.HISTORY_DAYS, ge=14, le=1100)


@endpoint(bp, "/plan", method="POST", body=PlanIn, roles=SUPERVISORS, tags=("replenishment",))
def recompute_plan(body: PlanIn):
    """Forecast every item's demand, compute safety stock, reorder point, min/max and EOQ, store the plan
    that alerts and suggestions use, and re-evaluate every low-stock alert."""
    from edge import realtime

    def job(conn):
        plans = replenishment.compute_plans(conn, body.as_of, history_days=body.history_days)
        replenishment.save_plans(conn, plans, body.as_of)
        return len(plans), alerts.refresh(conn)
    count, changed = edge().write(job, timeout=3600)
    _announce(realtime, changed, [])
    return jsonify({"items": count, "alerts_changed": len(changed)})


class PlanQuery(Query):
    sku: Optional[str] = Field(None, max_length=64)
    after: Optional[str] = Field(None, max_length=64, description="paging cursor: the last sku of the page")
    limit: int = Field(100, ge=1, le=10000)


@endpoint(bp, "/plan", query=PlanQuery, roles=SUPERVISORS, tags=("replenishment",))
def get_plan(query: PlanQuery):
    """The stored plan per item, with availability (on hand - reserved + on order) and the levels in force."""
    where, args = ["1"], []
    if query.sku:
        where.append("sku = ?")
        args.append(query.sku)
    if query.after:
        where.append("sku > ?")
        args.append(query.after)
    conn = read()
    rows = [dict(r) for r in conn.execute(f"SELECT * FROM replenishment_plan WHERE {' AND '.join(where)} "
                                          "ORDER BY sku LIMIT ?", args + [query.limit])]
    skus = [r["sku"] for r in rows]
    avail = alerts.availability(conn, skus)
    lv = replenishment.levels(conn, skus)
    for r in rows:
        r.update(avail.get(r["sku"], {}))
        r["in_force"] = lv.get(r["sku"])
    return jsonify({"items": rows, "next_after": skus[-1] if len(rows) == query.limit else None})


# -- alerts -------------------------------------------------------------------------------

class AlertQuery(Query):
    status: Literal["open", "cleared", "all"] = "open"
    after_id: int = Field(0, ge=0, le=MAX_ID)
    limit: int = Field(100, ge=1, le=10000)


@endpoint(bp, "/alerts", query=AlertQuery, roles=SUPERVISORS, tags=("replenishment",))
def list_alerts(query: AlertQuery):
    """Low-stock alerts: raised when available fell to the reorder point, cleared when it recovered."""
    rows = alerts.list_alerts(read(), status=query.status, limit=query.limit, after_id=query.after_id)
    return jsonify({"items": rows, "next_after_id": rows[-1]["id"] if len(rows) == query.limit else None})


@endpoint(bp, "/alerts/refresh", method="POST", roles=SUPERVISORS, tags=("replenishment",))
def refresh_alerts():
    """Re-evaluate every item's alert now (reservations and purchase orders change availability without
    moving stock)."""
    from edge import realtime
    changed = edge().write(lambda conn: alerts.refresh(conn))
    _announce(realtime, changed, [])
    return jsonify({"changed": changed})


# -- suggested purchase orders ---------------------------------------------------------

class SuggestionQuery(Query):
    status: Literal["draft", "approved", "dismissed", "all"] = "draft"
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/suggestions", query=SuggestionQuery, roles=SUPERVISORS, tags=("replenishment",))
def list_suggestions(query: SuggestionQuery):
    """Suggested purchase orders, one per supplier."""
    return jsonify({"items": orders.list_suggestions(read(), query.status, query.limit)})


@endpoint(bp, "/suggestions", method="POST", roles=SUPERVISORS, status=201, tags=("replenishment",))
def make_suggestions():
    """Add every item at or below its reorder point (and on no draft yet) to its supplier's draft."""
    return write(lambda conn: {"items": orders.suggest(conn)}, status=201)


@endpoint(bp, "/suggestions/<int:sid>", roles=SUPERVISORS, tags=("replenishment",))
def get_suggestion(sid: int):
    """One suggested purchase order with its lines."""
    return jsonify(orders.get(read(), _id(sid, "suggested purchase order")))


@endpoint(bp, "/suggestions/<int:sid>", method="PATCH", body=orders.SuggestionEdit, roles=SUPERVISORS,
          tags=("replenishment",))
def edit_suggestion(sid: int, body: orders.SuggestionEdit):
    """Change a draft's supplier, note or lines (the lines given replace all of them)."""
    _id(sid, "suggested purchase order")
    return write(lambda conn: orders.edit(conn, sid, body))


@endpoint(bp, "/suggestions/<int:sid>/approve", method="POST", body=orders.ApproveIn, roles=SUPERVISORS,
          tags=("replenishment",))
def approve_suggestion(sid: int, body: orders.ApproveIn):
    """Create the purchase order on the edge and queue it for central (sync_outbox), in one transaction."""
    from edge import realtime
    _id(sid, "suggested purchase order")
    user_id = g.user["id"]
    changed: list = []

    def job(conn):
        out = orders.approve(conn, sid, body, user_id)
        # What is on order now counts as available: alerts of these items may clear.
        changed.extend(alerts.refresh(conn, [ln["sku"] for ln in out["lines"]]))
        return out
    response = write(job)
    _announce(realtime, changed, [])
    return response


@endpoint(bp, "/suggestions/<int:sid>/dismiss", method="POST", roles=SUPERVISORS, tags=("replenishment",))
def dismiss_suggestion(sid: int):
    """Drop a draft; its items are suggested again the next time."""
    _id(sid, "suggested purchase order")
    user_id = g.user["id"]
    return write(lambda conn: orders.dismiss(conn, sid, user_id))


# -- pick faces --------------------------------------------------------------------------

@endpoint(bp, "/pick-faces", roles=SUPERVISORS, tags=("replenishment",))
def list_pick_faces():
    """Every pick-face minimum with what the bin holds and what refills are on their way."""
    return jsonify({"items": pickface.status(read())})


@endpoint(bp, "/pick-faces", method="PUT", body=pickface.PickFaceIn, roles=SUPERVISORS, tags=("replenishment",))
def put_pick_face(body: pickface.PickFaceIn):
    """Set a pick face's minimum and maximum for an item."""
    return write(lambda conn: pickface.save(conn, body))


@endpoint(bp, "/pick-faces/<bin_code>/<sku>", method="DELETE", roles=SUPERVISORS, tags=("replenishment",))
def delete_pick_face(bin_code: str, sku: str):
    """Stop watching a pick face for an item (open refill tasks stay)."""
    edge().write(lambda conn: pickface.delete(conn, bin_code, sku))
    return "", 204


@endpoint(bp, "/pick-faces/check", method="POST", roles=SUPERVISORS, tags=("replenishment",))
def check_pick_faces():
    """Create refill tasks (putaway tasks, rule 'replenish') for every pick face below its minimum."""
    from edge import realtime
    created = edge().write(lambda conn: pickface.check(conn))
    _announce(realtime, [], created)
    return jsonify({"tasks": created})
