"""POST /api/v1/commands: the handheld protocol's one write endpoint."""
from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings, strategies as st

from conftest import assert_verified, command, make_bin, make_item, post_commands

PROBLEM = "application/problem+json"


@pytest.fixture
def floor(app):
    make_bin(app, "DOCK", zone="R", kind="dock")
    make_bin(app, "A-01", zone="A")
    make_bin(app, "B-01", zone="B")
    make_item(app, "SKU-1")
    make_item(app, "LOT-1", tracking="lot", perishable=True)
    make_item(app, "SER-1", tracking="serial")
    make_item(app, "KG-1", uom="kg")


def stock(client, headers, **filters) -> dict:
    items = client.get("/api/v1/stock", query_string=filters, headers=headers).get_json()["items"]
    return {(i["bin"], i["sku"], i["lot"]): i["qty"] for i in items}


def receive(sku="SKU-1", qty=10, to_bin="DOCK", **kw):
    return command("receive", dict(sku=sku, qty=qty, to_bin=to_bin, **kw))


def assert_rejected(result, status: int, field: str | None = None, detail: str | None = None) -> dict:
    assert result["status"] == "rejected", result
    assert result["movements"] == []
    problem = result["problem"]
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert problem["status"] == status, problem
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]], problem
    if detail is not None:
        assert detail in problem["detail"], problem
    return problem


# -- happy paths -------------------------------------------------------------------

def test_receive_move_adjust(app, client, auth_for, floor, db_path):
    sup = auth_for("supervisor")
    rcv, mov, adj = (receive(qty=10),
                     command("move", {"sku": "SKU-1", "qty": 4, "from_bin": "DOCK", "to_bin": "A-01"}),
                     command("adjust", {"sku": "SKU-1", "bin": "A-01", "delta": -1, "reason": "damaged"}))
    results = post_commands(client, sup, rcv, mov, adj)
    assert [r["status"] for r in results] == ["applied"] * 3
    assert [r["id"] for r in results] == [rcv["id"], mov["id"], adj["id"]]
    received = results[0]["movements"][0]
    assert received["id"] == rcv["id"]  # the device's id is the movement's id
    assert (received["kind"], received["sku"], received["qty"], received["to_bin"]) == ("receive", "SKU-1", 10, "DOCK")
    assert received["from_bin"] is None
    assert results[1]["movements"][0]["from_bin"] == "DOCK"
    adjusted = results[2]["movements"][0]
    assert (adjusted["kind"], adjusted["from_bin"], adjusted["qty"], adjusted["reason"]) == (
        "adjust", "A-01", 1, "damaged")
    assert stock(client, sup) == {("DOCK", "SKU-1", None): 6, ("A-01", "SKU-1", None): 3}
    assert_verified(db_path)


def test_positive_adjust_adds_stock(client, auth_for, floor):
    sup = auth_for("supervisor")
    [r] = post_commands(client, sup, command("adjust", {"sku": "SKU-1", "bin": "A-01", "delta": 2, "reason": "found"}))
    assert r["status"] == "applied"
    assert r["movements"][0]["to_bin"] == "A-01" and r["movements"][0]["from_bin"] is None
    assert stock(client, sup) == {("A-01", "SKU-1", None): 2}


def test_receive_lot_with_expiry_and_serial(client, auth_for, floor):
    sup = auth_for("supervisor")
    results = post_commands(client, sup,
                            receive("LOT-1", 5, lot="L42", expiry="2027-03-01"),
                            receive("SER-1", 1, serial="SN-0001"))
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[0]["movements"][0]["lot"] == "L42"
    assert results[1]["movements"][0]["serial"] == "SN-0001"
    rows = client.get("/api/v1/stock", query_string={"sku": "LOT-1"}, headers=sup).get_json()["items"]
    assert rows == [{"bin": "DOCK", "sku": "LOT-1", "lot": "L42", "qty": 5, "reserved": 0, "expiry": "2027-03-01"}]


def test_empty_batch(client, auth_for):
    r = client.post("/api/v1/commands", json={"commands": []}, headers=auth_for("receiver"))
    assert r.status_code == 200
    assert r.get_json() == {"results": []}


# -- exactly once --------------------------------------------------------------------

