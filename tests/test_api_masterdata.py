"""Items, bins, barcodes, users and devices over /api/v1, Idempotency-Key on REST
writes, and what POST /api/v1/scan makes of the master data."""
from __future__ import annotations

import pytest

from conftest import PROBLEM, assert_problem, command, make_bin, make_item, post_commands





@pytest.fixture
def sup(auth_for):
    return auth_for("supervisor")


# -- items ---------------------------------------------------------------------

def test_create_item_then_get_it(client, sup):
    r = client.post("/api/v1/items", json={"sku": "SKU-9", "description": "Widget", "tracking": "lot",
                                           "perishable": True, "abc_class": "A", "unit_cost": 2.5}, headers=sup)
    assert r.status_code == 201
    item = r.get_json()
    assert (item["sku"], item["description"], item["uom"], item["tracking"], item["perishable"]) == (
        "SKU-9", "Widget", "ea", "lot", True)
    assert item["barcodes"] == []
    assert client.get("/api/v1/items/SKU-9", headers=sup).get_json() == item


def test_create_existing_item_is_409(client, sup):
    assert client.post("/api/v1/items", json={"sku": "SKU-9"}, headers=sup).status_code == 201
    assert_problem(client.post("/api/v1/items", json={"sku": "SKU-9"}, headers=sup), 409, "sku", "already exists")


def test_put_item_creates_then_replaces(client, sup):
    r = client.put("/api/v1/items/SKU-9", json={"sku": "SKU-9", "description": "one"}, headers=sup)
    assert r.status_code == 200 and r.get_json()["description"] == "one"
    r = client.put("/api/v1/items/SKU-9", json={"sku": "SKU-9", "description": "two"}, headers=sup)
    assert r.status_code == 200 and r.get_json()["description"] == "two"
    assert client.get("/api/v1/items/SKU-9", headers=sup).get_json()["description"] == "two"


def test_put_item_with_other_sku_in_body_is_422(client, sup):
    assert_problem(client.put("/api/v1/items/SKU-9", json={"sku": "SKU-8"}, headers=sup), 422, "sku",
                   "differs from the URL")


def test_item_tracking_cannot_change_once_it_has_movements(app, client, sup):
    make_bin(app, "A-01")
    make_item(app, "SKU-9")
    post_commands(client, sup, command("receive", {"sku": "SKU-9", "qty": 1, "to_bin": "A-01"}))
    r = client.put("/api/v1/items/SKU-9", json={"sku": "SKU-9", "tracking": "lot"}, headers=sup)
    assert_problem(r, 409, "tracking", "tracking cannot change")
    assert client.put("/api/v1/items/SKU-9", json={"sku": "SKU-9", "description": "ok"}, headers=sup).status_code == 200


def test_a_unit_cannot_go_whole_while_the_item_holds_fractional_stock(app, client, sup):
    # Before: kg -> ea was accepted and the 2.5 kg left could never be moved or adjusted out.
    make_bin(app, "A-01")
    make_item(app, "RICE", uom="kg")
    [r] = post_commands(client, sup, command("receive", {"sku": "RICE", "qty": 2.5, "to_bin": "A-01"}))
    assert r["status"] == "applied", r
    refused = client.put("/api/v1/items/RICE", json={"sku": "RICE", "uom": "ea"}, headers=sup)
    assert_problem(refused, 409, "uom", "RICE holds 2.5 kg in A-01, not a whole number of ea")
    assert client.get("/api/v1/items/RICE", headers=sup).get_json()["uom"] == "kg"
    # Another decimal unit is fine, and so is a whole unit once the stock is whole.
    assert client.put("/api/v1/items/RICE", json={"sku": "RICE", "uom": "l"}, headers=sup).status_code == 200
    [r] = post_commands(client, sup, command("adjust", {"sku": "RICE", "bin": "A-01", "delta": 0.5,
                                                        "reason": "found"}))
    assert r["status"] == "applied", r
    assert client.put("/api/v1/items/RICE", json={"sku": "RICE", "uom": "ea"}, headers=sup).status_code == 200


