"""Picking, first half: sales orders, availability, allocation and waves,
pick lists (single, batch, cluster) in walk order, assignment and its live
events. Every refusal asserts the problem the person sees."""
from __future__ import annotations

import pytest

from test_wf_picking_setup import (
    EXPIRED, LATER, SOON, assert_reservations_sound, build_site, on_hand, order, pick_list, stock, wave,
)
from edge.realtime import socketio


@pytest.fixture
def sup(app, client, auth_for):
    build_site(app)
    yield auth_for("supervisor")
    assert_reservations_sound(app)


def problem(r, status):
    assert r.status_code == status, r.get_json()
    assert r.mimetype == "application/problem+json"
    return r.get_json()


# -- sales orders ------------------------------------------------------------------

def test_create_and_read_an_order(client, sup):
    body = order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 3}, {"sku": "MILK", "qty": 2}],
                 customer="Corner Shop", priority=2, cutoff_at="2026-11-27T16:00:00+01:00", carrier="DHL")
    assert body["status"] == "open" and body["cutoff_at"] == "2026-11-27T15:00:00Z"
    assert [(ln["line_no"], ln["sku"], ln["qty"], ln["backordered"]) for ln in body["lines"]] == [
        (1, "SKU-1", 3, 3), (2, "MILK", 2, 2)]
    assert body["backordered"] is True
    listed = client.get("/api/v1/sales-orders?status=open&carrier=DHL", headers=sup).get_json()["items"]
    assert [(o["id"], o["lines"]) for o in listed] == [("SO-1", 2)]
    assert client.get("/api/v1/sales-orders?carrier=UPS", headers=sup).get_json()["items"] == []


@pytest.mark.parametrize("lines,field,detail", [
    ([{"sku": "NOPE", "qty": 1}], "lines[0].sku", "no item with sku 'NOPE'"),
    ([{"sku": "SKU-1", "qty": 1.5}], "lines[0].qty", "SKU-1 is counted in whole ea; 1.5 is not a whole number"),
    ([{"sku": "SKU-1", "qty": 1, "lot": "L1"}], "lines[0].lot", "SKU-1 is not lot-tracked"),
    ([{"sku": "SKU-1", "qty": 1}, {"sku": "MILK", "qty": 1, "lot": "L9"}], "lines[1].lot",
     "lot L9 of MILK is not known here"),
])
def test_order_line_refusals(client, sup, lines, field, detail):
    body = problem(client.post("/api/v1/sales-orders", json={"id": "SO-X", "lines": lines}, headers=sup), 422)
    assert detail in body["detail"]
    assert body["errors"][0]["field"] == field
    assert client.get("/api/v1/sales-orders/SO-X", headers=sup).status_code == 404


def test_order_shape_refusals(client, sup):
    body = problem(client.post("/api/v1/sales-orders", json={"id": "SO-X", "lines": []}, headers=sup), 422)
    assert body["errors"][0]["field"] == "lines"
    body = problem(client.post("/api/v1/sales-orders", json={"id": "SO-X", "priority": 0,
                                                             "lines": [{"sku": "SKU-1", "qty": 1}]}, headers=sup), 422)
    assert body["errors"][0]["field"] == "priority"
    body = problem(client.post("/api/v1/sales-orders", json={"id": "SO-X", "lines": [
        {"line_no": 1, "sku": "SKU-1", "qty": 1}, {"line_no": 1, "sku": "SKU-2", "qty": 1}]}, headers=sup), 422)
    assert "line_no repeats" in body["detail"]


def test_duplicate_order_number_is_409(client, sup):
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 1}])
    body = problem(client.post("/api/v1/sales-orders", json={"id": "SO-1", "lines": [{"sku": "SKU-2", "qty": 1}]},
                               headers=sup), 409)
    assert body["detail"] == "sales order SO-1 already exists"


def test_a_picker_may_read_orders_but_not_create_them_or_release_waves(client, sup, auth_for):
    picker = auth_for("picker")
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 1}])
    assert client.get("/api/v1/sales-orders/SO-1", headers=picker).status_code == 200
    body = problem(client.post("/api/v1/sales-orders", json={"id": "SO-2", "lines": [{"sku": "SKU-1", "qty": 1}]},
                               headers=picker), 403)
    assert body["detail"].startswith("a picker may not POST /api/v1/sales-orders")
    body = problem(client.post("/api/v1/waves", json={"order_ids": ["SO-1"]}, headers=picker), 403)
    assert body["detail"].startswith("a picker may not POST /api/v1/waves")
    problem(client.post("/api/v1/pick-lists/1/assign", json={"user_id": 1}, headers=picker), 403)


