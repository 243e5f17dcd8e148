"""Directed putaway end to end: the suggestion and its reason, confirming by
scanning the bin, another bin with a reason, partial and repeated confirms."""
from __future__ import annotations

from conftest import command, post_commands
from test_wf_receiving_helpers import (  # noqa: F401  (site is a fixture)
    applied, open_receipt, refused, send, site, stock,
)


def receive(client, headers, *lines, dock="DOCK-1") -> tuple[str, list[dict]]:
    """A blind receipt of ``lines``, closed: returns its id and putaway tasks."""
    rid = open_receipt(client, headers, dock=dock)
    for line in lines:
        applied(send(client, headers, "receipt.line", {"receipt_id": rid, **line}))
    applied(send(client, headers, "receipt.close", {"receipt_id": rid}))
    tasks = client.get("/api/v1/putaway/tasks", query_string={"receipt_id": rid}, headers=headers).get_json()
    return rid, tasks["items"]


def suggest(client, headers, **query) -> dict:
    r = client.get("/api/v1/putaway/suggest", query_string=query, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def put_stock(client, headers, bin_code, sku, qty, **kw):
    applied(send(client, headers, "adjust", {"sku": sku, "bin": bin_code, "delta": qty, "reason": "found", **kw}))


def test_the_same_lot_with_room_comes_first(client, auth_for, site):
    sup = auth_for("supervisor")
    put_stock(client, sup, "C-01", "MILK", 10, lot="L1", expiry="2027-02-01")
    put_stock(client, sup, "A-02", "MILK", 10, lot="L2", expiry="2027-02-01")
    got = suggest(client, sup, sku="MILK", lot="L2", qty=30, from_bin="DOCK-1")
    assert got["suggestions"] == [{"bin": "A-02", "qty": 30, "rule": "same_lot", "room": 90,
                                   "reason": "MILK lot L2 is already in A-02 (10 there); room for 90 more"}]
    # Another lot of the same item does not count (lots are not mixed in a bin), and the cold
    # store's only bin is taken: the nearest empty bin it is.
    got = suggest(client, sup, sku="MILK", lot="L9", qty=30, from_bin="DOCK-1")
    assert [(s["bin"], s["rule"]) for s in got["suggestions"]] == [("A-01", "nearest_empty")]


def test_then_an_empty_bin_in_the_preferred_zone_then_the_nearest_empty(client, auth_for, site):
    sup = auth_for("picker")
    got = suggest(client, sup, sku="NUT", qty=40, from_bin="DOCK-1")
    assert got["suggestions"] == [{"bin": "A-01", "qty": 40, "rule": "preferred_zone", "room": 100,
                                   "reason": "no bin with NUT has room; empty bin in its preferred zone A, "
                                             "first in walk order"}]
    put_stock(client, auth_for("supervisor"), "A-01", "BOLT", 1)
    put_stock(client, auth_for("supervisor"), "A-02", "BOLT", 1)
    got = suggest(client, sup, sku="NUT", qty=40, from_bin="DOCK-1")
    assert got["suggestions"] == [{"bin": "B-01", "qty": 40, "rule": "nearest_empty", "room": 50,
                                   "reason": "no empty bin left in preferred zone A; nearest empty bin to DOCK-1 "
                                             "in walk order"}]
    # Nearest to where the goods are: from the far end of the building, the cold store is closer.
    got = suggest(client, sup, sku="NUT", qty=40, from_bin="QUAR-1")
    assert got["suggestions"][0]["bin"] == "C-01"


def test_capacity_splits_and_what_fits_nowhere_is_said(client, auth_for, site):
    sup = auth_for("supervisor")
    got = suggest(client, sup, sku="BOLT", qty=1000, from_bin="DOCK-1")
    assert [(s["bin"], s["qty"], s["rule"]) for s in got["suggestions"]] == [
        ("B-01", 50, "preferred_zone"), ("B-02", 50, "preferred_zone"), ("A-01", 100, "nearest_empty"),
        ("A-02", 100, "nearest_empty"), ("C-01", 500, "nearest_empty")]
    assert got["unplaced"] == 200
    assert got["unplaced_reason"] == ("no storage or pick-face bin has room for 200 more of BOLT; put it where it "
                                      "fits and say where")
    # Dock, quarantine, staging and tote bins are never suggested.
    assert {s["bin"] for s in got["suggestions"]}.isdisjoint({"DOCK-1", "DOCK-2", "QUAR-1", "STAGE-1", "TOTE-1"})


def test_a_bin_without_capacity_takes_it_all(client, auth_for, site):
    from conftest import make_bin
    make_bin(site, "B-09", zone="B", kind="pick-face", walk_seq=190)
    got = suggest(client, auth_for("receiver"), sku="BOLT", qty=5000)
    assert [(s["bin"], s["qty"], s["room"]) for s in got["suggestions"]] == [("B-09", 5000, None)]


def test_open_tasks_hold_their_room(client, auth_for, site):
    rec = auth_for("receiver")
    _, first = receive(client, rec, {"sku": "BOLT", "qty": 30})
    assert [(t["suggested_bin"], t["qty"]) for t in first] == [("B-01", 30)]
    _, second = receive(client, rec, {"sku": "NUT", "qty": 30}, {"sku": "BOLT", "qty": 30}, dock="DOCK-2")
    # B-01 is promised to the first task: the next bolts go elsewhere, not on top of it.
    assert [(t["sku"], t["suggested_bin"]) for t in second] == [("NUT", "A-01"), ("BOLT", "B-02")]


def test_the_driver_scans_the_suggested_bin(client, auth_for, site):
    rec, picker = auth_for("receiver"), auth_for("picker")
    rid, [task] = receive(client, rec, {"sku": "MILK", "qty": 12, "lot": "L5", "expiry": "2027-05-01"})
    assert (task["from_bin"], task["suggested_bin"], task["rule"], task["expiry"]) == (
        "DOCK-1", "C-01", "preferred_zone", "2027-05-01")
    assert task["expected_barcodes"] and task["remaining"] == 12
    listed = client.get("/api/v1/putaway/tasks", query_string={"zone": "C"}, headers=picker).get_json()["items"]
    assert [t["id"] for t in listed] == [task["id"]]
    assert client.get("/api/v1/putaway/tasks", query_string={"zone": "A"}, headers=picker).get_json()["items"] == []

    result = applied(send(client, picker, "putaway.confirm", {"task_id": task["id"], "to_bin": "C-01"}))
    [mv] = result["movements"]
    assert (mv["kind"], mv["from_bin"], mv["to_bin"], mv["qty"], mv["lot"], mv["ref_type"], mv["reason"]) == (
        "putaway", "DOCK-1", "C-01", 12, "L5", "putaway_task", None)
    assert stock(client, rec, sku="MILK") == {("C-01", "MILK", "L5"): 12}
    done = client.get(f"/api/v1/putaway/tasks/{task['id']}", headers=picker).get_json()
    assert (done["status"], done["to_bin"], done["done_by_name"], done["remaining"]) == ("done", "C-01", "Picker", 0)
    assert client.get("/api/v1/putaway/tasks", headers=picker).get_json()["items"] == []


def test_another_bin_needs_a_reason_which_is_recorded(client, auth_for, site):
    rec = auth_for("receiver")
    _, [task] = receive(client, rec, {"sku": "NUT", "qty": 20})
    assert task["suggested_bin"] == "A-01"
    confirm = {"task_id": task["id"], "to_bin": "A-02"}
    refused(send(client, rec, "putaway.confirm", confirm), 422,
            "the suggested bin is A-01; say why NUT goes to A-02 instead", "reason")
    refused(send(client, rec, "putaway.confirm", {**confirm, "to_bin": "TOTE-1", "reason": "x"}), 422,
            "TOTE-1 is a tote bin; put away into a storage or pick-face bin (suggested: A-01)", "to_bin")
    refused(send(client, rec, "putaway.confirm", {**confirm, "to_bin": "DOCK-2", "reason": "x"}), 422,
            "DOCK-2 is a dock bin", "to_bin")
    refused(send(client, rec, "putaway.confirm", {**confirm, "to_bin": "Z-99", "reason": "x"}), 422,
            "no bin with code 'Z-99'", "to_bin")
    result = applied(send(client, rec, "putaway.confirm", {**confirm, "reason": "A-01 is blocked by a pallet"}))
    assert result["movements"][0]["reason"] == "A-01 is blocked by a pallet"
    done = client.get(f"/api/v1/putaway/tasks/{task['id']}", headers=rec).get_json()
    assert (done["to_bin"], done["override_reason"]) == ("A-02", "A-01 is blocked by a pallet")


def test_part_of_a_task_then_the_rest_then_no_more(client, auth_for, site):
    rec = auth_for("receiver")
    _, [task] = receive(client, rec, {"sku": "NUT", "qty": 20})
    applied(send(client, rec, "putaway.confirm", {"task_id": task["id"], "to_bin": "A-01", "qty": 8}))
    half = client.get(f"/api/v1/putaway/tasks/{task['id']}", headers=rec).get_json()
    assert (half["status"], half["done"], half["remaining"]) == ("open", 8, 12)
    refused(send(client, rec, "putaway.confirm", {"task_id": task["id"], "to_bin": "A-01", "qty": 13}), 409,
            f"task {task['id']} has 12 of NUT left to put away, not 13", "qty")
    applied(send(client, rec, "putaway.confirm", {"task_id": task["id"], "to_bin": "A-01"}))
    problem = refused(send(client, rec, "putaway.confirm", {"task_id": task["id"], "to_bin": "A-01"}), 409,
                      f"task {task['id']} is done: 20 of NUT went to A-01 (Receiver, ", "task_id")
    assert problem["title"] == "Task already done"
    assert stock(client, rec, sku="NUT") == {("A-01", "NUT", None): 20}


def test_a_replayed_putaway_of_a_done_task_is_kept_and_raised(client, auth_for, site):
    rec = auth_for("receiver")
    _, [task] = receive(client, rec, {"sku": "NUT", "qty": 20})
    applied(send(client, rec, "putaway.confirm", {"task_id": task["id"], "to_bin": "A-01"}))
    # A second driver's handheld, offline, put the same pallet away too: the dock had no more nuts.
    result = applied(send(client, rec, "putaway.confirm", {"task_id": task["id"], "to_bin": "A-02"}, replay=True))
    kinds = sorted(e["kind"] for e in result["exceptions"])
    assert kinds == ["negative_stock", "putaway_repeated"]
    assert stock(client, rec, sku="NUT") == {("A-01", "NUT", None): 20, ("A-02", "NUT", None): 20,
                                            ("DOCK-1", "NUT", None): -20}


def test_stock_moved_off_the_dock_by_hand_is_not_tasked_twice(client, auth_for, site):
    rec = auth_for("receiver")
    rid = open_receipt(client, rec)
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "NUT", "qty": 20}))
    applied(send(client, rec, "move", {"sku": "NUT", "qty": 15, "from_bin": "DOCK-1", "to_bin": "A-02"}))
    applied(send(client, rec, "receipt.close", {"receipt_id": rid}))
    tasks = client.get("/api/v1/putaway/tasks", headers=rec).get_json()["items"]
    assert [(t["sku"], t["qty"]) for t in tasks] == [("NUT", 5)]


