"""Replenishment over HTTP: parameters, low-stock alerts raised once and
cleared (live to supervisors), suggested purchase orders approved into a PO
and the sync outbox, pick-face refills as putaway tasks."""
from __future__ import annotations

import json
import threading
import time

import pytest

from conftest import assert_problem, command, make_bin, make_item, post_commands
from edge.db import connect
from edge.realtime import socketio

API = "/api/v1/replenishment"


@pytest.fixture
def site(app, users):
    make_bin(app, "A-01", zone="A")
    make_bin(app, "PF-1", zone="P", kind="pick-face")
    make_bin(app, "Q-1", zone="Q", kind="quarantine")
    make_item(app, "BOLT", unit_cost=2.0, reorder_point=10, reorder_qty=40)
    make_item(app, "NUT", unit_cost=0.5)
    return app


def adjust(client, headers, sku, bin_code, delta):
    [r] = post_commands(client, headers, command("adjust", {"sku": sku, "bin": bin_code, "delta": delta,
                                                            "reason": "found" if delta > 0 else "damaged"}))
    assert r["status"] == "applied", r


def sio_for(app, headers):
    sio = socketio.test_client(app, auth={"token": headers["Authorization"].split(" ", 1)[1]})
    sio.get_received()
    return sio


def wait_for(sio, name, seconds=30.0):
    """The ``name`` events to this client: waits for the first (a long ceiling: a busy
    machine is slow, not wrong), then for the flush that sent it to finish, so anything
    close behind it is seen too."""
    deadline = time.monotonic() + seconds
    got = []
    while time.monotonic() < deadline:
        got += [e["args"][0] for e in sio.get_received() if e["name"] == name]
        if got:
            settle(sio.app)
            got += [e["args"][0] for e in sio.get_received() if e["name"] == name]
            return got
        time.sleep(0.02)
    return got


def settle(app, seconds=30.0):
    """Wait until the live-event flush (0.05 s in tests) and its after-commit hooks have
    run: nothing is waiting to be flushed and no flush thread is still at work. Every
    commit queues its flush before its answer, so after a request this is deterministic."""
    from edge import realtime
    pending = app.extensions["floorscan_realtime"]

    def flushing():
        return any(isinstance(t, threading.Timer) and getattr(t, "function", None) is realtime._flush
                   for t in threading.enumerate())
    deadline = time.monotonic() + seconds
    while pending.scheduled or pending.posts or flushing():
        assert time.monotonic() < deadline, "the live-event flush did not finish"
        time.sleep(0.01)


def alert_rows(db_path):
    conn = connect(db_path, readonly=True)
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM stock_alert ORDER BY id")]
    finally:
        conn.close()


# -- parameters ----------------------------------------------------------------------------

def test_params_default_stored_and_effective(client, auth_for, site):
    sup = auth_for("supervisor")
    r = client.get(f"{API}/params/BOLT", headers=sup)
    assert r.status_code == 200
    assert r.get_json()["effective"]["service_level"] == 0.95 and r.get_json()["stored"]["service_level"] is None
    r = client.put(f"{API}/params/BOLT", json={"supplier": "Acme", "lead_time_days": 3, "service_level": 0.99},
                   headers=sup)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["stored"]["lead_time_days"] == 3 and body["effective"]["ordering_cost"] == 50


def test_bad_params_are_problem_details_with_fields(client, auth_for, site):
    sup = auth_for("supervisor")
    r = client.put(f"{API}/params/BOLT", json={"service_level": 1.5, "lead_time_days": -1}, headers=sup)
    body = assert_problem(r, 422)
    assert {e["field"] for e in body["errors"]} == {"service_level", "lead_time_days"}
    r = client.put(f"{API}/params/BOLT", json={"min_qty": 10, "max_qty": 5}, headers=sup)
    assert_problem(r, 422, detail="max_qty must not be below min_qty")
    r = client.put(f"{API}/params/BOLT", json={"holding_cost": 1}, headers=sup)
    assert_problem(r, 422, field="holding_cost")
    r = client.put(f"{API}/params/NOPE", json={}, headers=sup)
    assert_problem(r, 422, field="sku", detail="no item with sku 'NOPE'")
    r = client.get(f"{API}/params/NOPE", headers=sup)
    assert_problem(r, 422, field="sku")


def test_only_supervisors_and_admins(client, auth_for, site):
    for role in ("picker", "receiver", "counter"):
        assert_problem(client.get(f"{API}/alerts", headers=auth_for(role)), 403)
    assert client.get(f"{API}/alerts", headers=auth_for("admin")).status_code == 200
    assert_problem(client.get(f"{API}/alerts"), 401)