# -- allocation ------------------------------------------------------------------------

def test_fefo_takes_the_earliest_expiry_and_never_an_expired_lot(client, sup):
    stock(client, sup, "MILK", "A-01", 5, lot="OLD", expiry=EXPIRED)
    stock(client, sup, "MILK", "A-02", 5, lot="LATE", expiry=LATER)
    stock(client, sup, "MILK", "B-02", 4, lot="SOON", expiry=SOON)
    order(client, sup, "SO-1", [{"sku": "MILK", "qty": 6}])
    wave(client, sup, order_ids=["SO-1"])
    allocs = client.get("/api/v1/sales-orders/SO-1", headers=sup).get_json()["allocations"]
    assert [(a["bin"], a["lot"], a["qty"]) for a in allocs] == [("B-02", "SOON", 4), ("A-02", "LATE", 2)]


def test_a_line_that_names_a_lot_gets_that_lot_or_waits(client, sup):
    stock(client, sup, "MILK", "A-01", 5, lot="SOON", expiry=SOON)
    stock(client, sup, "MILK", "A-02", 5, lot="LATE", expiry=LATER)
    order(client, sup, "SO-1", [{"sku": "MILK", "qty": 7, "lot": "LATE"}])
    body = wave(client, sup, order_ids=["SO-1"])
    assert body["backordered"] == [{"order_id": "SO-1", "line_no": 1, "sku": "MILK", "qty": 2}]
    so = client.get("/api/v1/sales-orders/SO-1", headers=sup).get_json()
    assert [(a["bin"], a["lot"], a["qty"]) for a in so["allocations"]] == [("A-02", "LATE", 5)]
    assert (so["lines"][0]["reserved"], so["lines"][0]["backordered"], so["status"]) == (5, 2, "released")


def test_fifo_by_receipt_for_other_items_and_only_pickable_bins(client, sup):
    stock(client, sup, "BOLT", "B-01", 5, lot="FIRST")
    stock(client, sup, "BOLT", "A-01", 5, lot="SECOND")
    stock(client, sup, "SKU-2", "DOCK", 50)
    stock(client, sup, "SKU-2", "QUAR", 50)
    stock(client, sup, "SKU-2", "B-02", 3)
    stock(client, sup, "SKU-2", "A-02", 9)
    order(client, sup, "SO-1", [{"sku": "BOLT", "qty": 6}, {"sku": "SKU-2", "qty": 20}])
    wave(client, sup, order_ids=["SO-1"])
    so = client.get("/api/v1/sales-orders/SO-1", headers=sup).get_json()
    assert [(a["bin"], a["lot"], a["qty"]) for a in so["allocations"]] == [
        ("B-01", "FIRST", 5), ("A-01", "SECOND", 1), ("B-02", None, 3), ("A-02", None, 9)]
    assert [ln["backordered"] for ln in so["lines"]] == [0, 8]


def test_reserved_stock_is_not_offered_to_another_order(client, sup):
    stock(client, sup, "SKU-1", "A-01", 10)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 8}], priority=1)
    order(client, sup, "SO-2", [{"sku": "SKU-1", "qty": 8}], priority=5)
    body = wave(client, sup, order_ids=["SO-2", "SO-1"])
    assert body["backordered"] == [{"order_id": "SO-2", "line_no": 1, "sku": "SKU-1", "qty": 6}]
    assert on_hand(client, sup, "SKU-1") == {("A-01", None): (10, 10)}
    avail = client.get("/api/v1/availability?sku=SKU-1", headers=sup).get_json()
    assert (avail["on_hand"], avail["reserved"], avail["available"], avail["backordered"]) == (10, 10, 0, 6)
    # Nothing free is left: a third order has nothing to release.
    order(client, sup, "SO-3", [{"sku": "SKU-1", "qty": 1}])
    body = problem(client.post("/api/v1/waves", json={"order_ids": ["SO-3"]}, headers=sup), 409)
    assert "has stock to allocate" in body["detail"] and body["backordered"][0]["order_id"] == "SO-3"
    assert client.get("/api/v1/sales-orders/SO-3", headers=sup).get_json()["status"] == "open"


