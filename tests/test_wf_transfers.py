"""Moves, scrap and transfers end to end through the HTTP API (issue 3).

The ``floor`` fixture here is shared by test_wf_returns.py and
test_wf_exceptions.py."""
from __future__ import annotations

import time

import pytest

from conftest import add_users, assert_verified, command, make_bin, make_item, post_commands, sign_in, PINS
from edge.app import create_app
from edge.db import init_db

PROBLEM = "application/problem+json"
EXPIRY = "2027-01-31"


@pytest.fixture
def floor(app, client, auth_for):
    """A small site: storage, a pick face, a dock, returns, quarantine, in-transit and a tote, with stock."""
    for code, zone, kind in (("A-01", "A", "storage"), ("A-02", "A", "storage"), ("B-01", "B", "pick-face"),
                             ("DOCK-1", "D", "dock"), ("RET-1", "D", "returns"), ("QUAR-1", "D", "quarantine"),
                             ("TRANSIT", "D", "in-transit"), ("TOTE-1", "", "tote")):
        make_bin(app, code, zone=zone, kind=kind)
    make_item(app, "SKU-1", barcodes=[("05012345678900", 1), ("15012345678907", 12)], unit_cost=2.5)
    make_item(app, "LOT-1", tracking="lot", perishable=True)
    make_item(app, "SER-1", tracking="serial")
    ok(post_commands(client, auth_for("supervisor"),
                     command("receive", {"sku": "SKU-1", "qty": 50, "to_bin": "A-01"}),
                     command("receive", {"sku": "LOT-1", "qty": 20, "to_bin": "A-01", "lot": "L1", "expiry": EXPIRY}),
                     command("receive", {"sku": "SER-1", "qty": 1, "to_bin": "A-02", "serial": "S1"}),
                     command("receive", {"sku": "SER-1", "qty": 1, "to_bin": "A-02", "serial": "S2"}),
                     command("receive", {"sku": "SKU-1", "qty": 5, "to_bin": "TOTE-1"}),
                     command("receive", {"sku": "LOT-1", "qty": 3, "to_bin": "TOTE-1", "lot": "L1"}),
                     command("receive", {"sku": "SER-1", "qty": 1, "to_bin": "TOTE-1", "serial": "S3"})))


def ok(results):
    assert all(r["status"] == "applied" for r in results), results
    return results


def one(client, headers, ctype, payload, **kw) -> dict:
    [r] = post_commands(client, headers, command(ctype, payload, **kw))
    return r


def refused(client, headers, ctype, payload, status, detail=None, field=None, **kw) -> dict:
    r = one(client, headers, ctype, payload, **kw)
    assert r["status"] == "rejected", r
    problem = r["problem"]
    assert problem["status"] == status, problem
    if detail:
        assert detail in problem["detail"], problem
    if field:
        assert f"commands[0].payload.{field}" in [e["field"] for e in problem["errors"]], problem
    return problem