def test_bad_queries_name_the_field(client, auth_for, site):
    sup = auth_for("supervisor")
    assert_problem(client.get(f"{API}/alerts", query_string={"status": "bogus"}, headers=sup), 422,
                   field="query.status")
    assert_problem(client.get(f"{API}/suggestions", query_string={"limit": 0}, headers=sup), 422,
                   field="query.limit")
    assert_problem(client.get(f"{API}/plan", query_string={"limit": "many"}, headers=sup), 422, field="query.limit")
    assert_problem(client.post(f"{API}/plan", data="x", headers=sup), 415)


# -- alerts ----------------------------------------------------------------------------------

def test_alert_raised_once_and_cleared_live(app, client, auth_for, site, db_path):
    sup = auth_for("supervisor")
    adjust(client, sup, "BOLT", "A-01", 15)
    settle(app)
    sio = sio_for(app, sup)
    adjust(client, sup, "BOLT", "A-01", -6)  # 9 available, reorder point 10
    [event] = wait_for(sio, "low_stock")
    [alert] = event["alerts"]
    assert (alert["sku"], alert["state"], alert["available"], alert["reorder_point"]) == ("BOLT", "raised", 9, 10)
    adjust(client, sup, "BOLT", "A-01", -2)  # still low: no second alert, no event
    adjust(client, sup, "NUT", "A-01", 5)    # an item without a reorder point: nothing
    settle(app)
    assert [e for e in sio.get_received() if e["name"] == "low_stock"] == []
    rows = alert_rows(db_path)
    assert [(r["sku"], r["available"], r["cleared_at"]) for r in rows] == [("BOLT", 9, None)]
    r = client.get(f"{API}/alerts", headers=sup)
    assert [(a["sku"], a["available_now"]) for a in r.get_json()["items"]] == [("BOLT", 7)]
    adjust(client, sup, "BOLT", "A-01", 20)  # 27: recovered
    [event] = wait_for(sio, "low_stock")
    assert [(a["state"], a["available"]) for a in event["alerts"]] == [("cleared", 27)]
    rows = alert_rows(db_path)
    assert len(rows) == 1 and rows[0]["cleared_at"] is not None and rows[0]["cleared_available"] == 27
    # Down again: a new alert (once more).
    adjust(client, sup, "BOLT", "A-01", -20)
    assert [a["state"] for a in wait_for(sio, "low_stock")[0]["alerts"]] == ["raised"]
    assert len(alert_rows(db_path)) == 2
    sio.disconnect()


def test_pickers_do_not_hear_low_stock(app, client, auth_for, site):
    sio = sio_for(app, auth_for("picker"))
    adjust(client, auth_for("supervisor"), "BOLT", "A-01", 3)
    settle(app)
    assert [e for e in sio.get_received() if e["name"] == "low_stock"] == []
    sio.disconnect()


def test_quarantine_is_not_available(app, client, auth_for, site, db_path):
    sup = auth_for("supervisor")
    adjust(client, sup, "BOLT", "Q-1", 50)  # 50 in quarantine: not sellable, so BOLT is low
    settle(app)
    assert [(r["sku"], r["available"]) for r in alert_rows(db_path)] == [("BOLT", 0)]
    r = client.post(f"{API}/alerts/refresh", headers=sup)
    assert r.get_json()["changed"] == []  # evaluated again: nothing new


# -- suggested purchase orders ------------------------------------------------------------

def test_suggest_edit_approve_creates_po_and_outbox_row(app, client, auth_for, site, db_path):
    sup = auth_for("supervisor")
    client.put(f"{API}/params/BOLT", json={"supplier": "Acme", "pack_qty": 12}, headers=sup)
    adjust(client, sup, "BOLT", "A-01", 9)
    settle(app)  # 9 <= 10: BOLT's alert is raised
    r = client.post(f"{API}/suggestions", headers=sup)
    assert r.status_code == 201, r.get_json()
    [draft] = r.get_json()["items"]
    # Order up to reorder point + reorder qty = 50; 41 short, in packs of 12: 48.
    assert (draft["supplier"], draft["status"]) == ("Acme", "draft")
    assert [(ln["sku"], ln["qty"], ln["unit_price"], ln["available"]) for ln in draft["lines"]] == [
        ("BOLT", 48, 2.0, 9)]
    # Suggesting again adds nothing: BOLT is on a draft.
    assert client.post(f"{API}/suggestions", headers=sup).get_json()["items"] == []
    edit = {"lines": [{"sku": "BOLT", "qty": 60, "unit_price": 1.75}], "note": "bigger order"}
    r = client.patch(f"{API}/suggestions/{draft['id']}", json=edit, headers=sup)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["value"] == 105
    r = client.post(f"{API}/suggestions/{draft['id']}/approve", json={"po_id": "PO-777"}, headers=sup)
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert out["status"] == "approved" and out["po_id"] == "PO-777"
    assert [(ln["sku"], ln["qty"]) for ln in out["purchase_order"]["lines"]] == [("BOLT", 60)]
    po = client.get("/api/v1/purchase-orders/PO-777", headers=sup).get_json()
    assert po["supplier"] == "Acme" and po["status"] == "open"
    conn = connect(db_path, readonly=True)
    try:
        [row] = conn.execute("SELECT kind, key, body, sent_at FROM sync_outbox").fetchall()
        price = conn.execute("SELECT unit_price FROM po_line WHERE po_id = 'PO-777'").fetchone()[0]
    finally:
        conn.close()
    assert (row["kind"], row["key"], row["sent_at"]) == ("purchase_order", "PO-777", None)
    body = json.loads(row["body"])
    assert body["id"] == "PO-777" and body["supplier"] == "Acme"
    assert [(ln["sku"], ln["qty"], ln["line_no"]) for ln in body["lines"]] == [("BOLT", 60, 1)]
    assert price == 1.75
    # 60 on order: 69 available, above the reorder point: the approval cleared the alert.
    [alert] = client.get(f"{API}/alerts", query_string={"status": "all"}, headers=sup).get_json()["items"]
    assert alert["cleared_available"] == 69
    r = client.post(f"{API}/suggestions/{draft['id']}/approve", json={}, headers=sup)
    assert_problem(r, 409, field="id", detail="approved")


