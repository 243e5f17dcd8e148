"""Live updates over Socket.IO: sign-in, rooms, coalesced events after commit."""
from __future__ import annotations

import time

import pytest

from conftest import command, make_bin, make_item, post_commands
from edge.realtime import socketio


def token(headers: dict) -> str:
    return headers["Authorization"].split(" ", 1)[1]


def connect(app, headers=None, **kw):
    if headers is not None:
        kw["auth"] = {"token": token(headers)}
    return socketio.test_client(app, **kw)


def received(sio, wait: float = 0.4, until: set[str] | None = None) -> list[dict]:
    """Events that arrive within ``wait`` seconds (the app flushes every 0.05 s).

    With ``until``, return as soon as events of each of those names have come
    in, then keep listening a little so a stray extra event is seen too.
    """
    events: list[dict] = []
    deadline = time.monotonic() + (2.0 if until else wait)
    while time.monotonic() < deadline:
        events += sio.get_received()
        if until and until <= {e["name"] for e in events}:
            time.sleep(0.15)
            events += sio.get_received()
            break
        time.sleep(0.01)
    return events


def named(events, name):
    return [e["args"][0] for e in events if e["name"] == name]


@pytest.fixture
def floor(app, client, auth_for):
    make_bin(app, "A-01", zone="A")
    make_bin(app, "A-02", zone="A")
    make_bin(app, "B-01", zone="B")
    make_item(app, "SKU-1")
    post_commands(client, auth_for("supervisor"),
                  command("receive", {"sku": "SKU-1", "qty": 100, "to_bin": "A-01"}),
                  command("receive", {"sku": "SKU-1", "qty": 100, "to_bin": "B-01"}))
    time.sleep(0.15)  # let those events flush before anyone connects


# -- connecting ------------------------------------------------------------------

def test_no_token_is_refused(app, users):
    assert not connect(app).is_connected()


def test_bad_token_is_refused(app, users):
    assert not socketio.test_client(app, auth={"token": "made-up"}).is_connected()


def test_revoked_token_is_refused(app, client, users):
    r = client.post("/api/v1/session", json={"pin": users["picker"]})
    headers = {"Authorization": f"Bearer {r.get_json()['token']}"}
    client.delete("/api/v1/session", headers=headers)
    assert not connect(app, headers).is_connected()


def test_token_in_query_string_or_header(app, auth_for):
    t = token(auth_for("counter"))
    by_query = socketio.test_client(app, query_string=f"token={t}")
    assert by_query.is_connected()
    by_header = socketio.test_client(app, headers={"Authorization": f"Bearer {t}"})
    assert by_header.is_connected()
    by_query.disconnect()
    by_header.disconnect()


def test_hello_names_the_user(app, auth_for):
    sio = connect(app, auth_for("supervisor"))
    assert sio.is_connected()
    [hello] = named(sio.get_received(), "hello")
    assert hello == {"user": {"id": hello["user"]["id"], "name": "Supervisor", "role": "supervisor"}}
    sio.disconnect()


# -- events ------------------------------------------------------------------------

def test_supervisor_sees_stock_changed_and_movement_recorded(app, client, auth_for, floor):
    sio = connect(app, auth_for("supervisor"))
    sio.get_received()
    mv = command("move", {"sku": "SKU-1", "qty": 5, "from_bin": "A-01", "to_bin": "B-01"})
    post_commands(client, auth_for("picker"), mv)
    events = received(sio, until={"stock.changed", "movement.recorded"})
    [changed] = named(events, "stock.changed")
    assert sorted(changed["changes"], key=lambda c: c["bin"]) == [
        {"bin": "A-01", "sku": "SKU-1", "lot": None, "qty": 95},
        {"bin": "B-01", "sku": "SKU-1", "lot": None, "qty": 105}]
    [recorded] = named(events, "movement.recorded")
    assert [m["id"] for m in recorded["movements"]] == [mv["id"]]
    assert recorded["movements"][0]["kind"] == "move"
    sio.disconnect()


