"""The moment of count: movements into or out of a bin around a count are
reconciled, so the adjustment is counted - expected at the moment of count and
a pick during the count is never corrected twice.

The moment is when the counter looked (``started_at``, the scan of the bin
label; else the command's ``at``), on the same device clock as every
movement's ``scanned_at``. A pick here is a move from the bin into a tote:
the same movement a pick list makes."""
from __future__ import annotations

import pytest

from conftest import make_bin, make_item
from test_wf_counting import (
    add_counter, applied, at, cmd, count, movements, new_task, qty, receive, review, set_settings, task_list,
)


@pytest.fixture
def site(app, client, auth_for):
    make_bin(app, "A-01", zone="A")
    make_bin(app, "TOTE-1", kind="tote")
    make_item(app, "WIDGET", unit_cost=2.0)
    make_item(app, "LAPTOP-BAG", unit_cost=300.0)
    sup = auth_for("supervisor")
    receive(client, sup, "WIDGET", 10, "A-01", when=at(-60))
    set_settings(client, sup, count_tolerance_pct=20)
    return {"sup": sup, "counter": auth_for("counter"), "picker": auth_for("picker"),
            "other": add_counter(app, client)}


def pick(n, when, replay=False, sku="WIDGET", cid=None):
    return cmd("move", {"sku": sku, "qty": n, "from_bin": "A-01", "to_bin": "TOTE-1"}, when=when, replay=replay,
               cid=cid)


def test_a_pick_during_the_count_is_not_double_corrected(client, site):
    # Records 10, the floor 9 (one lost). The counter scans the bin label, a
    # picker takes 3 while they count, and they send the 9 they counted.
    task = new_task(client, site["sup"], ["A-01"])
    applied(client, site["picker"], pick(3, at(1)))
    started = at(0).replace("Z", "+00:00").replace("T", " ")  # any ISO spelling; here UTC with an offset
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 9}], started=started,
                                           when=at(2)))
    [line] = review(client, site["sup"], task["id"])["lines"]
    assert (line["expected_qty"], line["variance"], line["adjusted_qty"]) == (10, -1, -1)
    # The bin holds 9 - 3 = 6; counted - on hand now would have made it 9.
    assert qty(client, site["sup"], "A-01", "WIDGET") == 6


def test_without_started_at_the_moment_is_the_commands_at(client, site):
    task = new_task(client, site["sup"], ["A-01"])
    applied(client, site["picker"], pick(3, at(1)))
    # Counted after the pick: 10 - 1 lost - 3 picked.
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 6}], when=at(2)))
    [line] = review(client, site["sup"], task["id"])["lines"]
    assert (line["expected_qty"], line["adjusted_qty"]) == (7, -1)
    assert qty(client, site["sup"], "A-01", "WIDGET") == 6


def test_an_offline_count_replayed_after_later_picks_is_still_right(client, site):
    task = new_task(client, site["sup"], ["A-01"])
    offline = count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 9}], when=at(0), replay=True)
    applied(client, site["picker"], pick(3, at(1)), pick(2, at(2)))
    applied(client, site["counter"], offline)  # the handheld got back on Wi-Fi
    [line] = review(client, site["sup"], task["id"])["lines"]
    assert (line["expected_qty"], line["adjusted_qty"]) == (10, -1)
    assert qty(client, site["sup"], "A-01", "WIDGET") == 4
    # Replayed again (and again): the same count, once.
    applied(client, site["counter"], offline, offline)
    assert qty(client, site["sup"], "A-01", "WIDGET") == 4


def test_an_offline_pick_from_before_the_count_arriving_after_it_is_compensated(client, site):
    set_settings(client, site["sup"], count_tolerance_pct=50)
    task = new_task(client, site["sup"], ["A-01"])
    early = pick(3, at(0), replay=True)    # the picker is in a Wi-Fi dead zone
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 7}], when=at(1)))
    assert qty(client, site["sup"], "A-01", "WIDGET") == 7   # the counter saw 7: -3 posted
    applied(client, site["picker"], early, pick(2, at(2), replay=True))
    assert qty(client, site["sup"], "A-01", "WIDGET") == 2   # the early pick is now counted twice ...
    task_list(client, site["counter"])                      # ... until the count tasks are next looked at
    assert qty(client, site["sup"], "A-01", "WIDGET") == 5   # 7 counted, less the pick after the count
    compensation = [m for m in movements(client, site["sup"], kind="count") if m["to_bin"] == "A-01"]
    assert [(m["qty"], m["reason"], m["ref_type"], m["ref_id"], m["scanned_at"]) for m in compensation] == \
        [(3, "count", "count", str(task["id"]), at(1).replace("Z", ".000Z"))]
    task_list(client, site["counter"])
    applied(client, site["picker"], early)
    assert qty(client, site["sup"], "A-01", "WIDGET") == 5   # once only


