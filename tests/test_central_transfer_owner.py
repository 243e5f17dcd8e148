"""Central, both backends: only a transfer's source dispatches it and only its
destination receives it. Before, any warehouse's sync token could rewrite another
warehouse's shipped transfer (and send it to a destination of its choosing), or
mark it received and have the source empty its in-transit bin."""
from __future__ import annotations

import pytest

from _central_support import Central, central_url, movement
from conftest import assert_problem
from test_central_transfer_receipt import SHIPPED, TID, dispatch, receipts, received_in


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def central(request, tmp_path):
    with central_url(request.param, tmp_path) as url:
        c = Central(url)
        c.tokens["WH3"] = c.store.add_warehouse("WH3")
        yield c
        assert c.store.stock_differences() == []
        c.close()


def changes_of(c: Central, warehouse: str, kind: str) -> list[dict]:
    return [ch for ch in c.changes(warehouse)["changes"] if ch["kind"] == kind]


def test_another_warehouse_cannot_rewrite_a_shipped_transfer(central):
    dispatch(central)  # WH1 -> WH2
    before = central.store.transfer(TID)
    forged = dict(SHIPPED, from_site="WH3", to_site="WH2", items=[dict(SHIPPED["items"][0], shipped=999)])
    r = central.client.post("/api/v1/sync/documents", headers=central.wh("WH3"), json={
        "warehouse": "WH3", "documents": [{"kind": "transfer", "key": TID, "data": forged}]})
    assert_problem(r, 403, field="documents[0].key", detail="transfer 'WH1-TR-000001' is WH1's, not WH3's")
    assert central.store.transfer(TID) == before
    [inbound] = changes_of(central, "WH2", "transfer")
    assert inbound["data"]["from_site"] == "WH1" and inbound["data"]["items"][0]["shipped"] == 5


def test_another_warehouse_cannot_take_over_an_ordered_transfer(central):
    central.client.post("/api/v1/items", json={"sku": "SKU-1"}, headers=central.erp)
    r = central.client.post("/api/v1/transfers", headers=central.erp, json={
        "from_warehouse": "WH2", "to_warehouse": "WH1", "lines": [{"sku": "SKU-1", "qty": 4}]})
    tid = r.get_json()["id"]
    forged = dict(SHIPPED, id=tid, from_site="WH3", to_site="WH1")
    r = central.client.post("/api/v1/sync/documents", headers=central.wh("WH3"), json={
        "warehouse": "WH3", "documents": [{"kind": "transfer", "key": tid, "data": forged}]})
    assert_problem(r, 403, field="documents[0].key")
    assert central.store.transfer(tid)["status"] == "open"
    assert changes_of(central, "WH1", "transfer") == []


def test_receipts_at_a_warehouse_it_was_not_sent_to_are_not_its_receipts(central):
    dispatch(central)  # WH1 -> WH2
    stray = [movement(1, "WH3", kind="transfer_in", to_bin="DOCK", qty=5, ref_type="transfer", ref_id=TID)]
    assert central.send(stray, "WH3").get_json()["inserted"] == 1  # WH3's own stock fact, kept
    assert central.store.transfer(TID)["status"] == "in_transit"
    assert receipts(central) == []  # WH1 empties nothing
    # The real destination still receives it.
    central.send([received_in(1, 5.0), received_in(2, 2.0, "SKU-2", "L1")], "WH2")
    assert central.store.transfer(TID)["status"] == "received"
    [ch] = receipts(central)
    assert ch["data"]["complete"] is True and ch["data"]["to_site"] == "WH2"


def test_a_stray_receipt_before_the_document_does_not_count_once_the_source_names_another(central):
    # WH3 books a transfer_in naming WH1's next transfer id before WH1 syncs it.
    central.send([movement(1, "WH3", kind="transfer_in", to_bin="DOCK", qty=5, ref_type="transfer",
                           ref_id=TID)], "WH3")
    central.send([received_in(1, 2.0)], "WH2")  # and the real destination receives part of it
    dispatch(central)
    assert central.store.transfer(TID)["status"] == "received"  # WH2 received (part of) it
    [ch] = receipts(central)
    assert ch["data"]["received"] == [{"sku": "SKU-1", "lot": None, "serial": None, "qty": 2.0}]
    assert ch["data"]["to_site"] == "WH2" and ch["data"]["complete"] is False


def test_whoever_central_hears_from_first_does_not_become_the_source(central):
    # Before: WH3's transfer_out (or document) naming WH1's next transfer id made
    # WH3 its source, and WH1's real document was then refused.
    central.send([movement(1, "WH3", to_bin="A"), movement(2, "WH3", kind="transfer_out", from_bin="A",
                                                           to_bin="TRANSIT", qty=2, ref_type="transfer",
                                                           ref_id=TID)], "WH3")
    forged = dict(SHIPPED, from_site="WH3")
    r = central.client.post("/api/v1/sync/documents", headers=central.wh("WH3"), json={
        "warehouse": "WH3", "documents": [{"kind": "transfer", "key": TID, "data": forged}]})
    assert_problem(r, 403, field="documents[0].key", detail="is WH1's, not WH3's")
    dispatch(central)  # WH1's own movements and document
    t = central.store.transfer(TID)
    assert (t["from_warehouse"], t["to_warehouse"], t["status"]) == ("WH1", "WH2", "in_transit")
    assert len(changes_of(central, "WH2", "transfer")) == 1


def test_an_erp_id_in_a_sites_numbering_stays_the_ordered_sources(central):
    # The numbering decides who may become a source, never against one central recorded.
    central.client.post("/api/v1/items", json={"sku": "SKU-1"}, headers=central.erp)
    r = central.client.post("/api/v1/transfers", headers=central.erp, json={
        "id": "WH2-TR-000001", "from_warehouse": "WH1", "to_warehouse": "WH2", "lines": [{"sku": "SKU-1", "qty": 2}]})
    assert r.status_code == 201, r.get_json()
    central.send([movement(1, to_bin="A"), movement(2, kind="transfer_out", from_bin="A", to_bin="TRANSIT", qty=2,
                                                    ref_type="transfer", ref_id="WH2-TR-000001")])
    assert central.store.transfer("WH2-TR-000001")["status"] == "in_transit"
