"""Cycle counting end to end through the HTTP API: count tasks, blind counts,
tolerance, recounts by a different counter, supervisor approval, serials,
count requests and every refusal a counter or supervisor can meet.

The moment-of-count reconciliation is in test_wf_counting_moment.py, the ABC
schedule and record accuracy in test_wf_counting_schedule.py."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from conftest import make_bin, make_item, sign_in

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)


def at(minutes: float = 0) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def cmd(ctype: str, payload: dict, *, when: str | None = None, replay: bool = False, cid: str | None = None) -> dict:
    return {"id": cid or str(uuid.uuid4()), "type": ctype, "at": when or at(), "replay": replay, "payload": payload}


def send(client, headers, *commands) -> list[dict]:
    r = client.post("/api/v1/commands", json={"commands": list(commands)}, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["results"]


def applied(client, headers, *commands) -> list[dict]:
    results = send(client, headers, *commands)
    for res in results:
        assert res["status"] in ("applied", "duplicate"), res
    return results


def rejected(client, headers, command) -> dict:
    [res] = send(client, headers, command)
    assert res["status"] == "rejected", res
    return res["problem"]


def receive(client, headers, sku, qty, bin_code, *, lot=None, serial=None, when=None):
    payload = {"sku": sku, "qty": qty, "to_bin": bin_code}
    if lot:
        payload["lot"] = lot
    if serial:
        payload["serial"] = serial
    applied(client, headers, cmd("receive", payload, when=when or at(-60)))


def qty(client, headers, bin_code, sku, lot=None) -> float:
    r = client.get("/api/v1/stock", query_string={"bin": bin_code, "sku": sku}, headers=headers)
    return sum(row["qty"] for row in r.get_json()["items"] if row["lot"] == lot)


def new_task(client, headers, bins=None, **body) -> dict:
    body = {"kind": "bin", "bins": bins, **body} if bins else body
    r = client.post("/api/v1/count-tasks", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def count(task_id, bin_code, items, *, started=None, **kw) -> dict:
    payload = {"task_id": task_id, "bin": bin_code, "items": items}
    if started:
        payload["started_at"] = started
    return cmd("count", payload, **kw)


def review(client, headers, task_id) -> dict:
    r = client.get(f"/api/v1/count-tasks/{task_id}/review", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def task_list(client, headers, **query) -> list[dict]:
    r = client.get("/api/v1/count-tasks", query_string=query, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


def set_settings(client, headers, **values):
    r = client.patch("/api/v1/settings", json=values, headers=headers)
    assert r.status_code == 200, r.get_json()


def movements(client, headers, **query) -> list[dict]:
    return client.get("/api/v1/movements", query_string=query, headers=headers).get_json()["items"]


def add_counter(app, client, name="Second Counter", pin="6666") -> dict:
    from edge import auth
    from edge.models import UserIn
    app.extensions["floorscan"].write(lambda conn: auth.create_user(conn, UserIn(name=name, role="counter", pin=pin)))
    return sign_in(client, pin)


def user_id(client, headers) -> int:
    return client.get("/api/v1/me", headers=headers).get_json()["id"]


@pytest.fixture
def site(app, client, auth_for):
    """Two bins in zone A, a plain item with 10 in bin A-01, a tote, a second counter."""
    make_bin(app, "A-01", zone="A", aisle="A-1", walk_seq=20)
    make_bin(app, "A-02", zone="A", aisle="A-1", walk_seq=10)
    make_bin(app, "A-03", zone="A", aisle="A-2", walk_seq=30)
    make_bin(app, "TOTE-1", kind="tote")
    make_item(app, "WIDGET", barcodes=[("4006381333931", 1), ("14006381333938", 6)], unit_cost=2.0, abc_class="A")
    receive(client, auth_for("supervisor"), "WIDGET", 10, "A-01")
    return {"sup": auth_for("supervisor"), "counter": auth_for("counter"), "other": add_counter(app, client)}


# -- the happy path -------------------------------------------------------------------------

def test_exact_count_matches_and_closes_the_task(client, site):
    task = new_task(client, site["sup"], ["A-01"])
    assert task["status"] == "open" and task["kind"] == "bin"
    listed = task_list(client, site["counter"])
    assert task["id"] in [t["id"] for t in listed]
    applied(client, site["counter"], cmd("count.start", {"task_id": task["id"]}))
    assert task_list(client, site["counter"], mine="true")[0]["status"] == "in_progress"
    [res] = applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 10}]))
    assert res["movements"] == []
    rv = review(client, site["sup"], task["id"])
    assert rv["status"] == "done"
    [line] = rv["lines"]
    assert (line["counted_qty"], line["expected_qty"], line["variance"], line["status"]) == (10, 10, 0, "matched")
    assert rv["accuracy"] == {"lines": 1, "accurate": 1, "ira": 1.0}
    assert qty(client, site["sup"], "A-01", "WIDGET") == 10


def _numbers(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from ((k, n) for _, n in _numbers(v))
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield None, value


def _keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v)


def test_the_counter_never_sees_the_expected_quantity(client, site, app):
    set_settings(client, site["sup"], count_tolerance_pct=5)
    make_item(app, "ODD", unit_cost=1000.0)
    receive(client, site["sup"], "ODD", 37, "A-02")
    task = new_task(client, site["sup"], ["A-01", "A-02"])
    seen = [task_list(client, site["counter"]),
            client.get(f"/api/v1/count-tasks/{task['id']}", headers=site["counter"]).get_json()]
    # Counted 36 of 37: worth 1000, so it waits for a supervisor (its exception is in the answer).
    seen += applied(client, site["counter"], count(task["id"], "A-02", [{"sku": "ODD", "qty": 36}]))
    seen += applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 9}]))
    seen.append(client.get(f"/api/v1/count-tasks/{task['id']}", headers=site["counter"]).get_json())
    for body in seen:
        assert 37 not in [n for _, n in _numbers(body)], body
        assert not {"qty", "expected_qty", "variance", "on_hand"} & set(_keys(body)), body
    view = seen[1]
    assert [b["bin"] for b in view["bins"]] == ["A-02", "A-01"]  # walk order
    widget = view["bins"][1]["look_for"][0]
    assert widget["sku"] == "WIDGET"
    assert widget["barcodes"] == [{"code": "4006381333931", "pack_qty": 1}, {"code": "14006381333938", "pack_qty": 6}]
    assert seen[2]["exceptions"][0]["kind"] == "count_variance"
    assert seen[2]["exceptions"][0]["detail"].startswith("the count of ODD in bin A-02 waits for a supervisor's")
    # The supervisor's review has it all.
    lines = {ln["sku"]: ln for ln in review(client, site["sup"], task["id"])["lines"]}
    assert lines["ODD"]["expected_qty"] == 37 and lines["ODD"]["status"] == "awaiting_approval"


def test_a_variance_within_tolerance_is_posted_as_a_count_adjustment(client, site):
    set_settings(client, site["sup"], count_tolerance_pct=10)
    task = new_task(client, site["sup"], ["A-01"])
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 9}]))
    assert qty(client, site["sup"], "A-01", "WIDGET") == 9
    [mv] = movements(client, site["sup"], kind="count")
    assert (mv["from_bin"], mv["to_bin"], mv["qty"], mv["reason"], mv["ref_type"], mv["ref_id"]) == \
        ("A-01", None, 1, "count", "count", str(task["id"]))
    assert mv["user_id"] == user_id(client, site["counter"])
    [line] = review(client, site["sup"], task["id"])["lines"]
    assert line["status"] == "adjusted" and line["adjusted_qty"] == -1 and line["within_tolerance"]


def test_found_stock_and_a_case_of_unexpected_items_come_in(client, site, app):
    set_settings(client, site["sup"], count_tolerance_pct=100, count_approval_value=10_000)
    make_item(app, "GADGET", unit_cost=1.0)
    task = new_task(client, site["sup"], ["A-01"])
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 12},
                                                                 {"sku": "GADGET", "qty": 4}]))
    rv = review(client, site["sup"], task["id"])
    lines = {ln["sku"]: ln for ln in rv["lines"]}
    assert lines["WIDGET"]["status"] == "adjusted" and lines["WIDGET"]["adjusted_qty"] == 2
    # Nothing expected, something found: beyond any tolerance, so it is recounted.
    assert lines["GADGET"]["status"] == "recount" and not lines["GADGET"]["within_tolerance"]
    assert qty(client, site["sup"], "A-01", "WIDGET") == 12
    assert qty(client, site["sup"], "A-01", "GADGET") == 0


def test_the_same_item_counted_in_two_places_of_the_bin_adds_up(client, site):
    task = new_task(client, site["sup"], ["A-01"])
    found = [{"sku": "WIDGET", "qty": 6}, {"sku": "WIDGET", "qty": 4}]
    applied(client, site["counter"], count(task["id"], "A-01", found))
    assert review(client, site["sup"], task["id"])["lines"][0]["status"] == "matched"


def test_an_empty_bin_counts_with_no_items(client, site):
    task = new_task(client, site["sup"], ["A-02"])
    applied(client, site["counter"], count(task["id"], "A-02", []))
    rv = review(client, site["sup"], task["id"])
    assert rv["status"] == "done" and rv["lines"] == []


# -- recounts -------------------------------------------------------------------------------------

def _first_count_short(client, site, counted=7) -> tuple[dict, dict]:
    task = new_task(client, site["sup"], ["A-01"])
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": counted}]))
    rv = review(client, site["sup"], task["id"])
    assert rv["status"] == "review" and rv["lines"][0]["status"] == "recount"
    [recount_id] = rv["recounts"]
    recount = client.get(f"/api/v1/count-tasks/{recount_id}", headers=site["sup"]).get_json()
    return task, recount


def test_beyond_tolerance_needs_a_recount_by_a_different_counter(client, site):
    task, recount = _first_count_short(client, site)
    assert recount["kind"] == "recount" and recount["recount_of"] == task["id"]
    assert recount["excluded_user"] == user_id(client, site["counter"])
    assert qty(client, site["sup"], "A-01", "WIDGET") == 10  # nothing posted yet
    # The first counter does not see the recount and may not do it.
    assert recount["id"] not in [t["id"] for t in task_list(client, site["counter"])]
    for command in (cmd("count.start", {"task_id": recount["id"]}),
                    count(recount["id"], "A-01", [{"sku": "WIDGET", "qty": 7}]),
                    count(recount["id"], "A-01", [{"sku": "WIDGET", "qty": 7}], replay=True)):
        problem = rejected(client, site["counter"], command)
        assert problem["status"] == 403
        assert problem["detail"] == (f"you made the count that count task {recount['id']} double-checks; "
                                     "a different counter must do it")
    # Another counter confirms the shortage: the recount's figure stands and is posted.
    assert recount["id"] in [t["id"] for t in task_list(client, site["other"])]
    applied(client, site["other"], count(recount["id"], "A-01", [{"sku": "WIDGET", "qty": 7}]))
    assert qty(client, site["sup"], "A-01", "WIDGET") == 7
    first, second = review(client, site["sup"], task["id"]), review(client, site["sup"], recount["id"])
    assert first["status"] == second["status"] == "done"
    assert first["lines"][0]["status"] == "recounted" and not first["lines"][0]["final"]
    assert second["lines"][0]["recount_of"] == first["lines"][0]["id"]
    assert second["lines"][0]["status"] == "adjusted" and second["lines"][0]["adjusted_qty"] == -3
    # The records were wrong: the count is not accurate.
    assert first["accuracy"] == {"lines": 1, "accurate": 0, "ira": 0.0}


def test_a_recount_that_finds_the_records_right_posts_nothing(client, site):
    task, recount = _first_count_short(client, site)
    applied(client, site["other"], count(recount["id"], "A-01", [{"sku": "WIDGET", "qty": 10}]))
    assert qty(client, site["sup"], "A-01", "WIDGET") == 10
    first = review(client, site["sup"], task["id"])
    assert first["status"] == "done"
    assert first["accuracy"] == {"lines": 1, "accurate": 1, "ira": 1.0}  # the counter erred, not the records
    assert movements(client, site["sup"], kind="count") == []


def test_a_recount_that_disagrees_with_both_goes_to_the_supervisor(client, site):
    task, recount = _first_count_short(client, site)
    [res] = applied(client, site["other"], count(recount["id"], "A-01", [{"sku": "WIDGET", "qty": 4}]))
    assert res["exceptions"][0]["kind"] == "count_variance"
    line = review(client, site["sup"], recount["id"])["lines"][0]
    assert line["status"] == "awaiting_approval"
    exc = client.get("/api/v1/exceptions", query_string={"kind": "count_variance"}, headers=site["sup"]).get_json()
    [item] = exc["items"]
    assert "disagrees with the first count" in item["detail"] and "counted 4, expected 10" in item["detail"]
    assert item["data"]["count_line"] == line["id"]
    r = client.post(f"/api/v1/count-lines/{line['id']}/approve", json={"note": "saw it myself"}, headers=site["sup"])
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "adjusted" and r.get_json()["adjusted_qty"] == -6
    assert qty(client, site["sup"], "A-01", "WIDGET") == 4
    assert review(client, site["sup"], recount["id"])["status"] == "done"
    resolved = client.get(f"/api/v1/exceptions/{item['id']}", headers=site["sup"]).get_json()
    assert resolved["status"] == "resolved" and resolved["action"] == "approve"
    assert "adjustment -6 posted" in resolved["resolution"]
    again = client.post(f"/api/v1/count-lines/{line['id']}/approve", json={}, headers=site["sup"])
    assert again.status_code == 409
    assert again.get_json()["detail"] == (f"count line {line['id']} is adjusted; only a line awaiting approval can "
                                          "be approved or rejected")


def test_cancelling_a_recount_sends_the_first_count_to_the_supervisor(client, site):
    task, recount = _first_count_short(client, site)
    r = client.post(f"/api/v1/count-tasks/{recount['id']}/cancel", json={"reason": "aisle blocked"},
                    headers=site["sup"])
    assert r.status_code == 200, r.get_json()
    [line_id] = r.get_json()["lines_awaiting_approval"]
    assert review(client, site["sup"], task["id"])["lines"][0]["status"] == "awaiting_approval"
    r = client.post(f"/api/v1/count-lines/{line_id}/reject", json={"note": "count it again next week"},
                    headers=site["sup"])
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"
    assert review(client, site["sup"], task["id"])["status"] == "done"
    assert qty(client, site["sup"], "A-01", "WIDGET") == 10


def test_a_recount_is_announced_to_counters_without_the_figures(app, client, site, auth_for):
    from test_realtime import connect, named, received
    listeners = {"counter": connect(app, site["counter"]), "other": connect(app, site["other"]),
                 "supervisor": connect(app, site["sup"]), "picker": connect(app, auth_for("picker"))}
    task = new_task(client, site["sup"], ["A-01"])
    for sio in listeners.values():
        sio.get_received()
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 7}]))
    [recount] = [t for t in task_list(client, site["other"]) if t["recount_of"] == task["id"]]
    [event] = named(received(listeners["other"], until={"count.requested"}), "count.requested")
    # The task, its bin and who may not do it; no counted or expected figure (counts are blind).
    assert event == {"tasks": [{**recount, "bin": "A-01"}]}
    assert event["tasks"][0]["excluded_user"] == user_id(client, site["counter"])
    # The first counter's handheld hears it too, and knows from excluded_user to leave it alone.
    assert named(received(listeners["counter"], until={"count.requested"}), "count.requested") == [event]
    assert named(received(listeners["picker"]), "count.requested") == []
    assert named(received(listeners["supervisor"]), "count.requested") == []
    for sio in listeners.values():
        sio.disconnect()


# -- supervisor approval ---------------------------------------------------------------------------

@pytest.fixture
def costly(app, client, site):
    make_item(app, "LAPTOP-BAG", unit_cost=300.0)
    receive(client, site["sup"], "LAPTOP-BAG", 100, "A-03")
    return site


def test_a_costly_variance_waits_for_approval_then_posts(client, costly):
    site = costly
    task = new_task(client, site["sup"], ["A-03"])
    # 98 of 100 is within 2 %, but 2 x 300 = 600 is above the 500 approval limit.
    applied(client, site["counter"], count(task["id"], "A-03", [{"sku": "LAPTOP-BAG", "qty": 98}]))
    [line] = review(client, site["sup"], task["id"])["lines"]
    assert line["status"] == "awaiting_approval" and line["variance_value"] == 600
    assert review(client, site["sup"], task["id"])["status"] == "review"
    assert qty(client, site["sup"], "A-03", "LAPTOP-BAG") == 100
    queue = client.get("/api/v1/count-lines", query_string={"status": "awaiting_approval"},
                       headers=site["sup"]).get_json()["items"]
    assert [ln["id"] for ln in queue] == [line["id"]]
    r = client.post(f"/api/v1/count-lines/{line['id']}/approve", json={}, headers=site["sup"])
    assert r.status_code == 200
    assert qty(client, site["sup"], "A-03", "LAPTOP-BAG") == 98
    assert review(client, site["sup"], task["id"])["status"] == "done"


def test_a_line_awaiting_approval_is_announced_to_supervisors_with_its_figures(app, client, costly, auth_for):
    from test_realtime import connect, named, received
    site = costly
    listeners = {"supervisor": connect(app, site["sup"]), "admin": connect(app, auth_for("admin")),
                 "counter": connect(app, site["counter"]), "picker": connect(app, auth_for("picker"))}
    task = new_task(client, site["sup"], ["A-03"])
    for sio in listeners.values():
        sio.get_received()
    applied(client, site["counter"], count(task["id"], "A-03", [{"sku": "LAPTOP-BAG", "qty": 98}]))
    [line] = review(client, site["sup"], task["id"])["lines"]
    expected = {"lines": [{"id": line["id"], "task_id": task["id"], "bin": "A-03", "sku": "LAPTOP-BAG", "lot": None,
                           "counted": 98, "expected": 100, "variance": -2, "value": 600,
                           "counted_by": user_id(client, site["counter"]), "counted_at": line["counted_at"],
                           "exception_id": line["exception_id"],
                           "reason": "its value 600.00 is above the approval limit 500.00"}]}
    for role in ("supervisor", "admin"):
        assert named(received(listeners[role], until={"count.approval"}), "count.approval") == [expected], role
    # Nobody else hears the figures: the counter's own answer stays blind.
    for role in ("counter", "picker"):
        assert named(received(listeners[role]), "count.approval") == [], role
    for sio in listeners.values():
        sio.disconnect()


def test_a_costly_variance_can_be_approved_from_the_exceptions_queue(client, costly):
    site = costly
    task = new_task(client, site["sup"], ["A-03"])
    applied(client, site["counter"], count(task["id"], "A-03", [{"sku": "LAPTOP-BAG", "qty": 98}]))
    [exc] = client.get("/api/v1/exceptions", query_string={"kind": "count_variance"},
                       headers=site["sup"]).get_json()["items"]
    assert {a["name"] for a in exc["actions"]} >= {"approve", "reject"}
    r = client.post(f"/api/v1/exceptions/{exc['id']}/resolve", json={"action": "approve", "resolution": "ok"},
                    headers=site["sup"])
    assert r.status_code == 200, r.get_json()
    assert qty(client, site["sup"], "A-03", "LAPTOP-BAG") == 98
    assert review(client, site["sup"], task["id"])["lines"][0]["status"] == "adjusted"


def test_rejecting_a_count_posts_nothing_and_can_order_a_recount(client, costly):
    site = costly
    task = new_task(client, site["sup"], ["A-03"])
    applied(client, site["counter"], count(task["id"], "A-03", [{"sku": "LAPTOP-BAG", "qty": 98}]))
    line = review(client, site["sup"], task["id"])["lines"][0]
    r = client.post(f"/api/v1/count-lines/{line['id']}/reject", json={"note": "bags behind the pallet",
                                                                      "recount": True}, headers=site["sup"])
    assert r.status_code == 200, r.get_json()
    again = r.get_json()["recount_task_id"]
    assert qty(client, site["sup"], "A-03", "LAPTOP-BAG") == 100
    assert review(client, site["sup"], task["id"])["status"] == "done"
    assert review(client, site["sup"], task["id"])["accuracy"]["lines"] == 0  # a rejected count says nothing
    assert rejected(client, site["counter"], count(again, "A-03", [{"sku": "LAPTOP-BAG", "qty": 100}]))["status"] == 403
    applied(client, site["other"], count(again, "A-03", [{"sku": "LAPTOP-BAG", "qty": 100}]))
    assert review(client, site["sup"], again)["lines"][0]["status"] == "matched"


def test_a_supervisor_may_not_approve_their_own_count(client, costly, auth_for):
    site = costly
    task = new_task(client, site["sup"], ["A-03"])
    applied(client, site["sup"], count(task["id"], "A-03", [{"sku": "LAPTOP-BAG", "qty": 98}]))
    line = review(client, site["sup"], task["id"])["lines"][0]
    r = client.post(f"/api/v1/count-lines/{line['id']}/approve", json={}, headers=site["sup"])
    assert r.status_code == 403
    assert r.get_json()["detail"] == f"you counted line {line['id']} yourself; another supervisor must decide it"
    assert client.post(f"/api/v1/count-lines/{line['id']}/approve", json={},
                       headers=auth_for("admin")).status_code == 200


def test_approval_needs_a_supervisor(client, costly, auth_for):
    site = costly
    task = new_task(client, site["sup"], ["A-03"])
    applied(client, site["counter"], count(task["id"], "A-03", [{"sku": "LAPTOP-BAG", "qty": 98}]))
    line = review(client, site["sup"], task["id"])["lines"][0]
    for role in ("counter", "picker"):
        r = client.post(f"/api/v1/count-lines/{line['id']}/approve", json={}, headers=auth_for(role))
        assert r.status_code == 403
        assert r.get_json()["detail"].startswith(f"a {role} may not POST")
    r = client.get(f"/api/v1/count-tasks/{task['id']}/review", headers=site["counter"])
    assert r.status_code == 403


# -- serial numbers ------------------------------------------------------------------------------

def test_a_serial_count_moves_found_serials_and_writes_off_missing_ones(client, site, app):
    set_settings(client, site["sup"], count_approval_value=10_000)
    make_item(app, "DRILL", tracking="serial", unit_cost=50.0)
    for serial in ("S1", "S2", "S3"):
        receive(client, site["sup"], "DRILL", 1, "A-01", serial=serial)
    receive(client, site["sup"], "DRILL", 1, "A-03", serial="S4")
    task = new_task(client, site["sup"], ["A-01"])
    view = client.get(f"/api/v1/count-tasks/{task['id']}", headers=site["counter"]).get_json()
    assert "S1" not in str(view)  # serials are not given away either
    found = [{"sku": "WIDGET", "qty": 10}, {"sku": "DRILL", "serials": ["S1", "S2", "S4", "S2"]}]
    applied(client, site["counter"], count(task["id"], "A-01", found))
    line = [ln for ln in review(client, site["sup"], task["id"])["lines"] if ln["sku"] == "DRILL"][0]
    assert line["status"] == "recount"
    assert (line["serials_missing"], line["serials_extra"]) == (["S3"], ["S4"])
    recount = review(client, site["sup"], task["id"])["recounts"][0]
    applied(client, site["other"], count(recount, "A-01", [{"sku": "DRILL", "serials": ["S4", "S1", "S2"]}]))
    second = review(client, site["sup"], recount)["lines"][0]
    assert second["status"] == "adjusted" and second["adjusted_qty"] == 0  # one out, one in
    where = {r["serial"]: r["to_bin"] for r in movements(client, site["sup"], kind="count")}
    assert where == {"S3": None, "S4": "A-01"}
    assert qty(client, site["sup"], "A-01", "DRILL") == 3
    assert qty(client, site["sup"], "A-03", "DRILL") == 0


# -- count requests from other workflows -----------------------------------------------------------

def test_negative_stock_from_an_offline_replay_becomes_a_count_task(client, site, auth_for):
    picker = auth_for("picker")
    [res] = applied(client, picker, cmd("move", {"sku": "WIDGET", "qty": 12, "from_bin": "A-01", "to_bin": "TOTE-1"},
                                        replay=True))
    assert res["exceptions"][0]["kind"] == "negative_stock"
    assert len(client.get("/api/v1/count-requests", headers=site["counter"]).get_json()["items"]) == 1
    [task] = task_list(client, site["counter"], kind="negative_stock")
    assert task["priority"] == 1 and task["bins"] == 1 and "negative_stock" in task["note"]
    assert client.get("/api/v1/count-requests", headers=site["counter"]).get_json()["items"] == []
    assert task_list(client, site["counter"], kind="negative_stock") == [task]  # not raised twice
    view = client.get(f"/api/v1/count-tasks/{task['id']}", headers=site["counter"]).get_json()
    assert view["bins"][0]["bin"] == "A-01" and view["bins"][0]["only_sku"] == "WIDGET"
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 0}], when=at(5)))
    assert qty(client, site["sup"], "A-01", "WIDGET") == -2  # nothing was there; a recount will settle it
    conn = client.application.extensions["floorscan"].read()
    assert conn.execute("SELECT status FROM count_request").fetchone()[0] == "done"


def test_a_count_limited_to_one_item_refuses_others(client, site, app):
    make_item(app, "GADGET")
    task = new_task(client, site["sup"], ["A-01"], only_sku="WIDGET")
    problem = rejected(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 10},
                                                                             {"sku": "GADGET", "qty": 1}]))
    assert problem["status"] == 422
    assert problem["detail"] == "this count is for WIDGET only; do not report GADGET here"
    assert problem["errors"][0]["field"] == "commands[0].payload.items[1].sku"


# -- tasks by zone, assignment, cancel ----------------------------------------------------------

def test_a_zone_or_aisle_count_covers_its_bins_in_walk_order(client, site):
    zone = new_task(client, site["sup"], kind="zone", zone="A")
    assert [b["bin"] for b in zone["bins"]] == ["A-02", "A-01", "A-03"]
    aisle = new_task(client, site["sup"], kind="zone", zone="A", aisle="A-1")
    assert [b["bin"] for b in aisle["bins"]] == ["A-02", "A-01"]
    for body, field, detail in (
            ({"kind": "zone", "zone": "Q"}, "zone", "zone Q has no bins to count"),
            ({"kind": "bin", "bins": ["A-01", "NOPE"]}, "bins[1]", "no bin with code 'NOPE'"),
            ({"kind": "bin", "bins": ["TOTE-1"]}, "bins[0]", "bin TOTE-1 is a tote; count the bin it stands in"),
            ({"kind": "bin", "bins": ["A-01"], "only_sku": "NOPE"}, "only_sku", "no item with sku 'NOPE'")):
        r = client.post("/api/v1/count-tasks", json=body, headers=site["sup"])
        assert r.status_code == 422, r.get_json()
        assert (r.get_json()["detail"], r.get_json()["errors"][0]["field"]) == (detail, field)
    r = client.post("/api/v1/count-tasks", json={"kind": "zone", "bins": ["A-01"]}, headers=site["sup"])
    assert r.status_code == 422 and "a zone count names a zone" in r.get_json()["detail"]


def test_an_assigned_task_belongs_to_its_counter(client, site, auth_for):
    other_id = user_id(client, site["other"])
    task = new_task(client, site["sup"], ["A-01"], assigned_to=other_id)
    assert task["id"] not in [t["id"] for t in task_list(client, site["counter"])]
    problem = rejected(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 10}]))
    assert (problem["status"], problem["detail"]) == (
        409, f"count task {task['id']} is assigned to Second Counter; ask a supervisor to reassign it")
    picker_id = user_id(client, auth_for("picker"))
    r = client.post(f"/api/v1/count-tasks/{task['id']}/assign", json={"assigned_to": picker_id}, headers=site["sup"])
    assert r.status_code == 422 and "only a counter, supervisor or admin counts" in r.get_json()["detail"]
    r = client.post(f"/api/v1/count-tasks/{task['id']}/assign", json={"assigned_to": user_id(client, site["counter"])},
                    headers=site["sup"])
    assert r.status_code == 200 and r.get_json()["assigned_to"] == user_id(client, site["counter"])
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 10}]))


def test_a_cancelled_task_cannot_be_counted(client, site):
    task = new_task(client, site["sup"], ["A-01", "A-02"])
    applied(client, site["counter"], count(task["id"], "A-02", []))
    r = client.post(f"/api/v1/count-tasks/{task['id']}/cancel", json={"reason": "stock take moved"},
                    headers=site["sup"])
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    problem = rejected(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 10}]))
    assert (problem["status"], problem["detail"]) == (
        409, f"count task {task['id']} is cancelled; nothing more can be counted in it")
    r = client.post(f"/api/v1/count-tasks/{task['id']}/cancel", json={"reason": "again"}, headers=site["sup"])
    assert r.status_code == 409


def test_the_task_list_pages_most_urgent_first_without_skipping(client, site):
    # A zone count (priority 4) made before two bin counts (priority 3): urgency is not id order.
    zone = new_task(client, site["sup"], kind="zone", zone="A")
    bins = [new_task(client, site["sup"], [b])["id"] for b in ("A-02", "A-03")]
    everything = task_list(client, site["counter"])
    assert [t["id"] for t in everything][:3] == [*bins, zone["id"]]
    pages, after = [], 0
    while after is not None:
        r = client.get("/api/v1/count-tasks", query_string={"limit": 1, "after_id": after}, headers=site["counter"])
        assert r.status_code == 200, r.get_json()
        pages += [t["id"] for t in r.get_json()["items"]]
        after = r.get_json()["next_after_id"]
    assert pages == [t["id"] for t in everything]
    r = client.get("/api/v1/count-tasks", query_string={"after_id": 999}, headers=site["counter"])
    assert (r.status_code, r.get_json()["detail"]) == (
        422, "no count task 999 to continue after; list again without after_id")


# -- refusals -----------------------------------------------------------------------------------

def test_who_may_count(client, site, auth_for):
    task = new_task(client, site["sup"], ["A-01"])
    for role in ("picker", "receiver"):
        problem = rejected(client, auth_for(role), count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 10}]))
        assert problem["status"] == 403
        assert problem["detail"] == f"a {role} may not send count commands (allowed: admin, counter, supervisor)"
    r = client.post("/api/v1/count-tasks", json={"kind": "bin", "bins": ["A-01"]}, headers=site["counter"])
    assert r.status_code == 403
    assert client.get("/api/v1/count-tasks", headers=auth_for("picker")).status_code == 403


@pytest.mark.parametrize("items,field,status,detail", [
    ([{"sku": "NOPE", "qty": 1}], "items[0].sku", 422, "no item with sku 'NOPE'"),
    ([{"sku": "WIDGET", "qty": 9.5}], "items[0].qty", 422,
     "WIDGET is counted in whole ea; 9.5 is not a whole number"),
    ([{"sku": "WIDGET"}], "items[0].qty", 422, "say how many WIDGET you found (qty; 0 if none)"),
    ([{"sku": "WIDGET", "qty": 10, "lot": "L1"}], "items[0].lot", 422, "WIDGET is not lot-tracked; do not give a lot"),
    ([{"sku": "WIDGET", "serials": ["X"]}], "items[0].serials", 422,
     "WIDGET is not serial-tracked; send qty, not serials"),
    ([{"sku": "JAM", "qty": 3}], "items[0].lot", 422, "JAM is lot-tracked; scan or enter the lot"),
    ([{"sku": "DRILL", "qty": 1}], "items[0].serials", 422,
     "DRILL is serial-tracked; scan every serial (serials: [] if none)"),
    ([], "items", 422, "bin A-01: you did not report WIDGET; count it and send 0 if it is not there"),
    ([{"sku": "WIDGET", "qty": 10}, {"sku": "MILK", "lot": "NEW", "qty": 1}], "items[1].expiry", 422,
     "lot NEW of MILK is new here; enter its expiry date from the label"),
])
def test_a_bad_count_is_refused_with_what_is_wrong(client, site, app, items, field, status, detail):
    make_item(app, "JAM", tracking="lot")
    make_item(app, "DRILL", tracking="serial")
    make_item(app, "MILK", tracking="lot", perishable=True)
    task = new_task(client, site["sup"], ["A-01"])
    problem = rejected(client, site["counter"], count(task["id"], "A-01", items))
    assert (problem["status"], problem["detail"]) == (status, detail)
    assert problem["errors"][0]["field"] == f"commands[0].payload.{field}"
    assert review(client, site["sup"], task["id"])["lines"] == []


def test_an_offline_count_that_left_an_item_out_counts_it_as_zero(client, site):
    set_settings(client, site["sup"], count_tolerance_pct=100, count_approval_value=10_000)
    task = new_task(client, site["sup"], ["A-01"])
    applied(client, site["counter"], count(task["id"], "A-01", [], replay=True))
    [line] = review(client, site["sup"], task["id"])["lines"]
    assert (line["counted_qty"], line["expected_qty"], line["status"]) == (0, 10, "adjusted")
    assert qty(client, site["sup"], "A-01", "WIDGET") == 0


def test_task_and_bin_refusals(client, site):
    task = new_task(client, site["sup"], ["A-01", "A-03"])
    cases = [
        (count(999, "A-01", []), 404, "no count task 999", "task_id"),
        (count(task["id"], "A-02", []), 422,
         f"bin A-02 is not part of count task {task['id']}; scan a bin of the task", "bin"),
        (count(task["id"], "A-01", [], started=at(10), when=at(5)), 422,
         "started_at is after the command's at: the count cannot end before it began", "started_at"),
        (cmd("count.start", {"task_id": 999}), 404, "no count task 999", "task_id"),
    ]
    for command, status, detail, field in cases:
        problem = rejected(client, site["counter"], command)
        assert (problem["status"], problem["detail"]) == (status, detail)
        assert problem["errors"][0]["field"] == f"commands[0].payload.{field}"
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 10}]))
    # Even a replay from another counter's device: the bin has its count.
    problem = rejected(client, site["other"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 10}], replay=True))
    assert problem["status"] == 409 and problem["detail"].startswith(
        f"bin A-01 of count task {task['id']} was counted by Counter at ")


def test_the_same_count_sent_twice_counts_once(client, site):
    set_settings(client, site["sup"], count_tolerance_pct=20)
    task = new_task(client, site["sup"], ["A-01"])
    command = count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 9}])
    applied(client, site["counter"], command)
    [again] = applied(client, site["counter"], dict(command, replay=True))
    assert again["status"] == "duplicate"
    assert qty(client, site["sup"], "A-01", "WIDGET") == 9
    assert len(review(client, site["sup"], task["id"])["lines"]) == 1