def test_who_may_put_away(client, auth_for, site):
    rec = auth_for("receiver")
    _, [task] = receive(client, rec, {"sku": "NUT", "qty": 20})
    refused(send(client, auth_for("counter"), "putaway.confirm", {"task_id": task["id"], "to_bin": "A-01"}), 403,
            "a counter may not send putaway.confirm commands")
    assert client.get("/api/v1/putaway/tasks", headers=auth_for("counter")).status_code == 403
    refused(send(client, rec, "putaway.confirm", {"task_id": 999, "to_bin": "A-01"}), 404, "no putaway task 999",
            "task_id")
    assert client.get("/api/v1/putaway/tasks/999", headers=rec).status_code == 404
    r = client.get("/api/v1/putaway/suggest", query_string={"sku": "NOPE", "qty": 1}, headers=rec)
    assert r.status_code == 422 and r.get_json()["detail"] == "no item with sku 'NOPE'"
    # A batch from a handheld: one rejected confirm does not block the next.
    results = post_commands(client, rec, command("putaway.confirm", {"task_id": task["id"], "to_bin": "A-02"}),
                            command("putaway.confirm", {"task_id": task["id"], "to_bin": "A-01"}))
    assert [r["status"] for r in results] == ["rejected", "applied"]


def test_the_task_list_pages_in_walk_order_without_skipping(client, auth_for, site):
    rec = auth_for("receiver")
    # Tasks created in an order the walk does not follow: the cold store first, more bolts than
    # zone B holds, and a second receipt for which no bin has room left (no suggestion: last).
    receive(client, rec, {"sku": "MILK", "qty": 5, "lot": "L1", "expiry": "2027-01-01"},
            {"sku": "BOLT", "qty": 150}, {"sku": "NUT", "qty": 10})
    receive(client, rec, {"sku": "NUT", "qty": 10}, {"sku": "MILK", "qty": 5, "lot": "L2", "expiry": "2027-01-01"},
            dock="DOCK-2")
    everything = client.get("/api/v1/putaway/tasks", headers=rec).get_json()
    assert everything["next_after_id"] is None
    assert [(t["suggested_bin"], t["sku"]) for t in everything["items"]] == [
        ("A-01", "BOLT"), ("A-02", "NUT"), ("B-01", "BOLT"), ("B-02", "BOLT"), ("C-01", "MILK"), (None, "NUT"),
        (None, "MILK")]

    pages, after = [], 0
    while after is not None:
        page = client.get("/api/v1/putaway/tasks", query_string={"limit": 3, "after_id": after}, headers=rec)
        assert page.status_code == 200, page.get_json()
        pages.append([t["id"] for t in page.get_json()["items"]])
        after = page.get_json()["next_after_id"]
    # Every page continues the walk where the last one stopped: nothing skipped, nothing twice.
    assert sum(pages, []) == [t["id"] for t in everything["items"]]
    assert [len(p) for p in pages] == [3, 3, 1]


