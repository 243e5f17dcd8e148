"""Offline replay of picking: a picker's recorded commands replayed late,
twice, and interleaved with another picker's, end in the same stock as when
applied online, with exceptions only where reality disagreed.

Two warehouses are built the same way. In the first every command arrives
online, in the order things happened. In the second, picker 1's handheld was
in a dead zone: picker 2 works online while picker 1's outbox arrives later
with ``replay: true``, split around picker 2's steps, and then once more.
"""
from __future__ import annotations

import uuid

import pytest

from conftest import PINS, add_users, assert_verified, command, sign_in
from edge import auth
from edge.app import create_app
from edge.models import UserIn
from test_wf_picking_setup import EAN, assert_reservations_sound, build_site, order, stock, wave

PIN_2 = "6666"


class Site:
    """One warehouse with two pickers, two orders and a released wave."""

    def __init__(self, tmp_path, name: str):
        self.app = create_app({"DATABASE": str(tmp_path / f"{name}.db"), "TESTING": True,
                               "EVENT_FLUSH_SECONDS": 0.05})
        add_users(self.app)
        self.app.extensions["floorscan"].write(
            lambda conn: auth.create_user(conn, UserIn(name="Second Picker", role="picker", pin=PIN_2)))
        self.client = self.app.test_client()
        self.sup = sign_in(self.client, PINS["supervisor"])
        self.p1 = sign_in(self.client, PINS["picker"])
        self.p2 = sign_in(self.client, PIN_2)
        build_site(self.app)
        ids = [self.client.get("/api/v1/me", headers=h).get_json()["id"] for h in (self.p1, self.p2)]
        # The records say A-01 holds 10 of SKU-1; on the floor it holds 6.
        stock(self.client, self.sup, "SKU-1", "A-01", 10)
        stock(self.client, self.sup, "SKU-1", "B-02", 10)
        stock(self.client, self.sup, "SKU-2", "B-01", 20)
        order(self.client, self.sup, "SO-1", [{"sku": "SKU-1", "qty": 6}, {"sku": "SKU-2", "qty": 2}], priority=1)
        order(self.client, self.sup, "SO-2", [{"sku": "SKU-1", "qty": 4}, {"sku": "SKU-2", "qty": 3}], priority=2)
        lists = wave(self.client, self.sup, order_ids=["SO-1", "SO-2"], assign_to=ids)["lists"]
        assert [(ls["orders"], ls["assigned_to"]) for ls in lists] == [(["SO-1"], ids[0]), (["SO-2"], ids[1])]

    def send(self, headers, commands) -> list[dict]:
        r = self.client.post("/api/v1/commands", json={"commands": commands}, headers=headers)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["results"]

    def stock(self) -> list[tuple]:
        items = self.client.get("/api/v1/stock?limit=10000", headers=self.sup).get_json()["items"]
        return sorted((s["bin"], s["sku"], s["lot"], s["qty"], s["reserved"]) for s in items)

    def exceptions(self) -> list[tuple]:
        items = self.client.get("/api/v1/exceptions?status=all", headers=self.sup).get_json()["items"]
        return sorted((e["kind"], e["bin"], e["sku"]) for e in items)

    def close(self):
        assert_reservations_sound(self.app)
        self.app.extensions["floorscan"].close()
        assert_verified(self.app.extensions["floorscan"].path)


@pytest.fixture
def sites(tmp_path):
    made: list[Site] = []

    def make(name):
        made.append(Site(tmp_path, name))
        return made[-1]
    yield make
    for s in made:
        s.close()


def cmd(ctype, payload, *, at, replay=False, cid=None):
    c = command(ctype, payload, replay=replay, cid=cid or str(uuid.uuid4()))
    c["at"] = at
    return c


def picker_1(replay: bool) -> list[dict]:
    """What picker 1's handheld recorded, with the ids it minted then."""
    ids = [str(uuid.UUID(int=n)) for n in range(1, 5)]
    steps = [("pick.tote", {"list_id": 1, "tote": "TOTE-1"}),
             ("pick.confirm", {"list_id": 1, "line": 1, "bin": "A-01", "item": EAN, "qty": 6}),
             ("pick.confirm", {"list_id": 1, "line": 2, "bin": "B-01", "item": "SKU-2", "qty": 2}),
             ("order.ship", {"order_id": "SO-1", "tote": "TOTE-1"})]
    return [cmd(t, p, at=f"2026-11-27T08:0{n}:00Z", replay=replay, cid=i)
            for n, (i, (t, p)) in enumerate(zip(ids, steps))]


def picker_2() -> list[dict]:
    ids = [str(uuid.UUID(int=n)) for n in range(101, 106)]
    steps = [("pick.tote", {"list_id": 2, "tote": "TOTE-2"}),
             # A-01 is empty when picker 2 gets there: picker 1 took the 6 it really held.
             ("pick.short", {"list_id": 2, "line": 1, "bin": "A-01", "qty": 0, "note": "bin empty"}),
             ("pick.confirm", {"list_id": 2, "line": 2, "bin": "B-01", "item": "SKU-2", "qty": 3}),
             ("pick.confirm", {"list_id": 2, "line": 3, "bin": "B-02", "item": EAN, "qty": 4}),
             ("order.ship", {"order_id": "SO-2", "tote": "TOTE-2"})]
    return [cmd(t, p, at=f"2026-11-27T08:1{n}:00Z", cid=i) for n, (i, (t, p)) in enumerate(zip(ids, steps))]


def statuses(results) -> list[str]:
    return [r["status"] for r in results]