def test_a_unit_written_in_capitals_is_still_a_decimal_unit(app, client, sup):
    make_bin(app, "A-01")
    make_item(app, "FLOUR", uom="KG")
    [r] = post_commands(client, sup, command("receive", {"sku": "FLOUR", "qty": 1.25, "to_bin": "A-01"}))
    assert r["status"] == "applied", r


def test_unknown_item_is_404(client, sup):
    assert_problem(client.get("/api/v1/items/NOPE", headers=sup), 404, detail="no item 'NOPE'")


@pytest.mark.parametrize("body,field,detail", [
    ({}, "sku", "required"),
    ({"sku": ""}, "sku", "at least 1"),
    ({"sku": "has space"}, "sku", "pattern"),
    ({"sku": "x" * 65}, "sku", "at most 64"),
    ({"sku": "S", "tracking": "batch"}, "tracking", "'lot'"),
    ({"sku": "S", "perishable": True}, "perishable", "needs lot or serial tracking"),
    ({"sku": "S", "unit_cost": -1}, "unit_cost", "greater than or equal to 0"),
    ({"sku": "S", "abc_class": "D"}, "abc_class", "'A'"),
    ({"sku": "S", "colour": "red"}, "colour", "unknown field"),
    ({"sku": 12}, "sku", "valid string"),
])
def test_invalid_item_is_422(client, sup, body, field, detail):
    assert_problem(client.post("/api/v1/items", json=body, headers=sup), 422, field, detail)


@pytest.mark.parametrize("body,field", [
    ('{"sku": "S", "unit_cost": 1e999}', "unit_cost"),
    ('{"sku": "S", "reorder_point": Infinity}', "reorder_point"),
    ('{"sku": "S", "unit_cost": NaN}', "unit_cost"),
])
def test_infinite_numbers_are_422_not_stored(client, sup, body, field):
    # 1e999 parses as inf; it used to be stored and answered as the non-JSON token Infinity.
    r = client.post("/api/v1/items", data=body, content_type="application/json", headers=sup)
    assert_problem(r, 422, field)
    assert_problem(client.get("/api/v1/items/S", headers=sup), 404)


def test_list_items_keyset_paging_and_filters(app, client, sup):
    for i in range(5):
        make_item(app, f"SKU-{i}", tracking="lot" if i % 2 else "none", abc_class="A" if i < 2 else None)
    page = client.get("/api/v1/items", query_string={"limit": 2}, headers=sup).get_json()
    assert [i["sku"] for i in page["items"]] == ["SKU-0", "SKU-1"]
    assert page["next_after"] == "SKU-1"
    page = client.get("/api/v1/items", query_string={"limit": 2, "after": "SKU-1"}, headers=sup).get_json()
    assert [i["sku"] for i in page["items"]] == ["SKU-2", "SKU-3"]
    page = client.get("/api/v1/items", query_string={"limit": 2, "after": "SKU-3"}, headers=sup).get_json()
    assert [i["sku"] for i in page["items"]] == ["SKU-4"] and page["next_after"] is None
    lots = client.get("/api/v1/items", query_string={"tracking": "lot"}, headers=sup).get_json()["items"]
    assert [i["sku"] for i in lots] == ["SKU-1", "SKU-3"]
    a = client.get("/api/v1/items", query_string={"abc_class": "A"}, headers=sup).get_json()["items"]
    assert [i["sku"] for i in a] == ["SKU-0", "SKU-1"]


@pytest.mark.parametrize("path", ["/api/v1/items", "/api/v1/bins", "/api/v1/barcodes"])
@pytest.mark.parametrize("params,field", [({"limit": 0}, "query.limit"), ({"limit": 1001}, "query.limit"),
                                          ({"page": 2}, "query.page")])
def test_bad_list_query_is_422(client, sup, path, params, field):
    assert_problem(client.get(path, query_string=params, headers=sup), 422, field)


# -- bins ------------------------------------------------------------------------

