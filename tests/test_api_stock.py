"""GET /api/v1/stock, /movements, /exceptions (+ resolve) and /count-requests."""
from __future__ import annotations

import pytest

from conftest import PROBLEM, assert_problem, command, make_bin, make_item, post_commands



@pytest.fixture
def stocked(app, client, auth_for):
    make_bin(app, "A-01", zone="A", walk_seq=2)
    make_bin(app, "A-02", zone="A", walk_seq=1)
    make_bin(app, "B-01", zone="B", walk_seq=3)
    make_item(app, "SKU-1")
    make_item(app, "SKU-2")
    make_item(app, "LOT-1", tracking="lot")
    results = post_commands(
        client, auth_for("supervisor"),
        command("receive", {"sku": "SKU-1", "qty": 5, "to_bin": "A-01"}),
        command("receive", {"sku": "SKU-2", "qty": 7, "to_bin": "A-02"}),
        command("receive", {"sku": "LOT-1", "qty": 3, "to_bin": "B-01", "lot": "L1"}),
        command("receive", {"sku": "LOT-1", "qty": 4, "to_bin": "B-01", "lot": "L2"}),
        command("move", {"sku": "SKU-1", "qty": 2, "from_bin": "A-01", "to_bin": "B-01"}),
    )
    assert all(r["status"] == "applied" for r in results)
    return results


