"""Down: apply central's changes to the edge with the edge's own code (docs/sync.md). No Flask.

A page of changes is applied in one transaction together with the new down
cursor, so a crash leaves either the whole page and its cursor or neither.
Each change goes through the same workflow and master-data functions as the
edge's own API, so central cannot put in what the edge would refuse.

Central is authoritative for master data. A document the edge has started
working on (a PO with a receipt or an ASN, a sales order with allocations, a
transfer past open) keeps its local state: central's version is ignored for
it, and what the edge does with it travels up as movements. A change the
edge refuses for any other reason (an item whose tracking cannot change, a
line for an unknown item) is skipped and becomes a ``sync_refused``
exception for a supervisor; the cursor moves on, so one bad record never
stops the rest of the company's changes. It is tried again after every page
(``sync_deferred``): what it lacked may come later in the feed.

Applying a change twice, or from cursor 0 again, ends in the same state.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Callable

from pydantic import ValidationError

from edge import masterdata as md
from edge.ledger import LedgerError
from edge.models import BarcodeIn, BinIn, ItemIn
from edge.workflows import exceptions, transfers
from edge.workflows import picking_orders as orders
from edge.workflows import receiving_docs as docs
from edge.workflows.picking_errors import OrderClosed

exceptions.kind("sync_refused", "A change from central that this edge could not apply")

KEPT = "kept"        # a started document keeps its local progress
APPLIED = "applied"
REFUSED = "refused"


# -- one handler per kind: (conn, key, op, data) -> APPLIED | KEPT ----------------------

# A delete carries the key's last version (central sends it with active false):
# the edge stores it inactive even if it never saw the key, so an edge that
# starts from cursor 0 ends with the same rows as one that followed along.

def item(conn, key, op, data):
    if op == "delete" and not data:
        conn.execute("UPDATE item SET active = 0 WHERE sku = ?", (key,))
        return APPLIED
    md.save_item(conn, ItemIn.model_validate(dict(data, sku=key, **({"active": False} if op == "delete" else {}))),
                 replace=True)
    return APPLIED


def barcode(conn, key, op, data):
    if op == "delete":
        conn.execute("DELETE FROM barcode WHERE code = ?", (key,))
        return APPLIED
    md.save_barcode(conn, BarcodeIn.model_validate(dict(data, code=key)), replace=True)
    return APPLIED


def bin_(conn, key, op, data):
    if op == "delete" and not data:
        conn.execute("UPDATE bin SET active = 0 WHERE code = ?", (key,))
        return APPLIED
    md.save_bin(conn, BinIn.model_validate(dict(data, code=key, **({"active": False} if op == "delete" else {}))),
                replace=True)
    return APPLIED


def _po_started(conn, po_id: str) -> bool:
    row = conn.execute("SELECT status FROM purchase_order WHERE id = ?", (po_id,)).fetchone()
    return row is not None and (row["status"] != "open" or conn.execute(
        "SELECT 1 FROM receipt WHERE po_id = ? UNION SELECT 1 FROM asn WHERE po_id = ?", (po_id, po_id)).fetchone()
        is not None)


def purchase_order(conn, key, op, data):
    if _po_started(conn, key):
        return KEPT
    exists = conn.execute("SELECT 1 FROM purchase_order WHERE id = ?", (key,)).fetchone() is not None
    if op == "delete" and not exists and not data.get("lines"):
        return APPLIED
    if op == "upsert" or not exists:
        # A withdrawn PO the edge never saw is recorded closed, as a follower would have it.
        docs.save_purchase_order(conn, docs.PurchaseOrderIn.model_validate(dict(data, id=key)), user_id=None,
                                 replace=True)
    if op == "delete":
        docs.close_purchase_order(conn, key)
    return APPLIED


def asn(conn, key, op, data):
    # An ASN is notice of a delivery: once here, receiving works against it.
    if op == "delete" or conn.execute("SELECT 1 FROM asn WHERE id = ?", (key,)).fetchone():
        return KEPT
    docs.save_asn(conn, docs.AsnIn.model_validate(dict(data, id=key)), user_id=None)
    return APPLIED


def sales_order(conn, key, op, data):
    row = conn.execute("SELECT status FROM sales_order WHERE id = ?", (key,)).fetchone()
    if row is not None and (row["status"] != "open" or conn.execute(
            "SELECT 1 FROM allocation WHERE order_id = ? LIMIT 1", (key,)).fetchone()):
        return KEPT  # allocated, picked, shipped or cancelled here: the floor's progress stands
    if op == "delete" and row is None and not data.get("lines"):
        return APPLIED
    if op == "upsert" or row is None:
        try:
            orders.save_order(conn, orders.SalesOrderIn.model_validate(dict(data, id=key)), source="central",
                              replace=True)
        except OrderClosed:
            return KEPT
    if op == "delete":
        # Withdrawn before anyone touched it (one the edge never saw is recorded cancelled).
        conn.execute("UPDATE sales_order SET status = 'cancelled' WHERE id = ?", (key,))
    return APPLIED


def transfer(conn, key, op, data):
    """An inbound transfer another site dispatched to this one."""
    if op == "delete" or conn.execute("SELECT 1 FROM transfer WHERE id = ?", (key,)).fetchone():
        return KEPT  # once here it is received against; the sender's later edits cannot undo the lorry
    transfers.accept_inbound(conn, transfers.InboundTransferIn.model_validate(dict(data, id=key)), None)
    return APPLIED


def transfer_order(conn, key, op, data):
    """An outbound transfer central planned for this site to ship."""
    row = conn.execute("SELECT status FROM transfer WHERE id = ?", (key,)).fetchone()
    if op == "delete" or row is not None:
        return KEPT
    transfers.create(conn, transfers.TransferIn.model_validate(dict(data, id=key)), None, from_central=True)
    return APPLIED


def transfer_receipt(conn, key, op, data):
    """The destination received (some of) a transfer this site shipped: empty the in-transit bin."""
    if op == "delete":
        return KEPT
    transfers.apply_receipt(conn, transfers.TransferReceiptIn.model_validate(dict(data, id=key)))
    return APPLIED


HANDLERS: dict[str, Callable] = {
    "item": item, "barcode": barcode, "bin": bin_, "purchase_order": purchase_order, "asn": asn,
    "sales_order": sales_order, "transfer": transfer, "transfer_order": transfer_order,
    "transfer_receipt": transfer_receipt,
}
# Master data first within a page, so a document may name an item of the same page.
ORDER = {kind: n for n, kind in enumerate(("item", "bin", "barcode"))}


def _why(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return getattr(exc, "detail", None) or str(exc)


def apply_change(conn: sqlite3.Connection, change: dict) -> str:
    """Apply one change in its own SAVEPOINT; APPLIED, KEPT or REFUSED (with an
    exception row, and kept in sync_deferred to be tried again)."""
    handler = HANDLERS.get(change["kind"])
    conn.execute("SAVEPOINT sync_change")
    try:
        if handler is None:
            raise LedgerError(f"this edge does not know changes of kind {change['kind']!r}", field="kind")
        outcome = handler(conn, change["key"], change["op"], change.get("data") or {})
    except (LedgerError, ValidationError, ValueError, sqlite3.IntegrityError) as exc:
        conn.execute("ROLLBACK TO sync_change")
        conn.execute("RELEASE sync_change")
        detail = f"central's {change['kind']} {change['key']} was not applied: {_why(exc)}"
        # Once per refusal: a replay of the same change (from cursor 0, say) adds nothing.
        ref = (change["kind"], change["key"][:64])
        row = conn.execute("SELECT id FROM exception WHERE kind = 'sync_refused' AND status = 'open' AND ref_type = ? "
                           "AND ref_id = ? AND detail = ?", (*ref, detail)).fetchone()
        exc_id = row["id"] if row else exceptions.raise_(
            conn, "sync_refused", detail, ref_type=ref[0], ref_id=ref[1],
            data={"cursor": change["cursor"], "op": change["op"]})["id"]
        before = conn.execute("SELECT exception_id FROM sync_deferred WHERE kind = ? AND key = ?",
                              (change["kind"], change["key"])).fetchone()
        if before is not None and before["exception_id"] not in (None, exc_id):
            exceptions.close(conn, before["exception_id"], user_id=None, action_name="sync_refused_again",
                             resolution=f"refused again for another reason (exception {exc_id})")
        conn.execute("INSERT INTO sync_deferred (kind, key, cursor, change, exception_id) VALUES (?,?,?,?,?) "
                     "ON CONFLICT (kind, key) DO UPDATE SET cursor = excluded.cursor, change = excluded.change, "
                     "exception_id = excluded.exception_id WHERE excluded.cursor >= sync_deferred.cursor",
                     (change["kind"], change["key"], change["cursor"], json.dumps(change), exc_id))
        return REFUSED
    conn.execute("RELEASE sync_change")
    _settle_deferred(conn, change)
    return outcome


def _settle_deferred(conn: sqlite3.Connection, change: dict) -> None:
    """A change of a key that was refused before applied: the refusal is over."""
    row = conn.execute("SELECT cursor, exception_id FROM sync_deferred WHERE kind = ? AND key = ?",
                       (change["kind"], change["key"])).fetchone()
    if row is None or row["cursor"] > change["cursor"]:
        return  # nothing waiting, or a newer version waits (this one came from a replay)
    conn.execute("DELETE FROM sync_deferred WHERE kind = ? AND key = ?", (change["kind"], change["key"]))
    if row["exception_id"] is not None:
        how = "applied once what it needed had come from central" if row["cursor"] == change["cursor"] \
            else "a later version from central applied"
        exceptions.close(conn, row["exception_id"], user_id=None, action_name="sync_applied", resolution=how)


def retry_deferred(conn: sqlite3.Connection, skip: set[tuple[str, str]] = frozenset()) -> int:
    """Try every refused change again (master data first), after a page brought
    what they may have lacked; the number that applied now."""
    # A refusal a supervisor closed is not tried again: they have dealt with it.
    conn.execute("DELETE FROM sync_deferred WHERE exception_id IN (SELECT id FROM exception WHERE status = 'resolved')")
    waiting = [json.loads(r["change"]) for r in conn.execute("SELECT change FROM sync_deferred")]
    applied = 0
    for change in sorted(waiting, key=lambda c: (ORDER.get(c["kind"], len(ORDER)), c["cursor"])):
        if (change["kind"], change["key"]) not in skip and apply_change(conn, change) != REFUSED:
            applied += 1
    return applied


def apply_page(conn: sqlite3.Connection, page: dict, after: int) -> dict:
    """Apply a checked page (sync.client.check_page) and store its cursor, in the caller's transaction.

    Refuses to run if the stored cursor is no longer ``after``: then another
    sync process applied this page meanwhile.
    """
    stored = conn.execute("SELECT down_cursor FROM sync_state WHERE id = 1").fetchone()[0]
    if stored != after:
        raise RuntimeError(f"the down cursor moved from {after} to {stored} under this sync process")
    counts = {APPLIED: 0, KEPT: 0, REFUSED: 0}
    refused = []
    for change in sorted(page["changes"], key=lambda c: (ORDER.get(c["kind"], len(ORDER)), c["cursor"])):
        outcome = apply_change(conn, change)
        counts[outcome] += 1
        if outcome == REFUSED:
            refused.append(change["key"])
    counts[APPLIED] += retry_deferred(conn, skip={(c["kind"], c["key"]) for c in page["changes"]})
    conn.execute("UPDATE sync_state SET down_cursor = ?, changes_applied = changes_applied + ? WHERE id = 1",
                 (page["cursor"], counts[APPLIED]))
    return dict(counts, cursor=page["cursor"], refused_keys=refused)
