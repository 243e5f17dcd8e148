"""Customer returns and their disposition end to end through the HTTP API (issue 3)."""
from __future__ import annotations

import uuid

import pytest

from conftest import command, post_commands
from test_wf_transfers import floor, get, ok, on_hand, one, refused  # noqa: F401  (floor is a fixture)


def receive_return(client, headers, **payload) -> dict:
    body = {"sku": "SKU-1", "qty": 4, "to_bin": "RET-1", "reason": "unwanted", **payload}
    r = one(client, headers, "return.receive", body)
    assert r["status"] == "applied", r
    return r


def test_a_return_is_booked_then_restocked_and_quarantined(client, auth_for, floor):
    receiver = auth_for("receiver")
    cid = str(uuid.uuid4())
    [r] = ok(post_commands(client, receiver, command("return.receive", {
        "sku": "SKU-1", "qty": 4, "to_bin": "RET-1", "reason": "unwanted", "order_ref": "SO-1001",
        "customer": "Hardware Haven"}, cid=cid)))
    rid = f"RET-{cid[:8].upper()}"
    [mv] = r["movements"]
    assert (mv["kind"], mv["from_bin"], mv["to_bin"], mv["ref_type"], mv["ref_id"], mv["reason"]) == (
        "return", None, "RET-1", "return", rid, "unwanted")
    receive_return(client, receiver, return_id=rid, sku="LOT-1", lot="L1", qty=2, reason="damaged")
    assert on_hand(client, receiver, "RET-1") == {("SKU-1", None): 4, ("LOT-1", "L1"): 2}

    [listed] = get(client, receiver, "/api/v1/returns")["items"]
    assert (listed["id"], listed["order_ref"], listed["lines"], listed["awaiting"]) == (rid, "SO-1001", 2, 6)
    doc = get(client, receiver, f"/api/v1/returns/{rid}")
    first = doc["lines"][0]
    assert (first["line_no"], first["awaiting"], first["bin"], first["suggested_bin"]) == (1, 4, "RET-1", "A-01")
    assert first["barcodes"][1] == {"code": "15012345678907", "pack_qty": 12}

    ok(post_commands(client, receiver,
                     command("return.dispose", {"return_id": rid, "line_no": 1, "action": "restock", "qty": 3,
                                                "to_bin": "A-01"}),
                     command("return.dispose", {"return_id": rid, "line_no": 1, "action": "quarantine"})))
    assert get(client, receiver, f"/api/v1/returns/{rid}")["status"] == "open"
    [r] = ok(post_commands(client, auth_for("counter"), command(
        "return.dispose", {"return_id": rid, "line_no": 2, "action": "scrap", "reason": "damaged"})))
    assert [(m["kind"], m["from_bin"], m["to_bin"], m["reason"]) for m in r["movements"]] == [
        ("scrap", "RET-1", None, "damaged")]
    doc = get(client, receiver, f"/api/v1/returns/{rid}")
    assert doc["status"] == "closed" and doc["closed_at"]
    assert [(d["action"], d["qty"], d["to_bin"]) for d in doc["lines"][0]["dispositions"]] == [
        ("restock", 3, "A-01"), ("quarantine", 1, "QUAR-1")]
    assert on_hand(client, receiver, "RET-1") == {}
    assert on_hand(client, receiver, "QUAR-1") == {("SKU-1", None): 1}
    assert on_hand(client, receiver, "A-01")[("SKU-1", None)] == 53
    assert get(client, receiver, "/api/v1/returns")["items"] == []
    assert [x["id"] for x in get(client, receiver, "/api/v1/returns", status="closed")["items"]] == [rid]

    # A further line under a closed return reopens it: there is something to decide again.
    receive_return(client, receiver, return_id=rid, qty=1)
    assert get(client, receiver, f"/api/v1/returns/{rid}")["status"] == "open"


def test_a_serial_returns_and_a_new_perishable_lot_needs_its_expiry(client, auth_for, floor):
    receiver = auth_for("receiver")
    receive_return(client, receiver, return_id="R-9", sku="SER-1", serial="S77", qty=1, reason="defective")
    refused(client, receiver, "return.receive", {"return_id": "R-9", "sku": "LOT-1", "lot": "L5", "qty": 1,
                                                 "to_bin": "RET-1", "reason": "expired"}, 422,
            "lot L5 needs an expiry date", "expiry")
    receive_return(client, receiver, return_id="R-9", sku="LOT-1", lot="L5", expiry="2026-12-24", qty=1,
                   reason="expired")
    lines = get(client, receiver, "/api/v1/returns/R-9")["lines"]
    assert [(x["sku"], x["lot"], x["serial"]) for x in lines] == [("SER-1", None, "S77"), ("LOT-1", "L5", None)]


@pytest.mark.parametrize("payload,status,detail,field", [
    ({"to_bin": "A-01"}, 422, "bin A-01 is a storage bin; customer returns go into a returns bin (for example RET-1)",
     "to_bin"),
    ({"to_bin": "NOPE"}, 422, "no bin with code 'NOPE'", "to_bin"),
    ({"reason": "meh"}, 422, None, "reason"),
    ({"sku": "NOPE"}, 422, "no item with sku 'NOPE'", "sku"),
    ({"qty": 0}, 422, None, "qty"),
    ({"sku": "SER-1", "qty": 1, "serial": "S2"}, 409, "already in bin A-02", "serial"),
])
def test_return_receive_refusals(client, auth_for, floor, payload, status, detail, field):
    body = {"sku": "SKU-1", "qty": 4, "to_bin": "RET-1", "reason": "unwanted", **payload}
    refused(client, auth_for("receiver"), "return.receive", body, status, detail, field)
    assert get(client, auth_for("receiver"), "/api/v1/returns", status="all")["items"] == []