def test_replayed_command_is_duplicate_and_changes_stock_once(client, auth_for, floor, db_path):
    sup = auth_for("supervisor")
    cmd = receive(qty=3)
    [first] = post_commands(client, sup, cmd)
    for _ in range(3):
        [again] = post_commands(client, sup, cmd)
        assert again["status"] == "duplicate"
        assert again["id"] == cmd["id"]
        assert again["movements"] == first["movements"]
    assert stock(client, sup) == {("DOCK", "SKU-1", None): 3}
    assert_verified(db_path)


def test_same_id_twice_in_one_batch(client, auth_for, floor):
    sup = auth_for("supervisor")
    cmd = receive(qty=3)
    assert [r["status"] for r in post_commands(client, sup, cmd, cmd)] == ["applied", "duplicate"]
    assert stock(client, sup) == {("DOCK", "SKU-1", None): 3}


def test_same_id_with_different_payload_is_rejected_409(client, auth_for, floor):
    sup = auth_for("supervisor")
    cmd = receive(qty=3)
    post_commands(client, sup, cmd)
    changed = dict(cmd, payload=dict(cmd["payload"], qty=4))
    [r] = post_commands(client, sup, changed)
    assert_rejected(r, 409, field="commands[0].id", detail="different type or payload")
    assert stock(client, sup) == {("DOCK", "SKU-1", None): 3}


def test_a_duplicate_from_another_user_is_still_a_duplicate(client, auth_for, floor):
    cmd = receive(qty=3)
    post_commands(client, auth_for("receiver"), cmd)
    [r] = post_commands(client, auth_for("supervisor"), cmd)
    assert r["status"] == "duplicate"


# -- rejections ----------------------------------------------------------------------

def test_rejected_command_does_not_block_later_ones(client, auth_for, floor, db_path):
    sup = auth_for("supervisor")
    results = post_commands(client, sup,
                            receive(sku="NOPE"),
                            command("move", {"sku": "SKU-1", "qty": 1, "from_bin": "A-01", "to_bin": "B-01"}),
                            receive(qty=2))
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert_rejected(results[0], 422, field="commands[0].payload.sku", detail="no item with sku 'NOPE'")
    assert_rejected(results[1], 409, field="commands[1].payload.qty", detail="holds 0")
    assert stock(client, sup) == {("DOCK", "SKU-1", None): 2}
    assert_verified(db_path)


def test_a_rejected_command_can_be_sent_again_once_fixed(client, auth_for, floor):
    sup = auth_for("supervisor")
    mv = command("move", {"sku": "SKU-1", "qty": 1, "from_bin": "DOCK", "to_bin": "A-01"})
    [r] = post_commands(client, sup, mv)
    assert r["status"] == "rejected"
    post_commands(client, sup, receive(qty=1))
    [r] = post_commands(client, sup, mv)
    assert r["status"] == "applied"


def test_offline_replay_that_drives_stock_negative_is_recorded_with_an_exception(client, auth_for, floor, db_path):
    sup = auth_for("supervisor")
    mv = command("move", {"sku": "SKU-1", "qty": 2, "from_bin": "A-01", "to_bin": "B-01"}, replay=True)
    [r] = post_commands(client, sup, mv)
    assert r["status"] == "applied"
    assert r["exceptions"][0]["kind"] == "negative_stock"
    assert stock(client, sup) == {("A-01", "SKU-1", None): -2, ("B-01", "SKU-1", None): 2}
    queue = client.get("/api/v1/exceptions", headers=sup).get_json()["items"]
    assert [e["movement_id"] for e in queue] == [mv["id"]]
    assert_verified(db_path)


@pytest.mark.parametrize("payload,field,detail", [
    ({"sku": "SKU-1", "to_bin": "DOCK"}, "commands[0].payload.qty", "required"),
    ({"sku": "SKU-1", "qty": 0, "to_bin": "DOCK"}, "commands[0].payload.qty", "greater than 0"),
    ({"sku": "SKU-1", "qty": -5, "to_bin": "DOCK"}, "commands[0].payload.qty", "greater than 0"),
    ({"sku": "SKU-1", "qty": "ten", "to_bin": "DOCK"}, "commands[0].payload.qty", "valid number"),
    ({"sku": "SKU-1", "qty": 2e9, "to_bin": "DOCK"}, "commands[0].payload.qty", "less than or equal"),
    ({"sku": "", "qty": 1, "to_bin": "DOCK"}, "commands[0].payload.sku", "at least 1"),
    ({"sku": "SKU-1", "qty": 1, "to_bin": "DOCK", "colour": "red"}, "commands[0].payload.colour", "unknown field"),
    ({"sku": "SKU-1", "qty": 1, "to_bin": "DOCK", "expiry": "soon"}, "commands[0].payload.expiry", "date"),
])
def test_invalid_receive_payload(client, auth_for, floor, payload, field, detail):
    [r] = post_commands(client, auth_for("supervisor"), command("receive", payload))
    assert_rejected(r, 422, field=field, detail=detail)


