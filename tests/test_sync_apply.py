"""Down: central's changes applied on the edge with the edge's own code; the
edge's seq is gap-free; dispatched transfers go into the outbox."""
from __future__ import annotations

import gzip
import json
import shutil

import pytest

from _sync_support import Scripted, edge_rows, make_edge, sync_state, write
from conftest import assert_verified
from edge.db import connect
from edge.ledger import Movement, post_movements
from edge.writer import open_write_connection, run_jobs
from sync.apply import apply_page
from sync.client import CentralClient
from sync.up import push_outbox


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_edge(str(tmp_path_factory.mktemp("template") / "edge.db"), "WH1", 60)


@pytest.fixture
def edge(tmp_path, template):
    path = tmp_path / "edge.db"
    shutil.copy(template, path)
    yield str(path)
    assert_verified(str(path))


def page(*changes, start=None, more=False):
    """Changes as (kind, key, op, data); cursors numbered from ``start``."""
    out = [{"cursor": start + i, "kind": k, "key": key, "op": op, "data": data}
           for i, (k, key, op, data) in enumerate(changes)]
    return {"changes": out, "cursor": out[-1]["cursor"] if out else start, "more": more}


def apply(edge, pg, after=None):
    if after is None:
        after = sync_state(edge)["down_cursor"]
    return write(edge, lambda conn: apply_page(conn, pg, after))


def q(edge, sql, *params):
    conn = connect(edge, readonly=True)
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_master_data_upserts_and_deletes_through_the_edge_code(edge):
    result = apply(edge, page(
        ("barcode", "0400000000017", "upsert", {"sku": "NEW-1", "pack_qty": 12}),  # before its item: sorted
        ("item", "NEW-1", "upsert", {"description": "Widget", "uom": "ea", "tracking": "lot"}),
        ("bin", "Z-01", "upsert", {"zone": "Z", "kind": "storage", "walk_seq": 3}),
        start=1))
    assert result["applied"] == 3 and result["cursor"] == 3
    assert q(edge, "SELECT sku, description, tracking, active FROM item WHERE sku = 'NEW-1'") == [
        {"sku": "NEW-1", "description": "Widget", "tracking": "lot", "active": 1}]
    assert q(edge, "SELECT sku, pack_qty FROM barcode WHERE code = '0400000000017'") == [{"sku": "NEW-1",
                                                                                          "pack_qty": 12.0}]
    apply(edge, page(("item", "NEW-1", "upsert", {"description": "Widget v2", "tracking": "lot"}),
                     ("bin", "Z-01", "delete", None), ("barcode", "0400000000017", "delete", None),
                     ("item", "SKU-001", "delete", None), start=4))
    assert q(edge, "SELECT description FROM item WHERE sku = 'NEW-1'") == [{"description": "Widget v2"}]
    assert q(edge, "SELECT active FROM bin WHERE code = 'Z-01'") == [{"active": 0}]
    assert q(edge, "SELECT active FROM item WHERE sku = 'SKU-001'") == [{"active": 0}]
    assert q(edge, "SELECT * FROM barcode WHERE code = '0400000000017'") == []
    assert sync_state(edge)["down_cursor"] == 7


def test_a_change_the_edge_refuses_becomes_one_exception_and_the_cursor_moves_on(edge):
    bad = page(("item", "SKU-002", "upsert", {"tracking": "serial"}),  # has movements: tracking is fixed
               ("item", "bad sku", "upsert", {}),
               ("sales_order", "SO-1", "upsert", {"lines": [{"sku": "NOPE", "qty": 1}]}),
               ("widget", "W-1", "upsert", {}),
               ("item", "FINE", "upsert", {}), start=1)
    result = apply(edge, bad)
    assert result["refused"] == 4 and result["applied"] == 1 and sync_state(edge)["down_cursor"] == 5
    rows = q(edge, "SELECT kind, ref_type, ref_id, detail FROM exception ORDER BY id")
    assert [(r["kind"], r["ref_type"], r["ref_id"]) for r in rows] == [
        ("sync_refused", "item", "SKU-002"), ("sync_refused", "item", "bad sku"),
        ("sync_refused", "sales_order", "SO-1"), ("sync_refused", "widget", "W-1")]
    assert "tracking cannot change" in rows[0]["detail"]
    assert "no item with sku 'NOPE'" in rows[2]["detail"]
    assert q(edge, "SELECT tracking FROM item WHERE sku = 'SKU-002'") == [{"tracking": "none"}]
    write(edge, lambda conn: conn.execute("UPDATE sync_state SET down_cursor = 0"))
    apply(edge, bad, after=0)  # the same page again (from cursor 0): no second exception
    assert len(q(edge, "SELECT id FROM exception")) == 4


