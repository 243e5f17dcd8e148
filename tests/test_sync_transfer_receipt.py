"""The source edge applies central's ``transfer_receipt``: what the other site
received leaves the in-transit bin once (kind transfer_delivered), re-applying
changes nothing, and what it cannot book becomes a sync_refused exception."""
from __future__ import annotations

import pytest

from _sync_support import sync_state, write
from conftest import assert_verified, command, make_bin, make_item, post_commands
from edge.db import connect
from edge.workflows import transfers
from sync.apply import apply_page

EXPIRY = "2027-01-31"


@pytest.fixture
def shipped(app, client, auth_for, db_path):
    """WH1 loaded and dispatched to WH2: 10 SKU-1, 4 LOT-1 lot L1, serials S1 and S2 of SER-1."""
    for code, kind in (("A-01", "storage"), ("TRANSIT", "in-transit"), ("DOCK-1", "dock")):
        make_bin(app, code, kind=kind)
    make_item(app, "SKU-1")
    make_item(app, "LOT-1", tracking="lot", perishable=True)
    make_item(app, "SER-1", tracking="serial")
    boss = auth_for("supervisor")
    r = client.post("/api/v1/transfers", headers=boss, json={"id": "T-1", "to_site": "WH2", "lines": [
        {"sku": "SKU-1", "qty": 10}, {"sku": "LOT-1", "qty": 4, "lot": "L1"}, {"sku": "SER-1", "qty": 2}]})
    assert r.status_code == 201, r.get_json()
    results = post_commands(
        client, boss,
        command("receive", {"sku": "SKU-1", "qty": 10, "to_bin": "A-01"}),
        command("receive", {"sku": "LOT-1", "qty": 4, "to_bin": "A-01", "lot": "L1", "expiry": EXPIRY}),
        command("receive", {"sku": "SER-1", "qty": 1, "to_bin": "A-01", "serial": "S1"}),
        command("receive", {"sku": "SER-1", "qty": 1, "to_bin": "A-01", "serial": "S2"}),
        command("transfer.ship", {"transfer_id": "T-1", "sku": "SKU-1", "qty": 10, "from_bin": "A-01"}),
        command("transfer.ship", {"transfer_id": "T-1", "sku": "LOT-1", "qty": 4, "from_bin": "A-01", "lot": "L1"}),
        command("transfer.ship", {"transfer_id": "T-1", "sku": "SER-1", "qty": 1, "from_bin": "A-01", "serial": "S1"}),
        command("transfer.ship", {"transfer_id": "T-1", "sku": "SER-1", "qty": 1, "from_bin": "A-01", "serial": "S2"}),
        command("transfer.dispatch", {"transfer_id": "T-1"}))
    assert [r["status"] for r in results] == ["applied"] * 9, results
    app.extensions["floorscan"].close()  # the tests write through their own connection, as the sync loop does
    yield db_path
    assert_verified(db_path)


def q(path, sql, *params):
    conn = connect(path, readonly=True)
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def receipt(*received, key="T-1", complete=False):
    return {"kind": "transfer_receipt", "key": key, "op": "upsert",
            "data": {"id": key, "to_site": "WH2", "complete": complete,
                     "received": [{"sku": s, "lot": lot, "serial": serial, "qty": qty}
                                  for s, lot, serial, qty in received]}}


def apply(path, *changes, after=None):
    """Apply a page of changes after the stored cursor, or from ``after`` (0: the edge reads the feed again)."""
    if after is not None:
        write(path, lambda conn: conn.execute("UPDATE sync_state SET down_cursor = ?", (after,)))
    after = sync_state(path)["down_cursor"]
    page = {"changes": [dict(ch, cursor=after + i) for i, ch in enumerate(changes, 1)],
            "cursor": after + len(changes), "more": False}
    return write(path, lambda conn: apply_page(conn, page, after))


def transit(path) -> dict:
    return {(r["sku"], r["lot"]): r["qty"] for r in q(path, "SELECT sku, lot, qty FROM stock WHERE bin = 'TRANSIT'")}


def delivered(path) -> list[dict]:
    return q(path, "SELECT sku, lot, serial, qty, from_bin, to_bin, ref_id, replayed FROM movement "
                   "WHERE kind = 'transfer_delivered' ORDER BY seq")


def status(path) -> str:
    return q(path, "SELECT status FROM transfer WHERE id = 'T-1'")[0]["status"]


ALL = (("SKU-1", None, None, 10), ("LOT-1", "L1", None, 4), ("SER-1", None, "S1", 1), ("SER-1", None, "S2", 1))


