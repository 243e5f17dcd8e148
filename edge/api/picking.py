"""REST endpoints of the picking workflow (issue 3): sales orders, stock
availability, waves and pick lists. The floor steps themselves are commands
on POST /api/v1/commands (pick.tote, pick.confirm, pick.short, pick.sort,
order.ship); see docs/workflows/picking.md."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from edge import realtime
from edge.api.common import read, write
from edge.api.spec import SUPERVISORS, endpoint
from edge.workflows import allocation, picking_lists as lists, picking_orders as orders, picking_ship as ship
from edge.workflows.picking_orders import ORDER_STATUSES, SalesOrderIn, iso_utc

bp = Blueprint("picking", __name__, url_prefix="/api/v1")
TAGS = ("picking",)
MAX_ID = lists.MAX_ID


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderQuery(Query):
    status: Optional[Literal[ORDER_STATUSES]] = None  # type: ignore[valid-type]
    carrier: Optional[str] = Field(None, max_length=64)
    cutoff_before: Optional[datetime] = Field(None, description="cut-off earlier than this moment")
    after: Optional[str] = Field(None, max_length=64, description="paging: the last order id of the previous page")
    limit: int = Field(100, ge=1, le=1000)


class AvailabilityQuery(Query):
    sku: str = Field(min_length=1, max_length=64)


class ListQuery(Query):
    status: Optional[Literal["open", "picking", "picked", "cancelled"]] = None
    assigned_to: Optional[str] = Field(None, pattern=r"^(me|[0-9]{1,18})$", description="'me' or a user id")
    wave_id: Optional[int] = Field(None, ge=1, le=MAX_ID)
    after_id: int = Field(0, ge=0, le=MAX_ID)
    limit: int = Field(100, ge=1, le=1000)


class PageQuery(Query):
    after_id: int = Field(0, ge=0, le=MAX_ID)
    limit: int = Field(100, ge=1, le=1000)


def _notify_assigned(list_rows: list[dict]) -> None:
    for row in list_rows:
        if row.get("assigned_to"):
            realtime.notify("task.assigned", {"type": "pick_list", "list": row}, [f"user:{row['assigned_to']}"])


def _fresh(resp) -> bool:
    """False when Idempotency-Key replayed a stored answer (the events went out the first time)."""
    return resp.headers.get("Idempotent-Replayed") != "true"


# -- sales orders --------------------------------------------------------------

@endpoint(bp, "/sales-orders", method="POST", roles=SUPERVISORS, body=SalesOrderIn, status=201, tags=TAGS,
          extra_responses={409: "an order with this number exists"})
def create_order(body: SalesOrderIn):
    """Create a sales order with its lines (sku, qty, optional lot), priority, cut-off and carrier."""
    def job(conn):
        orders.save_order(conn, body, source="api")
        return orders.get_order(conn, body.id)
    return write(job, status=201)


@endpoint(bp, "/sales-orders/<order_id>/cancel", method="POST", roles=SUPERVISORS, tags=TAGS,
          extra_responses={404: "no such order", 409: "the order is shipped or cancelled already"})
def cancel_sales_order(order_id: str):
    """Cancel an order: its reservations are released and its lines leave the pick lists (their pickers
    are told: list.changed). Goods already picked stay in their tote as stock, listed under `put_away`."""
    resp = _response(write(lambda conn: ship.cancel_order(conn, order_id)), 200)
    if _fresh(resp):
        for lst in resp.get_json()["pick_lists"]:
            if lst["assigned_to"]:
                realtime.notify("list.changed", {"list_id": lst["id"], "change": "order cancelled",
                                                 "order_id": order_id}, [f"user:{lst['assigned_to']}"])
    return resp


@endpoint(bp, "/sales-orders", query=OrderQuery, tags=TAGS)
def list_sales_orders(query: OrderQuery):
    """Sales orders by number, filtered by status, carrier or cut-off; `backordered` flags lines waiting for stock."""
    rows = orders.list_orders(read(), status=query.status, carrier=query.carrier,
                              cutoff_before=iso_utc(query.cutoff_before, "query.cutoff_before"), after=query.after,
                              limit=query.limit)
    return jsonify({"items": rows, "next_after": rows[-1]["id"] if len(rows) == query.limit else None})


@endpoint(bp, "/sales-orders/<order_id>", tags=TAGS, extra_responses={404: "no such order"})
def get_sales_order(order_id: str):
    """One order: each line's ordered, reserved, picked, shipped and backordered quantity, its
    allocations (bin, lot, pick list) and where its picked goods are."""
    return jsonify(orders.get_order(read(), order_id))


@endpoint(bp, "/availability", query=AvailabilityQuery, tags=TAGS, extra_responses={404: "no such item"})
def availability(query: AvailabilityQuery):
    """On-hand, reserved and available stock of one sku, by bin and lot; `allocatable` is what an
    order can be given (pickable bins, lots not expired), `backordered` what open orders still want."""
    return jsonify(allocation.availability(read(), query.sku))


# -- waves and pick lists -----------------------------------------------------------

@endpoint(bp, "/waves", method="POST", roles=SUPERVISORS, body=lists.WaveIn, status=201, tags=TAGS,
          extra_responses={409: "no matching order, or none has stock to allocate"})
def release_wave(body: lists.WaveIn):
    """Release a wave: select open orders by cut-off and/or carrier (or by number), allocate them
    most urgent first (priority, then cut-off) and cut them into single, batch or cluster pick lists."""
    user_id = g.user["id"]
    resp = _response(write(lambda conn: lists.release_wave(conn, body, user_id=user_id), status=201), 201)
    if _fresh(resp):
        _notify_assigned(resp.get_json()["lists"])
    return resp


@endpoint(bp, "/waves", query=PageQuery, tags=TAGS)
def list_waves(query: PageQuery):
    """Released waves with their rule, orders and pick lists."""
    rows = lists.list_waves(read(), after_id=query.after_id, limit=query.limit)
    return jsonify({"items": rows, "next_after_id": rows[-1]["id"] if len(rows) == query.limit else None})


@endpoint(bp, "/waves/<int:wave_id>", tags=TAGS, extra_responses={404: "no such wave"})
def get_wave(wave_id: int):
    """One wave: its rule, orders and pick lists."""
    return jsonify(lists.get_wave(read(), wave_id))


@endpoint(bp, "/pick-lists", method="POST", roles=SUPERVISORS, body=lists.PickListIn, status=201, tags=TAGS,
          extra_responses={404: "no such order", 409: "nothing of these orders left to pick"})
def create_pick_list(body: lists.PickListIn):
    """A pick list for named orders outside a wave (e.g. one rush order)."""
    user_id = g.user["id"]
    resp = _response(write(lambda conn: lists.create_list(conn, body, user_id=user_id), status=201), 201)
    if _fresh(resp):
        _notify_assigned(resp.get_json()["lists"])
    return resp


@endpoint(bp, "/pick-lists", query=ListQuery, tags=TAGS)
def list_pick_lists(query: ListQuery):
    """Pick lists by status, picker (`assigned_to=me`) or wave, with progress counts."""
    who = None
    if query.assigned_to == "me":
        who = g.user["id"]
    elif query.assigned_to is not None:
        who = int(query.assigned_to)
    rows = lists.list_lists(read(), status=query.status, assigned_to=who, wave_id=query.wave_id,
                            after_id=query.after_id, limit=query.limit)
    return jsonify({"items": rows, "next_after_id": rows[-1]["id"] if len(rows) == query.limit else None})


@endpoint(bp, "/pick-lists/<int:list_id>", tags=TAGS, extra_responses={404: "no such pick list"})
def get_pick_list(list_id: int):
    """A pick list as the handheld works it: lines in walk order, each with its bin, item, lot,
    the barcodes it accepts (with pack qty), quantity left, and the tote it goes in."""
    return jsonify(lists.get_list(read(), list_id))


@endpoint(bp, "/pick-lists/<int:list_id>/assign", method="POST", roles=SUPERVISORS, body=lists.AssignIn, tags=TAGS,
          extra_responses={404: "no such pick list", 409: "the list is finished"})
def assign_pick_list(list_id: int, body: lists.AssignIn):
    """Hand a pick list to a picker; they are told live (task.assigned), the previous picker too (list.changed)."""
    previous: list = []

    def job(conn):
        summary, before = lists.assign(conn, list_id, body.user_id)
        previous.append(before)
        return summary

    resp = _response(write(job), 200)
    if _fresh(resp):
        row = resp.get_json()
        _notify_assigned([row])
        if previous and previous[0] not in (None, row["assigned_to"]):
            realtime.notify("list.changed", {"list_id": list_id, "change": "reassigned"}, [f"user:{previous[0]}"])
    return resp


def _response(result, status: int):
    """write() answers (json, status) without an Idempotency-Key and a Response with one."""
    if isinstance(result, tuple):
        resp, code = result
        resp.status_code = code
        return resp
    return result