def test_a_page_is_refused_when_the_cursor_moved_under_it(edge):
    apply(edge, page(("item", "X", "upsert", {}), start=1))
    with pytest.raises(RuntimeError, match="moved"):
        apply(edge, page(("item", "Y", "upsert", {}), start=1), after=0)
    assert q(edge, "SELECT sku FROM item WHERE sku = 'Y'") == []


PO = {"supplier": "ACME", "lines": [{"sku": "SKU-003", "qty": 10}]}


def test_documents_the_edge_has_started_keep_their_local_progress(edge):
    apply(edge, page(("purchase_order", "PO-1", "upsert", PO),
                     ("sales_order", "SO-1", "upsert", {"customer": "C", "lines": [{"sku": "SKU-004", "qty": 1}]}),
                     ("sales_order", "SO-2", "upsert", {"customer": "C", "lines": [{"sku": "SKU-005", "qty": 1}]}),
                     start=1))
    # Not started: central's new versions replace them.
    apply(edge, page(("purchase_order", "PO-1", "upsert", dict(PO, supplier="ACME Ltd")),
                     ("sales_order", "SO-2", "upsert", {"customer": "D", "lines": [{"sku": "SKU-005", "qty": 2}]}),
                     start=4))
    assert q(edge, "SELECT supplier FROM purchase_order WHERE id = 'PO-1'") == [{"supplier": "ACME Ltd"}]
    assert q(edge, "SELECT customer FROM sales_order WHERE id = 'SO-2'") == [{"customer": "D"}]
    # The edge starts them: an ASN against the PO, an allocation for SO-1.
    from edge.workflows.allocation import allocate_order
    apply(edge, page(("asn", "ASN-1", "upsert", {"po_id": "PO-1", "lines": [{"sku": "SKU-003", "qty": 10}]}),
                     start=6))
    write(edge, lambda conn: allocate_order(conn, "SO-1"))
    result = apply(edge, page(
        ("purchase_order", "PO-1", "upsert", dict(PO, supplier="changed at central")),
        ("sales_order", "SO-1", "upsert", {"customer": "changed", "lines": [{"sku": "SKU-004", "qty": 5}]}),
        ("sales_order", "SO-2", "delete", None), ("purchase_order", "PO-1", "delete", None), start=7))
    assert result["kept"] == 3 and result["applied"] == 1
    assert q(edge, "SELECT supplier, status FROM purchase_order WHERE id = 'PO-1'") == [
        {"supplier": "ACME Ltd", "status": "open"}]
    assert q(edge, "SELECT customer FROM sales_order WHERE id = 'SO-1'") == [{"customer": "C"}]
    assert q(edge, "SELECT qty FROM so_line WHERE order_id = 'SO-1'") == [{"qty": 1.0}]
    assert q(edge, "SELECT status FROM sales_order WHERE id = 'SO-2'") == [{"status": "cancelled"}]


INBOUND = {"from_site": "WH2", "to_site": "WH1", "note": "weekly",
           "lines": [{"line_no": 1, "sku": "SKU-006", "qty": 4, "lot": None, "shipped": 4, "received": 0}],
           "items": [{"sku": "SKU-006", "lot": None, "serial": None, "expiry": None, "shipped": 4, "received": 0}],
           "status": "shipped", "direction": "outbound"}