def get(client, headers, path, **params):
    r = client.get(path, query_string=params, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()




# -- stock ---------------------------------------------------------------------

def test_stock_rows_in_walk_order(client, auth_for, stocked):
    items = get(client, auth_for("picker"), "/api/v1/stock")["items"]
    assert [(i["bin"], i["sku"], i["lot"], i["qty"]) for i in items] == [
        ("A-02", "SKU-2", None, 7), ("A-01", "SKU-1", None, 3),
        ("B-01", "LOT-1", "L1", 3), ("B-01", "LOT-1", "L2", 4), ("B-01", "SKU-1", None, 2)]
    for i in items:
        assert {"bin", "sku", "lot", "qty", "reserved"} <= set(i)
        assert i["reserved"] == 0


@pytest.mark.parametrize("filters,expect", [
    ({"bin": "B-01"}, {("B-01", "LOT-1", "L1"), ("B-01", "LOT-1", "L2"), ("B-01", "SKU-1", None)}),
    ({"sku": "SKU-1"}, {("A-01", "SKU-1", None), ("B-01", "SKU-1", None)}),
    ({"sku": "LOT-1", "lot": "L2"}, {("B-01", "LOT-1", "L2")}),
    ({"zone": "A"}, {("A-01", "SKU-1", None), ("A-02", "SKU-2", None)}),
    ({"bin": "B-01", "sku": "SKU-1"}, {("B-01", "SKU-1", None)}),
    ({"bin": "NOWHERE"}, set()),
])
def test_stock_filters(client, auth_for, stocked, filters, expect):
    items = get(client, auth_for("picker"), "/api/v1/stock", **filters)["items"]
    assert {(i["bin"], i["sku"], i["lot"]) for i in items} == expect


def test_stock_limit(client, auth_for, stocked):
    assert len(get(client, auth_for("picker"), "/api/v1/stock", limit=2)["items"]) == 2


def test_emptied_bin_has_no_row(client, auth_for, stocked):
    sup = auth_for("supervisor")
    post_commands(client, sup, command("move", {"sku": "SKU-2", "qty": 7, "from_bin": "A-02", "to_bin": "B-01"}))
    assert get(client, sup, "/api/v1/stock", bin="A-02")["items"] == []


@pytest.mark.parametrize("params,field,detail", [
    ({"limit": 0}, "query.limit", "greater than or equal to 1"),
    ({"limit": 10001}, "query.limit", "less than or equal to 10000"),
    ({"limit": "many"}, "query.limit", "valid integer"),
    ({"warehouse": "W1"}, "query.warehouse", "unknown field"),
])
def test_bad_stock_query_is_422(client, auth_for, params, field, detail):
    r = client.get("/api/v1/stock", query_string=params, headers=auth_for("picker"))
    assert_problem(r, 422, field, detail)


def test_stock_needs_sign_in(client):
    assert_problem(client.get("/api/v1/stock"), 401)


# -- movements ---------------------------------------------------------------------

def test_movements_in_ledger_order_with_paging(client, auth_for, stocked):
    sup = auth_for("supervisor")
    first = get(client, sup, "/api/v1/movements", limit=3)
    assert [m["seq"] for m in first["items"]] == [1, 2, 3]
    assert first["next_after_seq"] == 3
    rest = get(client, sup, "/api/v1/movements", after_seq=3, limit=3)
    assert [m["seq"] for m in rest["items"]] == [4, 5]
    assert rest["next_after_seq"] is None
    assert [m["id"] for m in first["items"] + rest["items"]] == [r["id"] for r in stocked]


@pytest.mark.parametrize("filters,count", [({"sku": "LOT-1"}, 2), ({"bin": "B-01"}, 3), ({"kind": "move"}, 1),
                                           ({"lot": "L1"}, 1), ({"since": "2000-01-01"}, 5),
                                           ({"since": "2999-01-01"}, 0)])
def test_movement_filters(client, auth_for, stocked, filters, count):
    assert len(get(client, auth_for("supervisor"), "/api/v1/movements", **filters)["items"]) == count


def test_movements_by_user(client, auth_for, stocked):
    sup = auth_for("supervisor")
    me = get(client, sup, "/api/v1/me")
    assert len(get(client, sup, "/api/v1/movements", user_id=me["id"])["items"]) == 5
    assert get(client, sup, "/api/v1/movements", user_id=me["id"] + 100)["items"] == []


@pytest.mark.parametrize("params,field", [
    ({"after_seq": -1}, "query.after_seq"),
    ({"after_seq": 10 ** 30}, "query.after_seq"),  # used to overflow SQLite's integer: a 500
    ({"user_id": 10 ** 30}, "query.user_id"),
    ({"limit": 1001}, "query.limit"),
    ({"order": "desc"}, "query.order"),
])
def test_bad_movement_query_is_422(client, auth_for, params, field):
    assert_problem(client.get("/api/v1/movements", query_string=params, headers=auth_for("supervisor")), 422, field)


# -- exceptions and count requests -------------------------------------------------------

@pytest.fixture
def exception_id(client, auth_for, stocked):
    """An offline move of stock the bin did not have: recorded, plus an exception."""
    [r] = post_commands(client, auth_for("picker"),
                        command("move", {"sku": "SKU-2", "qty": 10, "from_bin": "A-02", "to_bin": "A-01"},
                                replay=True))
    assert r["status"] == "applied"
    return r["exceptions"][0]["id"]


def test_exception_queue_and_resolve(client, auth_for, exception_id):
    sup = auth_for("supervisor")
    [exc] = get(client, sup, "/api/v1/exceptions")["items"]
    assert (exc["id"], exc["kind"], exc["bin"], exc["sku"], exc["status"]) == (
        exception_id, "negative_stock", "A-02", "SKU-2", "open")
    assert "holds 7" in exc["detail"]
    requests = get(client, auth_for("counter"), "/api/v1/count-requests")["items"]
    assert [(c["bin"], c["sku"], c["exception_id"]) for c in requests] == [("A-02", "SKU-2", exception_id)]

    r = client.post(f"/api/v1/exceptions/{exception_id}/resolve", json={"resolution": " counted: 3 found "},
                    headers=sup)
    assert r.status_code == 200
    done = r.get_json()
    assert (done["status"], done["resolution"]) == ("resolved", "counted: 3 found")
    assert done["resolved_by"] == get(client, sup, "/api/v1/me")["id"]
    assert get(client, sup, "/api/v1/exceptions")["items"] == []
    assert [e["id"] for e in get(client, sup, "/api/v1/exceptions", status="resolved")["items"]] == [exception_id]
    assert len(get(client, sup, "/api/v1/exceptions", status="all")["items"]) == 1

    again = client.post(f"/api/v1/exceptions/{exception_id}/resolve", json={"resolution": "twice"}, headers=sup)
    assert_problem(again, 409, detail="already resolved")


def test_resolve_unknown_exception_is_404(client, auth_for, users):
    sup = auth_for("supervisor")
    r = client.post("/api/v1/exceptions/999/resolve", json={"resolution": "x"}, headers=sup)
    assert_problem(r, 404, detail="no exception 999")


def test_resolve_exception_with_huge_id_is_404(client, auth_for, users):
    # Used to overflow SQLite's 64-bit integer: a 500.
    r = client.post(f"/api/v1/exceptions/{10 ** 30}/resolve", json={"resolution": "x"}, headers=auth_for("supervisor"))
    assert_problem(r, 404)


def test_resolve_with_non_numeric_id_is_404(client, auth_for, users):
    r = client.post("/api/v1/exceptions/abc/resolve", json={"resolution": "x"}, headers=auth_for("supervisor"))
    assert_problem(r, 404)


@pytest.mark.parametrize("body,field,detail", [
    ({}, "resolution", "required"),
    ({"resolution": "   "}, "resolution", "at least 1"),
    ({"resolution": "x" * 501}, "resolution", "at most 500"),
    ({"resolution": "ok", "by": "me"}, "by", "unknown field"),
])
def test_resolve_needs_a_resolution(client, auth_for, exception_id, body, field, detail):
    r = client.post(f"/api/v1/exceptions/{exception_id}/resolve", json=body, headers=auth_for("supervisor"))
    assert_problem(r, 422, field, detail)


@pytest.mark.parametrize("params,field", [({"status": "closed"}, "query.status"),
                                          ({"after_id": 10 ** 30}, "query.after_id"),
                                          ({"after_id": -1}, "query.after_id")])
def test_bad_exception_query_is_422(client, auth_for, params, field):
    assert_problem(client.get("/api/v1/exceptions", query_string=params, headers=auth_for("supervisor")), 422, field)


def test_exceptions_are_for_supervisors(client, auth_for, exception_id):
    r = client.get("/api/v1/exceptions", headers=auth_for("picker"))
    assert_problem(r, 403, detail="a picker may not GET /api/v1/exceptions")
    r = client.post(f"/api/v1/exceptions/{exception_id}/resolve", json={"resolution": "x"}, headers=auth_for("counter"))
    assert_problem(r, 403)
    assert get(client, auth_for("admin"), "/api/v1/exceptions")["items"]


def test_resolve_with_idempotency_key_replays(client, auth_for, exception_id):
    sup = dict(auth_for("supervisor"), **{"Idempotency-Key": "resolve-1"})
    first = client.post(f"/api/v1/exceptions/{exception_id}/resolve", json={"resolution": "ok"}, headers=sup)
    again = client.post(f"/api/v1/exceptions/{exception_id}/resolve", json={"resolution": "ok"}, headers=sup)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
