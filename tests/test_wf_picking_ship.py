"""Picking, after the walk: sort a batch into its orders, cluster picks into a
tote per order, and pack/ship each order out of the building."""
from __future__ import annotations

import pytest

from test_wf_picking_setup import (
    EAN, applied, assert_reservations_sound, build_site, on_hand, order, pick_list, refused, stock, wave,
)


@pytest.fixture
def sup(app, client, auth_for):
    build_site(app)
    yield auth_for("supervisor")
    assert_reservations_sound(app)


@pytest.fixture
def picker(auth_for):
    return auth_for("picker")


def test_batch_walk_then_sort_then_ship_each_order(client, sup, picker):
    stock(client, sup, "SKU-1", "B-01", 50)
    stock(client, sup, "SKU-2", "A-02", 50)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 2}, {"sku": "SKU-2", "qty": 1}], priority=1)
    order(client, sup, "SO-2", [{"sku": "SKU-1", "qty": 3}])
    [summary] = wave(client, sup, kind="batch", order_ids=["SO-1", "SO-2"])["lists"]
    lid = summary["id"]
    applied(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1"})
    applied(client, picker, "pick.confirm", {"list_id": lid, "line": 1, "bin": "A-02", "item": "SKU-2"})
    # One scan of 4 fills SO-1 first (more urgent), then part of SO-2.
    applied(client, picker, "pick.confirm", {"list_id": lid, "line": 2, "bin": "B-01", "item": EAN, "qty": 4})
    lst = pick_list(client, picker, lid)
    assert [(o["order_id"], o["picked_qty"], o["status"]) for o in lst["lines"][1]["orders"]] == [
        ("SO-1", 2, "picked"), ("SO-2", 2, "open")]
    applied(client, picker, "pick.confirm", {"list_id": lid, "line": 2, "bin": "B-01", "item": EAN})
    assert pick_list(client, picker, lid)["status"] == "picked"
    assert on_hand(client, sup, "SKU-1")[("TOTE-1", None)] == (5, 0)

    refused(client, picker, "order.ship", {"order_id": "SO-1"}, 409,
            "TOTE-1 also holds goods of order SO-2; sort the batch (pick.sort) before shipping SO-1",
            field="order_id")
    refused(client, picker, "pick.sort", {"list_id": lid, "order_id": "SO-1", "to_bin": "TOTE-1"}, 422,
            "TOTE-1 is the batch tote itself", field="to_bin")
    refused(client, picker, "pick.sort", {"list_id": lid, "order_id": "SO-1", "to_bin": "A-01"}, 422,
            "A-01 is not a tote or staging bin", field="to_bin")
    refused(client, picker, "pick.sort", {"list_id": lid, "order_id": "SO-9", "to_bin": "STAGE-1"}, 422,
            "order SO-9 is not on pick list 1", field="order_id")
    r = applied(client, picker, "pick.sort", {"list_id": lid, "order_id": "SO-1", "to_bin": "STAGE-1"})
    assert sorted((m["sku"], m["qty"], m["from_bin"], m["to_bin"], m["reason"]) for m in r["movements"]) == [
        ("SKU-1", 2, "TOTE-1", "STAGE-1", "sort"), ("SKU-2", 1, "TOTE-1", "STAGE-1", "sort")]
    refused(client, picker, "pick.sort", {"list_id": lid, "order_id": "SO-2", "to_bin": "STAGE-1"}, 409,
            "STAGE-1 holds goods of order SO-1; use another", field="to_bin")
    refused(client, picker, "pick.sort", {"list_id": lid, "order_id": "SO-1", "to_bin": "STAGE-2"}, 409,
            "nothing of order SO-1 is in the batch tote TOTE-1 to sort", field="order_id")
    # SO-2 is all that is left in the batch tote: it may ship from there.
    applied(client, picker, "order.ship", {"order_id": "SO-1", "tote": "STAGE-1"})
    applied(client, picker, "order.ship", {"order_id": "SO-2", "tote": "TOTE-1"})
    assert on_hand(client, sup, "SKU-1") == {("B-01", None): (45, 0)}
    assert on_hand(client, sup, "SKU-2") == {("A-02", None): (49, 0)}
    assert [pl["order_id"] for pl in pick_list(client, sup, lid)["orders"] if pl["sorted_to"]] == ["SO-1"]


def test_cluster_pick_puts_each_order_in_its_own_tote(client, sup, picker):
    stock(client, sup, "SKU-1", "B-01", 50)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 2}], priority=1)
    order(client, sup, "SO-2", [{"sku": "SKU-1", "qty": 3}], priority=2)
    [summary] = wave(client, sup, kind="cluster", order_ids=["SO-1", "SO-2"])["lists"]
    lid = summary["id"]
    refused(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1"}, 422,
            "pick list 1 is a cluster pick: say which order this tote is for", field="order_id")
    refused(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1", "order_id": "SO-7"}, 422,
            "order SO-7 is not on pick list 1", field="order_id")
    applied(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1", "order_id": "SO-1"})
    refused(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1", "order_id": "SO-2"}, 409,
            "TOTE-1 is in use on pick list 1", field="tote")
    refused(client, picker, "pick.confirm", {"list_id": lid, "line": 2, "bin": "B-01", "item": EAN, "qty": 3}, 409,
            "scan a tote for order SO-2 first (pick.tote)", field="tote")
    applied(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-2", "order_id": "SO-2"})
    lst = pick_list(client, picker, lid)
    assert [(ln["seq"], ln["order_id"], ln["tote"]) for ln in lst["lines"]] == [(1, "SO-1", "TOTE-1"),
                                                                               (2, "SO-2", "TOTE-2")]
    refused(client, picker, "pick.confirm", {"list_id": lid, "line": 1, "bin": "B-01", "item": EAN, "qty": 2,
                                             "tote": "TOTE-2"}, 409,
            "wrong tote: this goes in TOTE-1, you scanned TOTE-2", field="tote")
    applied(client, picker, "pick.confirm", {"list_id": lid, "line": 1, "bin": "B-01", "item": EAN, "qty": 2,
                                             "tote": "TOTE-1"})
    applied(client, picker, "pick.confirm", {"list_id": lid, "line": 2, "bin": "B-01", "item": EAN, "qty": 3,
                                             "tote": "TOTE-2"})
    assert on_hand(client, sup, "SKU-1") == {("B-01", None): (45, 0), ("TOTE-1", None): (2, 0),
                                             ("TOTE-2", None): (3, 0)}
    refused(client, picker, "pick.sort", {"list_id": lid, "order_id": "SO-1", "to_bin": "STAGE-1"}, 409,
            "pick list 1 is a cluster pick; only a batch is sorted", field="list_id")
    refused(client, picker, "order.ship", {"order_id": "SO-2", "tote": "TOTE-1"}, 409,
            "the goods of order SO-2 are in TOTE-2, not in TOTE-1", field="tote")
    applied(client, picker, "order.ship", {"order_id": "SO-2", "tote": "TOTE-2"})
    applied(client, picker, "order.ship", {"order_id": "SO-1"})
    assert on_hand(client, sup, "SKU-1") == {("B-01", None): (45, 0)}
    # Empty again, the totes are free for the next cart.
    stock(client, sup, "SKU-2", "A-01", 5)
    order(client, sup, "SO-3", [{"sku": "SKU-2", "qty": 1}])
    [nxt] = wave(client, sup, kind="cluster", order_ids=["SO-3"])["lists"]
    applied(client, picker, "pick.tote", {"list_id": nxt["id"], "tote": "TOTE-1", "order_id": "SO-3"})


def test_ship_refusals_and_a_partial_ship(client, sup, picker, auth_for):
    stock(client, sup, "SKU-1", "A-01", 10)
    stock(client, sup, "SKU-2", "A-02", 10)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 2}, {"sku": "SKU-2", "qty": 4}])
    refused(client, picker, "order.ship", {"order_id": "SO-404"}, 404, "no sales order 'SO-404'", field="order_id")
    refused(client, picker, "order.ship", {"order_id": "SO-1"}, 409, "nothing is picked for order SO-1 yet")
    [lst] = wave(client, sup, order_ids=["SO-1"])["lists"]
    applied(client, picker, "pick.tote", {"list_id": lst["id"], "tote": "TOTE-1"})
    applied(client, picker, "pick.confirm", {"list_id": lst["id"], "line": 1, "bin": "A-01", "item": EAN, "qty": 2})
    applied(client, picker, "pick.confirm", {"list_id": lst["id"], "line": 2, "bin": "A-02", "item": "SKU-2",
                                             "qty": 1})
    refused(client, picker, "order.ship", {"order_id": "SO-1"}, 409,
            "order SO-1 is not fully picked: line 2 (SKU-2: 3 not picked); pick the rest or ship with partial=true",
            field="partial")
    refused(client, auth_for("counter"), "order.ship", {"order_id": "SO-1"}, 403,
            "a counter may not send order.ship commands")
    assert on_hand(client, sup, "SKU-2") == {("A-02", None): (9, 3), ("TOTE-1", None): (1, 0)}
    r = applied(client, picker, "order.ship", {"order_id": "SO-1", "partial": True})
    assert sorted((m["sku"], m["qty"]) for m in r["movements"]) == [("SKU-1", 2), ("SKU-2", 1)]
    # What was not picked is given up: the reservation goes, the line is closed.
    assert on_hand(client, sup, "SKU-2") == {("A-02", None): (9, 0)}
    so = client.get("/api/v1/sales-orders/SO-1", headers=sup).get_json()
    assert [(ln["shipped_qty"], ln["backordered"]) for ln in so["lines"]] == [(2, 0), (1, 0)]
    assert pick_list(client, sup, lst["id"])["status"] == "picked"
    body = client.post("/api/v1/waves", json={"order_ids": ["SO-1"]}, headers=sup)
    assert body.status_code == 409 and body.get_json()["detail"] == "sales order SO-1 is shipped; it cannot be released"


def test_a_staging_lane_with_an_order_waiting_is_not_taken_for_another_list(client, sup, picker):
    stock(client, sup, "SKU-1", "A-01", 10)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 1}])
    order(client, sup, "SO-2", [{"sku": "SKU-1", "qty": 1}])
    first, second = wave(client, sup, order_ids=["SO-1", "SO-2"])["lists"]
    applied(client, picker, "pick.tote", {"list_id": first["id"], "tote": "STAGE-1"})
    applied(client, picker, "pick.confirm", {"list_id": first["id"], "line": 1, "bin": "A-01", "item": EAN})
    assert pick_list(client, picker, first["id"])["status"] == "picked"
    refused(client, picker, "pick.tote", {"list_id": second["id"], "tote": "STAGE-1"}, 409,
            "STAGE-1 holds picked goods of order SO-1 waiting to ship; take another", field="tote")
