"""The exceptions queue as a whole (issue 3): who, where, when, filters, the
actions each kind offers, resolution recorded, live events to supervisors."""
from __future__ import annotations

import time

import pytest

from conftest import command, post_commands
from edge.realtime import socketio
from edge.workflows import exceptions as queue
from test_wf_transfers import assert_problem, floor, get, make_transfer, ok, on_hand, one  # noqa: F401


def negative_stock(client, auth_for) -> dict:
    """A picker's offline move of more than the bin held: recorded, with an exception."""
    r = one(client, auth_for("picker"), "move", {"sku": "SKU-1", "qty": 60, "from_bin": "B-01", "to_bin": "A-02"},
            replay=True)
    return r["exceptions"][0]


def short_transfer(client, auth_for) -> tuple[str, dict]:
    tid = make_transfer(client, auth_for("supervisor"), lines=[{"sku": "SKU-1", "qty": 4}])["id"]
    ok(post_commands(client, auth_for("picker"),
                     command("transfer.ship", {"transfer_id": tid, "sku": "SKU-1", "qty": 4, "from_bin": "A-01"})))
    ok(post_commands(client, auth_for("receiver"), command("transfer.dispatch", {"transfer_id": tid}),
                     command("transfer.receive", {"transfer_id": tid, "sku": "SKU-1", "qty": 3, "to_bin": "DOCK-1"})))
    [r] = ok(post_commands(client, auth_for("receiver"), command("transfer.close", {"transfer_id": tid})))
    return tid, r["exceptions"][0]


def resolve(client, headers, exc_id, **body):
    return client.post(f"/api/v1/exceptions/{exc_id}/resolve", json={"resolution": "checked", **body}, headers=headers)


def test_the_queue_says_who_where_when_and_what_can_be_done(client, auth_for, floor):
    exc = negative_stock(client, auth_for)
    sup = auth_for("supervisor")
    [item] = get(client, sup, "/api/v1/exceptions")["items"]
    assert item["id"] == exc["id"]
    assert (item["kind"], item["status"], item["sku"], item["title"]) == (
        "negative_stock", "open", "SKU-1", "Stock went below zero after an offline replay")
    assert item["who"] == {"id": get(client, auth_for("picker"), "/api/v1/me")["id"], "name": "Picker"}
    assert item["where"] == {"bin": "B-01", "zone": "B"}
    assert item["created_at"].endswith("Z") and "holds 0 of SKU-1; cannot take 60" in item["detail"]
    assert [a["name"] for a in item["actions"]] == ["count", "dismiss", "close"]
    assert get(client, sup, f"/api/v1/exceptions/{exc['id']}") == item
    assert_problem(client.get("/api/v1/exceptions/999", headers=sup), 404, "no exception 999")
    assert_problem(client.get(f"/api/v1/exceptions/{exc['id']}", headers=auth_for("counter")), 403)


def test_filters_by_kind_zone_bin_document_and_status(client, auth_for, floor):
    sup = auth_for("supervisor")
    neg = negative_stock(client, auth_for)
    tid, short = short_transfer(client, auth_for)
    ids = lambda **q: [e["id"] for e in get(client, sup, "/api/v1/exceptions", **q)["items"]]  # noqa: E731
    assert ids() == [neg["id"], short["id"]]
    assert ids(kind="transfer_short") == [short["id"]]
    assert ids(zone="B") == [neg["id"]]
    assert ids(zone="D") == [short["id"]]  # the in-transit bin
    assert ids(bin="B-01", sku="SKU-1") == [neg["id"]]
    assert ids(ref_type="transfer", ref_id=tid) == [short["id"]]
    assert ids(after_id=neg["id"]) == [short["id"]]
    assert ids(limit=1) == [neg["id"]]
    assert get(client, sup, "/api/v1/exceptions", limit=1)["next_after_id"] == neg["id"]
    assert resolve(client, sup, neg["id"]).status_code == 200
    assert ids() == [short["id"]] and ids(status="resolved") == [neg["id"]]
    assert ids(status="all", kind="negative_stock") == [neg["id"]]
    assert_problem(client.get("/api/v1/exceptions", query_string={"kind": "x" * 65}, headers=sup), 422,
                   field="query.kind")


def test_count_keeps_the_count_request_and_dismiss_cancels_it(client, auth_for, floor):
    sup, counter = auth_for("supervisor"), auth_for("counter")
    first, second = negative_stock(client, auth_for), negative_stock(client, auth_for)
    requests = lambda: [c["exception_id"] for c in get(client, counter, "/api/v1/count-requests")["items"]]  # noqa: E731
    assert requests() == [first["id"], second["id"]]
    r = resolve(client, sup, first["id"], action="count", resolution="counter on the way")
    assert r.status_code == 200
    done = r.get_json()
    assert (done["status"], done["action"], done["resolution"], done["resolved_by_name"], done["actions"]) == (
        "resolved", "count", "counter on the way", "Supervisor", [])
    r = resolve(client, sup, second["id"], action="dismiss", resolution="double-scanned, nothing moved twice")
    assert r.status_code == 200
    assert requests() == [first["id"]]
    assert_problem(resolve(client, sup, second["id"], action="count"), 409, "already resolved")


