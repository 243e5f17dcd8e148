"""The ERP / web-shop API (API-key auth): master data and documents central
hands down to the edges. Every write is one change in the change feed;
POST creates or replaces (the answer's `created` says which)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from sync.central.models import (
    BarcodeIn, BinIn, CentralPurchaseOrderIn, CentralSalesOrderIn, CentralTransferIn, ItemIn, SavedOut,
)
from sync.central.errors import UnknownKey
from sync.central.spec import endpoint, store

bp = Blueprint("central_erp", __name__, url_prefix="/api/v1")
TAGS = ("ERP: master data and documents",)


@endpoint(bp, "/items", method="POST", body=ItemIn, response=SavedOut, tags=TAGS)
def save_item(body: ItemIn):
    """Create or replace an item; every warehouse receives it."""
    return jsonify(store().upsert_item(body.model_dump(mode="json")))


@endpoint(bp, "/items/<sku>", response=SavedOut, tags=TAGS)
def get_item(sku: str):
    """The newest version of an item, as the change feed sends it."""
    return jsonify(_latest("item", sku))


@endpoint(bp, "/items/<sku>", method="DELETE", response=SavedOut, tags=TAGS)
def delete_item(sku: str):
    """Deactivate an item in every warehouse."""
    return jsonify(store().delete("item", sku))


@endpoint(bp, "/barcodes", method="POST", body=BarcodeIn, response=SavedOut, tags=TAGS)
def save_barcode(body: BarcodeIn):
    """Create or replace a barcode of an item central knows; every warehouse receives it."""
    return jsonify(store().upsert_barcode(body.model_dump(mode="json")))


@endpoint(bp, "/barcodes/<code>", method="DELETE", response=SavedOut, tags=TAGS)
def delete_barcode(code: str):
    """Withdraw a barcode in every warehouse."""
    return jsonify(store().delete("barcode", code))


@endpoint(bp, "/warehouses/<code>/bins", method="POST", body=BinIn, response=SavedOut, tags=TAGS)
def save_bin(code: str, body: BinIn):
    """Create or replace a bin of one warehouse (for companies that manage bins centrally)."""
    return jsonify(store().upsert_bin(code, body.model_dump(mode="json")))


@endpoint(bp, "/warehouses/<code>/bins/<bin_code>", method="DELETE", response=SavedOut, tags=TAGS)
def delete_bin(code: str, bin_code: str):
    """Deactivate a bin of one warehouse."""
    return jsonify(store().delete("bin", bin_code, code))


@endpoint(bp, "/purchase-orders", method="POST", body=CentralPurchaseOrderIn, response=SavedOut, tags=TAGS)
def save_purchase_order(body: CentralPurchaseOrderIn):
    """Create or replace a purchase order for one warehouse (the edge's PurchaseOrderIn plus `warehouse`).

    A warehouse that has started receiving it keeps its progress."""
    return jsonify(store().upsert_document("purchase_order", body.warehouse,
                                           body.model_dump(mode="json", exclude={"warehouse"})))


@endpoint(bp, "/sales-orders", method="POST", body=CentralSalesOrderIn, response=SavedOut, tags=TAGS)
def save_sales_order(body: CentralSalesOrderIn):
    """Create or replace a sales order for one warehouse (the edge's SalesOrderIn plus `warehouse`)."""
    return jsonify(store().upsert_document("sales_order", body.warehouse,
                                           body.model_dump(mode="json", exclude={"warehouse"})))


@endpoint(bp, "/transfers", method="POST", body=CentralTransferIn, status=201, tags=TAGS,
          extra_responses={409: "a transfer with this id exists"})
def create_transfer(body: CentralTransferIn):
    """Order a transfer between two warehouses; the source receives it as a transfer_order to ship."""
    return jsonify(store().create_transfer(body.model_dump(mode="json"))), 201


def _latest(kind: str, key: str, warehouse: str = "") -> dict:
    got = store().latest(kind, key, warehouse)
    if got is None:
        raise UnknownKey(f"no {kind} {key!r}")
    return {"kind": kind, "key": key, "cursor": got["cursor"], "created": False, "data": got["data"],
            "op": got["op"]}