def test_replayed_late_twice_and_interleaved_ends_in_the_same_stock(sites):
    online, offline = sites("online"), sites("offline")
    p1, p2 = picker_1(replay=False), picker_2()
    # Online, in the order it happened on the floor.
    for headers, batch in ((online.p1, p1[:2]), (online.p2, p2[:2]), (online.p1, p1[2:3]), (online.p2, p2[2:4]),
                           (online.p1, p1[3:]), (online.p2, p2[4:])):
        assert statuses(online.send(headers, batch)) == ["applied"] * len(batch)

    # Offline: picker 2 works online; picker 1's outbox arrives late, in two goes, around picker 2's steps.
    late = picker_1(replay=True)
    assert statuses(offline.send(offline.p2, p2[:2])) == ["applied"] * 2
    assert statuses(offline.send(offline.p1, late[:2])) == ["applied"] * 2
    assert statuses(offline.send(offline.p2, p2[2:4])) == ["applied"] * 2
    assert statuses(offline.send(offline.p1, late[2:])) == ["applied"] * 2
    assert statuses(offline.send(offline.p2, p2[4:])) == ["applied"]
    # ... and the whole outbox once more, as a handheld does when it never heard back.
    again = offline.send(offline.p1, late)
    assert statuses(again) == ["duplicate"] * 4
    assert sum(len(r["movements"]) for r in again) == 4  # the stored answers: 2 picks, a ship of 2 items

    assert offline.stock() == online.stock() == [
        ("A-01", "SKU-1", None, 4, 0), ("B-01", "SKU-2", None, 15, 0), ("B-02", "SKU-1", None, 6, 0)]
    # The one place reality disagreed with the records: the short bin, in both.
    assert offline.exceptions() == online.exceptions() == [("short_pick", "A-01", "SKU-1")]
    for site in (online, offline):
        so = site.client.get("/api/v1/sales-orders/SO-2", headers=site.sup).get_json()
        assert (so["status"], [ln["shipped_qty"] for ln in so["lines"]]) == ("shipped", [4, 3])


def test_a_replay_that_contradicts_the_records_is_recorded_with_exceptions(sites):
    site = sites("conflict")
    me = site.client.get("/api/v1/me", headers=site.p2).get_json()["id"]
    # Picker 1 went quiet; the supervisor gives the list to picker 2, who picks line 1 online.
    assert site.client.post("/api/v1/pick-lists/1/assign", json={"user_id": me}, headers=site.sup).status_code == 200
    online = [cmd("pick.tote", {"list_id": 1, "tote": "TOTE-3"}, at="2026-11-27T09:00:00Z"),
              cmd("pick.confirm", {"list_id": 1, "line": 1, "bin": "A-01", "item": EAN, "qty": 6, "tote": "TOTE-3"},
                  at="2026-11-27T09:01:00Z")]
    assert statuses(site.send(site.p2, online)) == ["applied"] * 2
    # Then picker 1's outbox arrives: they had picked line 1 too, into TOTE-1.
    late = picker_1(replay=True)[:2]
    late[1]["payload"]["tote"] = "TOTE-1"
    results = site.send(site.p1, late)
    # Taking a tote moved nothing, so it is simply refused; the pick happened and is recorded.
    assert statuses(results) == ["rejected", "applied"]
    assert results[0]["problem"]["detail"] == "goods are already picked into TOTE-3; keep using it"
    [mv] = results[1]["movements"]
    assert (mv["from_bin"], mv["to_bin"], mv["qty"], mv["replayed"]) == ("A-01", "TOTE-1", 6, True)
    kinds = sorted(e["kind"] for e in results[1]["exceptions"])
    assert kinds == ["negative_stock", "over_pick", "pick_wrong_tote"]
    assert any("line 1 of pick list 1 is already picked" in e["detail"] for e in results[1]["exceptions"])
    # Nothing counted twice towards the order; both totes hold what was physically put in them.
    so = site.client.get("/api/v1/sales-orders/SO-1", headers=site.sup).get_json()
    assert so["lines"][0]["picked"] == 6
    stock = site.stock()
    assert ("A-01", "SKU-1", None, -2, 4) in stock and ("TOTE-1", "SKU-1", None, 6, 0) in stock
    assert statuses(site.send(site.p1, late)) == ["rejected", "duplicate"]
    assert site.stock() == stock


def test_a_replayed_pick_from_the_wrong_bin_is_recorded_where_it_happened(sites):
    site = sites("wrong-bin")
    steps = picker_1(replay=True)[:2]
    steps[1]["payload"]["bin"] = "B-02"  # the goods came from B-02, not the reserved A-01
    results = site.send(site.p1, steps)
    assert statuses(results) == ["applied"] * 2
    assert [e["kind"] for e in results[1]["exceptions"]] == ["pick_wrong_bin"]
    assert "wrong bin: line 1 is in bin A-01, you scanned B-02" in results[1]["exceptions"][0]["detail"]
    stock = site.stock()
    # A-01's reservation for SO-1 is released (the line is picked); SO-2's 4 stay reserved there.
    assert ("A-01", "SKU-1", None, 10, 4) in stock and ("B-02", "SKU-1", None, 4, 0) in stock
    # Online, the same slip is refused at once, and nothing moves.
    [r] = site.send(site.p1, [cmd("pick.confirm", {"list_id": 1, "line": 2, "bin": "B-02", "item": "SKU-2"},
                                  at="2026-11-27T08:05:00Z")])
    assert (r["status"], r["problem"]["title"]) == ("rejected", "Wrong bin")
    assert r["problem"]["expected"] == {"bin": "B-01"}
    assert site.stock() == stock