def test_suggestion_bad_edits_and_approvals(app, client, auth_for, site):
    sup = auth_for("supervisor")
    adjust(client, sup, "BOLT", "A-01", 1)
    [draft] = client.post(f"{API}/suggestions", headers=sup).get_json()["items"]
    assert draft["supplier"] == ""  # nobody said who supplies BOLT
    sid = draft["id"]
    r = client.post(f"{API}/suggestions/{sid}/approve", json={}, headers=sup)
    assert_problem(r, 422, field="supplier", detail="choose a supplier")
    r = client.patch(f"{API}/suggestions/{sid}", json={"lines": [{"sku": "NOPE", "qty": 1}]}, headers=sup)
    assert_problem(r, 422, field="lines[0].sku")
    r = client.patch(f"{API}/suggestions/{sid}", json={"lines": [{"sku": "BOLT", "qty": 1}, {"sku": "BOLT", "qty": 2}]},
                     headers=sup)
    assert_problem(r, 422, field="lines[1].sku", detail="listed twice")
    r = client.patch(f"{API}/suggestions/{sid}", json={"lines": [{"sku": "BOLT", "qty": 0}]}, headers=sup)
    assert_problem(r, 422, field="lines[0].qty")
    r = client.patch(f"{API}/suggestions/{sid}", json={"lines": []}, headers=sup)
    assert_problem(r, 422, field="lines")
    assert_problem(client.get(f"{API}/suggestions/99999", headers=sup), 404)
    assert_problem(client.get(f"{API}/suggestions/{2 ** 63}", headers=sup), 404)
    r = client.post(f"{API}/suggestions/{sid}/approve", json={"po_id": "has space"}, headers=sup)
    assert_problem(r, 422, field="po_id")
    r = client.post(f"{API}/suggestions/{sid}/approve", json={"expected_at": "2026-13-45"}, headers=sup)
    assert_problem(r, 422, field="expected_at")
    r = client.post(f"{API}/suggestions/{sid}/dismiss", headers=sup)
    assert r.get_json()["status"] == "dismissed"
    r = client.patch(f"{API}/suggestions/{sid}", json={"supplier": "Acme"}, headers=sup)
    assert_problem(r, 409, detail="dismissed")


def test_po_id_that_is_a_bin_label_is_refused(app, client, auth_for, site):
    sup = auth_for("supervisor")
    client.put(f"{API}/params/BOLT", json={"supplier": "Acme"}, headers=sup)
    [draft] = client.post(f"{API}/suggestions", headers=sup).get_json()["items"]
    r = client.post(f"{API}/suggestions/{draft['id']}/approve", json={"po_id": "A-01"}, headers=sup)
    assert_problem(r, 409, field="id", detail="already a bin label")
    assert client.get(f"{API}/suggestions/{draft['id']}", headers=sup).get_json()["status"] == "draft"


# -- plan ------------------------------------------------------------------------------------