def test_availability_by_bin_and_lot(client, sup, auth_for):
    stock(client, sup, "MILK", "A-01", 5, lot="OLD", expiry=EXPIRED)
    stock(client, sup, "MILK", "B-01", 7, lot="NEW", expiry=LATER)
    stock(client, sup, "MILK", "QUAR", 2, lot="NEW")
    order(client, sup, "SO-1", [{"sku": "MILK", "qty": 3}])
    wave(client, sup, order_ids=["SO-1"])
    body = client.get("/api/v1/availability?sku=MILK", headers=auth_for("picker")).get_json()
    assert (body["on_hand"], body["reserved"], body["available"], body["allocatable"]) == (14, 3, 11, 4)
    assert [(b["bin"], b["lot"], b["qty"], b["reserved"], b["available"], b["allocatable"]) for b in body["bins"]] == [
        ("A-01", "OLD", 5, 0, 5, False), ("B-01", "NEW", 7, 3, 4, True), ("QUAR", "NEW", 2, 0, 2, False)]
    assert problem(client.get("/api/v1/availability?sku=NOPE", headers=sup), 404)["detail"] == "no item 'NOPE'"
    assert problem(client.get("/api/v1/availability", headers=sup), 422)["errors"][0]["field"] == "query.sku"


# -- waves ------------------------------------------------------------------------------------

def _orders_for_waves(client, sup):
    stock(client, sup, "SKU-1", "A-01", 100)
    stock(client, sup, "SKU-2", "B-01", 100)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 1}], carrier="DHL", cutoff_at="2026-11-27T12:00:00Z",
          priority=5)
    order(client, sup, "SO-2", [{"sku": "SKU-2", "qty": 1}], carrier="DHL", cutoff_at="2026-11-27T18:00:00Z",
          priority=5)
    order(client, sup, "SO-3", [{"sku": "SKU-1", "qty": 2}], carrier="UPS", cutoff_at="2026-11-27T11:00:00Z",
          priority=5)
    order(client, sup, "SO-4", [{"sku": "SKU-2", "qty": 2}], carrier="DHL", cutoff_at="2026-11-27T15:00:00Z",
          priority=1)


def test_wave_by_cutoff_and_carrier_takes_the_most_urgent_first(client, sup):
    _orders_for_waves(client, sup)
    body = wave(client, sup, carrier="DHL", cutoff_before="2026-11-27T16:00:00Z")
    assert body["rule"] == {"kind": "single", "cutoff_before": "2026-11-27T16:00:00Z", "carrier": "DHL",
                            "max_orders": 50}
    assert [ls["orders"] for ls in body["lists"]] == [["SO-4"], ["SO-1"]]
    assert body["orders"] == ["SO-1", "SO-4"] and body["backordered"] == []
    assert client.get("/api/v1/sales-orders/SO-2", headers=sup).get_json()["status"] == "open"
    assert client.get(f"/api/v1/waves/{body['id']}", headers=sup).get_json()["lists"] == [
        ls["id"] for ls in body["lists"]]
    # Released orders have nothing left to release; the same wave again finds nothing.
    body = problem(client.post("/api/v1/waves", json={"carrier": "DHL", "cutoff_before": "2026-11-27T16:00:00Z"},
                               headers=sup), 409)
    assert body["detail"] == ("no open order with anything left to pick matches carrier DHL and cut-off "
                              "before 2026-11-27T16:00:00Z")
    waves = client.get("/api/v1/waves", headers=sup).get_json()["items"]
    assert len(waves) == 1 and waves[0]["orders"] == ["SO-1", "SO-4"]


def test_wave_refusals(client, sup, auth_for):
    _orders_for_waves(client, sup)
    body = problem(client.post("/api/v1/waves", json={"order_ids": ["SO-404"]}, headers=sup), 404)
    assert body["detail"] == "no sales order 'SO-404'"
    body = problem(client.post("/api/v1/waves", json={"kind": "zone"}, headers=sup), 422)
    assert body["errors"][0]["field"] == "kind"
    receiver_id = client.get("/api/v1/me", headers=auth_for("receiver")).get_json()["id"]
    body = problem(client.post("/api/v1/waves", json={"assign_to": [receiver_id]}, headers=sup), 422)
    assert "only a picker or supervisor can take a pick list" in body["detail"]
    assert client.get("/api/v1/waves", headers=sup).get_json()["items"] == []