def test_a_partial_receipt_then_the_rest_empty_the_transit_bin_once(shipped):
    assert transit(shipped) == {("SKU-1", ""): 10, ("LOT-1", "L1"): 4, ("SER-1", ""): 2}
    out = apply(shipped, receipt(("SKU-1", None, None, 4), ("SER-1", None, "S1", 1)))
    assert out["applied"] == 1 and out["refused"] == 0
    assert transit(shipped) == {("SKU-1", ""): 6, ("LOT-1", "L1"): 4, ("SER-1", ""): 1}
    assert status(shipped) == "shipped"
    assert q(shipped, "SELECT serial, bin FROM serial WHERE sku = 'SER-1' ORDER BY serial") == [
        {"serial": "S1", "bin": None}, {"serial": "S2", "bin": "TRANSIT"}]
    assert q(shipped, "SELECT sku, lot, serial, shipped, received FROM transfer_item ORDER BY sku, serial") == [
        {"sku": "LOT-1", "lot": "L1", "serial": "", "shipped": 4, "received": 0},
        {"sku": "SER-1", "lot": "", "serial": "S1", "shipped": 1, "received": 1},
        {"sku": "SER-1", "lot": "", "serial": "S2", "shipped": 1, "received": 0},
        {"sku": "SKU-1", "lot": "", "serial": "", "shipped": 10, "received": 4}]
    apply(shipped, receipt(*ALL))
    assert transit(shipped) == {}
    assert status(shipped) == "received"
    assert q(shipped, "SELECT received_at IS NOT NULL AS at FROM transfer") == [{"at": 1}]
    assert [(m["sku"], m["lot"], m["serial"], m["qty"]) for m in delivered(shipped)] == [
        ("SER-1", "", "S1", 1), ("SKU-1", "", None, 4),
        ("LOT-1", "L1", None, 4), ("SER-1", "", "S2", 1), ("SKU-1", "", None, 6)]
    assert {(m["from_bin"], m["to_bin"], m["ref_id"], m["replayed"]) for m in delivered(shipped)} == {
        ("TRANSIT", None, "T-1", 0)}
    # Both versions again, from cursor 0: the ledger already holds what they say.
    before = (delivered(shipped), q(shipped, "SELECT * FROM transfer_item ORDER BY sku, serial"))
    apply(shipped, receipt(("SKU-1", None, None, 4), ("SER-1", None, "S1", 1)), receipt(*ALL), after=0)
    apply(shipped, receipt(*ALL), after=0)
    assert (delivered(shipped), q(shipped, "SELECT * FROM transfer_item ORDER BY sku, serial")) == before
    assert q(shipped, "SELECT count(*) AS n FROM exception") == [{"n": 0}]


def test_more_received_than_shipped_takes_out_only_what_was_shipped(shipped):
    apply(shipped, receipt(("SKU-1", None, None, 12), ("LOT-1", "L1", None, 4), ("SER-1", None, "S1", 1),
                           ("SER-1", None, "S2", 1), ("LOT-1", "L9", None, 2)))
    assert transit(shipped) == {}
    assert [m["qty"] for m in delivered(shipped) if m["sku"] == "SKU-1"] == [10]
    assert status(shipped) == "received"
    assert q(shipped, "SELECT shipped, received FROM transfer_item WHERE lot = 'L9'") == [
        {"shipped": 0, "received": 2}]


def test_goods_written_off_meanwhile_are_still_delivered_with_an_exception(shipped):
    def write_off(conn):
        from edge.ledger import Movement, post_movements
        post_movements(conn, [Movement(id="wo-1", kind="adjust", sku="SKU-1", qty=3, from_bin="TRANSIT",
                                       reason="lost")])
    write(shipped, write_off)
    out = apply(shipped, receipt(("SKU-1", None, None, 10)))
    assert out["refused"] == 0 and sync_state(shipped)["down_cursor"] == 1
    assert [(m["qty"], m["replayed"]) for m in delivered(shipped)] == [(10, 1)]
    [exc] = q(shipped, "SELECT kind, bin, sku, detail FROM exception")
    assert exc["kind"] == "negative_stock" and exc["bin"] == "TRANSIT" and "cannot take 10" in exc["detail"]


def test_central_saying_complete_closes_a_short_transfer(shipped):
    apply(shipped, receipt(("SKU-1", None, None, 9), complete=True))
    assert status(shipped) == "received"
    assert transit(shipped) == {("SKU-1", ""): 1, ("LOT-1", "L1"): 4, ("SER-1", ""): 2}


@pytest.mark.parametrize("change, detail", [
    (receipt(("SKU-1", None, None, 1), key="NOPE"),
     "central's transfer_receipt NOPE was not applied: no transfer NOPE"),
    (dict(receipt(), data={"id": "T-1", "received": [{"sku": "SKU-1", "qty": -1}]}),
     "central's transfer_receipt T-1 was not applied: received.0.qty: Input should be greater than or equal to 0"),
    (receipt(("SER-1", None, None, 1)), "central's transfer_receipt T-1 was not applied: SER-1 is serial-tracked; "
                                        "scan the serial number"),
])
def test_a_receipt_the_edge_cannot_book_is_refused_once_and_the_cursor_moves_on(shipped, change, detail):
    # The unserialled SER-1 line: say the transfer carried one without a serial (it cannot leave the bin so).
    write(shipped, lambda conn: conn.execute(
        "INSERT INTO transfer_item (transfer_id, sku, shipped) VALUES ('T-1', 'SER-1', 1)"))
    for _ in range(2):
        out = apply(shipped, change)
        assert out["refused"] == 1
    assert q(shipped, "SELECT kind, ref_type, detail FROM exception") == [
        {"kind": "sync_refused", "ref_type": "transfer_receipt", "detail": detail}]
    assert delivered(shipped) == [] and status(shipped) == "shipped"


def test_an_inbound_transfer_s_receipt_is_not_this_site_s(shipped):
    write(shipped, lambda conn: transfers.accept_inbound(conn, transfers.InboundTransferIn.model_validate({
        "id": "WH2-TR-1", "from_site": "WH2", "to_site": "WH1", "lines": [{"sku": "SKU-1", "qty": 1}],
        "items": [{"sku": "SKU-1", "shipped": 1}]}), None))
    out = apply(shipped, receipt(("SKU-1", None, None, 1), key="WH2-TR-1"))
    assert out["refused"] == 1
    [exc] = q(shipped, "SELECT detail FROM exception")
    assert "was not shipped from this site (WH1)" in exc["detail"]