def test_the_refresh_endpoint_reconciles_too(client, site):
    set_settings(client, site["sup"], count_tolerance_pct=50)
    task = new_task(client, site["sup"], ["A-01"])
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 7}], when=at(1)))
    applied(client, site["picker"], pick(3, at(0), replay=True))
    r = client.post("/api/v1/count-tasks/refresh", json={}, headers=site["sup"])
    assert r.status_code == 200 and r.get_json()["late_movements"] == 1
    assert qty(client, site["sup"], "A-01", "WIDGET") == 7


def test_an_older_count_arriving_after_a_newer_one_changes_nothing(client, site):
    first, second = new_task(client, site["sup"], ["A-01"]), new_task(client, site["sup"], ["A-01"])
    late = count(first["id"], "A-01", [{"sku": "WIDGET", "qty": 9}], when=at(1), replay=True)
    applied(client, site["other"], count(second["id"], "A-01", [{"sku": "WIDGET", "qty": 9}], when=at(2)))
    assert qty(client, site["sup"], "A-01", "WIDGET") == 9
    applied(client, site["counter"], late)
    [line] = review(client, site["sup"], first["id"])["lines"]
    assert line["status"] == "superseded" and line["adjusted_qty"] == 0
    assert qty(client, site["sup"], "A-01", "WIDGET") == 9


def test_an_approval_posts_counted_minus_expected_at_the_count_not_at_the_approval(client, site):
    receive(client, site["sup"], "LAPTOP-BAG", 100, "A-01", when=at(-60))
    task = new_task(client, site["sup"], ["A-01"], only_sku="LAPTOP-BAG")
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "LAPTOP-BAG", "qty": 98}], when=at(1)))
    [line] = review(client, site["sup"], task["id"])["lines"]
    assert line["status"] == "awaiting_approval"   # 2 x 300 is above the approval limit
    applied(client, site["picker"], pick(10, at(2), sku="LAPTOP-BAG"))
    r = client.post(f"/api/v1/count-lines/{line['id']}/approve", json={}, headers=site["sup"])
    assert r.status_code == 200 and r.get_json()["adjusted_qty"] == -2
    assert qty(client, site["sup"], "A-01", "LAPTOP-BAG") == 88


def test_a_late_pick_from_before_the_count_that_arrives_before_the_approval_is_in_it(client, site):
    set_settings(client, site["sup"], count_tolerance_pct=10)
    receive(client, site["sup"], "LAPTOP-BAG", 100, "A-01", when=at(-60))
    task = new_task(client, site["sup"], ["A-01"], only_sku="LAPTOP-BAG")
    early = pick(3, at(0), replay=True, sku="LAPTOP-BAG")
    # 3 picked offline before the count, 2 lost: the counter finds 95.
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "LAPTOP-BAG", "qty": 95}], when=at(1)))
    [line] = review(client, site["sup"], task["id"])["lines"]
    assert (line["expected_qty"], line["status"]) == (100, "awaiting_approval")
    applied(client, site["picker"], early)
    r = client.post(f"/api/v1/count-lines/{line['id']}/approve", json={}, headers=site["sup"])
    assert r.get_json()["adjusted_qty"] == -2
    task_list(client, site["counter"])
    assert qty(client, site["sup"], "A-01", "LAPTOP-BAG") == 95


def test_an_online_movement_that_only_looks_earlier_is_left_alone(client, site):
    set_settings(client, site["sup"], count_tolerance_pct=50)
    task = new_task(client, site["sup"], ["A-01"])
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "WIDGET", "qty": 7}], when=at(1)))
    # Sent online after the count, stamped earlier: that is a slow device clock, not a late replay.
    applied(client, site["picker"], pick(2, at(0)))
    task_list(client, site["counter"])
    assert qty(client, site["sup"], "A-01", "WIDGET") == 5


def test_a_serial_moved_before_its_count_but_replayed_after_it_goes_to_the_supervisor(app, client, site):
    make_item(app, "DRILL", tracking="serial", unit_cost=50.0)
    receive(client, site["sup"], "DRILL", 1, "A-01", serial="S1", when=at(-60))
    task = new_task(client, site["sup"], ["A-01"], only_sku="DRILL")
    applied(client, site["counter"], count(task["id"], "A-01", [{"sku": "DRILL", "serials": ["S1"]}], when=at(1)))
    applied(client, site["picker"], cmd("move", {"sku": "DRILL", "qty": 1, "serial": "S1", "from_bin": "A-01",
                                                 "to_bin": "TOTE-1"}, when=at(0), replay=True))
    task_list(client, site["counter"])
    [exc] = client.get("/api/v1/exceptions", query_string={"kind": "count_late_movement"},
                       headers=site["sup"]).get_json()["items"]
    assert exc["bin"] == "A-01" and "serial S1 (DRILL) happened before the count of bin A-01" in exc["detail"]
    assert qty(client, site["sup"], "TOTE-1", "DRILL") == 1  # a serial is never put in two places