def test_batch_list_walks_each_bin_once_with_quantities_per_order(client, sup):
    stock(client, sup, "SKU-1", "B-01", 50)
    stock(client, sup, "SKU-2", "A-02", 50)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 2}, {"sku": "SKU-2", "qty": 1}], priority=1)
    order(client, sup, "SO-2", [{"sku": "SKU-1", "qty": 3}])
    body = wave(client, sup, kind="batch", order_ids=["SO-1", "SO-2"])
    [summary] = body["lists"]
    lst = pick_list(client, sup, summary["id"])
    assert lst["kind"] == "batch" and [o["order_id"] for o in lst["orders"]] == ["SO-1", "SO-2"]
    assert [(ln["seq"], ln["bin"], ln["sku"], ln["qty"], ln["order_id"]) for ln in lst["lines"]] == [
        (1, "A-02", "SKU-2", 1, None), (2, "B-01", "SKU-1", 5, None)]
    assert [(o["order_id"], o["qty"]) for o in lst["lines"][1]["orders"]] == [("SO-1", 2), ("SO-2", 3)]
    assert lst["lines"][1]["barcodes"] == [{"code": "4006381333931", "pack_qty": 1},
                                           {"code": "14006381333938", "pack_qty": 12}]


def test_cluster_list_has_a_line_per_order_in_walk_order(client, sup):
    stock(client, sup, "SKU-1", "B-01", 50)
    stock(client, sup, "SKU-2", "A-02", 50)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 2}], priority=1)
    order(client, sup, "SO-2", [{"sku": "SKU-1", "qty": 3}, {"sku": "SKU-2", "qty": 1}], priority=2)
    order(client, sup, "SO-3", [{"sku": "SKU-2", "qty": 4}], priority=3)
    body = wave(client, sup, kind="cluster", order_ids=["SO-1", "SO-2", "SO-3"], orders_per_list=2)
    assert [ls["orders"] for ls in body["lists"]] == [["SO-1", "SO-2"], ["SO-3"]]
    lst = pick_list(client, sup, body["lists"][0]["id"])
    assert [(ln["seq"], ln["bin"], ln["order_id"], ln["qty"]) for ln in lst["lines"]] == [
        (1, "A-02", "SO-2", 1), (2, "B-01", "SO-1", 2), (3, "B-01", "SO-2", 3)]
    assert [(o["order_id"], o["slot"], o["tote"]) for o in lst["orders"]] == [("SO-1", 1, None), ("SO-2", 2, None)]


def test_pick_list_for_named_orders_and_listing_mine(client, sup, auth_for):
    picker = auth_for("picker")
    me = client.get("/api/v1/me", headers=picker).get_json()["id"]
    stock(client, sup, "SKU-1", "A-01", 5)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 2}])
    r = client.post("/api/v1/pick-lists", json={"order_ids": ["SO-1"], "assign_to": me}, headers=sup)
    assert r.status_code == 201, r.get_json()
    [lst] = r.get_json()["lists"]
    assert (lst["kind"], lst["assigned_to"], lst["wave_id"], lst["lines"]) == ("single", me, None, 1)
    mine = client.get("/api/v1/pick-lists?assigned_to=me&status=open", headers=picker).get_json()["items"]
    assert [m["id"] for m in mine] == [lst["id"]]
    body = problem(client.post("/api/v1/pick-lists", json={"order_ids": ["SO-1"]}, headers=sup), 409)
    assert "nothing to pick" in body["detail"]
    assert problem(client.get("/api/v1/pick-lists/999", headers=picker), 404)["detail"] == "no pick list 999"
    assert problem(client.get(f"/api/v1/pick-lists/{2 ** 63}", headers=picker), 404)


def test_assigning_a_list_tells_the_picker_live(app, client, sup, auth_for):
    picker = auth_for("picker")
    me = client.get("/api/v1/me", headers=picker).get_json()["id"]
    sup_id = client.get("/api/v1/me", headers=sup).get_json()["id"]
    stock(client, sup, "SKU-1", "A-01", 5)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 2}])
    [lst] = wave(client, sup, order_ids=["SO-1"], assign_to=[sup_id])["lists"]
    live = socketio.test_client(app, auth={"token": picker["Authorization"].split()[1]})
    counter = socketio.test_client(app, auth={"token": auth_for("counter")["Authorization"].split()[1]})
    live.get_received(), counter.get_received()
    r = client.post(f"/api/v1/pick-lists/{lst['id']}/assign", json={"user_id": me}, headers=sup)
    assert r.status_code == 200 and r.get_json()["assigned_to"] == me
    events = [e for e in live.get_received() if e["name"] == "task.assigned"]
    assert [e["args"][0]["list"]["id"] for e in events] == [lst["id"]]
    assert counter.get_received() == []  # nobody else hears of it
    body = problem(client.post(f"/api/v1/pick-lists/{lst['id']}/assign", json={"user_id": 4242}, headers=sup), 422)
    assert body["detail"] == "no active user 4242"
    live.disconnect(), counter.disconnect()