def test_transfers_inbound_arrive_receivable_and_transfer_orders_open(edge):
    result = apply(edge, page(
        ("transfer", "WH2-TR-000001", "upsert", INBOUND),
        ("transfer", "WH3-TR-000001", "upsert", dict(INBOUND, from_site="WH3", to_site="WH4")),
        ("transfer_order", "C-TR-1", "upsert", {"to_site": "WH2", "lines": [{"sku": "SKU-007", "qty": 2}]}),
        start=1))
    assert result["applied"] == 2 and result["refused"] == 1
    rows = q(edge, "SELECT id, from_site, to_site, status, transit_bin FROM transfer ORDER BY id")
    assert rows == [{"id": "C-TR-1", "from_site": "WH1", "to_site": "WH2", "status": "open", "transit_bin": "TRANSIT"},
                    {"id": "WH2-TR-000001", "from_site": "WH2", "to_site": "WH1", "status": "shipped",
                     "transit_bin": None}]
    assert q(edge, "SELECT shipped FROM transfer_item WHERE transfer_id = 'WH2-TR-000001'") == [{"shipped": 4.0}]
    # Sent again (from cursor 0, or a newer version): the transfer on the floor is kept as it is.
    assert apply(edge, page(("transfer", "WH2-TR-000001", "upsert", INBOUND), start=4))["kept"] == 1
    assert q(edge, "SELECT shipped FROM transfer_item WHERE transfer_id = 'WH2-TR-000001'") == [{"shipped": 4.0}]


def dump(edge) -> dict:
    """The tables central's changes touch, without the local clock's stamps."""
    tables = {"item": "sku", "barcode": "code", "bin": "code", "purchase_order": "id", "po_line": "po_id, line_no",
              "asn": "id", "asn_line": "asn_id, line_no", "sales_order": "id", "so_line": "order_id, line_no",
              "transfer": "id", "transfer_line": "transfer_id, line_no", "transfer_item": "transfer_id, sku",
              "exception": "kind, ref_id, detail"}
    out = {}
    for table, order in tables.items():
        out[table] = [{k: v for k, v in r.items() if not (k.endswith("_at") and k != "expected_at")
                       and not (table == "exception" and k == "id")}
                      for r in q(edge, f"SELECT * FROM {table} ORDER BY {order}")]
    return out


def change_log() -> list[tuple]:
    """A history in which keys change several times, as central would log it."""
    return [
        ("item", "N-1", "upsert", {"description": "v1"}),
        ("item", "N-2", "upsert", {"tracking": "lot"}),
        ("barcode", "0400000000024", "upsert", {"sku": "N-1"}),
        ("bin", "B-9", "upsert", {"zone": "B"}),
        ("purchase_order", "PO-7", "upsert", {"supplier": "S", "lines": [{"sku": "N-1", "qty": 5}]}),
        ("item", "N-1", "upsert", {"description": "v2"}),
        ("sales_order", "SO-7", "upsert", {"lines": [{"sku": "SKU-008", "qty": 1}]}),
        ("transfer", "WH2-TR-000009", "upsert", INBOUND),
        ("barcode", "0400000000024", "upsert", {"sku": "N-2", "pack_qty": 6}),
        ("purchase_order", "PO-7", "upsert", {"supplier": "S2", "lines": [{"sku": "N-2", "qty": 5, "lot": "L1"}]}),
        ("bin", "B-9", "delete", {"zone": "B", "active": False}),  # central sends the last version
        ("item", "SKU-009", "upsert", {"tracking": "lot"}),  # refused: it has movements
        ("sales_order", "SO-7", "upsert", {"customer": "late", "lines": [{"sku": "SKU-008", "qty": 3}]}),
        ("transfer_order", "C-TR-9", "upsert", {"to_site": "WH3", "lines": [{"sku": "N-1", "qty": 1}]}),
        ("item", "N-3", "upsert", {}),
        ("item", "N-3", "delete", {"active": False}),
        ("purchase_order", "PO-8", "upsert", {"lines": [{"sku": "N-1", "qty": 1}]}),
        ("sales_order", "SO-8", "upsert", {"lines": [{"sku": "N-1", "qty": 1}]}),
        ("purchase_order", "PO-8", "delete", {"lines": [{"sku": "N-1", "qty": 1}]}),
        ("sales_order", "SO-8", "delete", {"lines": [{"sku": "N-1", "qty": 1}]}),
    ]