def test_unknown_action_and_missing_params_are_refused(client, auth_for, floor):
    sup = auth_for("supervisor")
    exc = negative_stock(client, auth_for)
    assert_problem(resolve(client, sup, exc["id"], action="approve"), 422,
                   "a negative_stock exception can be resolved with count, dismiss, close; not 'approve'", "action")
    # An offline receipt of a perishable lot without its expiry date.
    r = one(client, auth_for("receiver"), "receive", {"sku": "LOT-1", "lot": "L8", "qty": 2, "to_bin": "DOCK-1"},
            replay=True)
    [missing] = r["exceptions"]
    assert missing["kind"] == "missing_expiry"
    assert_problem(resolve(client, sup, missing["id"], action="set_expiry"), 422, "set_expiry needs params.expiry",
                   "params.expiry")
    assert_problem(resolve(client, sup, missing["id"], action="set_expiry", params={"expiry": "soon"}), 422,
                   "params.expiry must be a date", "params.expiry")
    assert get(client, sup, f"/api/v1/exceptions/{missing['id']}")["status"] == "open"
    r = resolve(client, sup, missing["id"], action="set_expiry", params={"expiry": "2027-03-01"},
                resolution="read off the case")
    assert r.status_code == 200 and r.get_json()["action"] == "set_expiry"
    [row] = get(client, sup, "/api/v1/stock", bin="DOCK-1", sku="LOT-1")["items"]
    assert row["expiry"] == "2027-03-01"


def test_kinds_list_every_kind_with_its_actions(client, auth_for, floor):
    kinds = {k["kind"]: k for k in get(client, auth_for("supervisor"), "/api/v1/exceptions/kinds")["items"]}
    assert {"negative_stock", "serial_conflict", "missing_expiry", "transfer_short", "transfer_over",
            "return_excess"} <= set(kinds)
    assert [a["name"] for a in kinds["transfer_short"]["actions"]] == ["write_off", "close"]
    assert kinds["missing_expiry"]["actions"][-2] == {"name": "set_expiry", "params": ["expiry"],
                                                      "summary": "Enter the lot's expiry date from the label"}
    assert_problem(client.get("/api/v1/exceptions/kinds", headers=auth_for("picker")), 403)


def test_a_write_off_is_posted_once_even_when_the_request_is_retried(client, auth_for, floor):
    sup = auth_for("supervisor")
    _, short = short_transfer(client, auth_for)
    headers = dict(sup, **{"Idempotency-Key": "wo-1"})
    first = resolve(client, headers, short["id"], action="write_off")
    again = resolve(client, headers, short["id"], action="write_off")
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(get(client, sup, "/api/v1/movements", kind="adjust")["items"]) == 1
    assert on_hand(client, sup, "TRANSIT") == {}


def test_a_failing_action_leaves_the_exception_open(client, auth_for, floor):
    sup = auth_for("supervisor")
    _, short = short_transfer(client, auth_for)
    # Somebody moved the goods out of transit meanwhile: nothing left to write off.
    ok(post_commands(client, sup, command("move", {"sku": "SKU-1", "qty": 1, "from_bin": "TRANSIT", "to_bin": "A-01"})))
    assert_problem(resolve(client, sup, short["id"], action="write_off"), 409, "bin TRANSIT holds 0 of SKU-1")
    assert get(client, sup, f"/api/v1/exceptions/{short['id']}")["status"] == "open"


def test_other_workflows_raise_and_close_through_the_helper(app, client, auth_for, floor):
    """What receiving, picking and counting call: raise_ in their write job, close when settled elsewhere."""
    user_id = get(client, auth_for("receiver"), "/api/v1/me")["id"]
    row = app.extensions["floorscan"].write(lambda conn: queue.raise_(
        conn, "over_receipt", "PO-7 line 1: 130 received of 100 ordered (tolerance 5%)", bin="DOCK-1", sku="SKU-1",
        ref_type="po", ref_id="PO-7", data={"ordered": 100, "received": 130}, user_id=user_id))
    assert (row["kind"], row["where"], row["who"]["name"], row["data"]) == (
        "over_receipt", {"bin": "DOCK-1", "zone": "D"}, "Receiver", {"ordered": 100, "received": 130})
    assert [a["name"] for a in row["actions"]] == [*(a.name for a in queue.actions_for("over_receipt"))]
    assert get(client, auth_for("counter"), "/api/v1/count-requests")["items"] == []
    sup_id = get(client, auth_for("supervisor"), "/api/v1/me")["id"]
    app.extensions["floorscan"].write(lambda conn: queue.close(conn, row["id"], user_id=sup_id, action_name="approve",
                                                               resolution="approved on the receipt screen"))
    done = get(client, auth_for("supervisor"), f"/api/v1/exceptions/{row['id']}")
    assert (done["status"], done["action"], done["resolved_by_name"]) == ("resolved", "approve", "Supervisor")