def test_burst_of_commands_is_coalesced(app, client, auth_for, floor):
    sio = connect(app, auth_for("supervisor"))
    sio.get_received()
    picker = auth_for("picker")
    n = 10
    for _ in range(n):
        post_commands(client, picker, command("move", {"sku": "SKU-1", "qty": 1, "from_bin": "A-01", "to_bin": "A-02"}))
    events = received(sio, wait=0.5)
    changed, recorded = named(events, "stock.changed"), named(events, "movement.recorded")
    assert 1 <= len(changed) < n and 1 <= len(recorded) < n
    assert sum(len(r["movements"]) for r in recorded) == n  # coalesced, not lost
    # The last word on each bin is its final quantity.
    final = {}
    for ev in changed:
        for c in ev["changes"]:
            final[c["bin"]] = c["qty"]
    assert final == {"A-01": 90, "A-02": 10}
    sio.disconnect()


def test_rejected_and_duplicate_commands_send_nothing(app, client, auth_for, floor):
    sup = auth_for("supervisor")
    mv = command("move", {"sku": "SKU-1", "qty": 1, "from_bin": "A-01", "to_bin": "A-02"})
    post_commands(client, sup, mv)
    time.sleep(0.15)
    sio = connect(app, sup)
    sio.get_received()
    results = post_commands(client, sup, mv,
                            command("move", {"sku": "SKU-1", "qty": 1000, "from_bin": "A-01", "to_bin": "A-02"}))
    assert [r["status"] for r in results] == ["duplicate", "rejected"]
    assert received(sio) == []
    sio.disconnect()


def test_picker_in_zone_a_gets_zone_a_stock_only(app, client, auth_for, floor):
    picker = connect(app, auth_for("picker"))
    assert picker.emit("zone.join", {"zone": "A"}, callback=True) == {"ok": True}
    picker.get_received()
    sup = auth_for("supervisor")
    post_commands(client, sup, command("move", {"sku": "SKU-1", "qty": 3, "from_bin": "A-01", "to_bin": "B-01"}))
    events = received(picker, until={"stock.changed"})
    assert named(events, "movement.recorded") == []
    [changed] = named(events, "stock.changed")
    assert changed["changes"] == [{"bin": "A-01", "sku": "SKU-1", "lot": None, "qty": 97}]

    # A change only in zone B reaches the supervisors, not this picker.
    post_commands(client, sup, command("adjust", {"sku": "SKU-1", "bin": "B-01", "delta": -1, "reason": "damaged"}))
    assert received(picker) == []
    picker.disconnect()


def test_picker_without_a_zone_gets_no_stock_events(app, client, auth_for, floor):
    picker = connect(app, auth_for("picker"))
    picker.get_received()
    post_commands(client, auth_for("supervisor"),
                  command("move", {"sku": "SKU-1", "qty": 3, "from_bin": "A-01", "to_bin": "A-02"}))
    assert received(picker) == []
    picker.disconnect()


def test_zone_leave_stops_zone_events(app, client, auth_for, floor):
    picker = connect(app, auth_for("picker"))
    picker.emit("zone.join", {"zone": "A"}, callback=True)
    assert picker.emit("zone.leave", {"zone": "A"}, callback=True) == {"ok": True}
    picker.get_received()
    post_commands(client, auth_for("supervisor"),
                  command("move", {"sku": "SKU-1", "qty": 3, "from_bin": "A-01", "to_bin": "A-02"}))
    assert received(picker) == []
    picker.disconnect()


@pytest.mark.parametrize("data", [None, {}, {"zone": ""}, {"zone": 5}, {"zone": "z" * 33}, "A", ["A"]])
def test_zone_join_with_bad_data_says_so(app, auth_for, data):
    picker = connect(app, auth_for("picker"))
    ack = picker.emit("zone.join", data, callback=True)
    assert ack["ok"] is False and "zone" in ack["error"]
    assert picker.is_connected()
    picker.disconnect()


def test_offline_replay_exception_reaches_supervisors(app, client, auth_for, floor):
    sio = connect(app, auth_for("admin"))
    sio.get_received()
    post_commands(client, auth_for("picker"),
                  command("move", {"sku": "SKU-1", "qty": 500, "from_bin": "A-01", "to_bin": "A-02"}, replay=True))
    events = received(sio, until={"exception.raised", "stock.changed", "movement.recorded"})
    [raised] = named(events, "exception.raised")
    assert raised["exceptions"][0]["kind"] == "negative_stock"
    assert raised["exceptions"][0]["bin"] == "A-01"
    sio.disconnect()