def test_a_task_list_page_after_an_unknown_task_is_refused(client, auth_for, site):
    r = client.get("/api/v1/putaway/tasks", query_string={"after_id": 999}, headers=auth_for("receiver"))
    assert r.status_code == 422
    assert r.get_json()["detail"] == "no putaway task 999 to continue after; list again without after_id"


def test_new_tasks_are_announced_to_whoever_may_put_away(app, client, auth_for, site):
    from test_realtime import connect, named, received
    rec = auth_for("receiver")
    listeners = {role: connect(app, auth_for(role)) for role in ("receiver", "picker", "supervisor", "counter")}
    rid = open_receipt(client, rec)
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "NUT", "qty": 20}))
    for sio in listeners.values():
        sio.get_received()
    applied(send(client, rec, "receipt.close", {"receipt_id": rid}))
    [task] = client.get("/api/v1/putaway/tasks", query_string={"receipt_id": rid}, headers=rec).get_json()["items"]
    for role in ("receiver", "picker", "supervisor"):
        events = received(listeners[role], until={"putaway.tasks"})
        assert named(events, "putaway.tasks") == [{"receipt_id": rid, "task_ids": [task["id"]]}], role
    # Counters do not put away, so they are not told.
    assert named(received(listeners["counter"]), "putaway.tasks") == []

    # Goods a device recorded on the receipt offline, after it was closed, get a task of their own: announced too.
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "BOLT", "qty": 5}, replay=True))
    [late] = [t for t in client.get("/api/v1/putaway/tasks", query_string={"receipt_id": rid}, headers=rec)
              .get_json()["items"] if t["sku"] == "BOLT"]
    events = received(listeners["picker"], until={"putaway.tasks"})
    assert named(events, "putaway.tasks") == [{"receipt_id": rid, "task_ids": [late["id"]]}]
    # Nothing left on the dock to task: no event at all.
    rid2 = open_receipt(client, rec, dock="DOCK-2")
    listeners["picker"].get_received()
    applied(send(client, rec, "receipt.close", {"receipt_id": rid2}))
    assert named(received(listeners["picker"]), "putaway.tasks") == []
    for sio in listeners.values():
        sio.disconnect()
