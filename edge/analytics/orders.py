"""Suggested purchase orders, grouped by supplier. No Flask.

:func:`suggest` turns every item at or below its reorder point into a line of
a draft suggestion for its supplier: order up to the max level, in packs.
A supervisor edits the draft (supplier, quantities, prices) and approves it:
that creates the purchase order with the existing receiving code
(edge/workflows/receiving_docs.save_purchase_order) and, in the same
transaction, a ``sync_outbox`` row (kind 'purchase_order') that the sync
loop sends to central.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Optional

from pydantic import Field

from edge.analytics.alerts import availability
from edge.analytics.replenishment import levels, round_up
from edge.ledger import LedgerError, UnknownItem, utcnow
from edge.masterdata import NotFound
from edge.models import Strict
from edge.workflows.receiving_docs import POLineIn, PurchaseOrderIn, get_purchase_order, save_purchase_order

NO_SUPPLIER = ""


class SuggestionDecided(LedgerError):
    """The suggestion was approved or dismissed already; it can no longer change."""

    status, title, type_slug = 409, "Suggestion already decided", "suggestion-decided"


class SuggestionLineIn(Strict):
    sku: str = Field(min_length=1, max_length=64)
    qty: float = Field(gt=0, le=1_000_000_000)
    unit_price: Optional[float] = Field(None, ge=0, le=1e9, description="Default: the item's unit cost")


class SuggestionEdit(Strict):
    supplier: Optional[str] = Field(None, max_length=200)
    note: Optional[str] = Field(None, max_length=500)
    lines: Optional[list[SuggestionLineIn]] = Field(None, min_length=1, max_length=2000,
                                                    description="Replaces every line")


class ApproveIn(Strict):
    po_id: Optional[str] = Field(None, min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$",
                                 description="The PO number to print; default PO-<site>-<suggestion id>")
    expected_at: Optional[date] = None


def _last_supplier(conn, skus) -> dict[str, str]:
    out = {}
    for r in conn.execute(
            "SELECT l.sku, p.supplier FROM po_line l JOIN purchase_order p ON p.id = l.po_id "
            f"WHERE p.supplier <> '' AND l.sku IN ({','.join('?' * len(skus))}) ORDER BY p.created_at", list(skus)):
        out[r["sku"]] = r["supplier"]
    return out


MAX_LINE_QTY = 1_000_000_000


def suggest(conn, now: str | None = None) -> list[dict]:
    """Add lines to draft suggestions for every item at or below its reorder point
    that is not on a draft already. Returns the drafts that changed."""
    now = now or utcnow()
    rops = levels(conn)
    avail = availability(conn, None)
    drafted = {r["sku"] for r in conn.execute(
        "SELECT l.sku FROM po_suggestion_line l JOIN po_suggestion s ON s.id = l.suggestion_id "
        "WHERE s.status = 'draft'")}
    lines: dict[str, list[tuple]] = {}
    low = [s for s, lv in rops.items() if s not in drafted and lv["reorder_point"] > 0
           and avail.get(s, {}).get("available", 0.0) <= lv["reorder_point"] + 1e-9]
    costs = {}
    last = {}
    for i in range(0, len(low), 500):
        chunk = low[i:i + 500]
        costs.update({r["sku"]: r["unit_cost"] for r in conn.execute(
            f"SELECT sku, unit_cost FROM item WHERE active AND sku IN ({','.join('?' * len(chunk))})", chunk)})
        last.update(_last_supplier(conn, chunk))
    for sku in sorted(low):
        if sku not in costs:
            continue
        lv, available = rops[sku], avail.get(sku, {}).get("available", 0.0)
        # A purchase order line holds at most MAX_LINE_QTY (the PO model's limit).
        qty = min(round_up(max(lv["order_up_to"] - available, 1.0), lv["pack_qty"]), MAX_LINE_QTY)
        supplier = lv["supplier"] or last.get(sku) or NO_SUPPLIER
        lines.setdefault(supplier, []).append((sku, qty, costs[sku], available, lv["reorder_point"]))
    changed = []
    for supplier, rows in sorted(lines.items()):
        found = conn.execute("SELECT id FROM po_suggestion WHERE status = 'draft' AND supplier = ? ORDER BY id LIMIT 1",
                             (supplier,)).fetchone()
        sid = found["id"] if found else conn.execute(
            "INSERT INTO po_suggestion (supplier, created_at) VALUES (?,?)", (supplier, now)).lastrowid
        conn.executemany("INSERT INTO po_suggestion_line (suggestion_id, sku, qty, unit_price, available, "
                         "reorder_point) VALUES (?,?,?,?,?,?)", [(sid, *r) for r in rows])
        changed.append(get(conn, sid))
    return changed


def get(conn, sid: int) -> dict:
    row = conn.execute("SELECT * FROM po_suggestion WHERE id = ?", (sid,)).fetchone()
    if row is None:
        raise NotFound(f"no suggested purchase order {sid}", field="id")
    out = dict(row)
    out["lines"] = [dict(r) for r in conn.execute(
        "SELECT l.sku, i.description, l.qty, l.unit_price, l.available, l.reorder_point FROM po_suggestion_line l "
        "JOIN item i ON i.sku = l.sku WHERE l.suggestion_id = ? ORDER BY l.sku", (sid,))]
    out["value"] = round(sum(ln["qty"] * (ln["unit_price"] or 0) for ln in out["lines"]), 2)
    return out


def list_suggestions(conn, status: str = "draft", limit: int = 100) -> list[dict]:
    where, params = ("1", []) if status == "all" else ("status = ?", [status])
    ids = [r["id"] for r in conn.execute(f"SELECT id FROM po_suggestion WHERE {where} ORDER BY id LIMIT ?",
                                         params + [limit])]
    return [get(conn, i) for i in ids]


def _draft(conn, sid: int) -> dict:
    current = get(conn, sid)
    if current["status"] != "draft":
        raise SuggestionDecided(f"suggested purchase order {sid} is {current['status']}", field="id")
    return current


def edit(conn, sid: int, body: SuggestionEdit) -> dict:
    _draft(conn, sid)
    if body.supplier is not None:
        conn.execute("UPDATE po_suggestion SET supplier = ? WHERE id = ?", (body.supplier, sid))
    if body.note is not None:
        conn.execute("UPDATE po_suggestion SET note = ? WHERE id = ?", (body.note, sid))
    if body.lines is not None:
        seen = set()
        rows = []
        for i, ln in enumerate(body.lines):
            item = conn.execute("SELECT unit_cost FROM item WHERE sku = ?", (ln.sku,)).fetchone()
            if item is None:
                raise UnknownItem(f"no item with sku {ln.sku!r}", field=f"lines[{i}].sku")
            if ln.sku in seen:
                raise LedgerError(f"{ln.sku} is listed twice; one line per item", field=f"lines[{i}].sku")
            seen.add(ln.sku)
            rows.append((sid, ln.sku, ln.qty, ln.unit_price if ln.unit_price is not None else item["unit_cost"]))
        conn.execute("DELETE FROM po_suggestion_line WHERE suggestion_id = ?", (sid,))
        conn.executemany("INSERT INTO po_suggestion_line (suggestion_id, sku, qty, unit_price) VALUES (?,?,?,?)", rows)
    return get(conn, sid)


def dismiss(conn, sid: int, user_id: int | None) -> dict:
    _draft(conn, sid)
    conn.execute("UPDATE po_suggestion SET status = 'dismissed', decided_at = ?, decided_by = ? WHERE id = ?",
                 (utcnow(), user_id, sid))
    return get(conn, sid)


def approve(conn, sid: int, body: ApproveIn, user_id: int | None) -> dict:
    """Create the purchase order and queue it for central, in the caller's transaction."""
    current = _draft(conn, sid)
    if not current["supplier"]:
        raise LedgerError("choose a supplier before approving (edit the suggestion)", field="supplier")
    if not current["lines"]:
        raise LedgerError("the suggestion has no lines", field="lines")
    site = conn.execute("SELECT value FROM meta WHERE key = 'site_id'").fetchone()
    po_id = body.po_id or f"PO-{site['value'] if site else 'EDGE'}-{sid:06d}"
    po = PurchaseOrderIn(id=po_id, supplier=current["supplier"], expected_at=body.expected_at,
                         note=current["note"] or f"from suggested purchase order {sid}",
                         lines=[POLineIn(sku=ln["sku"], qty=ln["qty"]) for ln in current["lines"]])
    save_purchase_order(conn, po, user_id=user_id)
    conn.executemany("UPDATE po_line SET unit_price = ? WHERE po_id = ? AND line_no = ?",
                     [(ln["unit_price"], po_id, i) for i, ln in enumerate(current["lines"], start=1)])
    now = utcnow()
    conn.execute("INSERT INTO sync_outbox (kind, key, body, created_at) VALUES ('purchase_order', ?, ?, ?)",
                 (po_id, json.dumps(po.model_dump(mode="json")), now))
    conn.execute("UPDATE po_suggestion SET status = 'approved', po_id = ?, decided_at = ?, decided_by = ? "
                 "WHERE id = ?", (po_id, now, user_id, sid))
    out = get(conn, sid)
    out["purchase_order"] = get_purchase_order(conn, po_id)
    return out