def test_pickers_do_not_book_returns(client, auth_for, floor):
    refused(client, auth_for("picker"), "return.receive",
            {"sku": "SKU-1", "qty": 1, "to_bin": "RET-1", "reason": "unwanted"}, 403,
            "a picker may not send return.receive commands")


@pytest.fixture
def open_return(client, auth_for, floor) -> str:
    receive_return(client, auth_for("receiver"), return_id="R-1")
    return "R-1"


@pytest.mark.parametrize("role,payload,status,detail,field", [
    ("receiver", {"action": "restock"}, 422, "restock needs to_bin", None),
    ("receiver", {"action": "restock", "to_bin": "DOCK-1"}, 422,
     "bin DOCK-1 is a dock bin; restocked goods go into a storage or pick-face bin", "to_bin"),
    ("receiver", {"action": "quarantine", "to_bin": "A-01"}, 422, "quarantined goods go into a quarantine bin",
     "to_bin"),
    ("supervisor", {"action": "scrap"}, 422, "scrap needs a reason code", None),
    ("supervisor", {"action": "scrap", "reason": "damaged", "to_bin": "A-01"}, 422, "do not give to_bin", None),
    ("receiver", {"action": "scrap", "reason": "damaged"}, 403, "a receiver may not scrap returned goods", "action"),
    ("receiver", {"action": "restock", "to_bin": "A-01", "qty": 5}, 409,
     "line 1 of return R-1 has 4 of SKU-1 awaiting a decision; cannot restock 5", "qty"),
    ("receiver", {"action": "restock", "to_bin": "A-01", "line_no": 2}, 404, "return R-1 has no line 2", "line_no"),
    ("receiver", {"action": "restock", "to_bin": "A-01", "return_id": "R-X"}, 404, "no return R-X", "return_id"),
    ("picker", {"action": "restock", "to_bin": "A-01"}, 403, "a picker may not send return.dispose commands", None),
])
def test_return_dispose_refusals(client, auth_for, open_return, role, payload, status, detail, field):
    body = {"return_id": open_return, "line_no": 1, **payload}
    problem = refused(client, auth_for(role), "return.dispose", body, status, detail, field)
    assert get(client, auth_for("receiver"), f"/api/v1/returns/{open_return}")["lines"][0]["awaiting"] == 4
    if status == 422 and field is None:  # a rule across fields, checked before anything is looked up
        assert problem["title"] == "Invalid input"


def test_a_decided_line_cannot_be_decided_again_but_an_offline_replay_is_recorded(client, auth_for, open_return):
    receiver = auth_for("receiver")
    dispose = {"return_id": open_return, "line_no": 1, "action": "restock", "to_bin": "B-01"}
    ok(post_commands(client, receiver, command("return.dispose", dispose)))
    refused(client, receiver, "return.dispose", dispose, 409, "has been decided already", "line_no")
    # A second device restocked 2 of the same line while offline: the goods did move.
    r = one(client, receiver, "return.dispose", dict(dispose, qty=2), replay=True)
    assert r["status"] == "applied"
    assert sorted(e["kind"] for e in r["exceptions"]) == ["negative_stock", "return_excess"]
    excess = next(e for e in r["exceptions"] if e["kind"] == "return_excess")
    assert excess["data"] == {"line_no": 1, "awaiting": 0, "disposed": 2}
    assert [a["name"] for a in excess["actions"]] == ["count", "dismiss", "close"]
    requests = get(client, auth_for("counter"), "/api/v1/count-requests")["items"]
    assert {(c["bin"], c["exception_id"]) for c in requests} >= {("RET-1", excess["id"])}


def test_returns_opened_within_a_minute_from_time_ordered_ids_stay_apart(client, auth_for, floor):
    """A return opened without a return id is named after its command id. The
    first 8 hex digits of a time-ordered (v7) id are the clock, the same for
    every handheld for ~65 s, so the name takes the random end of a v7 id; a v4
    id keeps its first 8 digits, as handhelds not yet reloaded compute it."""
    from edge.ids import Minter
    receiver = auth_for("receiver")
    mint = Minter()
    a, b = str(mint()), str(mint())
    assert a[:8] == b[:8]  # same clock prefix
    v4 = str(uuid.uuid4())
    results = ok(post_commands(client, receiver, *[
        command("return.receive", {"sku": "SKU-1", "qty": 1, "to_bin": "RET-1", "reason": "unwanted",
                                   "customer": who}, cid=cid)
        for cid, who in ((a, "Alpha"), (b, "Beta"), (v4, "Gamma"))]))
    names = [r["movements"][0]["ref_id"] for r in results]
    assert names == [f"RET-{a[-8:].upper()}", f"RET-{b[-8:].upper()}", f"RET-{v4[:8].upper()}"]
    listed = {x["id"]: x for x in get(client, receiver, "/api/v1/returns")["items"]}
    assert {n: listed[n]["lines"] for n in names} == {n: 1 for n in names}
    assert get(client, receiver, f"/api/v1/returns/{names[1]}")["customer"] == "Beta"