@pytest.mark.parametrize("ctype,payload,status,field,detail", [
    ("receive", {"sku": "SKU-1", "qty": 1, "to_bin": "NOWHERE"}, 422, "commands[0].payload.to_bin", "no bin"),
    ("receive", {"sku": "SKU-1", "qty": 1.5, "to_bin": "DOCK"}, 422, "commands[0].payload.qty", "whole"),
    ("receive", {"sku": "SKU-1", "qty": 1, "to_bin": "DOCK", "lot": "L1"}, 422, "commands[0].payload.lot",
     "not lot-tracked"),
    ("receive", {"sku": "LOT-1", "qty": 1, "to_bin": "DOCK"}, 422, "commands[0].payload.lot", "lot-tracked"),
    ("receive", {"sku": "SER-1", "qty": 2, "to_bin": "DOCK", "serial": "S1"}, 422, "commands[0].payload.qty",
     "one piece"),
    ("move", {"sku": "SKU-1", "qty": 1, "from_bin": "A-01", "to_bin": "A-01"}, 422, "commands[0].payload.to_bin",
     "must differ"),
    ("move", {"sku": "SKU-1", "qty": 1, "from_bin": "A-01"}, 422, "commands[0].payload.to_bin", "required"),
    ("adjust", {"sku": "SKU-1", "bin": "A-01", "delta": 0, "reason": "found"}, 422, "commands[0].payload.delta",
     "must not be zero"),
    ("adjust", {"sku": "SKU-1", "bin": "A-01", "delta": 1, "reason": "because"}, 422, "commands[0].payload.reason",
     "'damaged'"),
    ("adjust", {"sku": "SKU-1", "bin": "A-01", "delta": -1, "reason": "lost"}, 409, "commands[0].payload.qty",
     "holds 0"),
])
def test_payload_problems_name_the_field(client, auth_for, floor, ctype, payload, status, field, detail):
    [r] = post_commands(client, auth_for("supervisor"), command(ctype, payload))
    assert_rejected(r, status, field=field, detail=detail)


def test_decimal_quantity_that_rounds_to_zero_is_rejected_not_a_crash(client, auth_for, floor, db_path):
    # kg allows 6 decimals; 1e-9 kg rounds to 0 and used to hit the qty > 0 CHECK (a 500 that lost the batch).
    sup = auth_for("supervisor")
    results = post_commands(client, sup,
                            receive("KG-1", 1e-9),
                            command("adjust", {"sku": "KG-1", "bin": "A-01", "delta": 4e-7, "reason": "found"}),
                            receive("KG-1", 0.25))
    assert_rejected(results[0], 422, field="commands[0].payload.qty", detail="zero")
    assert_rejected(results[1], 422, field="commands[1].payload.qty", detail="zero")
    assert results[2]["status"] == "applied"
    assert stock(client, sup) == {("DOCK", "KG-1", None): 0.25}
    assert_verified(db_path)


@pytest.mark.parametrize("envelope,field", [
    ({"type": "receive", "at": "2026-11-27T08:00:00Z", "payload": {}}, "commands[0].id"),
    ({"id": "not-a-uuid", "type": "receive", "at": "2026-11-27T08:00:00Z", "payload": {}}, "commands[0].id"),
    ({"id": str(uuid.uuid4()), "type": "receive", "payload": {}}, "commands[0].at"),
    ({"id": str(uuid.uuid4()), "type": "receive", "at": "yesterday", "payload": {}}, "commands[0].at"),
    ({"id": str(uuid.uuid4()), "type": "receive", "at": "2026-11-27T08:00:00Z"}, "commands[0].payload"),
    ({"id": str(uuid.uuid4()), "type": "receive", "at": "2026-11-27T08:00:00Z", "payload": []}, "commands[0].payload"),
    ({"id": str(uuid.uuid4()), "type": "receive", "at": "2026-11-27T08:00:00Z", "payload": {}, "x": 1}, None),
    ("receive", "commands[0]"),
])
def test_bad_envelope_is_rejected_with_the_field(client, auth_for, envelope, field):
    r = client.post("/api/v1/commands", json={"commands": [envelope]}, headers=auth_for("supervisor"))
    assert r.status_code == 200
    [result] = r.get_json()["results"]
    if field is None:  # an extra envelope key is tolerated; the empty payload is what is wrong
        assert_rejected(result, 422, field="commands[0].payload.sku")
    else:
        assert_rejected(result, 422, field=field)
        assert result["id"] == (envelope.get("id") if isinstance(envelope, dict) else None)