def test_create_bin_list_get_put(client, sup):
    r = client.post("/api/v1/bins", json={"code": "A-01-01", "zone": "A", "aisle": "01", "walk_seq": 10,
                                          "kind": "pick-face", "capacity": 40}, headers=sup)
    assert r.status_code == 201
    assert r.get_json() == {"code": "A-01-01", "zone": "A", "aisle": "01", "walk_seq": 10, "kind": "pick-face",
                            "capacity": 40, "active": True}
    assert_problem(client.post("/api/v1/bins", json={"code": "A-01-01"}, headers=sup), 409, "code", "already exists")
    r = client.put("/api/v1/bins/A-01-01", json={"code": "A-01-01", "zone": "B", "active": False}, headers=sup)
    assert r.status_code == 200 and (r.get_json()["zone"], r.get_json()["active"]) == ("B", False)
    assert client.get("/api/v1/bins/A-01-01", headers=sup).get_json()["zone"] == "B"
    r = client.put("/api/v1/bins/Z-9", json={"code": "Z-9"}, headers=sup)
    assert r.status_code == 200
    listed = client.get("/api/v1/bins", query_string={"zone": "B"}, headers=sup).get_json()
    assert [b["code"] for b in listed["items"]] == ["A-01-01"]
    assert_problem(client.get("/api/v1/bins/NOPE", headers=sup), 404, detail="no bin 'NOPE'")


@pytest.mark.parametrize("body,field,detail", [
    ({"code": "A 1"}, "code", "pattern"),
    ({"code": "A-1", "kind": "shelf"}, "kind", "'storage'"),
    ({"code": "A-1", "walk_seq": -1}, "walk_seq", "greater than or equal to 0"),
    ({"code": "A-1", "walk_seq": 10 ** 30}, "walk_seq", None),  # used to overflow SQLite's integer: a 500
    ({"code": "A-1", "capacity": 0}, "capacity", "greater than 0"),
    ({"code": "A-1", "zone": "z" * 33}, "zone", "at most 32"),
])
def test_invalid_bin_is_422(client, sup, body, field, detail):
    assert_problem(client.post("/api/v1/bins", json=body, headers=sup), 422, field, detail)


def test_infinite_bin_capacity_is_422(client, sup):
    r = client.post("/api/v1/bins", data='{"code": "A-1", "capacity": 1e999}', content_type="application/json",
                    headers=sup)
    assert_problem(r, 422, "capacity")


def test_put_bin_with_other_code_in_body_is_422(client, sup):
    assert_problem(client.put("/api/v1/bins/A-1", json={"code": "A-2"}, headers=sup), 422, "code", "differs")


# -- barcodes --------------------------------------------------------------------------

def test_barcodes_create_list_put_delete(app, client, sup):
    make_item(app, "SKU-1")
    make_item(app, "SKU-2")
    r = client.post("/api/v1/barcodes", json={"code": "05012345678900", "sku": "SKU-1", "pack_qty": 12}, headers=sup)
    assert r.status_code == 201
    assert r.get_json() == {"code": "05012345678900", "sku": "SKU-1", "pack_qty": 12}
    assert_problem(client.post("/api/v1/barcodes", json={"code": "05012345678900", "sku": "SKU-2"}, headers=sup),
                   409, "code", "already exists")
    r = client.put("/api/v1/barcodes/05012345678900", json={"code": "05012345678900", "sku": "SKU-2"}, headers=sup)
    assert r.status_code == 200 and r.get_json()["sku"] == "SKU-2" and r.get_json()["pack_qty"] == 1
    client.post("/api/v1/barcodes", json={"code": "4006381333931", "sku": "SKU-1"}, headers=sup)
    listed = client.get("/api/v1/barcodes", query_string={"sku": "SKU-2"}, headers=sup).get_json()
    assert [b["code"] for b in listed["items"]] == ["05012345678900"]
    assert client.get("/api/v1/items/SKU-1", headers=sup).get_json()["barcodes"] == [
        {"code": "4006381333931", "pack_qty": 1}]
    r = client.delete("/api/v1/barcodes/05012345678900", headers=sup)
    assert r.status_code == 204 and r.get_data() == b""
    assert_problem(client.delete("/api/v1/barcodes/05012345678900", headers=sup), 404, detail="no barcode")


@pytest.mark.parametrize("body,status,field,detail", [
    ({"code": "123", "sku": "NOPE"}, 422, "sku", "no item with sku 'NOPE'"),
    ({"code": "123", "sku": "SKU-1", "pack_qty": 0}, 422, "pack_qty", "greater than 0"),
    ({"code": "1 2", "sku": "SKU-1"}, 422, "code", "pattern"),
    ({"code": "123"}, 422, "sku", "required"),
])
def test_invalid_barcode(app, client, sup, body, status, field, detail):
    make_item(app, "SKU-1")
    assert_problem(client.post("/api/v1/barcodes", json=body, headers=sup), status, field, detail)


