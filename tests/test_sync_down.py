"""Down and across, with a real central: the ERP's master data and documents
reach the edge, a transfer dispatched at one warehouse arrives at the other
as something to receive and is marked received at central when its receipt
syncs up; an edge that replays the change feed from cursor 0 ends as it was."""
from __future__ import annotations

import pytest

from _sync_support import Central, add_warehouse, make_edge, sync_state, write
from conftest import PINS, add_users, assert_verified, command, post_commands, sign_in
from edge.app import create_app
from edge.db import connect
from sync.central.company import Company
from sync.central.store import open_store
from sync.loop import SyncLoop


@pytest.fixture
def company(tmp_path):
    db_url = str(tmp_path / "central.db")
    tokens = {wh: add_warehouse(db_url, wh) for wh in ("WH1", "WH2")}
    central = Central(db_url, tmp_path).start()
    store = open_store(db_url)
    for sku in ("SKU-001", "SKU-002"):  # the ERP's catalogue holds what the edges stock
        store.upsert_item({"sku": sku})
    edges = {wh: make_edge(str(tmp_path / f"{wh}.db"), wh, 60) for wh in ("WH1", "WH2")}
    yield central, store, tokens, edges
    store.close()
    central.stop()


def sync(edges, tokens, central, wh):
    """One round of the real loop, in this process (tests/test_sync_e2e.py runs the command)."""
    loop = SyncLoop(edges[wh], central.url, tokens[wh])
    try:
        summary, _ = loop.round_safely()
    finally:
        loop.close()
    assert summary is not None, sync_state(edges[wh])["last_error"]


def rows(path, sql, *params):
    conn = connect(path, readonly=True)
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def floor(path):
    """A signed-in supervisor on this edge's API."""
    app = create_app({"DATABASE": path, "TESTING": True})
    add_users(app)
    client = app.test_client()
    return app, client, sign_in(client, PINS["supervisor"])


def erp_changes(store, n: int):
    store.upsert_item({"sku": f"ERP-{n}", "description": f"version {n}", "uom": "ea", "tracking": "none"})
    store.upsert_item({"sku": "ERP-SHARED", "description": f"edited {n} times"})
    store.upsert_barcode({"code": f"04000000{n:05d}", "sku": f"ERP-{n}", "pack_qty": n + 1})
    store.upsert_bin("WH1", {"code": f"C-{n:02d}", "zone": "C", "kind": "storage"})
    store.upsert_document("purchase_order", "WH1", {"id": f"PO-{n}", "supplier": "ACME",
                                                    "lines": [{"sku": f"ERP-{n}", "qty": 10}]})
    store.upsert_document("sales_order", "WH1", {"id": f"SO-{n}", "customer": "Shop",
                                                 "lines": [{"sku": "SKU-001", "qty": 1}]})


def dump(path) -> dict:
    out = {}
    for table, order in (("item", "sku"), ("barcode", "code"), ("bin", "code"), ("purchase_order", "id"),
                         ("po_line", "po_id, line_no"), ("sales_order", "id"), ("so_line", "order_id, line_no"),
                         ("transfer", "id"), ("transfer_line", "transfer_id, line_no")):
        out[table] = [{k: v for k, v in r.items() if not k.endswith("_at") or k == "expected_at"}
                      for r in rows(path, f"SELECT * FROM {table} ORDER BY {order}")]
    return out


def test_master_data_and_documents_come_down_and_replaying_from_zero_changes_nothing(company):
    central, store, tokens, edges = company
    for n in range(3):  # the ERP writes between rounds; the edge follows incrementally
        erp_changes(store, n)
        sync(edges, tokens, central, "WH1")
    store.delete("item", "ERP-0")
    store.delete("bin", "C-01", "WH1")
    sync(edges, tokens, central, "WH1")
    wh1 = edges["WH1"]
    assert rows(wh1, "SELECT description, active FROM item WHERE sku IN ('ERP-SHARED', 'ERP-0', 'ERP-2') "
                     "ORDER BY sku") == [{"description": "version 0", "active": 0},
                                         {"description": "version 2", "active": 1},
                                         {"description": "edited 2 times", "active": 1}]
    assert rows(wh1, "SELECT active FROM bin WHERE code = 'C-01'") == [{"active": 0}]
    assert [r["id"] for r in rows(wh1, "SELECT id FROM purchase_order ORDER BY id")] == ["PO-0", "PO-1", "PO-2"]
    assert [r["id"] for r in rows(wh1, "SELECT id FROM sales_order ORDER BY id")] == ["SO-0", "SO-1", "SO-2"]
    # WH2 gets the items and barcodes, not WH1's bins and documents.
    sync(edges, tokens, central, "WH2")
    wh2 = edges["WH2"]
    assert rows(wh2, "SELECT count(*) AS n FROM item WHERE sku LIKE 'ERP-%'") == [{"n": 4}]
    assert rows(wh2, "SELECT count(*) AS n FROM purchase_order") == [{"n": 0}]
    assert rows(wh2, "SELECT count(*) AS n FROM bin WHERE code LIKE 'C-%'") == [{"n": 0}]
    # The edge forgets its down cursor and reads the whole feed again: nothing changes.
    before = dump(wh1)
    write(wh1, lambda conn: conn.execute("UPDATE sync_state SET down_cursor = 0"))
    sync(edges, tokens, central, "WH1")
    assert dump(wh1) == before
    assert sync_state(wh1)["down_cursor"] == store.changes("WH1", 0, 10_000)["cursor"]
    assert rows(wh1, "SELECT count(*) AS n FROM exception WHERE kind = 'sync_refused'") == [{"n": 0}]


