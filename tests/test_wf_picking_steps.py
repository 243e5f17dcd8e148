"""Picking, on the floor: take a tote, pick each line (scan bin, scan item and
lot, confirm qty), report short picks, and the refusals a picker sees at once
with what was expected."""
from __future__ import annotations

import time

import pytest

from test_wf_picking_setup import (
    CASE, EAN, EXPIRED, LATER, SOON, applied, assert_reservations_sound, build_site, on_hand, order, pick_list,
    refused, stock, wave,
)
from edge.realtime import socketio


@pytest.fixture
def sup(app, client, auth_for):
    build_site(app)
    yield auth_for("supervisor")
    assert_reservations_sound(app)


@pytest.fixture
def picker(auth_for):
    return auth_for("picker")


def one_list(client, sup, lines, *, stock_rows=(("SKU-1", "A-01", 50),), kind="single", **head) -> dict:
    for row in stock_rows:
        stock(client, sup, *row)
    order(client, sup, "SO-1", lines, **head)
    [lst] = wave(client, sup, kind=kind, order_ids=["SO-1"])["lists"]
    return pick_list(client, sup, lst["id"])


def test_single_order_picked_by_each_and_case_scans_then_shipped(client, sup, picker):
    lst = one_list(client, sup, [{"sku": "SKU-1", "qty": 13}])
    lid = lst["id"]
    [line] = lst["lines"]
    assert (line["bin"], line["sku"], line["qty"], line["remaining"], line["lot"]) == ("A-01", "SKU-1", 13, 13, None)
    applied(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1"})
    r = applied(client, picker, "pick.confirm", {"list_id": lid, "line": 1, "bin": "A-01", "item": CASE})
    [mv] = r["movements"]
    assert (mv["kind"], mv["qty"], mv["from_bin"], mv["to_bin"], mv["ref_type"]) == ("pick", 12, "A-01", "TOTE-1",
                                                                                      "pick_list")
    assert on_hand(client, sup, "SKU-1") == {("A-01", None): (38, 1), ("TOTE-1", None): (12, 0)}
    applied(client, picker, "pick.confirm", {"list_id": lid, "line": 1, "bin": "A-01", "item": EAN, "tote": "TOTE-1"})
    lst = pick_list(client, picker, lid)
    assert (lst["status"], lst["lines"][0]["status"], lst["lines"][0]["picked_qty"]) == ("picked", "picked", 13)
    assert lst["assigned_name"] == "Picker"
    so = client.get("/api/v1/sales-orders/SO-1", headers=picker).get_json()
    assert (so["lines"][0]["picked"], so["lines"][0]["reserved"], so["lines"][0]["backordered"]) == (13, 0, 0)
    assert so["picked_goods"] == [{"line_no": 1, "bin": "TOTE-1", "sku": "SKU-1", "lot": None, "qty": 13}]

    r = applied(client, picker, "order.ship", {"order_id": "SO-1", "tote": "TOTE-1"})
    assert [(m["kind"], m["from_bin"], m["to_bin"], m["qty"], m["ref_id"]) for m in r["movements"]] == [
        ("ship", "TOTE-1", None, 13, "SO-1")]
    assert on_hand(client, sup, "SKU-1") == {("A-01", None): (37, 0)}
    so = client.get("/api/v1/sales-orders/SO-1", headers=picker).get_json()
    assert (so["status"], so["lines"][0]["shipped_qty"], so["picked_goods"]) == ("shipped", 13, [])
    problem = refused(client, picker, "order.ship", {"order_id": "SO-1"}, 409, "order SO-1 is already shipped at")
    assert problem["title"] == "Order closed"


def test_typed_sku_and_keyed_qty(client, sup, picker):
    lst = one_list(client, sup, [{"sku": "SKU-1", "qty": 5}])
    applied(client, picker, "pick.tote", {"list_id": lst["id"], "tote": "STAGE-1"})
    applied(client, picker, "pick.confirm", {"list_id": lst["id"], "line": 1, "bin": "A-01", "item": "SKU-1",
                                             "qty": 5})
    assert on_hand(client, sup, "SKU-1")[("STAGE-1", None)] == (5, 0)


def test_pick_refusals_say_what_was_expected(client, sup, picker, auth_for):
    stock(client, sup, "SKU-2", "A-02", 5)
    lst = one_list(client, sup, [{"sku": "SKU-1", "qty": 3}])
    lid = lst["id"]
    base = {"list_id": lid, "line": 1, "bin": "A-01", "item": EAN}
    p = refused(client, picker, "pick.confirm", base, 409, "scan a tote first (pick.tote)", field="tote")
    assert p["title"] == "Scan a tote first"
    applied(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1"})

    p = refused(client, picker, "pick.confirm", dict(base, bin="A-02"), 409,
                "wrong bin: line 1 is in bin A-01, you scanned A-02", field="bin")
    assert (p["title"], p["expected"]) == ("Wrong bin", {"bin": "A-01"})
    p = refused(client, picker, "pick.confirm", dict(base, item="SKU-2"), 409,
                "wrong item: line 1 wants SKU-1, you scanned SKU-2", field="item")
    assert p["expected"] == {"sku": "SKU-1", "barcodes": [{"code": EAN, "pack_qty": 1}, {"code": CASE, "pack_qty": 12}]}
    refused(client, picker, "pick.confirm", dict(base, item="0000000000000"), 409,
            "'0000000000000' is not an item barcode here; line 1 wants SKU-1", field="item")
    p = refused(client, picker, "pick.confirm", dict(base, item=CASE), 422,
                "line 1 needs 3 more of SKU-1; you confirmed 12", field="qty")
    assert p["expected"] == {"qty": 3}
    refused(client, picker, "pick.confirm", dict(base, tote="TOTE-2"), 409,
            "wrong tote: this goes in TOTE-1, you scanned TOTE-2", field="tote")
    refused(client, picker, "pick.confirm", dict(base, line=7), 422, "pick list 1 has no line 7 (lines 1 to 1)",
            field="line")
    refused(client, picker, "pick.confirm", dict(base, list_id=99), 404, "no pick list 99", field="list_id")
    for role in ("receiver", "counter"):
        refused(client, auth_for(role), "pick.confirm", base, 403, f"a {role} may not send pick.confirm commands")
    # Nothing of that moved anything.
    assert on_hand(client, sup, "SKU-1") == {("A-01", None): (50, 3)}

    applied(client, picker, "pick.confirm", dict(base, qty=3))
    refused(client, picker, "pick.confirm", base, 409, "pick list 1 is already picked", field="list_id")


def test_a_list_taken_by_another_picker_is_refused(client, sup, picker, auth_for):
    lst = one_list(client, sup, [{"sku": "SKU-1", "qty": 3}])
    applied(client, sup, "pick.tote", {"list_id": lst["id"], "tote": "TOTE-1"})  # the supervisor takes it
    refused(client, picker, "pick.confirm", {"list_id": lst["id"], "line": 1, "bin": "A-01", "item": EAN}, 409,
            "pick list 1 is assigned to Supervisor", field="list_id")


def test_lots_must_match_and_expired_lots_are_refused(app, client, sup, picker):
    stock(client, sup, "MILK", "A-02", 4, lot="SOON", expiry=SOON)
    stock(client, sup, "MILK", "A-02", 4, lot="LATE", expiry=LATER)
    lst = one_list(client, sup, [{"sku": "MILK", "qty": 2}], stock_rows=())
    lid = lst["id"]
    assert (lst["lines"][0]["lot"], lst["lines"][0]["expiry"], lst["lines"][0]["perishable"]) == ("SOON", SOON, True)
    applied(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1"})
    base = {"list_id": lid, "line": 1, "bin": "A-02", "item": "MILK", "qty": 2}
    p = refused(client, picker, "pick.confirm", base, 409, "scan the lot: line 1 reserved lot SOON", field="lot")
    assert p["expected"] == {"lot": "SOON"}
    p = refused(client, picker, "pick.confirm", dict(base, lot="LATE"), 409,
                "wrong lot: line 1 reserved lot SOON of MILK, you scanned LATE", field="lot")
    assert p["title"] == "Wrong lot"
    # The lot's date passes while the order waits: the picker is told not to pick it.
    app.extensions["floorscan"].write(lambda conn: conn.execute(
        "UPDATE lot SET expiry = ? WHERE sku = 'MILK' AND lot = 'SOON'", (EXPIRED,)))
    p = refused(client, picker, "pick.confirm", dict(base, lot="SOON"), 409,
                f"lot SOON of MILK expired on {EXPIRED}; do not pick it: report the line short", field="lot")
    assert p["title"] == "Expired lot"
    r = applied(client, picker, "pick.short", {"list_id": lid, "line": 1, "bin": "A-02", "note": "expired"})
    [exc] = r["exceptions"]
    assert [(o["bin"], o["lot"], o["qty"]) for o in exc["data"]["reallocated"]] == [("A-02", "LATE", 2)]
    applied(client, picker, "pick.confirm", dict(base, line=2, lot="LATE"))
    assert on_hand(client, sup, "MILK")[("TOTE-1", "LATE")] == (2, 0)


def test_gs1_label_gives_the_lot(app, client, sup, picker):
    from conftest import make_item
    make_item(app, "CHEESE", tracking="lot", perishable=True, barcodes=[("09506000134352", 1)])
    stock(client, sup, "CHEESE", "B-01", 6, lot="ABC1", expiry=LATER)
    lst = one_list(client, sup, [{"sku": "CHEESE", "qty": 1}], stock_rows=())
    applied(client, picker, "pick.tote", {"list_id": lst["id"], "tote": "TOTE-1"})
    gs1 = "]C10109506000134352" + "10ABC1"
    r = applied(client, picker, "pick.confirm", {"list_id": lst["id"], "line": 1, "bin": "B-01", "item": gs1})
    assert (r["movements"][0]["lot"], r["movements"][0]["qty"]) == ("ABC1", 1)


def test_tote_refusals(client, sup, picker):
    stock(client, sup, "SKU-2", "TOTE-3", 1)
    lst = one_list(client, sup, [{"sku": "SKU-1", "qty": 3}])
    lid = lst["id"]
    refused(client, picker, "pick.tote", {"list_id": lid, "tote": "A-02"}, 422,
            "A-02 is a storage bin; scan a tote or a staging bin", field="tote")
    refused(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-3"}, 409,
            "TOTE-3 still holds 1 of SKU-2; take an empty tote", field="tote")
    refused(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1", "order_id": "SO-1"}, 422,
            "pick list 1 is a single pick with one tote; do not name an order", field="order_id")
    applied(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1"})
    applied(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-2"})  # nothing picked yet: may change
    order(client, sup, "SO-2", [{"sku": "SKU-1", "qty": 1}])
    [other] = wave(client, sup, order_ids=["SO-2"])["lists"]
    refused(client, picker, "pick.tote", {"list_id": other["id"], "tote": "TOTE-2"}, 409,
            "TOTE-2 is in use on pick list 1; take another tote", field="tote")
    applied(client, picker, "pick.confirm", {"list_id": lid, "line": 1, "bin": "A-01", "item": EAN})
    refused(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-4"}, 409,
            "goods are already picked into TOTE-2; keep using it", field="tote")


def test_short_pick_reallocates_from_another_bin_and_asks_for_a_count(app, client, sup, picker):
    lst = one_list(client, sup, [{"sku": "SKU-1", "qty": 8}],  # FIFO: A-01 was received first
                   stock_rows=(("SKU-1", "A-01", 5), ("SKU-1", "B-02", 20)))
    lid = lst["id"]
    assert [(ln["bin"], ln["qty"]) for ln in lst["lines"]] == [("A-01", 5), ("B-02", 3)]
    live = socketio.test_client(app, auth={"token": sup["Authorization"].split()[1]})
    live.get_received()
    applied(client, picker, "pick.tote", {"list_id": lid, "tote": "TOTE-1"})
    refused(client, picker, "pick.short", {"list_id": lid, "line": 1, "bin": "A-01", "qty": 5, "item": EAN}, 422,
            "5 covers the 5 line 1 still needs; confirm the pick instead", field="qty")
    refused(client, picker, "pick.short", {"list_id": lid, "line": 1, "bin": "A-01", "qty": 2}, 422,
            "scan the 2 of SKU-1 you found (item) before reporting short", field="item")
    refused(client, picker, "pick.short", {"list_id": lid, "line": 1, "bin": "A-02"}, 409,
            "wrong bin: line 1 is in bin A-01, you scanned A-02", field="bin")

    r = applied(client, picker, "pick.short", {"list_id": lid, "line": 1, "bin": "A-01", "qty": 2, "item": EAN,
                                               "note": "bin nearly empty"})
    assert [(m["kind"], m["qty"], m["from_bin"]) for m in r["movements"]] == [("pick", 2, "A-01")]
    [exc] = r["exceptions"]
    assert exc["kind"] == "short_pick" and exc["bin"] == "A-01"
    assert exc["data"]["reallocated"] == [{"seq": 3, "bin": "B-02", "sku": "SKU-1", "lot": None, "qty": 3,
                                   "order_id": "SO-1"}]
    assert exc["detail"] == ("short pick on list 1 line 1: bin A-01 should have held 5 of SKU-1; found 2; "
                             "re-allocated from B-02 (3, line 3) (bin nearly empty)")
    lst = pick_list(client, picker, lid)
    assert [(ln["seq"], ln["bin"], ln["qty"], ln["picked_qty"], ln["status"]) for ln in lst["lines"]] == [
        (1, "A-01", 5, 2, "short"), (2, "B-02", 3, 0, "open"), (3, "B-02", 3, 0, "open")]
    # A count of the short bin is requested; the supervisor hears of the exception live.
    [queued] = client.get("/api/v1/exceptions?kind=short_pick", headers=sup).get_json()["items"]
    assert (queued["title"], queued["ref_type"], queued["ref_id"], queued["who"]["name"]) == (
        "A picker found less in a bin than the records said", "pick_list", "1", "Picker")
    assert {"count", "dismiss", "close"} <= {a["name"] for a in queued["actions"]}
    assert (queued["data"]["expected"], queued["data"]["found"], queued["data"]["orders"]) == (5, 2, ["SO-1"])
    reqs = client.get("/api/v1/count-requests", headers=sup).get_json()["items"]
    assert [(q["bin"], q["sku"], q["exception_id"]) for q in reqs] == [("A-01", "SKU-1", exc["id"])]
    deadline = time.monotonic() + 2
    events = []
    while time.monotonic() < deadline and not any(e["name"] == "exception.raised" for e in events):
        events += live.get_received()
        time.sleep(0.02)
    raised = [e["args"][0] for e in events if e["name"] == "exception.raised"]
    assert raised and raised[0]["exceptions"][0]["kind"] == "short_pick"
    live.disconnect()
    # What A-01 did not have is no longer reserved there; B-02 holds both re-allocated lines.
    assert on_hand(client, sup, "SKU-1") == {("A-01", None): (3, 0), ("B-02", None): (20, 6),
                                             ("TOTE-1", None): (2, 0)}
    for seq in (2, 3):
        applied(client, picker, "pick.confirm", {"list_id": lid, "line": seq, "bin": "B-02", "item": EAN, "qty": 3})
    assert pick_list(client, picker, lid)["status"] == "picked"
    so = client.get("/api/v1/sales-orders/SO-1", headers=picker).get_json()
    assert (so["lines"][0]["picked"], so["lines"][0]["backordered"]) == (8, 0)


def test_short_pick_with_no_stock_elsewhere_is_backordered(client, sup, picker):
    lst = one_list(client, sup, [{"sku": "SKU-1", "qty": 4}], stock_rows=(("SKU-1", "A-01", 4),))
    applied(client, picker, "pick.tote", {"list_id": lst["id"], "tote": "TOTE-1"})
    r = applied(client, picker, "pick.short", {"list_id": lst["id"], "line": 1, "bin": "A-01"})
    [exc] = r["exceptions"]
    assert (exc["data"]["reallocated"], exc["data"]["backordered"]) == ([], 4)
    assert r["movements"] == [] and exc["movement_id"] is None
    assert "found 0; 4 backordered" in exc["detail"]
    so = client.get("/api/v1/sales-orders/SO-1", headers=picker).get_json()
    assert (so["lines"][0]["backordered"], so["backordered"]) == (4, True)
    assert pick_list(client, picker, lst["id"])["status"] == "picked"
    refused(client, picker, "pick.short", {"list_id": lst["id"], "line": 1, "bin": "A-01"}, 409,
            "line 1 of pick list 1 is already short", field="line")


def test_reserved_stock_cannot_be_moved_away_but_a_count_may_correct_it(client, sup, auth_for):
    lst = one_list(client, sup, [{"sku": "SKU-1", "qty": 8}], stock_rows=(("SKU-1", "A-01", 10),))
    assert lst["lines"][0]["qty"] == 8
    p = refused(client, sup, "move", {"sku": "SKU-1", "qty": 3, "from_bin": "A-01", "to_bin": "A-02"}, 409,
                "bin A-01 holds 10 of SKU-1 but 8 are reserved for orders; cannot take 3 (2 free)", field="qty")
    assert p["available"] == 2
    applied(client, sup, "move", {"sku": "SKU-1", "qty": 2, "from_bin": "A-01", "to_bin": "A-02"})
    # A count says the shelf holds less: the record is corrected; the pick will come up short.
    applied(client, auth_for("counter"), "adjust", {"sku": "SKU-1", "bin": "A-01", "delta": -5, "reason": "count"})
    assert on_hand(client, sup, "SKU-1")[("A-01", None)] == (3, 8)
    # A move recorded offline is a physical fact: recorded, with an exception.
    r = applied(client, sup, "move", {"sku": "SKU-1", "qty": 1, "from_bin": "A-01", "to_bin": "A-02"}, replay=True)
    assert [e["kind"] for e in r["exceptions"]] == ["reserved_stock_taken"]
