"""REST endpoints of moves, returns, scrap and transfers (issue 3): the reads a
handheld needs, and the transfer documents a supervisor creates. Floor steps
are commands (POST /api/v1/commands): tote.move, scrap, return.receive,
return.dispose, transfer.ship, transfer.dispatch, transfer.receive, transfer.close."""
from __future__ import annotations

from typing import Literal, Optional

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from edge import realtime
from edge.api.common import read, write
from edge.api.spec import ADMINS, SUPERVISORS, endpoint
from edge.commands.stock_commands import ADJUST_REASONS
from edge.masterdata import NotFound
from edge.workflows import moves, returns, transfers
from edge.workflows.returns import DISPOSITIONS, RETURN_REASONS
from edge.workflows.moves import SCRAP_REASONS

bp = Blueprint("transfers", __name__, url_prefix="/api/v1")
TAGS = ("moves, returns, transfers",)


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- site and reason codes -----------------------------------------------------------

class SiteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    site_id: str = Field(min_length=1, max_length=32, description="This warehouse's id, e.g. WH1")


@endpoint(bp, "/site", tags=TAGS)
def site():
    """This edge's warehouse id: transfers go from one site to another."""
    return jsonify({"site_id": transfers.site_id(read())})


@endpoint(bp, "/site", method="PUT", body=SiteIn, roles=ADMINS, tags=TAGS)
def put_site(body: SiteIn):
    """Set this edge's warehouse id (only before any transfer names it)."""
    return write(lambda conn: {"site_id": transfers.set_site_id(conn, body.site_id)})


@endpoint(bp, "/reason-codes", tags=TAGS)
def reason_codes():
    """The reason codes a handheld offers: adjust, scrap, customer return, return disposition."""
    return jsonify({"adjust": list(ADJUST_REASONS), "scrap": list(SCRAP_REASONS), "return": list(RETURN_REASONS),
                    "disposition": list(DISPOSITIONS)})


# -- totes ---------------------------------------------------------------------

@endpoint(bp, "/totes/<bin_code>", tags=TAGS)
def tote(bin_code: str):
    """What is in a tote, cart or pallet location: the lines a tote.move takes, serials one by one."""
    conn = read()
    if conn.execute("SELECT 1 FROM bin WHERE code = ?", (bin_code,)).fetchone() is None:
        raise NotFound(f"no bin {bin_code!r}")
    return jsonify({"bin": bin_code, "lines": moves.contents(conn, bin_code)})


# -- returns ---------------------------------------------------------------------

class ReturnQuery(Query):
    status: Literal["open", "closed", "all"] = "open"
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/returns", query=ReturnQuery, tags=TAGS)
def list_returns(query: ReturnQuery):
    """Customer returns, oldest first: open ones have goods awaiting a decision."""
    return jsonify({"items": returns.list_returns(read(), query.status, query.limit)})


@endpoint(bp, "/returns/<return_id>", tags=TAGS)
def get_return(return_id: str):
    """One return with its lines: what awaits a decision, the barcodes to expect, a bin to restock to."""
    return jsonify(returns.get_return(read(), return_id))


# -- transfers -------------------------------------------------------------------

class TransferQuery(Query):
    status: Optional[Literal["open", "shipped", "received"]] = None
    direction: Optional[Literal["outbound", "inbound"]] = None
    limit: int = Field(100, ge=1, le=1000)


@endpoint(bp, "/transfers", query=TransferQuery, tags=TAGS)
def list_transfers(query: TransferQuery):
    """Transfers from and to this site, oldest first."""
    return jsonify({"items": transfers.list_transfers(read(), query.status, query.direction, query.limit)})


@endpoint(bp, "/transfers", method="POST", body=transfers.TransferIn, roles=SUPERVISORS, status=201, tags=TAGS)
def create_transfer(body: transfers.TransferIn):
    """Plan a transfer from this site to another: its lines are then loaded with transfer.ship."""
    user = g.user
    return write(lambda conn: transfers.create(conn, body, user["id"]), status=201)


@endpoint(bp, "/transfers/inbound", method="POST", body=transfers.InboundTransferIn, roles=SUPERVISORS,
          status=201, tags=TAGS)
def inbound_transfer(body: transfers.InboundTransferIn):
    """Take in a transfer another site dispatched to this one (its GET /transfers/{id}), to receive it here."""
    user = g.user
    resp = write(lambda conn: transfers.accept_inbound(conn, body, user["id"]), status=201)
    if isinstance(resp, tuple) or resp.headers.get("Idempotent-Replayed") != "true":
        # The receivers learn that a lorry is on its way (once, not on a replayed request).
        realtime.notify("transfer.expected", {"transfer": {"id": body.id, "from_site": body.from_site,
                                                           "lines": len(body.lines)}},
                        ["role:receiver", "supervisors"])
    return resp


@endpoint(bp, "/transfers/<transfer_id>", tags=TAGS)
def get_transfer(transfer_id: str):
    """One transfer: planned lines with shipped and received so far, and what was shipped item by item."""
    return jsonify(transfers.get(read(), transfer_id))