def test_a_transfer_dispatched_at_one_warehouse_is_received_at_the_other(company):
    central, store, tokens, edges = company
    for wh in ("WH1", "WH2"):  # their earlier movements, so central's company stock has a baseline
        sync(edges, tokens, central, wh)
    base = Company(store).company_stock(None).get("SKU-001", 0)
    app1, client1, boss1 = floor(edges["WH1"])
    app2, client2, boss2 = floor(edges["WH2"])
    try:
        r = client1.post("/api/v1/transfers", json={"to_site": "WH2", "lines": [{"sku": "SKU-001", "qty": 2}]},
                         headers=boss1)
        assert r.status_code == 201, r.get_json()
        tid = r.get_json()["id"]
        results = post_commands(client1, boss1, command("receive", {"sku": "SKU-001", "qty": 2, "to_bin": "A-00"}),
                                command("transfer.ship", {"transfer_id": tid, "sku": "SKU-001", "qty": 2,
                                                          "from_bin": "A-00"}),
                                command("transfer.dispatch", {"transfer_id": tid}))
        assert [r["status"] for r in results] == ["applied", "applied", "applied"], results
        sync(edges, tokens, central, "WH1")
        assert store.transfer(tid)["status"] == "in_transit"
        assert rows(edges["WH1"], "SELECT sent_at IS NOT NULL AS sent FROM sync_outbox") == [{"sent": 1}]
        sync(edges, tokens, central, "WH2")
        assert rows(edges["WH2"], "SELECT from_site, to_site, status FROM transfer WHERE id = ?", tid) == [
            {"from_site": "WH1", "to_site": "WH2", "status": "shipped"}]
        results = post_commands(client2, boss2, command("transfer.receive", {"transfer_id": tid, "sku": "SKU-001",
                                                                             "qty": 2, "to_bin": "DOCK"}),
                                command("transfer.close", {"transfer_id": tid}))
        assert [r["status"] for r in results] == ["applied", "applied"], results
        sync(edges, tokens, central, "WH2")
        assert store.transfer(tid)["status"] == "received"
        # The receipt comes back to WH1, which takes the goods out of its in-transit bin (and says so up).
        sync(edges, tokens, central, "WH1")
        sync(edges, tokens, central, "WH1")
        assert transit(edges["WH1"], "SKU-001") == 0
        assert rows(edges["WH1"], "SELECT status FROM transfer WHERE id = ?", tid) == [{"status": "received"}]
        # WH1 received 2 and sent them to WH2: the company holds 2 more, not 4.
        assert Company(store).company_stock(None).get("SKU-001") == base + 2
    finally:
        app1.extensions["floorscan"].close()
        app2.extensions["floorscan"].close()
    for edge in edges.values():
        assert_verified(edge)


def transit(path, sku) -> float:
    return sum(r["qty"] for r in rows(path, "SELECT qty FROM stock WHERE bin = 'TRANSIT' AND sku = ?", sku))


def ledger(path) -> dict:
    """What a replay of the change feed must leave alone: transfers, their items, movements, stock, exceptions."""
    return {"transfer": rows(path, "SELECT id, status, received_at FROM transfer ORDER BY id"),
            "transfer_item": rows(path, "SELECT * FROM transfer_item ORDER BY transfer_id, sku, lot, serial"),
            "movement": rows(path, "SELECT id, kind, sku, lot, serial, qty, from_bin, to_bin, replayed "
                                   "FROM movement ORDER BY seq"),
            "stock": rows(path, "SELECT bin, sku, lot, qty FROM stock ORDER BY bin, sku, lot"),
            "exception": rows(path, "SELECT kind, detail FROM exception ORDER BY id")}