def test_master_data_writes_are_for_supervisors(client, auth_for):
    for role in ("picker", "receiver", "counter"):
        r = client.post("/api/v1/bins", json={"code": "A-1"}, headers=auth_for(role))
        assert_problem(r, 403, detail=f"a {role} may not POST /api/v1/bins")
    assert client.post("/api/v1/bins", json={"code": "A-1"}, headers=auth_for("admin")).status_code == 201
    assert client.get("/api/v1/bins", headers=auth_for("picker")).status_code == 200


# -- Idempotency-Key ---------------------------------------------------------------------

def test_idempotency_key_replays_the_first_answer_without_writing_again(client, sup):
    keyed = dict(sup, **{"Idempotency-Key": "k-1"})
    first = client.post("/api/v1/bins", json={"code": "A-1", "zone": "A"}, headers=keyed)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    # Change the bin behind the key's back; a replay must not write it again.
    client.put("/api/v1/bins/A-1", json={"code": "A-1", "zone": "Q"}, headers=sup)
    again = client.post("/api/v1/bins", json={"code": "A-1", "zone": "A"}, headers=keyed)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert client.get("/api/v1/bins/A-1", headers=sup).get_json()["zone"] == "Q"


def test_idempotency_key_with_a_different_body_is_409(client, sup):
    keyed = dict(sup, **{"Idempotency-Key": "k-1"})
    assert client.post("/api/v1/bins", json={"code": "A-1"}, headers=keyed).status_code == 201
    r = client.post("/api/v1/bins", json={"code": "A-2"}, headers=keyed)
    assert_problem(r, 409, detail="different request")
    assert_problem(client.get("/api/v1/bins/A-2", headers=sup), 404)


def test_idempotency_key_on_another_endpoint_is_409(app, client, sup):
    keyed = dict(sup, **{"Idempotency-Key": "k-1"})
    assert client.post("/api/v1/bins", json={"code": "A-1"}, headers=keyed).status_code == 201
    assert_problem(client.post("/api/v1/items", json={"sku": "A-1"}, headers=keyed), 409, detail="different request")
    assert_problem(client.get("/api/v1/items/A-1", headers=sup), 404)


def test_idempotency_keys_belong_to_their_user(client, auth_for):
    sup = dict(auth_for("supervisor"), **{"Idempotency-Key": "k-1"})
    adm = dict(auth_for("admin"), **{"Idempotency-Key": "k-1"})
    assert client.post("/api/v1/bins", json={"code": "A-1"}, headers=sup).status_code == 201
    r = client.post("/api/v1/bins", json={"code": "A-2"}, headers=adm)
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers


def test_failed_write_is_not_remembered_under_its_key(client, sup):
    keyed = dict(sup, **{"Idempotency-Key": "k-1"})
    client.post("/api/v1/bins", json={"code": "A-1"}, headers=sup)
    assert_problem(client.post("/api/v1/bins", json={"code": "A-1"}, headers=keyed), 409, detail="already exists")
    client.put("/api/v1/bins/A-1", json={"code": "A-1"}, headers=sup)
    # The 409 rolled back with its job, so the same key can carry the next attempt.
    assert client.post("/api/v1/bins", json={"code": "A-2"}, headers=keyed).status_code == 201


def test_idempotency_key_too_long_is_400(client, sup):
    r = client.post("/api/v1/bins", json={"code": "A-1"}, headers=dict(sup, **{"Idempotency-Key": "k" * 129}))
    assert_problem(r, 400, detail="Idempotency-Key")


# -- users and devices --------------------------------------------------------------------