# -- live ----------------------------------------------------------------------------

def connect(app, headers):
    return socketio.test_client(app, auth={"token": headers["Authorization"].split(" ", 1)[1]})


def events(sio, name, wait=2.0):
    deadline, got = time.monotonic() + wait, []
    while time.monotonic() < deadline and not got:
        got = [e["args"][0] for e in sio.get_received() if e["name"] == name]
        time.sleep(0.02)
    return got


def test_workflow_exceptions_reach_supervisors_live_and_nobody_else(app, client, auth_for, floor):
    time.sleep(0.15)  # the opening stock's events flush first
    supervisor, picker = connect(app, auth_for("supervisor")), connect(app, auth_for("picker"))
    supervisor.get_received(), picker.get_received()
    _, short = short_transfer(client, auth_for)
    raised = [e for ev in events(supervisor, "exception.raised") for e in ev["exceptions"]]
    assert [(e["id"], e["kind"], e["ref_type"]) for e in raised] == [(short["id"], "transfer_short", "transfer")]
    assert raised[0]["actions"][0]["name"] == "write_off"
    time.sleep(0.1)
    assert [e for e in picker.get_received() if e["name"] == "exception.raised"] == []
    # Resolving with a write-off posts stock: that goes live too.
    assert resolve(client, auth_for("supervisor"), short["id"], action="write_off").status_code == 200
    changes = [c for ev in events(supervisor, "stock.changed") for c in ev["changes"]]
    assert {"bin": "TRANSIT", "sku": "SKU-1", "lot": None, "qty": 0} in changes
    supervisor.disconnect(), picker.disconnect()


@pytest.mark.parametrize("role", ["picker", "receiver", "counter"])
def test_only_supervisors_resolve(client, auth_for, floor, role):
    exc = negative_stock(client, auth_for)
    assert_problem(resolve(client, auth_for(role), exc["id"]), 403, f"a {role} may not POST")


def test_any_kind_that_asked_for_a_count_can_be_counted_or_dismissed(app, client, auth_for, floor):
    """Kinds raised through the ledger's raise_exception (short picks, say) come with a count request."""
    from edge.ledger import Movement
    from edge.ledger.post import raise_exception
    subject = Movement(id="m-1", kind="pick", sku="SKU-1", qty=3, from_bin="B-01")
    row = app.extensions["floorscan"].write(
        lambda conn: raise_exception(conn, "shelf_gremlin", "line 1: 3 wanted, 0 found", subject, "2026-11-27T08:00:00Z"))
    sup = auth_for("supervisor")
    exc = get(client, sup, f"/api/v1/exceptions/{row['id']}")
    assert (exc["title"], [a["name"] for a in exc["actions"]]) == ("shelf gremlin", ["count", "dismiss", "close"])
    assert resolve(client, sup, row["id"], action="dismiss").status_code == 200
    assert get(client, auth_for("counter"), "/api/v1/count-requests")["items"] == []


def test_count_asks_again_for_every_bin_the_exception_asked_for(app, client, auth_for, floor):
    # A replayed serial conflict asks for its own bin and the bin the serial was
    # booked to; the queue's "count" action re-asked only the first.
    sup = auth_for("supervisor")
    ok(post_commands(client, sup, command("receive", {"sku": "SER-1", "serial": "S-77", "qty": 1, "to_bin": "A-01"})))
    r = one(client, auth_for("receiver"), "receive", {"sku": "SER-1", "serial": "S-77", "qty": 1, "to_bin": "DOCK-1"},
            replay=True)
    [exc] = [e for e in r["exceptions"] if e["kind"] == "serial_conflict"]
    app.extensions["floorscan"].write(lambda conn: conn.execute(
        "UPDATE count_request SET status = 'done' WHERE exception_id = ?", (exc["id"],)))
    assert resolve(client, sup, exc["id"], action="count").status_code == 200
    asked = [c["bin"] for c in get(client, auth_for("counter"), "/api/v1/count-requests")["items"]
             if c["exception_id"] == exc["id"]]
    assert sorted(asked) == ["A-01", "DOCK-1"]