def test_a_transfer_received_in_two_parts_leaves_the_source_in_transit_bin_once(company):
    central, store, tokens, edges = company
    wh1, wh2 = edges["WH1"], edges["WH2"]
    for wh in ("WH1", "WH2"):
        sync(edges, tokens, central, wh)
    base = Company(store).company_stock(None).get("SKU-002", 0)
    app1, client1, boss1 = floor(wh1)
    app2, client2, boss2 = floor(wh2)
    try:
        r = client1.post("/api/v1/transfers", json={"to_site": "WH2", "lines": [{"sku": "SKU-002", "qty": 5}]},
                         headers=boss1)
        tid = r.get_json()["id"]
        results = post_commands(client1, boss1, command("receive", {"sku": "SKU-002", "qty": 5, "to_bin": "A-01"}),
                                command("transfer.ship", {"transfer_id": tid, "sku": "SKU-002", "qty": 5,
                                                          "from_bin": "A-01"}),
                                command("transfer.dispatch", {"transfer_id": tid}))
        assert [r["status"] for r in results] == ["applied"] * 3, results
        for wh in ("WH1", "WH2"):
            sync(edges, tokens, central, wh)
        company_ = Company(store)
        assert company_.company_stock(None)["SKU-002"] == base + 5
        assert company_.in_transit(None) == {("WH1", "WH2", "SKU-002"): 5}

        def receive(qty):
            results = post_commands(client2, boss2, command("transfer.receive", {
                "transfer_id": tid, "sku": "SKU-002", "qty": qty, "to_bin": "DOCK"}))
            assert [r["status"] for r in results] == ["applied"], results
            sync(edges, tokens, central, "WH2")
            sync(edges, tokens, central, "WH1")  # down: the receipt; its movements go up next round
            sync(edges, tokens, central, "WH1")

        receive(2)
        assert transit(wh1, "SKU-002") == 3
        assert rows(wh1, "SELECT status FROM transfer WHERE id = ?", tid) == [{"status": "shipped"}]
        assert rows(wh1, "SELECT shipped, received FROM transfer_item WHERE transfer_id = ?", tid) == [
            {"shipped": 5, "received": 2}]
        company_ = Company(store)
        assert company_.company_stock(None)["SKU-002"] == base + 5
        assert company_.in_transit(None) == {("WH1", "WH2", "SKU-002"): 3}
        assert store.stock(("warehouse", "bin"), sku="SKU-002", bin="TRANSIT") == [
            {"warehouse": "WH1", "bin": "TRANSIT", "qty": 3.0}]

        receive(3)
        assert transit(wh1, "SKU-002") == 0
        assert rows(wh1, "SELECT status FROM transfer WHERE id = ?", tid) == [{"status": "received"}]
        assert rows(wh1, "SELECT kind, qty, from_bin, to_bin, replayed FROM movement WHERE kind = "
                         "'transfer_delivered' ORDER BY seq") == [
            {"kind": "transfer_delivered", "qty": 2, "from_bin": "TRANSIT", "to_bin": None, "replayed": 0},
            {"kind": "transfer_delivered", "qty": 3, "from_bin": "TRANSIT", "to_bin": None, "replayed": 0}]
        company_ = Company(store)
        assert company_.company_stock(None)["SKU-002"] == base + 5  # all in WH2 now, counted once
        assert company_.in_transit(None) == {}
        # Summing every warehouse's ledger no longer counts the goods twice either.
        assert store.stock(("warehouse",), sku="SKU-002", bin="TRANSIT") == []
    finally:
        app1.extensions["floorscan"].close()
        app2.extensions["floorscan"].close()
    # Reading the whole feed again from cursor 0 changes nothing.
    before = ledger(wh1)
    write(wh1, lambda conn: conn.execute("UPDATE sync_state SET down_cursor = 0"))
    sync(edges, tokens, central, "WH1")
    sync(edges, tokens, central, "WH1")
    assert ledger(wh1) == before
    assert rows(wh1, "SELECT count(*) AS n FROM exception WHERE kind = 'sync_refused'") == [{"n": 0}]
    assert Company(store).company_stock(None)["SKU-002"] == base + 5
    for edge in edges.values():
        assert_verified(edge)


def test_a_transfer_ordered_at_central_opens_at_the_source(company):
    central, store, tokens, edges = company
    order = store.create_transfer({"from_warehouse": "WH1", "to_warehouse": "WH2",
                                   "lines": [{"sku": "SKU-002", "qty": 3}]})
    sync(edges, tokens, central, "WH1")
    assert rows(edges["WH1"], "SELECT from_site, to_site, status FROM transfer WHERE id = ?", order["id"]) == [
        {"from_site": "WH1", "to_site": "WH2", "status": "open"}]


def test_an_edge_ahead_of_a_restored_central_reads_the_change_feed_again_from_zero(company):
    central, store, tokens, edges = company
    erp_changes(store, 0)
    sync(edges, tokens, central, "WH1")
    wh1 = edges["WH1"]
    held = store.changes("WH1", 0, 10_000)["cursor"]
    before = dump(wh1)
    # As if central were restored from a backup older than what this edge applied.
    write(wh1, lambda conn: conn.execute("UPDATE sync_state SET down_cursor = ?", (held + 1000,)))
    sync(edges, tokens, central, "WH1")
    assert sync_state(wh1)["down_cursor"] == held
    assert dump(wh1) == before
    assert sync_state(wh1)["last_error"] is None