def test_a_backorder_is_released_again_when_stock_arrives(client, sup):
    stock(client, sup, "SKU-1", "A-01", 3)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 5}])
    first = wave(client, sup, order_ids=["SO-1"])
    assert first["backordered"] == [{"order_id": "SO-1", "line_no": 1, "sku": "SKU-1", "qty": 2}]
    body = problem(client.post("/api/v1/waves", json={"order_ids": ["SO-1"]}, headers=sup), 409)
    assert "has stock to allocate" in body["detail"]
    stock(client, sup, "SKU-1", "B-02", 10)
    second = wave(client, sup)  # any order with something left to pick
    assert second["orders"] == ["SO-1"] and second["backordered"] == []
    lst = pick_list(client, sup, second["lists"][0]["id"])
    assert [(ln["bin"], ln["qty"]) for ln in lst["lines"]] == [("B-02", 2)]
    so = client.get("/api/v1/sales-orders/SO-1", headers=sup).get_json()
    assert (so["lines"][0]["reserved"], so["backordered"], so["pick_lists"]) == (5, False, [1, 2])


def test_cancel_an_order_releases_it_and_tells_its_picker(app, client, sup, auth_for):
    from test_wf_picking_setup import EAN, applied
    picker = auth_for("picker")
    stock(client, sup, "SKU-1", "A-01", 10)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 2}], priority=1)
    order(client, sup, "SO-2", [{"sku": "SKU-1", "qty": 3}])
    [lst] = wave(client, sup, kind="batch", order_ids=["SO-1", "SO-2"])["lists"]
    applied(client, picker, "pick.tote", {"list_id": lst["id"], "tote": "TOTE-1"})
    applied(client, picker, "pick.confirm", {"list_id": lst["id"], "line": 1, "bin": "A-01", "item": EAN})
    live = socketio.test_client(app, auth={"token": picker["Authorization"].split()[1]})
    live.get_received()
    r = client.post("/api/v1/sales-orders/SO-2/cancel", headers=sup)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["put_away"] == []
    assert [e["args"][0]["change"] for e in live.get_received() if e["name"] == "list.changed"] == ["order cancelled"]
    live.disconnect()
    assert on_hand(client, sup, "SKU-1") == {("A-01", None): (9, 1), ("TOTE-1", None): (1, 0)}
    line = pick_list(client, sup, lst["id"])["lines"][0]
    assert (line["qty"], line["picked_qty"], line["remaining"]) == (2, 1, 1)
    r = client.post("/api/v1/sales-orders/SO-1/cancel", headers=sup)
    assert r.get_json()["put_away"] == [{"bin": "TOTE-1", "sku": "SKU-1", "lot": None, "qty": 1}]
    assert pick_list(client, sup, lst["id"])["status"] == "picked"
    assert on_hand(client, sup, "SKU-1") == {("A-01", None): (9, 0), ("TOTE-1", None): (1, 0)}
    assert problem(client.post("/api/v1/sales-orders/SO-1/cancel", headers=sup), 409)["detail"] == \
        "order SO-1 is already cancelled"
    assert problem(client.post("/api/v1/sales-orders/SO-9/cancel", headers=sup), 404)["detail"] == \
        "no sales order 'SO-9'"
    problem(client.post("/api/v1/sales-orders/SO-1/cancel", headers=picker), 403)


def test_every_picking_endpoint_and_command_is_documented():
    import re

    from conftest import ROOT
    from edge.api.spec import ROUTES
    from edge.commands import COMMAND_TYPES
    text = (ROOT / "docs" / "workflows" / "picking.md").read_text()
    ours = [r for r in ROUTES if "picking" in r.tags]
    assert len(ours) == 12
    for route in ours:
        path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "{id}", route.path)
        assert f"{route.method} {path}" in text, f"{route.method} {path} is not in docs/workflows/picking.md"
    for ctype in COMMAND_TYPES:
        if ctype.startswith(("pick.", "order.")):
            assert f"`{ctype}`" in text


def test_a_wave_sent_twice_with_one_idempotency_key_is_released_once(client, sup):
    stock(client, sup, "SKU-1", "A-01", 10)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 2}])
    headers = dict(sup, **{"Idempotency-Key": "wave-2026-11-27-1"})
    first = client.post("/api/v1/waves", json={"order_ids": ["SO-1"]}, headers=headers)
    again = client.post("/api/v1/waves", json={"order_ids": ["SO-1"]}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert len(client.get("/api/v1/waves", headers=sup).get_json()["items"]) == 1
    assert on_hand(client, sup, "SKU-1") == {("A-01", None): (10, 2)}
