"""Down: refused changes wait in sync_deferred and are tried again; what a
supervisor closed, or what central's lost timeline left, is not."""
from __future__ import annotations

import shutil

from _sync_support import sync_state, write
from sync.status import reset_down_cursor
from test_sync_apply import apply, edge, page, q, template  # noqa: F401  (edge, template: fixtures)

PO = {"supplier": "S", "lines": [{"sku": "LATER", "qty": 1}]}


def test_a_refusal_a_supervisor_closed_is_not_raised_again(edge):
    apply(edge, page(("purchase_order", "PO-9", "upsert", PO), start=1))
    [exc] = q(edge, "SELECT id FROM exception WHERE kind = 'sync_refused' AND status = 'open'")
    write(edge, lambda conn: conn.execute("UPDATE exception SET status = 'resolved' WHERE id = ?", (exc["id"],)))
    apply(edge, page(("item", "OTHER", "upsert", {}), start=2))
    assert q(edge, "SELECT id FROM exception WHERE status = 'open'") == []
    assert q(edge, "SELECT key FROM sync_deferred") == []


def test_a_refusal_for_another_reason_replaces_the_old_one(edge):
    apply(edge, page(("purchase_order", "PO-9", "upsert", PO), start=1))
    apply(edge, page(("purchase_order", "PO-9", "upsert", {"supplier": "S", "lines": [{"sku": "GONE", "qty": 1}]}),
                     start=2))
    rows = q(edge, "SELECT status, detail FROM exception WHERE kind = 'sync_refused' ORDER BY id")
    assert [r["status"] for r in rows] == ["resolved", "open"] and "GONE" in rows[1]["detail"]


def test_reading_the_feed_again_forgets_what_waited_from_the_lost_one(edge):
    # Before: a refusal at cursor 100 of a feed central then lost outranked the
    # restored feed's version of the same order and overwrote it on the next page.
    apply(edge, page(("purchase_order", "PO-9", "upsert", {"supplier": "S", "lines": [{"sku": "LATER", "qty": 1}]}),
                     start=100))
    write(edge, lambda conn: reset_down_cursor(conn, 100))
    assert q(edge, "SELECT key FROM sync_deferred") == []
    assert q(edge, "SELECT id FROM exception WHERE status = 'open'") == []
    apply(edge, page(("item", "LATER", "upsert", {}),
                     ("purchase_order", "PO-9", "upsert", {"supplier": "S", "lines": [{"sku": "LATER", "qty": 7}]}),
                     start=1), after=0)
    apply(edge, page(("item", "OTHER", "upsert", {}), start=3))
    assert q(edge, "SELECT qty FROM po_line WHERE po_id = 'PO-9'") == [{"qty": 7.0}]
    assert sync_state(edge)["down_cursor"] == 3