def newest_only(log: list[tuple]) -> list[tuple]:
    """What central may hand a newcomer from cursor 0: only the newest version of each key."""
    last = {}
    for cursor, (kind, key, op, data) in enumerate(log, 1):
        last[(kind, key)] = (cursor, kind, key, op, data)
    return sorted(last.values())


def test_from_cursor_zero_gives_the_same_state_as_incremental(edge, template, tmp_path):
    log = change_log()
    incremental = edge
    for start in range(0, len(log), 3):  # pages of 3, in order
        apply(incremental, page(*log[start:start + 3], start=start + 1, more=start + 3 < len(log)))
    # The same edge as it was before any change, catching up from 0 in one page
    # of only the newest version of each key.
    fresh = str(tmp_path / "fresh.db")
    shutil.copy(template, fresh)
    pg = {"changes": [{"cursor": c, "kind": k, "key": key, "op": op, "data": d}
                      for c, k, key, op, d in newest_only(log)], "cursor": len(log), "more": False}
    apply(fresh, pg, after=0)
    assert dump(fresh) == dump(incremental)
    assert len(dump(fresh)["exception"]) == 1  # SKU-009's tracking, refused once
    # The incremental edge replayed from 0 (its cursor lost, say) stays as it is.
    before = dump(incremental)
    write(incremental, lambda conn: conn.execute("UPDATE sync_state SET down_cursor = 0"))
    apply(incremental, pg, after=0)
    assert dump(incremental) == before
    assert sync_state(incremental)["down_cursor"] == len(log) == sync_state(fresh)["down_cursor"]
    assert_verified(fresh)


def test_from_cursor_zero_in_pages_a_document_before_its_item_applies_once_the_item_comes(edge, template, tmp_path):
    # Central keeps each key at the position of its last change: an item updated
    # after the order that names it comes after the order. Before, an edge reading
    # from 0 in pages refused the order on its page and never saw it again.
    log = change_log() + [("item", "N-2", "upsert", {"tracking": "lot", "description": "later"})]
    incremental = edge
    for start in range(0, len(log), 3):
        apply(incremental, page(*log[start:start + 3], start=start + 1, more=start + 3 < len(log)))
    fresh = str(tmp_path / "fresh.db")
    shutil.copy(template, fresh)
    newest = [{"cursor": c, "kind": k, "key": key, "op": op, "data": d} for c, k, key, op, d in newest_only(log)]
    after = 0
    for start in range(0, len(newest), 3):
        chunk = newest[start:start + 3]
        apply(fresh, {"changes": chunk, "cursor": chunk[-1]["cursor"], "more": start + 3 < len(newest)}, after=after)
        after = chunk[-1]["cursor"]
    assert q(fresh, "SELECT sku, qty, lot FROM po_line WHERE po_id = 'PO-7'") == [
        {"sku": "N-2", "qty": 5.0, "lot": "L1"}]
    assert dump(fresh)["barcode"] == dump(incremental)["barcode"]
    assert dump(fresh)["purchase_order"] == dump(incremental)["purchase_order"]
    # The refusals that waited are resolved, not left for a supervisor; only SKU-009's stands.
    open_refusals = q(fresh, "SELECT ref_id FROM exception WHERE kind = 'sync_refused' AND status = 'open'")
    assert open_refusals == [{"ref_id": "SKU-009"}]
    settled = q(fresh, "SELECT ref_id, action, resolution FROM exception WHERE status = 'resolved'")
    assert settled and all(r["action"] == "sync_applied" for r in settled)
    assert q(fresh, "SELECT kind, key FROM sync_deferred") == [{"kind": "item", "key": "SKU-009"}]


# -- the ledger's seq is gap-free --------------------------------------------------------------