def get(client, headers, path, **params):
    r = client.get(path, query_string=params, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def assert_problem(r, status, detail=None, field=None) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == PROBLEM
    body = r.get_json()
    if detail:
        assert detail in body["detail"], body
    if field:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def on_hand(client, headers, bin_code) -> dict:
    return {(r["sku"], r["lot"]): r["qty"] for r in get(client, headers, "/api/v1/stock", bin=bin_code)["items"]}


# -- tote / pallet moves ----------------------------------------------------------------

def test_tote_move_takes_everything_one_movement_per_line(client, auth_for, floor):
    picker = auth_for("picker")
    lines = get(client, picker, "/api/v1/totes/TOTE-1")["lines"]
    assert sorted((x["sku"], x["lot"], x["serial"], x["qty"]) for x in lines) == [
        ("LOT-1", "L1", None, 3), ("SER-1", None, "S3", 1), ("SKU-1", None, None, 5)]
    r = one(client, picker, "tote.move", {"from_bin": "TOTE-1", "to_bin": "B-01"})
    assert r["status"] == "applied"
    assert sorted((m["sku"], m["qty"], m["kind"], m["ref_type"]) for m in r["movements"]) == [
        ("LOT-1", 3, "move", "tote"), ("SER-1", 1, "move", "tote"), ("SKU-1", 5, "move", "tote")]
    assert len({m["id"] for m in r["movements"]}) == 3
    assert on_hand(client, picker, "TOTE-1") == {}
    assert on_hand(client, picker, "B-01") == {("LOT-1", "L1"): 3, ("SER-1", None): 1, ("SKU-1", None): 5}
    # The same command again is a duplicate, not a second move.
    again = post_commands(client, picker, command("tote.move", {"from_bin": "TOTE-1", "to_bin": "B-01"}, cid=r["id"]))
    assert again[0]["status"] == "duplicate"


def test_tote_move_of_listed_lines_and_offline_replay(client, auth_for, floor):
    picker = auth_for("picker")
    listed = {"from_bin": "TOTE-1", "to_bin": "A-02", "lines": [{"sku": "SKU-1", "qty": 5}]}
    r = one(client, picker, "tote.move", listed, replay=True)
    assert r["status"] == "applied" and "exceptions" not in r
    assert on_hand(client, picker, "TOTE-1") == {("LOT-1", "L1"): 3, ("SER-1", None): 1}
    # Offline, the device saw 4 more of SKU-1 that the records do not have: recorded, and a supervisor hears of it.
    r = one(client, picker, "tote.move", dict(listed, lines=[{"sku": "SKU-1", "qty": 4}]), replay=True)
    assert r["status"] == "applied" and r["exceptions"][0]["kind"] == "negative_stock"
    refused(client, picker, "tote.move", {"from_bin": "TOTE-1", "to_bin": "A-02"}, 422,
            "a replayed tote move must list the lines", "lines", replay=True)


@pytest.mark.parametrize("payload,status,detail,field", [
    ({"from_bin": "A-01", "to_bin": "A-01"}, 422, "to_bin must differ", "to_bin"),
    ({"from_bin": "RET-1", "to_bin": "A-01"}, 409, "bin RET-1 is empty; nothing to move", "from_bin"),
    ({"from_bin": "TOTE-1", "to_bin": "NOPE"}, 422, "no bin with code 'NOPE'", "to_bin"),
    ({"from_bin": "TOTE-1", "to_bin": "A-01", "lines": []}, 409, "lists no lines", "lines"),
    ({"from_bin": "TOTE-1", "to_bin": "A-01", "lines": [{"sku": "SKU-1", "qty": 6}]}, 409, "holds 5 of SKU-1", "qty"),
])
def test_tote_move_refusals(client, auth_for, floor, payload, status, detail, field):
    refused(client, auth_for("picker"), "tote.move", payload, status, detail, field)
    assert on_hand(client, auth_for("picker"), "TOTE-1")[("SKU-1", None)] == 5


def test_tote_move_does_not_take_reserved_stock(app, client, auth_for, floor):
    # Reservations belong to picking; set one directly to see the move respect it.
    app.extensions["floorscan"].write(lambda conn: conn.execute(
        "UPDATE stock SET reserved = 2 WHERE bin = 'TOTE-1' AND sku = 'SKU-1'"))
    refused(client, auth_for("picker"), "tote.move", {"from_bin": "TOTE-1", "to_bin": "B-01"}, 409,
            "bin TOTE-1 holds 5 of SKU-1 but 2 are reserved for orders; cannot take 5 (3 free)", "qty")
    app.extensions["floorscan"].write(lambda conn: conn.execute("UPDATE stock SET reserved = 0"))


def test_a_tote_of_picked_goods_is_not_moved_behind_its_orders_back(app, client, auth_for, floor):
    sup, picker = auth_for("supervisor"), auth_for("picker")
    make_bin(app, "TOTE-2", kind="tote")
    r = client.post("/api/v1/sales-orders", json={"id": "SO-1", "lines": [{"sku": "SKU-1", "qty": 2}]}, headers=sup)
    assert r.status_code == 201, r.get_json()
    r = client.post("/api/v1/pick-lists", json={"order_ids": ["SO-1"]}, headers=sup)
    assert r.status_code == 201, r.get_json()
    list_id = r.get_json()["lists"][0]["id"]
    ok(post_commands(client, picker, command("pick.tote", {"list_id": list_id, "tote": "TOTE-2"})))
    [line] = get(client, picker, f"/api/v1/pick-lists/{list_id}")["lines"]
    ok(post_commands(client, picker, command("pick.confirm", {"list_id": list_id, "line": line["seq"],
                                                              "bin": line["bin"], "item": "05012345678900", "qty": 2})))
    move = {"from_bin": "TOTE-2", "to_bin": "B-01"}
    refused(client, picker, "tote.move", move, 409, "bin TOTE-2 holds picked goods of order SO-1; sort them with "
            "pick.sort or ship the order", "from_bin")
    r = one(client, picker, "tote.move", dict(move, lines=[{"sku": "SKU-1", "qty": 2}]), replay=True)
    assert r["status"] == "applied"
    [exc] = r["exceptions"]
    assert (exc["kind"], exc["ref_id"], exc["data"]) == ("picked_goods_moved", "SO-1",
                                                         {"orders": ["SO-1"], "to_bin": "B-01"})


# -- scrap -------------------------------------------------------------------------

def test_scrap_takes_stock_out_of_the_building_with_a_reason(client, auth_for, floor):
    counter = auth_for("counter")
    r = one(client, counter, "scrap", {"sku": "LOT-1", "lot": "L1", "qty": 4, "bin": "A-01", "reason": "damaged",
                                       "note": "forklift"})
    [mv] = r["movements"]
    assert (mv["kind"], mv["from_bin"], mv["to_bin"], mv["reason"], mv["qty"]) == ("scrap", "A-01", None, "damaged", 4)
    assert on_hand(client, counter, "A-01")[("LOT-1", "L1")] == 16
    moves = get(client, counter, "/api/v1/movements", kind="scrap")["items"]
    assert [m["id"] for m in moves] == [mv["id"]]
    codes = get(client, auth_for("picker"), "/api/v1/reason-codes")
    assert "damaged" in codes["scrap"] and "wrong_item" in codes["return"] and codes["disposition"] == [
        "restock", "quarantine", "scrap"]


@pytest.mark.parametrize("role", ["picker", "receiver"])
def test_only_counters_and_supervisors_scrap(client, auth_for, floor, role):
    refused(client, auth_for(role), "scrap", {"sku": "SKU-1", "qty": 1, "bin": "A-01", "reason": "damaged"}, 403,
            f"a {role} may not send scrap commands")


@pytest.mark.parametrize("payload,status,detail,field", [
    ({"sku": "SKU-1", "qty": 1, "bin": "A-01", "reason": "bored"}, 422, None, "reason"),
    ({"sku": "SKU-1", "qty": 1, "bin": "A-01"}, 422, "required", "reason"),
    ({"sku": "SKU-1", "qty": 51, "bin": "A-01", "reason": "other"}, 409, "holds 50 of SKU-1", "qty"),
    ({"sku": "SER-1", "qty": 1, "bin": "A-01", "serial": "S1", "reason": "defective"}, 409, "is in bin A-02", "serial"),
    ({"sku": "LOT-1", "qty": 1, "bin": "A-01", "reason": "expired"}, 422, "lot-tracked", "lot"),
])
def test_scrap_refusals(client, auth_for, floor, payload, status, detail, field):
    refused(client, auth_for("supervisor"), "scrap", payload, status, detail, field)


def test_scrap_replayed_offline_is_recorded_with_an_exception(client, auth_for, floor):
    r = one(client, auth_for("counter"), "scrap", {"sku": "SKU-1", "qty": 60, "bin": "A-01", "reason": "damaged"},
            replay=True)
    assert r["status"] == "applied"
    assert [e["kind"] for e in r["exceptions"]] == ["negative_stock"]
    assert on_hand(client, auth_for("counter"), "A-01")[("SKU-1", None)] == -10


# -- transfers on one edge ------------------------------------------------------------------

def make_transfer(client, headers, lines=None, **kw) -> dict:
    body = {"to_site": "WH2", "lines": lines or [{"sku": "SKU-1", "qty": 10}, {"sku": "LOT-1", "qty": 5, "lot": "L1"}],
            **kw}
    r = client.post("/api/v1/transfers", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_transfer_ship_dispatch_receive_close_on_one_edge(client, auth_for, floor):
    sup, picker, receiver = auth_for("supervisor"), auth_for("picker"), auth_for("receiver")
    assert get(client, picker, "/api/v1/site") == {"site_id": "WH1"}
    t = make_transfer(client, sup, note="weekly top-up")
    tid = t["id"]
    assert (tid, t["from_site"], t["to_site"], t["status"], t["transit_bin"], t["direction"]) == (
        "WH1-TR-000001", "WH1", "WH2", "open", "TRANSIT", "outbound")
    assert t["lines"][0]["barcodes"] == [{"code": "05012345678900", "pack_qty": 1},
                                         {"code": "15012345678907", "pack_qty": 12}]

    ok(post_commands(client, picker,
                     command("transfer.ship", {"transfer_id": tid, "sku": "SKU-1", "qty": 8, "from_bin": "A-01"}),
                     command("transfer.ship", {"transfer_id": tid, "sku": "LOT-1", "qty": 5, "lot": "L1",
                                               "from_bin": "A-01"})))
    assert on_hand(client, picker, "TRANSIT") == {("SKU-1", None): 8, ("LOT-1", "L1"): 5}
    [r] = ok(post_commands(client, receiver, command("transfer.dispatch", {"transfer_id": tid})))
    assert r["movements"] == []
    t = get(client, picker, f"/api/v1/transfers/{tid}")
    assert t["status"] == "shipped" and [(x["sku"], x["shipped"]) for x in t["lines"]] == [("SKU-1", 8), ("LOT-1", 5)]
    assert [(i["sku"], i["lot"], i["expiry"], i["shipped"]) for i in t["items"]] == [
        ("LOT-1", "L1", EXPIRY, 5), ("SKU-1", None, None, 8)]

    [r] = ok(post_commands(client, receiver, command("transfer.receive", {"transfer_id": tid, "sku": "SKU-1", "qty": 6,
                                                                          "to_bin": "DOCK-1"})))
    [mv] = r["movements"]
    assert (mv["kind"], mv["from_bin"], mv["to_bin"], mv["ref_id"]) == ("transfer_in", "TRANSIT", "DOCK-1", tid)
    ok(post_commands(client, receiver, command("transfer.receive", {"transfer_id": tid, "sku": "LOT-1", "lot": "L1",
                                                                    "qty": 5, "to_bin": "DOCK-1"})))
    [r] = ok(post_commands(client, receiver, command("transfer.close", {"transfer_id": tid})))
    [short] = r["exceptions"]
    assert (short["kind"], short["sku"], short["ref_id"], short["data"]["missing"]) == ("transfer_short", "SKU-1", tid, 2)
    assert "arrived 2 short of SKU-1: 8 shipped, 6 received" in short["detail"]
    assert get(client, picker, f"/api/v1/transfers/{tid}")["status"] == "received"
    assert on_hand(client, picker, "TRANSIT") == {("SKU-1", None): 2}

    # The supervisor writes the missing two off as lost in transit.
    r = client.post(f"/api/v1/exceptions/{short['id']}/resolve",
                    json={"action": "write_off", "resolution": "carrier confirms a damaged case"}, headers=sup)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["action"] == "write_off"
    assert on_hand(client, picker, "TRANSIT") == {}
    [adj] = get(client, sup, "/api/v1/movements", kind="adjust")["items"]
    assert (adj["from_bin"], adj["qty"], adj["reason"], adj["ref_id"]) == ("TRANSIT", 2, "lost", tid)


def test_transfer_documents_are_for_supervisors_and_checked(client, auth_for, floor):
    body = {"to_site": "WH2", "lines": [{"sku": "SKU-1", "qty": 1}]}
    assert_problem(client.post("/api/v1/transfers", json=body, headers=auth_for("receiver")), 403)
    sup = auth_for("supervisor")
    assert_problem(client.post("/api/v1/transfers", json=dict(body, to_site="WH1"), headers=sup), 422,
                   "this site is WH1; a transfer goes to another site", "to_site")
    assert_problem(client.post("/api/v1/transfers", json=dict(body, lines=[{"sku": "NOPE", "qty": 1}]), headers=sup),
                   422, "no item with sku 'NOPE'", "lines[0].sku")
    assert_problem(client.post("/api/v1/transfers", json=dict(body, lines=[{"sku": "SKU-1", "qty": 1, "lot": "X"}]),
                               headers=sup), 422, "not lot-tracked", "lines[0].lot")
    assert_problem(client.post("/api/v1/transfers", json=dict(body, lines=[]), headers=sup), 422, field="lines")
    assert_problem(client.post("/api/v1/transfers", json=dict(body, transit_bin="A-01"), headers=sup), 422,
                   "bin A-01 is a storage bin", "transit_bin")
    make_transfer(client, sup, id="T-1")
    assert_problem(client.post("/api/v1/transfers", json=dict(body, id="T-1"), headers=sup), 409, "already exists")
    assert_problem(client.get("/api/v1/transfers/NOPE", headers=sup), 404, "no transfer NOPE")
    assert [t["id"] for t in get(client, sup, "/api/v1/transfers", status="open", direction="outbound")["items"]] == ["T-1"]
    assert get(client, sup, "/api/v1/transfers", direction="inbound")["items"] == []


def test_a_transfer_id_in_another_sites_numbering_is_refused(client, auth_for, floor):
    # Central takes only WH3 as the source of WH3-TR-<n> (whoever it hears from first).
    body = {"to_site": "WH2", "lines": [{"sku": "SKU-1", "qty": 1}]}
    r = client.post("/api/v1/transfers", json=dict(body, id="WH3-TR-000007"), headers=auth_for("supervisor"))
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "id", r.get_json()
    assert "WH3's transfer numbering" in r.get_json()["detail"]
    assert make_transfer(client, auth_for("supervisor"), id="WH1-TR-000777")["id"] == "WH1-TR-000777"
    assert make_transfer(client, auth_for("supervisor"), id="DOOR-7")["id"] == "DOOR-7"


def test_transfer_ship_refusals_say_what_was_expected(client, auth_for, floor):
    picker = auth_for("picker")
    tid = make_transfer(client, auth_for("supervisor"))["id"]
    ship = {"transfer_id": tid, "sku": "SKU-1", "qty": 4, "from_bin": "A-01"}
    refused(client, picker, "transfer.ship", dict(ship, sku="SER-1", serial="S1", qty=1, from_bin="A-02"), 422,
            f"transfer {tid} wants LOT-1, SKU-1; not SER-1", "sku")
    refused(client, picker, "transfer.ship", dict(ship, sku="LOT-1", lot="L9"), 422, "wants LOT-1 lot L1; not lot L9",
            "lot")
    refused(client, picker, "transfer.ship", dict(ship, qty=11), 409, "wants 10 of SKU-1; 0 loaded already, so at most 10",
            "qty")
    refused(client, picker, "transfer.ship", dict(ship, transfer_id="NOPE"), 404, "no transfer NOPE", "transfer_id")
    refused(client, auth_for("counter"), "transfer.ship", ship, 403, "a counter may not send transfer.ship")
    refused(client, auth_for("receiver"), "transfer.dispatch", {"transfer_id": tid}, 409,
            "nothing has been loaded", "transfer_id")
    refused(client, auth_for("receiver"), "transfer.receive",
            {"transfer_id": tid, "sku": "SKU-1", "qty": 1, "to_bin": "DOCK-1"}, 409, "has not been dispatched")
    refused(client, picker, "transfer.dispatch", {"transfer_id": tid}, 403, "a picker may not send transfer.dispatch")
    ok(post_commands(client, picker, command("transfer.ship", ship)))
    ok(post_commands(client, auth_for("receiver"), command("transfer.dispatch", {"transfer_id": tid})))
    refused(client, picker, "transfer.ship", ship, 409, "was dispatched at", "transfer_id")
    refused(client, auth_for("receiver"), "transfer.dispatch", {"transfer_id": tid}, 409, "dispatched already")
    # Loaded offline before the lorry left, replayed after: recorded, flagged.
    r = one(client, picker, "transfer.ship", ship, replay=True)
    assert r["status"] == "applied" and [e["kind"] for e in r["exceptions"]] == ["transfer_over"]
    assert "replayed from an offline device" in r["exceptions"][0]["detail"]
    assert get(client, picker, f"/api/v1/transfers/{tid}")["lines"][0]["shipped"] == 8


def test_transfer_receive_refusals_and_offline_over_receipt(client, auth_for, floor):
    picker, receiver = auth_for("picker"), auth_for("receiver")
    tid = make_transfer(client, auth_for("supervisor"))["id"]
    ok(post_commands(client, picker,
                     command("transfer.ship", {"transfer_id": tid, "sku": "SKU-1", "qty": 3, "from_bin": "A-01"})))
    ok(post_commands(client, receiver, command("transfer.dispatch", {"transfer_id": tid})))
    rec = {"transfer_id": tid, "sku": "SKU-1", "qty": 2, "to_bin": "DOCK-1"}
    refused(client, receiver, "transfer.receive", dict(rec, to_bin="A-01"), 422,
            "bin A-01 is a storage bin; goods from a transfer go into a dock bin (for example DOCK-1)", "to_bin")
    refused(client, receiver, "transfer.receive", dict(rec, sku="LOT-1", lot="L1"), 422,
            f"transfer {tid} carries SKU-1; not LOT-1 lot L1", "sku")
    refused(client, receiver, "transfer.receive", dict(rec, qty=4), 409, "carried 3 of SKU-1; 0 received already, "
            "so at most 3 more", "qty")
    refused(client, picker, "transfer.receive", rec, 403, "a picker may not send transfer.receive")
    # Offline the receiver booked 5 where 3 came: 3 come out of transit, 2 from outside, and a supervisor is told.
    r = one(client, receiver, "transfer.receive", dict(rec, qty=5), replay=True)
    assert [(m["from_bin"], m["qty"]) for m in r["movements"]] == [("TRANSIT", 3), (None, 2)]
    assert [e["kind"] for e in r["exceptions"]] == ["transfer_over"]
    assert on_hand(client, picker, "DOCK-1") == {("SKU-1", None): 5}
    [r] = ok(post_commands(client, receiver, command("transfer.close", {"transfer_id": tid})))
    assert "exceptions" not in r
    refused(client, receiver, "transfer.close", {"transfer_id": tid}, 409, "closed already")
    refused(client, receiver, "transfer.receive", rec, 409, "was closed at")


# -- transfers between two edges --------------------------------------------------------------------

@pytest.fixture
def other_site(tmp_path):
    """A second warehouse: its own database and app, with the same items and a dock."""
    path = str(tmp_path / "wh2.db")
    init_db(path)
    other = create_app({"DATABASE": path, "TESTING": True, "EVENT_FLUSH_SECONDS": 0.05})
    add_users(other)
    make_bin(other, "DOCK-9", zone="D", kind="dock")
    make_item(other, "SKU-1")
    make_item(other, "LOT-1", tracking="lot", perishable=True)
    make_item(other, "SER-1", tracking="serial")
    client = other.test_client()
    admin = sign_in(client, PINS["admin"])
    r = client.put("/api/v1/site", json={"site_id": "WH2"}, headers=admin)
    assert r.status_code == 200 and r.get_json() == {"site_id": "WH2"}
    yield other, client
    other.extensions["floorscan"].close()
    assert_verified(path)


def test_the_other_site_receives_with_only_the_document(client, auth_for, floor, other_site):
    _, there = other_site
    picker = auth_for("picker")
    tid = make_transfer(client, auth_for("supervisor"), lines=[{"sku": "LOT-1", "qty": 5}, {"sku": "SER-1", "qty": 1}])["id"]
    ok(post_commands(client, picker,
                     command("transfer.ship", {"transfer_id": tid, "sku": "LOT-1", "lot": "L1", "qty": 5,
                                               "from_bin": "A-01"}),
                     command("transfer.ship", {"transfer_id": tid, "sku": "SER-1", "serial": "S1", "qty": 1,
                                               "from_bin": "A-02"})))
    ok(post_commands(client, auth_for("receiver"), command("transfer.dispatch", {"transfer_id": tid})))
    document = get(client, picker, f"/api/v1/transfers/{tid}")

    sup2, rec2 = sign_in(there, PINS["supervisor"]), sign_in(there, PINS["receiver"])
    r = there.post("/api/v1/transfers/inbound", json=document, headers=sup2)
    assert r.status_code == 201, r.get_json()
    inbound = r.get_json()
    assert (inbound["status"], inbound["direction"], inbound["transit_bin"]) == ("shipped", "inbound", None)
    assert_problem(there.post("/api/v1/transfers/inbound", json=document, headers=sup2), 409, "already exists")
    refused(there, sup2, "transfer.ship", {"transfer_id": tid, "sku": "LOT-1", "qty": 1, "from_bin": "DOCK-9"}, 409,
            "it is received here, not shipped")

    [r] = ok(post_commands(there, rec2, command("transfer.receive", {"transfer_id": tid, "sku": "LOT-1", "lot": "L1",
                                                                     "qty": 5, "to_bin": "DOCK-9"})))
    assert [(m["kind"], m["from_bin"], m["to_bin"]) for m in r["movements"]] == [("transfer_in", None, "DOCK-9")]
    # The lot was new at WH2: its expiry came with the document.
    lot = get(there, rec2, "/api/v1/stock", bin="DOCK-9")["items"][0]
    assert (lot["lot"], lot["expiry"]) == ("L1", EXPIRY)
    refused(there, rec2, "transfer.receive", {"transfer_id": tid, "sku": "SER-1", "serial": "S9", "qty": 1,
                                              "to_bin": "DOCK-9"}, 422, "not SER-1 serial S9", "serial")
    [r] = ok(post_commands(there, rec2, command("transfer.close", {"transfer_id": tid})))
    [short] = r["exceptions"]
    assert (short["kind"], short["sku"], short["data"]["serial"], short["bin"]) == ("transfer_short", "SER-1", "S1", None)
    r = there.post(f"/api/v1/exceptions/{short['id']}/resolve", json={"action": "write_off", "resolution": "lost"},
                   headers=sup2)
    assert_problem(r, 422, "in WH1's records, not here", "action")
    # The sending site still holds the goods in transit until it learns of the receipt (sync, a later issue).
    assert on_hand(client, picker, "TRANSIT") == {("LOT-1", "L1"): 5, ("SER-1", None): 1}


def test_inbound_document_must_be_for_this_site(client, auth_for, floor):
    sup = auth_for("supervisor")
    doc = {"id": "X-1", "from_site": "WH3", "to_site": "WH2", "lines": [{"sku": "SKU-1", "qty": 1}],
           "items": [{"sku": "SKU-1", "shipped": 1}]}
    assert_problem(client.post("/api/v1/transfers/inbound", json=doc, headers=sup), 409,
                   "transfer X-1 goes to WH2; this site is WH1", "to_site")
    assert_problem(client.post("/api/v1/transfers/inbound", json=dict(doc, to_site="WH1", from_site="WH1"),
                               headers=sup), 409, "comes from this site (WH1)", "from_site")
    r = client.post("/api/v1/transfers/inbound", json=dict(doc, to_site="WH1"), headers=sup)
    assert r.status_code == 201
    assert_problem(client.put("/api/v1/site", json={"site_id": "WH7"}, headers=auth_for("admin")), 409,
                   "transfers already name this site")
    assert_problem(client.put("/api/v1/site", json={"site_id": "WH7"}, headers=sup), 403)


def test_receivers_hear_of_an_inbound_lorry(app, client, auth_for, floor):
    from edge.realtime import socketio
    time.sleep(0.15)
    token = lambda role: auth_for(role)["Authorization"].split(" ", 1)[1]  # noqa: E731
    receiver = socketio.test_client(app, auth={"token": token("receiver")})
    picker = socketio.test_client(app, auth={"token": token("picker")})
    receiver.get_received(), picker.get_received()
    doc = {"id": "WH3-TR-9", "from_site": "WH3", "to_site": "WH1", "lines": [{"sku": "SKU-1", "qty": 2}],
           "items": [{"sku": "SKU-1", "shipped": 2}]}
    assert client.post("/api/v1/transfers/inbound", json=doc, headers=auth_for("supervisor")).status_code == 201
    got = [e["args"][0] for e in receiver.get_received() if e["name"] == "transfer.expected"]
    assert got == [{"transfer": {"id": "WH3-TR-9", "from_site": "WH3", "lines": 1}}]
    assert [e for e in picker.get_received() if e["name"] == "transfer.expected"] == []
    receiver.disconnect(), picker.disconnect()


def test_a_transfer_replayed_late_and_twice_ends_as_it_did_online(client, auth_for, floor):
    """The loader and the receiver were offline; their devices send everything later, then again."""
    tid = make_transfer(client, auth_for("supervisor"))["id"]
    loads = [command("transfer.ship", {"transfer_id": tid, "sku": "SKU-1", "qty": q, "from_bin": "A-01"}, replay=True)
             for q in (4, 6)]
    receipts = [command("transfer.dispatch", {"transfer_id": tid}, replay=True),
                command("transfer.receive", {"transfer_id": tid, "sku": "SKU-1", "qty": 10, "to_bin": "DOCK-1"},
                        replay=True),
                command("transfer.close", {"transfer_id": tid}, replay=True)]
    first = post_commands(client, auth_for("picker"), *loads) + post_commands(client, auth_for("receiver"), *receipts)
    assert [r["status"] for r in first] == ["applied"] * 5 and not any("exceptions" in r for r in first)
    again = post_commands(client, auth_for("picker"), *loads) + post_commands(client, auth_for("receiver"), *receipts)
    assert [r["status"] for r in again] == ["duplicate"] * 5
    assert on_hand(client, auth_for("picker"), "DOCK-1") == {("SKU-1", None): 10}
    assert on_hand(client, auth_for("picker"), "TRANSIT") == {}
    assert on_hand(client, auth_for("picker"), "A-01")[("SKU-1", None)] == 40
    assert get(client, auth_for("supervisor"), "/api/v1/exceptions")["items"] == []
