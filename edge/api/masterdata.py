"""Items, bins, barcodes and users for supervisors and admins."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from edge import auth, masterdata as md
from edge.api.common import read, write
from edge.api.errors import ApiProblem
from edge.api.spec import ADMINS, ANY_SIGNED_IN, SUPERVISORS, endpoint
from edge.models import BarcodeIn, BinIn, ItemIn, UserIn, UserOut

bp = Blueprint("masterdata", __name__, url_prefix="/api/v1")


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after: Optional[str] = Field(None, description="paging cursor: the last key of the previous page")
    limit: int = Field(100, ge=1, le=1000)


class ItemQuery(ListQuery):
    tracking: Optional[str] = None
    abc_class: Optional[str] = None
    preferred_zone: Optional[str] = None


class BinQuery(ListQuery):
    zone: Optional[str] = None
    kind: Optional[str] = None
    aisle: Optional[str] = None


class BarcodeQuery(ListQuery):
    sku: Optional[str] = None


def _page(rows, key, limit):
    return jsonify({"items": rows, "next_after": rows[-1][key] if len(rows) == limit else None})


def _check_key(path_key: str, body_key: str, field: str):
    if path_key != body_key:
        raise ApiProblem(422, f"{field} in the body ({body_key!r}) differs from the URL ({path_key!r})",
                         errors=[{"field": field, "message": "must match the URL"}])


# -- items -------------------------------------------------------------------

@endpoint(bp, "/items", query=ItemQuery, roles=ANY_SIGNED_IN, tags=("master data",))
def list_items(query: ItemQuery):
    """Items, ordered by sku, keyset-paged."""
    rows = md.list_rows(read(), "item", "sku", after=query.after, limit=query.limit,
                        filters={"tracking": query.tracking, "abc_class": query.abc_class,
                                 "preferred_zone": query.preferred_zone})
    return _page(rows, "sku", query.limit)


@endpoint(bp, "/items/<sku>", roles=ANY_SIGNED_IN, tags=("master data",))
def get_item(sku: str):
    """One item with its barcodes."""
    return jsonify(md.get_item(read(), sku))


@endpoint(bp, "/items", method="POST", body=ItemIn, roles=SUPERVISORS, status=201, tags=("master data",))
def create_item(body: ItemIn):
    """Create an item (409 if the sku exists)."""
    return write(lambda conn: md.save_item(conn, body), status=201)


@endpoint(bp, "/items/<sku>", method="PUT", body=ItemIn, roles=SUPERVISORS, tags=("master data",))
def put_item(sku: str, body: ItemIn):
    """Create or replace an item. Tracking cannot change once the item has movements."""
    _check_key(sku, body.sku, "sku")
    return write(lambda conn: md.save_item(conn, body, replace=True))


# -- bins --------------------------------------------------------------------

@endpoint(bp, "/bins", query=BinQuery, roles=ANY_SIGNED_IN, tags=("master data",))
def list_bins(query: BinQuery):
    """Bins, ordered by code, keyset-paged."""
    rows = md.list_rows(read(), "bin", "code", after=query.after, limit=query.limit,
                        filters={"zone": query.zone, "kind": query.kind, "aisle": query.aisle})
    return _page(rows, "code", query.limit)


@endpoint(bp, "/bins/<code>", roles=ANY_SIGNED_IN, tags=("master data",))
def get_bin(code: str):
    """One bin."""
    return jsonify(md.get_bin(read(), code))


@endpoint(bp, "/bins", method="POST", body=BinIn, roles=SUPERVISORS, status=201, tags=("master data",))
def create_bin(body: BinIn):
    """Create a bin (409 if the code exists)."""
    return write(lambda conn: md.save_bin(conn, body), status=201)


@endpoint(bp, "/bins/<code>", method="PUT", body=BinIn, roles=SUPERVISORS, tags=("master data",))
def put_bin(code: str, body: BinIn):
    """Create or replace a bin."""
    _check_key(code, body.code, "code")
    return write(lambda conn: md.save_bin(conn, body, replace=True))


# -- barcodes ----------------------------------------------------------------

@endpoint(bp, "/barcodes", query=BarcodeQuery, roles=ANY_SIGNED_IN, tags=("master data",))
def list_barcodes(query: BarcodeQuery):
    """Barcodes, ordered by code, keyset-paged."""
    rows = md.list_rows(read(), "barcode", "code", after=query.after, limit=query.limit,
                        filters={"sku": query.sku})
    return _page(rows, "code", query.limit)


@endpoint(bp, "/barcodes", method="POST", body=BarcodeIn, roles=SUPERVISORS, status=201, tags=("master data",))
def create_barcode(body: BarcodeIn):
    """Attach a barcode to an item with its pack quantity (409 if the code exists)."""
    return write(lambda conn: md.save_barcode(conn, body), status=201)


@endpoint(bp, "/barcodes/<code>", method="PUT", body=BarcodeIn, roles=SUPERVISORS, tags=("master data",))
def put_barcode(code: str, body: BarcodeIn):
    """Create or replace a barcode."""
    _check_key(code, body.code, "code")
    return write(lambda conn: md.save_barcode(conn, body, replace=True))


@endpoint(bp, "/barcodes/<code>", method="DELETE", roles=SUPERVISORS, status=204, tags=("master data",))
def delete_barcode(code: str):
    """Remove a barcode."""
    write(lambda conn: md.delete_barcode(conn, code) or {})
    return "", 204


# -- users -------------------------------------------------------------------

@endpoint(bp, "/users", roles=SUPERVISORS, tags=("users",))
def list_users():
    """Users and roles (never PINs)."""
    rows = read().execute("SELECT id, name, role, active, badge_hash IS NOT NULL AS has_badge, "
                          "pin_hash IS NOT NULL AS has_pin, created_at FROM user ORDER BY id").fetchall()
    items = [dict(r, active=bool(r["active"]), has_badge=bool(r["has_badge"]), has_pin=bool(r["has_pin"]))
             for r in rows]
    return jsonify({"items": items})


@endpoint(bp, "/users", method="POST", body=UserIn, roles=ADMINS, response=UserOut, status=201, tags=("users",))
def create_user(body: UserIn):
    """Create a user with a PIN and/or badge (admins only)."""
    return write(lambda conn: auth.create_user(conn, body), status=201)


# -- devices -----------------------------------------------------------------

@endpoint(bp, "/devices", roles=SUPERVISORS, tags=("users",))
def list_devices():
    """Handhelds that have signed in (by the device_id they send), with who used them last."""
    rows = read().execute(
        "SELECT d.id, d.name, d.first_seen_at, d.last_seen_at, d.last_user_id, u.name AS last_user_name "
        "FROM device d LEFT JOIN user u ON u.id = d.last_user_id ORDER BY d.last_seen_at DESC").fetchall()
    return jsonify({"items": [dict(r) for r in rows]})
