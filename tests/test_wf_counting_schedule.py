"""The ABC cycle-count schedule, inventory record accuracy, and the live
events of counting."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest

from conftest import make_bin, make_item
from edge.realtime import socketio
from test_wf_counting import add_counter, applied, count, new_task, receive, set_settings, task_list


@pytest.fixture
def site(app, client, auth_for):
    """Four A items, three B, two C and one without a class, each in its own bin."""
    sup = auth_for("supervisor")
    classes = ["A"] * 4 + ["B"] * 3 + ["C"] * 2 + [None]
    for n, abc in enumerate(classes, start=1):
        zone = "P" if n % 2 else "Q"
        make_bin(app, f"{zone}-{n:02d}", zone=zone, walk_seq=100 - n)
        make_item(app, f"ITEM-{n:02d}", abc_class=abc, unit_cost=1.0)
        receive(client, sup, f"ITEM-{n:02d}", 10, f"{zone}-{n:02d}")
    return {"sup": sup, "counter": auth_for("counter"), "other": add_counter(app, client)}


def scheduled(client, headers) -> dict[int, list[str]]:
    out = {}
    for t in task_list(client, headers, kind="schedule"):
        view = client.get(f"/api/v1/count-tasks/{t['id']}", headers=headers).get_json()
        out[t["id"]] = [b["bin"] for b in view["bins"]]
    return out


def items_in(tasks: dict) -> set[str]:
    return {f"ITEM-{b[2:]}" for bins in tasks.values() for b in bins}


def test_the_days_cycle_counts_spread_each_class_over_its_period(client, site):
    first = scheduled(client, site["counter"])  # the first look of the day runs the schedule
    # One A (4 items / 30 days), one B (3 / 90) and one C (2 / 365), never-counted first, by sku.
    assert items_in(first) == {"ITEM-01", "ITEM-05", "ITEM-08"}
    for bins in first.values():  # one task per zone, in walk order
        assert len({b[0] for b in bins}) == 1
        assert bins == sorted(bins, reverse=True)
    assert {t["note"] for t in task_list(client, site["sup"], kind="schedule")} == \
        {f"cycle count {date.today().isoformat()}: 1 A, 1 B, 1 C items due"}
    assert scheduled(client, site["counter"]) == first  # once a day
    r = client.post("/api/v1/count-tasks/refresh", json={"schedule": True}, headers=site["sup"])
    assert r.status_code == 200 and r.get_json()["created"]
    again = scheduled(client, site["counter"])
    # Items already waiting in a task are not raised twice: the next ones come up.
    assert items_in(again) - items_in(first) == {"ITEM-02", "ITEM-06", "ITEM-09"}
    set_settings(client, site["sup"], count_days_a=1)
    client.post("/api/v1/count-tasks/refresh", json={"schedule": True}, headers=site["sup"])
    assert {"ITEM-03", "ITEM-04"} <= items_in(scheduled(client, site["counter"]))
    assert "ITEM-10" not in items_in(scheduled(client, site["counter"]))  # no class, no schedule


def test_a_counted_item_comes_round_again_after_its_period(app, client, site):
    from edge.workflows.counting_schedule import housekeeping
    set_settings(client, site["sup"], count_days_a=7)
    tasks = scheduled(client, site["counter"])
    [a_task] = [tid for tid, bins in tasks.items() if "P-01" in bins]
    applied(client, site["counter"], count(a_task, "P-01", [{"sku": "ITEM-01", "qty": 10}]))
    writer = app.extensions["floorscan"]

    def run(days_ahead: int) -> set[str]:
        later = datetime.now(timezone.utc) + timedelta(days=days_ahead)
        hk = writer.write(lambda conn: housekeeping(conn, later.date(), later.isoformat()))
        bins = [b for t in hk.created for b in _bins(writer, t["id"])]
        return {f"ITEM-{b[2:]}" for b in bins}

    week = run(1)
    assert "ITEM-01" not in week            # counted a moment ago
    assert "ITEM-01" in run(8) | run(9)     # 7 days on, due again (the oldest of its class first)


def _bins(writer, task_id) -> list[str]:
    return [r[0] for r in writer.read().execute("SELECT bin FROM count_task_bin WHERE task_id = ?", (task_id,))]


# -- inventory record accuracy ---------------------------------------------------------------

def test_record_accuracy_per_count_per_period_and_by_class(client, site):
    # The counts are made now, by the device's clock as well: the report's periods are
    # days of the calendar, and the shared helper's fixed device time (2026-11-27) made
    # this test fail on the day after it and would have again 30 days on.
    now = datetime.now(timezone.utc)
    day = now.date()

    def count_now(*args):
        return dict(count(*args), at=now.isoformat(timespec="seconds").replace("+00:00", "Z"))

    set_settings(client, site["sup"], count_tolerance_pct=10)
    task = new_task(client, site["sup"], ["P-01", "Q-02", "P-05", "Q-08", "Q-10"])
    counter = site["counter"]
    applied(client, counter,
            count_now(task["id"], "P-01", [{"sku": "ITEM-01", "qty": 10}]),   # A: right
            count_now(task["id"], "Q-02", [{"sku": "ITEM-02", "qty": 5}]),    # A: wrong, confirmed by the recount
            count_now(task["id"], "P-05", [{"sku": "ITEM-05", "qty": 9}]),    # B: within 10 %
            count_now(task["id"], "Q-08", [{"sku": "ITEM-08", "qty": 12}]),   # C: wrong, the recount finds 10
            count_now(task["id"], "Q-10", [{"sku": "ITEM-10", "qty": 10}]))   # no class: right
    summary = [t for t in task_list(client, site["sup"], status="all") if t["kind"] == "recount"]
    [recount] = summary
    applied(client, site["other"], count_now(recount["id"], "Q-02", [{"sku": "ITEM-02", "qty": 5}]),
            count_now(recount["id"], "Q-08", [{"sku": "ITEM-08", "qty": 10}]))
    [done] = [t for t in task_list(client, site["sup"], status="done") if t["id"] == task["id"]]
    assert done["accuracy"] == {"lines": 5, "accurate": 4, "ira": 0.8}
    r = client.get("/api/v1/counts/accuracy", headers=site["sup"])
    assert r.status_code == 200
    body = r.get_json()
    assert (body["lines"], body["accurate"], body["ira"]) == (5, 4, 0.8)
    assert {k: (v["lines"], v["accurate"]) for k, v in body["by_class"].items()} == \
        {"A": (2, 1), "B": (1, 1), "C": (1, 1), "none": (1, 1)}
    assert {c["task_id"]: c["ira"] for c in body["counts"]} == {task["id"]: 0.8, recount["id"]: 0.5}
    yesterday = (day - timedelta(days=1)).isoformat()
    r = client.get("/api/v1/counts/accuracy", query_string={"from": yesterday, "to": yesterday}, headers=site["sup"])
    assert (r.get_json()["lines"], r.get_json()["ira"]) == (0, None)
    r = client.get("/api/v1/counts/accuracy", query_string={"from": day.isoformat(), "to": yesterday},
                   headers=site["sup"])
    assert r.status_code == 422 and r.get_json()["detail"] == "from is after to"
    assert client.get("/api/v1/counts/accuracy", headers=site["counter"]).status_code == 403


# -- live events -------------------------------------------------------------------------------

def _events(sio, name, wait=1.0):
    deadline, out = time.monotonic() + wait, []
    while time.monotonic() < deadline and not out:
        out = [e["args"][0] for e in sio.get_received() if e["name"] == name]
        time.sleep(0.02)
    return out


def test_counters_hear_of_new_tasks_and_supervisors_of_approvals(app, client, site, auth_for):
    set_settings(client, site["sup"], count_approval_value=0.5, count_tolerance_pct=20)
    token = lambda h: h["Authorization"].split(" ", 1)[1]  # noqa: E731
    counter = socketio.test_client(app, auth={"token": token(site["counter"])})
    supervisor = socketio.test_client(app, auth={"token": token(site["sup"])})
    picker = socketio.test_client(app, auth={"token": token(auth_for("picker"))})
    for sio in (counter, supervisor, picker):
        sio.get_received()
    task = new_task(client, site["sup"], ["P-01"])
    [event] = _events(counter, "count.requested")
    assert [t["id"] for t in event["tasks"]] == [task["id"]]
    applied(client, site["counter"], count(task["id"], "P-01", [{"sku": "ITEM-01", "qty": 11}]))
    [raised] = _events(supervisor, "exception.raised")
    assert raised["exceptions"][0]["kind"] == "count_variance"
    assert not [e for e in picker.get_received() if e["name"] in ("count.requested", "exception.raised")]
    for sio in (counter, supervisor, picker):
        sio.disconnect()