def test_seq_stays_gap_free_when_jobs_and_transactions_roll_back(edge):
    conn = open_write_connection(edge, "NORMAL")
    top = q(edge, "SELECT max(seq) AS m FROM movement")[0]["m"]

    def good(n):
        def job(c):
            post_movements(c, [Movement(id=f"gf-{n}-{i}", kind="receive", sku="SKU-010", qty=1, to_bin="A-01")
                               for i in range(3)])
        return job

    def bad(c):
        post_movements(c, [Movement(id="gf-bad-0", kind="receive", sku="SKU-010", qty=1, to_bin="A-01")])
        raise RuntimeError("job fails after its movement got a seq")

    def half_bad(c):  # the ledger refuses the second movement: the first goes too
        post_movements(c, [Movement(id="gf-half-0", kind="receive", sku="SKU-010", qty=1, to_bin="A-01"),
                           Movement(id="gf-half-1", kind="receive", sku="NOPE", qty=1, to_bin="A-01")])

    outcomes = run_jobs(conn, [good(1), bad, good(2), half_bad, good(3)])
    assert [ok for ok, _ in outcomes] == [True, False, True, False, True]
    # A whole transaction rolled back.
    conn.execute("BEGIN IMMEDIATE")
    good(4)(conn)
    conn.execute("ROLLBACK")
    run_jobs(conn, [good(5)])
    conn.close()
    seqs = [r[0] for r in edge_rows(edge)]
    assert seqs == list(range(1, len(seqs) + 1)) and seqs[-1] == top + 12
    assert q(edge, "SELECT seq FROM sqlite_sequence WHERE name = 'movement'")[0]["seq"] == seqs[-1]


# -- up: documents the edge creates ------------------------------------------------------------

def test_a_dispatched_transfer_goes_into_the_outbox_and_is_sent_once(app, client, auth_for, tmp_path):
    from conftest import command, make_bin, make_item, post_commands
    boss = auth_for("supervisor")
    make_bin(app, "S-1")
    make_bin(app, "T-1", kind="in-transit")
    make_item(app, "SKU-T")
    post_commands(client, boss, command("receive", {"sku": "SKU-T", "qty": 5, "to_bin": "S-1"}))
    r = client.post("/api/v1/transfers", json={"to_site": "WH2", "lines": [{"sku": "SKU-T", "qty": 3}]}, headers=boss)
    assert r.status_code == 201, r.get_json()
    tid = r.get_json()["id"]
    results = post_commands(client, boss,
                            command("transfer.ship", {"transfer_id": tid, "sku": "SKU-T", "qty": 3, "from_bin": "S-1"}),
                            command("transfer.dispatch", {"transfer_id": tid}))
    assert all(r["status"] == "applied" for r in results), results
    db = app.extensions["floorscan"].path
    rows = q(db, "SELECT kind, key, body, sent_at FROM sync_outbox")
    assert [(r["kind"], r["key"], r["sent_at"]) for r in rows] == [("transfer", tid, None)]
    body = json.loads(rows[0]["body"])
    assert body["status"] == "shipped" and body["items"][0]["shipped"] == 3.0 and body["to_site"] == "WH2"
    central = Scripted()
    central.replies = [(200, "application/json", json.dumps({"accepted": [tid], "duplicates": []}).encode())]
    read = connect(db, readonly=True)
    try:
        sent = push_outbox(read, lambda job: write(db, job), CentralClient(central.url, "t"), "WH1")
        assert sent == 1
        assert push_outbox(read, lambda job: write(db, job), CentralClient(central.url, "t"), "WH1") == 0
    finally:
        read.close()
        central.close()
    doc = json.loads(gzip.decompress(central.requests[0][2]))
    assert doc["warehouse"] == "WH1" and doc["documents"][0]["key"] == tid
    assert doc["documents"][0]["data"]["id"] == tid
    assert q(db, "SELECT sent_at IS NOT NULL AS sent FROM sync_outbox") == [{"sent": 1}]
    assert sync_state(db)["documents_sent"] == 1
