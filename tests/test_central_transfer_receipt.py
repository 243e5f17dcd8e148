"""Central, both backends: the destination's transfer_in movements become a
cumulative ``transfer_receipt`` change for the source warehouse (docs/sync.md),
counted once however often a batch is re-sent."""
from __future__ import annotations

import pytest

from _central_support import Central, central_url, movement

TID = "WH1-TR-000001"
SHIPPED = {"id": TID, "from_site": "WH1", "to_site": "WH2", "status": "shipped", "transit_bin": "TRANSIT",
           "lines": [{"line_no": 1, "sku": "SKU-1", "lot": None, "qty": 5},
                     {"line_no": 2, "sku": "SKU-2", "lot": "L1", "qty": 2}],
           "items": [{"sku": "SKU-1", "lot": None, "serial": None, "expiry": None, "shipped": 5, "received": 0},
                     {"sku": "SKU-2", "lot": "L1", "serial": None, "expiry": None, "shipped": 2, "received": 0}]}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def central(request, tmp_path):
    with central_url(request.param, tmp_path) as url:
        c = Central(url)
        yield c
        assert c.store.stock_differences() == []
        c.close()


def dispatch(c: Central) -> None:
    c.send([movement(1, to_bin="A"), movement(2, sku="SKU-2", lot="L1", to_bin="A"),
            movement(3, kind="transfer_out", from_bin="A", to_bin="TRANSIT", qty=2, ref_type="transfer", ref_id=TID),
            movement(4, kind="transfer_out", sku="SKU-2", lot="L1", from_bin="A", to_bin="TRANSIT", qty=2,
                     ref_type="transfer", ref_id=TID)])
    r = c.client.post("/api/v1/sync/documents", headers=c.wh(), json={
        "warehouse": "WH1", "documents": [{"kind": "transfer", "key": TID, "data": SHIPPED}]})
    assert r.status_code == 200, r.get_json()


def receipts(c: Central, warehouse: str = "WH1") -> list[dict]:
    return [ch for ch in c.changes(warehouse)["changes"] if ch["kind"] == "transfer_receipt"]


def received_in(seq: int, qty: float, sku: str = "SKU-1", lot: str = "", **kw) -> dict:
    return movement(seq, "WH2", kind="transfer_in", sku=sku, lot=lot, to_bin="DOCK", qty=qty, ref_type="transfer",
                    ref_id=TID, **kw)


def test_receipts_go_to_the_source_cumulative_and_once(central):
    dispatch(central)
    assert receipts(central) == []
    first = [received_in(1, 1.0), received_in(2, 2.0, "SKU-2", "L1"), movement(3, "WH2", to_bin="DOCK")]
    assert central.send(first, "WH2").get_json()["inserted"] == 3
    [ch] = receipts(central)
    assert ch["key"] == TID and ch["op"] == "upsert"
    assert ch["data"] == {"id": TID, "to_site": "WH2", "complete": False, "received": [
        {"sku": "SKU-1", "lot": None, "serial": None, "qty": 1.0},
        {"sku": "SKU-2", "lot": "L1", "serial": None, "qty": 2.0}]}
    assert receipts(central, "WH2") == []  # only the source hears of it
    # The same batch again (a retry after a lost answer) adds nothing, and appends no change.
    assert central.send(first, "WH2").get_json()["duplicates"] == 3
    assert receipts(central) == [ch]
    # The rest arrives, split over two receipts of the same item: cumulative, and now complete.
    central.send([received_in(4, 3.0), received_in(5, 1.0)], "WH2")
    [after] = receipts(central)
    assert after["cursor"] > ch["cursor"]  # compacted: one row per key, the newest
    assert after["data"]["received"][0] == {"sku": "SKU-1", "lot": None, "serial": None, "qty": 5.0}
    assert after["data"]["complete"] is True
    assert central.changes("WH1", after=ch["cursor"])["changes"] == [after]


def test_the_source_receiving_its_own_transfer_sends_nothing_back(central):
    dispatch(central)
    central.send([movement(5, kind="transfer_in", from_bin="TRANSIT", to_bin="DOCK", qty=2, ref_type="transfer",
                           ref_id=TID)])
    assert central.store.transfer(TID)["status"] == "received"
    assert receipts(central) == []  # its own transfer_in took the goods out of its transit bin already


def test_a_receipt_before_the_source_is_known_is_sent_when_it_is(central):
    # WH2 took the document by hand (POST /transfers/inbound) and its receipt syncs before WH1 does.
    central.send([received_in(1, 2.0), received_in(2, 3.0)], "WH2")
    assert central.store.transfer(TID)["status"] == "received"
    assert receipts(central) == []
    dispatch(central)
    [ch] = receipts(central)
    assert ch["data"]["received"] == [{"sku": "SKU-1", "lot": None, "serial": None, "qty": 5.0}]
    assert ch["data"]["complete"] is False  # SKU-2 L1 has not arrived
    central.send([received_in(3, 2.0, "SKU-2", "L1")], "WH2")
    [ch] = receipts(central)
    assert [r["qty"] for r in ch["data"]["received"]] == [5.0, 2.0] and ch["data"]["complete"] is True


def test_serials_are_received_one_by_one(central):
    central.client.post("/api/v1/sync/documents", headers=central.wh(), json={"warehouse": "WH1", "documents": [
        {"kind": "transfer", "key": TID, "data": dict(SHIPPED, items=[
            {"sku": "SER", "serial": "S1", "shipped": 1}, {"sku": "SER", "serial": "S2", "shipped": 1}])}]})
    central.send([received_in(1, 1.0, "SER", serial="S2")], "WH2")
    [ch] = receipts(central)
    assert ch["data"]["received"] == [{"sku": "SER", "lot": None, "serial": "S2", "qty": 1.0}]
    assert ch["data"]["complete"] is False


def test_company_figures_count_a_delivered_transfer_once(central):
    from sync.central.company import Company
    dispatch(central)
    central.send([received_in(1, 1.0)], "WH2")
    before = Company(central.store)
    assert before.in_transit(None) == {("WH1", "WH2", "SKU-1"): 1, ("WH1", "WH2", "SKU-2"): 2}
    # WH1 applies the receipt: 1 of SKU-1 leaves its in-transit bin for no bin.
    central.send([movement(5, kind="transfer_delivered", from_bin="TRANSIT", to_bin=None, qty=1,
                           ref_type="transfer", ref_id=TID)])
    after = Company(central.store)
    assert after.in_transit(None) == before.in_transit(None)  # the receipt was subtracted already
    assert after.company_stock(None) == before.company_stock(None) == {"SKU-1": 2, "SKU-2": 2}
    assert [(sku, qty, way) for sku, qty, way, _ in after.boundary(None)] == [("SKU-1", 2, 1), ("SKU-2", 2, 1)]
    assert central.store.stock(("warehouse", "bin"), sku="SKU-1", bin="TRANSIT") == [
        {"warehouse": "WH1", "bin": "TRANSIT", "qty": 1.0}]