def test_unknown_command_type(client, auth_for):
    [r] = post_commands(client, auth_for("supervisor"), command("teleport", {}))
    assert_rejected(r, 422, field="commands[0].type", detail="unknown command type 'teleport'")
    assert "receive" in r["problem"]["detail"]


# -- roles per command type ----------------------------------------------------------

def test_picker_may_not_adjust(client, auth_for, floor):
    [r] = post_commands(client, auth_for("picker"),
                        command("adjust", {"sku": "SKU-1", "bin": "A-01", "delta": 1, "reason": "found"}))
    assert_rejected(r, 403, detail="a picker may not send adjust commands")
    assert stock(client, auth_for("supervisor")) == {}


def test_picker_may_not_receive_but_may_move(client, auth_for, floor):
    post_commands(client, auth_for("receiver"), receive(qty=5))
    results = post_commands(client, auth_for("picker"),
                            receive(qty=1),
                            command("move", {"sku": "SKU-1", "qty": 5, "from_bin": "DOCK", "to_bin": "A-01"}))
    assert_rejected(results[0], 403, detail="picker")
    assert results[1]["status"] == "applied"


def test_counter_may_adjust(client, auth_for, floor):
    [r] = post_commands(client, auth_for("counter"),
                        command("adjust", {"sku": "SKU-1", "bin": "A-01", "delta": 1, "reason": "count"}))
    assert r["status"] == "applied"
    assert r["movements"][0]["user_id"] == client.get("/api/v1/me", headers=auth_for("counter")).get_json()["id"]


# -- the batch itself ----------------------------------------------------------------

def test_batch_over_the_limit_is_413(client, auth_for):
    cmds = [command("teleport", {}) for _ in range(501)]
    r = client.post("/api/v1/commands", json={"commands": cmds}, headers=auth_for("supervisor"))
    assert r.status_code == 413
    assert r.mimetype == PROBLEM
    assert "send at most 500" in r.get_json()["detail"]


def test_batch_at_the_limit_is_answered(client, auth_for):
    cmds = [command("teleport", {}) for _ in range(500)]
    r = client.post("/api/v1/commands", json={"commands": cmds}, headers=auth_for("supervisor"))
    assert r.status_code == 200
    assert len(r.get_json()["results"]) == 500


@pytest.mark.parametrize("body,field", [({}, "commands"), ({"commands": "x"}, "commands"),
                                        ({"commands": {}}, "commands"), ([], "body")])
def test_bad_batch_is_422(client, auth_for, body, field):
    r = client.post("/api/v1/commands", json=body, headers=auth_for("supervisor"))
    assert r.status_code == 422
    assert r.mimetype == PROBLEM
    assert field in [e["field"] for e in r.get_json()["errors"]]


def test_batch_that_is_not_json(client, auth_for):
    sup = auth_for("supervisor")
    r = client.post("/api/v1/commands", data='{"commands": [', content_type="application/json", headers=sup)
    assert (r.status_code, r.mimetype) == (400, PROBLEM)
    r = client.post("/api/v1/commands", data="commands=1", content_type="text/plain", headers=sup)
    assert (r.status_code, r.mimetype) == (415, PROBLEM)


def test_signed_out_is_401(client):
    r = client.post("/api/v1/commands", json={"commands": []})
    assert (r.status_code, r.mimetype) == (401, PROBLEM)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10)


@settings(max_examples=200, deadline=None)
@given(ctype=st.text(min_size=1, max_size=12), payload=st.dictionaries(st.text(max_size=8), _json_values, max_size=5))
def test_the_payload_digest_is_the_one_every_stored_command_was_checked_against(ctype, payload):
    # A replay after an upgrade must still match the digest stored before it, or
    # the handheld gets a 409 for its own scan. This is the first release's formula.
    import hashlib
    import json
    from edge.commands.apply import canonical_payload, payload_hash
    first = json.dumps({"type": ctype, "payload": payload}, sort_keys=True, separators=(",", ":"), default=str)
    assert payload_hash(ctype, canonical_payload(payload)) == hashlib.sha256(first.encode()).hexdigest()