def test_admin_creates_users_and_they_can_sign_in(client, auth_for):
    r = client.post("/api/v1/users", json={"name": "Dana", "role": "picker", "pin": "987654"},
                    headers=auth_for("admin"))
    assert r.status_code == 201
    assert r.get_json()["name"] == "Dana" and r.get_json()["role"] == "picker"
    signed = client.post("/api/v1/session", json={"pin": "987654"})
    assert signed.status_code == 201 and signed.get_json()["user"]["id"] == r.get_json()["id"]
    listed = client.get("/api/v1/users", headers=auth_for("supervisor")).get_json()["items"]
    dana = next(u for u in listed if u["name"] == "Dana")
    assert (dana["has_pin"], dana["has_badge"], dana["active"]) == (True, False, True)
    assert not any("pin" in k and "hash" in k for u in listed for k in u)


@pytest.mark.parametrize("body,status,field,detail", [
    ({"name": "Picker", "role": "picker", "pin": "90909"}, 409, None, "already exists"),
    ({"name": "New", "role": "picker", "pin": "1111"}, 409, None, "PIN is already taken"),
    ({"name": "New", "role": "picker", "badge": "BADGE-picker"}, 409, None, "badge is already assigned"),
    ({"name": "New", "role": "picker"}, 409, None, "PIN, a badge or both"),
    ({"name": "New", "role": "boss", "pin": "90909"}, 422, "role", None),
    ({"name": "New", "role": "picker", "pin": "12"}, 422, "pin", "pattern"),
    ({"name": "New", "role": "picker", "pin": "abcd"}, 422, "pin", "pattern"),
])
def test_invalid_user(client, auth_for, body, status, field, detail):
    assert_problem(client.post("/api/v1/users", json=body, headers=auth_for("admin")), status, field, detail)


def test_only_admins_create_users(client, auth_for):
    r = client.post("/api/v1/users", json={"name": "Eve", "role": "admin", "pin": "24682468"},
                    headers=auth_for("supervisor"))
    assert_problem(r, 403, detail="allowed: admin")


def test_devices_list_who_used_them(client, auth_for, users):
    client.post("/api/v1/session", json={"pin": users["picker"], "device_id": "tc52-07"})
    items = client.get("/api/v1/devices", headers=auth_for("supervisor")).get_json()["items"]
    assert [(d["id"], d["last_user_name"]) for d in items] == [("tc52-07", "Picker")]


# -- POST /api/v1/scan against this master data --------------------------------------------

def scan(client, headers, code, symbology=None):
    body = {"code": code} if symbology is None else {"code": code, "symbology": symbology}
    r = client.post("/api/v1/scan", json=body, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_scan_bin_item_and_unknown(app, client, auth_for):
    picker = auth_for("picker")
    make_bin(app, "A-01", zone="A")
    make_item(app, "SKU-1", barcodes=[("05012345678900", 12), ("4006381333931", 1)])
    got = scan(client, picker, "A-01")
    assert (got["raw"], got["kind"], got["bin"]["code"], got["bin"]["zone"]) == ("A-01", "bin", "A-01", "A")
    case = scan(client, picker, "05012345678900")
    assert (case["kind"], case["sku"], case["pack_qty"]) == ("item", "SKU-1", 12)
    each = scan(client, picker, "4006381333931", "ean13")
    assert (each["kind"], each["sku"], each["pack_qty"], each["symbology"]) == ("item", "SKU-1", 1, "ean13")
    unknown = scan(client, picker, "no such thing")
    assert (unknown["raw"], unknown["kind"]) == ("no such thing", "unknown")


@pytest.mark.parametrize("code", ["A-01 ", "A-01\t", " 4006381333931\r\n"])
def test_scan_returns_raw_exactly(app, client, auth_for, code):
    make_bin(app, "A-01")
    make_item(app, "SKU-1", barcodes=[("4006381333931", 1)])
    assert scan(client, auth_for("picker"), code)["raw"] == code


@pytest.mark.parametrize("body,status,field", [
    ({}, 422, "code"), ({"code": ""}, 422, "code"), ({"code": "x" * 4097}, 422, "code"),
    ({"code": 123}, 422, "code"), ({"code": "x", "symbology": "s" * 33}, 422, "symbology"),
    ({"code": "x", "extra": 1}, 422, "extra"),
])
def test_bad_scan_is_422(client, auth_for, body, status, field):
    assert_problem(client.post("/api/v1/scan", json=body, headers=auth_for("picker")), status, field)


def test_scan_needs_sign_in(client):
    assert_problem(client.post("/api/v1/scan", json={"code": "A-01"}), 401)