def test_recompute_plan_stores_levels_and_raises_alerts(app, client, auth_for, site):
    sup = auth_for("supervisor")
    client.put(f"{API}/params/NUT", json={"min_qty": 30, "max_qty": 100}, headers=sup)
    adjust(client, sup, "NUT", "A-01", 20)
    settle(app)  # the after-commit hook raised NUT's alert (20 <= 30)
    r = client.post(f"{API}/plan", json={}, headers=sup)
    assert r.status_code == 200, r.get_json()
    # One plan (NUT has parameters; nothing has demand); every item is evaluated: BOLT (reorder point 10
    # on the item, none on hand) had never moved, so its alert is raised now.
    assert r.get_json()["items"] == 1 and r.get_json()["alerts_changed"] == 1
    open_alerts = client.get(f"{API}/alerts", headers=sup).get_json()["items"]
    assert [(a["sku"], a["reorder_point"]) for a in open_alerts] == [("NUT", 30), ("BOLT", 10)]
    [row] = client.get(f"{API}/plan", headers=sup).get_json()["items"]
    assert (row["sku"], row["demand_class"], row["available"]) == ("NUT", "none", 20)
    assert row["in_force"] == {"reorder_point": 30, "order_up_to": 100, "source": "parameter", "pack_qty": None,
                               "supplier": None}
    assert_problem(client.post(f"{API}/plan", json={"history_days": 3}, headers=sup), 422, field="history_days")


# -- pick faces ------------------------------------------------------------------------------

def test_pick_face_below_minimum_gets_a_refill_task(app, client, auth_for, site):
    sup = auth_for("supervisor")
    adjust(client, sup, "BOLT", "A-01", 100)
    adjust(client, sup, "BOLT", "PF-1", 6)
    r = client.put(f"{API}/pick-faces", json={"bin": "PF-1", "sku": "BOLT", "min_qty": 5, "max_qty": 20},
                   headers=sup)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["below_min"] is False
    settle(app)
    drivers = sio_for(app, auth_for("receiver"))
    adjust(client, sup, "BOLT", "PF-1", -2)  # 4 left: below 5
    [event] = wait_for(drivers, "putaway.tasks")
    assert event["rule"] == "replenish"
    tasks = client.get("/api/v1/putaway/tasks", headers=sup).get_json()["items"]
    [task] = [t for t in tasks if t["rule"] == "replenish"]
    assert (task["from_bin"], task["suggested_bin"], task["qty"]) == ("A-01", "PF-1", 16)
    # Another drop while the refill is on its way makes no second task.
    adjust(client, sup, "BOLT", "PF-1", -1)
    settle(app)
    assert len([t for t in client.get("/api/v1/putaway/tasks", headers=sup).get_json()["items"]
                if t["rule"] == "replenish"]) == 1
    # The driver does it with the putaway step he knows.
    [done] = post_commands(client, auth_for("picker"), command("putaway.confirm", {"task_id": task["id"],
                                                                                  "to_bin": "PF-1"}))
    assert done["status"] == "applied", done
    faces = client.get(f"{API}/pick-faces", headers=sup).get_json()["items"]
    assert [(f["on_hand"], f["incoming"], f["below_min"]) for f in faces] == [(19, 0, False)]
    drivers.disconnect()


def test_pick_face_bad_input(client, auth_for, site):
    sup = auth_for("supervisor")
    r = client.put(f"{API}/pick-faces", json={"bin": "A-01", "sku": "BOLT", "min_qty": 1, "max_qty": 2}, headers=sup)
    assert_problem(r, 422, field="bin", detail="not a pick face")
    r = client.put(f"{API}/pick-faces", json={"bin": "PF-1", "sku": "BOLT", "min_qty": 5, "max_qty": 2}, headers=sup)
    assert_problem(r, 422, detail="max_qty must not be below min_qty")
    r = client.put(f"{API}/pick-faces", json={"bin": "NOPE", "sku": "BOLT", "min_qty": 1, "max_qty": 2}, headers=sup)
    assert_problem(r, 422, field="bin")
    r = client.put(f"{API}/pick-faces", json={"bin": "PF-1", "sku": "NOPE", "min_qty": 1, "max_qty": 2}, headers=sup)
    assert_problem(r, 422, field="sku")


def test_manual_check_finds_no_reserve(client, auth_for, site, db_path):
    sup = auth_for("supervisor")
    client.put(f"{API}/pick-faces", json={"bin": "PF-1", "sku": "NUT", "min_qty": 5, "max_qty": 20}, headers=sup)
    r = client.post(f"{API}/pick-faces/check", headers=sup)
    assert r.status_code == 200 and r.get_json()["tasks"] == []  # nothing in reserve to refill from
    from edge.analytics import pickface
    conn = connect(db_path, readonly=True)
    try:  # so the after-commit hook does not ask the writer for nothing on every scan
        assert pickface.refill_due(conn, [("PF-1", "NUT")]) is False
    finally:
        conn.close()
    assert client.delete(f"{API}/pick-faces/PF-1/NUT", headers=sup).status_code == 204
    assert client.get(f"{API}/pick-faces", headers=sup).get_json()["items"] == []
    assert_problem(client.delete(f"{API}/pick-faces/PF-1/NUT", headers=sup), 404, detail="no pick-face minimum")
