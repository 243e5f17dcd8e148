"""Receiving end to end through the HTTP API: purchase orders and ASNs, the
receipt commands, tolerance and supervisor overrides, damaged goods, blind
receipts, and offline replays that contradict the paperwork."""
from __future__ import annotations

from test_wf_receiving_helpers import (  # noqa: F401  (site is a fixture)
    CASE_BOLT, EAN_BOLT, EAN_MILK, GS, GTIN14_MILK, SSCC_1, applied, create_asn, create_po, open_receipt,
    receipt, refused, send, site, stock,
)


def milk_label(lot="LOT42", expiry="270630"):
    return f"]C101{GTIN14_MILK}17{expiry}10{lot}"


# -- the happy path -------------------------------------------------------------------

def test_receive_a_purchase_order_by_scanning_it_then_items(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    scan = client.post("/api/v1/scan", json={"code": "PO-1"}, headers=rec).get_json()
    assert scan["kind"] == "document"
    assert scan["document"] == {"type": "purchase_order", "id": "PO-1", "status": "open"}

    rid = open_receipt(client, rec, "PO-1")
    assert client.get("/api/v1/purchase-orders/PO-1", headers=rec).get_json()["status"] == "receiving"
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": EAN_BOLT, "qty": 4}))
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": CASE_BOLT, "qty": 8}))  # 8 x 12
    result = applied(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": milk_label(), "qty": 40}))
    assert result["movements"][0]["lot"] == "LOT42"

    view = receipt(client, rec, rid)
    assert view["document"] == {"type": "purchase_order", "id": "PO-1", "label": "purchase order PO-1"}
    bolt, milk = view["lines"]
    assert (bolt["sku"], bolt["expected"], bolt["received"], bolt["status"]) == ("BOLT", 100, 100, "complete")
    assert bolt["expected_barcodes"] == [{"code": EAN_BOLT, "pack_qty": 1}, {"code": CASE_BOLT, "pack_qty": 12}]
    assert bolt["accept_up_to"] == 5  # the default 5% tolerance
    assert milk["received_lots"] == [{"lot": "LOT42", "qty": 40}]
    assert stock(client, rec, bin="DOCK-1") == {("DOCK-1", "BOLT", None): 100, ("DOCK-1", "MILK", "LOT42"): 40}

    applied(send(client, rec, "receipt.close", {"receipt_id": rid}))
    view = receipt(client, rec, rid)
    assert view["status"] == "closed" and view["discrepancies"] == []
    assert [(t["sku"], t["qty"], t["suggested_bin"]) for t in view["putaway_tasks"]] == [
        ("BOLT", 50, "B-01"), ("BOLT", 50, "B-02"), ("MILK", 40, "C-01")]
    po = client.get("/api/v1/purchase-orders/PO-1", headers=rec).get_json()
    assert po["status"] == "closed"
    assert [ln["received"] for ln in po["lines"]] == [100, 40]


def test_documents_are_listed_and_read_by_receivers_created_by_supervisors(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    r = client.post("/api/v1/purchase-orders", json={"id": "PO-9", "lines": [{"sku": "BOLT", "qty": 1}]}, headers=rec)
    assert r.status_code == 403
    create_po(client, sup, "PO-1")
    create_po(client, sup, "PO-2", lines=[{"sku": "NUT", "qty": 5, "line_no": 10}, {"sku": "BOLT", "qty": 2}])
    listed = client.get("/api/v1/purchase-orders", headers=rec).get_json()
    assert [(p["id"], p["line_count"], p["expected_qty"]) for p in listed["items"]] == [("PO-1", 2, 140),
                                                                                         ("PO-2", 2, 7)]
    po2 = client.get("/api/v1/purchase-orders/PO-2", headers=rec).get_json()
    assert [ln["line_no"] for ln in po2["lines"]] == [10, 11]
    assert client.get("/api/v1/purchase-orders?status=closed", headers=rec).get_json()["items"] == []
    assert client.get("/api/v1/purchase-orders/PO-1", headers=auth_for("picker")).status_code == 403
    r = client.get("/api/v1/purchase-orders/NOPE", headers=rec)
    assert r.status_code == 404 and r.get_json()["detail"] == "no purchase order 'NOPE'"


def test_purchase_order_refusals(client, auth_for, site):
    sup = auth_for("supervisor")
    create_po(client, sup)

    def post(body):
        return client.post("/api/v1/purchase-orders", json=body, headers=sup)

    r = post({"id": "PO-1", "lines": [{"sku": "BOLT", "qty": 1}]})
    assert r.status_code == 409 and "already exists" in r.get_json()["detail"]
    r = post({"id": "A-01", "lines": [{"sku": "BOLT", "qty": 1}]})
    assert r.status_code == 409 and r.get_json()["detail"] == \
        "'A-01' is already a bin label; a scan of it could not be told apart"
    r = post({"id": "PO-2", "lines": [{"sku": "NOPE", "qty": 1}]})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "lines[0].sku"
    r = post({"id": "PO-2", "lines": [{"sku": "BOLT", "qty": 1.5}]})
    assert r.status_code == 422 and "whole" in r.get_json()["detail"]
    r = post({"id": "PO-2", "lines": [{"sku": "BOLT", "qty": 1, "lot": "L1"}]})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "lines[0].lot"
    r = post({"id": "PO-2", "lines": []})
    assert r.status_code == 422
    r = post({"id": "PO-2", "lines": [{"sku": "BOLT", "qty": 1, "line_no": 1}, {"sku": "NUT", "qty": 1, "line_no": 1}]})
    assert r.status_code == 422 and "line_no is repeated" in r.get_json()["detail"]


def test_a_po_can_be_replaced_until_something_happens_to_it(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    body = {"id": "PO-1", "lines": [{"sku": "NUT", "qty": 3}]}
    assert client.put("/api/v1/purchase-orders/PO-1", json=body, headers=sup).status_code == 200
    body["lines"][0]["qty"] = 4
    assert client.put("/api/v1/purchase-orders/PO-1", json=body, headers=sup).get_json()["lines"][0]["qty"] == 4
    assert client.put("/api/v1/purchase-orders/PO-X", json=body, headers=sup).status_code == 422
    open_receipt(client, rec, "PO-1")
    r = client.put("/api/v1/purchase-orders/PO-1", json=body, headers=sup)
    assert r.status_code == 409 and "can no longer be replaced" in r.get_json()["detail"]


# -- ASNs and pallets -------------------------------------------------------------------

PALLET_1 = {"sscc": SSCC_1, "lines": [{"sku": "MILK", "qty": 24, "lot": "L7", "expiry": "2027-03-01"},
                                      {"sku": "BOLT", "qty": 60}]}


def test_a_pallet_is_received_in_one_scan_of_its_sscc(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    create_asn(client, sup, lines=[{"sku": "BOLT", "qty": 40}, {"sku": "MILK", "qty": 16, "lot": "L8"}],
               pallets=[PALLET_1])
    assert client.post("/api/v1/scan", json={"code": "ASN-1"}, headers=rec).get_json()["document"]["type"] == "asn"
    rid = open_receipt(client, rec, "ASN-1")
    view = receipt(client, rec, rid)
    assert view["document"]["type"] == "asn"
    assert [(p["sscc"], p["status"]) for p in view["pallets"]] == [(SSCC_1, "expected")]

    # The pallet label as a GS1-128 scan: (00) + SSCC.
    result = applied(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": f"]C100{SSCC_1}"}))
    assert [(m["sku"], m["qty"], m["lot"]) for m in result["movements"]] == [("MILK", 24, "L7"), ("BOLT", 60, None)]
    assert stock(client, rec, bin="DOCK-1") == {("DOCK-1", "MILK", "L7"): 24, ("DOCK-1", "BOLT", None): 60}
    lot = client.get("/api/v1/stock", query_string={"bin": "DOCK-1", "sku": "MILK"}, headers=rec).get_json()
    assert lot["items"][0]["expiry"] == "2027-03-01"

    refused(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": SSCC_1}), 409,
            f"pallet {SSCC_1} was received on receipt {rid}", "sscc")
    replayed = applied(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": SSCC_1}, replay=True))
    assert replayed["movements"] == [] and replayed["exceptions"][0]["kind"] == "pallet_received_twice"
    assert stock(client, rec, bin="DOCK-1")[("DOCK-1", "BOLT", None)] == 60

    asn = client.get("/api/v1/asns/ASN-1", headers=rec).get_json()
    assert asn["pallets"][0]["status"] == "received" and asn["received"] == {"BOLT": 60, "MILK": 24}


def test_pallet_refusals(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    create_po(client, sup, "PO-2", lines=[{"sku": "BOLT", "qty": 60}])
    create_asn(client, sup, "ASN-2", "PO-2", pallets=[{"sscc": SSCC_1, "lines": [{"sku": "BOLT", "qty": 60}]}])
    rid = open_receipt(client, rec, "PO-1")
    refused(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": SSCC_1}), 409,
            f"pallet {SSCC_1} is on ASN ASN-2 of purchase order PO-2, not on this receipt's purchase order PO-1")
    bad = SSCC_1[:-1] + str((int(SSCC_1[-1]) + 1) % 10)
    refused(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": bad}), 422, "bad check digit", "sscc")
    refused(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": EAN_BOLT}), 422,
            "is not a pallet label (SSCC)", "sscc")
    from test_wf_receiving_helpers import SSCC_2
    refused(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": SSCC_2}), 404, "no ASN lists pallet")
    # Offline, the pallet was unloaded on this dock anyway: recorded, and a supervisor hears of it.
    result = applied(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": SSCC_1}, replay=True))
    assert [e["kind"] for e in result["exceptions"]] == ["pallet_other_document"]


def test_asn_refusals(client, auth_for, site):
    sup = auth_for("supervisor")
    create_po(client, sup)

    def post(body):
        return client.post("/api/v1/asns", json={"id": "ASN-1", "po_id": "PO-1", **body}, headers=sup)

    bad = SSCC_1[:-1] + str((int(SSCC_1[-1]) + 1) % 10)
    r = post({"pallets": [{"sscc": bad, "lines": [{"sku": "BOLT", "qty": 1}]}]})
    assert r.status_code == 422 and "bad check digit" in r.get_json()["detail"]
    r = post({"pallets": [{"sscc": SSCC_1, "lines": [{"sku": "MILK", "qty": 1}]}]})
    assert r.status_code == 422 and r.get_json()["errors"][0] == {
        "field": "pallets[0].lines[0].lot", "message": "MILK is lot-tracked; a pallet line needs its lot"}
    r = post({"pallets": [{"sscc": SSCC_1, "lines": [{"sku": "MILK", "qty": 1, "lot": "NEW"}]}]})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "pallets[0].lines[0].expiry"
    r = post({"pallets": [{"sscc": SSCC_1, "lines": [{"sku": "CAM", "qty": 1}]}]})
    assert r.status_code == 422 and "serial-tracked" in r.get_json()["detail"]
    assert post({}).status_code == 422
    r = client.post("/api/v1/asns", json={"id": "ASN-1", "po_id": "PO-404", "lines": [{"sku": "BOLT", "qty": 1}]},
                    headers=sup)
    assert r.status_code == 404 and r.get_json()["detail"] == "no purchase order 'PO-404'"
    assert post({"pallets": [PALLET_1]}).status_code == 201
    r = client.post("/api/v1/asns", json={"id": "ASN-2", "po_id": "PO-1", "pallets": [PALLET_1]}, headers=sup)
    assert r.status_code == 409 and r.get_json()["detail"] == f"pallet {SSCC_1} is already on ASN ASN-1"
    assert client.post("/api/v1/asns", json={"id": "ASN-3", "po_id": "PO-1", "lines": [{"sku": "BOLT", "qty": 1}]},
                       headers=auth_for("receiver")).status_code == 403


# -- tolerance and supervisor overrides ------------------------------------------------

def test_over_tolerance_is_refused_with_the_figures_until_a_supervisor_approves(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    rid = open_receipt(client, rec, "PO-1")
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "BOLT", "qty": 100}))
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "BOLT", "qty": 5}))  # within 5%
    problem = refused(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": CASE_BOLT}), 409,
                      "purchase order PO-1 expects 100 of BOLT; 105 received so far, +12 makes 117, beyond the 5% "
                      "tolerance (up to 105 without approval); a supervisor must approve (override)", "qty")
    assert (problem["expected"], problem["received"], problem["tolerance_pct"]) == (100, 105, 5)

    line = {"receipt_id": rid, "barcode": CASE_BOLT}
    refused(send(client, rec, "receipt.line", {**line, "override": {"pin": "2222"}}), 403,
            "that PIN or badge is not an active supervisor's", "override")
    refused(send(client, rec, "receipt.line", {**line, "override": {"pin": "8765"}}), 403, "not an active supervisor")
    refused(send(client, rec, "receipt.line", {**line, "override": {}}), 403, "a receiver cannot approve it")
    applied(send(client, rec, "receipt.line", {**line, "override": {"pin": "4444"}}))
    applied(send(client, rec, "receipt.line", {**line, "override": {"badge": "BADGE-admin"}}))
    applied(send(client, sup, "receipt.line", {**line, "override": {}}))  # a supervisor approves their own

    view = receipt(client, sup, rid)
    assert view["lines"][0]["received"] == 141
    assert [(a["kind"], a["sku"], a["received"], a["approved_by_name"]) for a in view["approvals"]] == [
        ("over", "BOLT", 117, "Supervisor"), ("over", "BOLT", 129, "Admin"), ("over", "BOLT", 141, "Supervisor")]


def test_wrong_supervisor_pins_are_rate_limited(client, auth_for, site):
    sup = auth_for("supervisor")
    from edge.workflows import receiving_approval
    receiving_approval._failures.clear()
    create_po(client, sup, lines=[{"sku": "NUT", "qty": 1}])
    rid = open_receipt(client, sup, "PO-1")
    line = {"receipt_id": rid, "sku": "NUT", "qty": 9}
    for pin in ("1000", "1001", "1002", "1003", "1004"):
        refused(send(client, sup, "receipt.line", {**line, "override": {"pin": pin}}), 403, "not an active")
    refused(send(client, sup, "receipt.line", {**line, "override": {"pin": "4444"}}), 429,
            "too many wrong supervisor PINs or badges; wait a minute")
    receiving_approval._failures.clear()


def test_replayed_over_receipt_is_recorded_and_raised_for_a_supervisor(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    rid = open_receipt(client, rec, "PO-1")
    result = applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "BOLT", "qty": 130}, replay=True))
    [exc] = result["exceptions"]
    assert exc["kind"] == "over_receipt" and exc["ref_id"] == rid
    assert exc["data"]["expected"] == 100 and exc["data"]["received"] == 130
    assert stock(client, rec, bin="DOCK-1") == {("DOCK-1", "BOLT", None): 130}

    queue = client.get("/api/v1/exceptions", headers=sup).get_json()["items"]
    [row] = [e for e in queue if e["kind"] == "over_receipt"]
    assert "approve" in [a["name"] for a in row["actions"]]
    r = client.post(f"/api/v1/exceptions/{row['id']}/resolve", headers=sup,
                    json={"action": "approve", "resolution": "supplier sent a spare pallet layer; keep it"})
    assert r.status_code == 200, r.get_json()
    assert [(a["kind"], a["received"], a["approved_by_name"]) for a in receipt(client, sup, rid)["approvals"]] == [
        ("over", 130, "Supervisor")]


def test_closing_short_beyond_tolerance_needs_a_supervisor(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    rid = open_receipt(client, rec, "PO-1")
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "BOLT", "qty": 96}))  # 4% short: fine
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "MILK", "qty": 20, "lot": "L1",
                                                "expiry": "2027-01-31"}))
    problem = refused(send(client, rec, "receipt.close", {"receipt_id": rid}), 409,
                      "purchase order PO-1 is short beyond the 5% tolerance: MILK 20 of 40; a supervisor must "
                      "approve closing it short (override), or close with final: false if the rest is coming",
                      "override")
    assert [s["sku"] for s in problem["shorts"]] == ["MILK"]
    applied(send(client, rec, "receipt.close", {"receipt_id": rid, "override": {"badge": "BADGE-supervisor"}}))
    view = receipt(client, rec, rid)
    assert [(d["kind"], d["sku"], d["difference"], d["beyond_tolerance"]) for d in view["discrepancies"]] == [
        ("short", "BOLT", -4, False), ("short", "MILK", -20, True)]
    assert [(a["kind"], a["sku"]) for a in view["approvals"]] == [("short", "MILK")]
    refused(send(client, rec, "receipt.close", {"receipt_id": rid}), 409, "already", "receipt_id")


def test_a_delivery_in_two_lorries_keeps_the_po_open_between_them(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    first = open_receipt(client, rec, "PO-1")
    applied(send(client, rec, "receipt.line", {"receipt_id": first, "sku": "BOLT", "qty": 100}))
    applied(send(client, rec, "receipt.close", {"receipt_id": first, "final": False}))
    assert client.get("/api/v1/purchase-orders/PO-1", headers=rec).get_json()["status"] == "open"
    second = open_receipt(client, rec, "PO-1", dock="DOCK-2")
    refused(send(client, rec, "receipt.line", {"receipt_id": second, "sku": "BOLT", "qty": 10}), 409,
            "100 received so far")  # the PO is judged as a whole
    applied(send(client, rec, "receipt.line", {"receipt_id": second, "sku": "MILK", "qty": 40, "lot": "L1",
                                                "expiry": "2027-01-31"}))
    applied(send(client, rec, "receipt.close", {"receipt_id": second}))
    assert client.get("/api/v1/purchase-orders/PO-1", headers=rec).get_json()["status"] == "closed"
    refused(send(client, rec, "receipt.open", {"dock_bin": "DOCK-1", "document": "PO-1"}), 409,
            "purchase order PO-1 was closed at", "document")
    replayed = applied(send(client, rec, "receipt.open", {"dock_bin": "DOCK-1", "document": "PO-1"}, replay=True))
    assert replayed["exceptions"][0]["kind"] == "closed_document"


def test_replayed_close_short_raises_an_under_receipt_exception(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup, lines=[{"sku": "NUT", "qty": 10}])
    rid = open_receipt(client, rec, "PO-1")
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "NUT", "qty": 2}))
    result = applied(send(client, rec, "receipt.close", {"receipt_id": rid}, replay=True))
    assert [(e["kind"], e["sku"]) for e in result["exceptions"]] == [("under_receipt", "NUT")]
    again = applied(send(client, rec, "receipt.close", {"receipt_id": rid}, replay=True))  # another device
    assert again["movements"] == [] and "exceptions" not in again


# -- unexpected, damaged, expired, blind -------------------------------------------------

def test_unexpected_items_are_accepted_and_flagged(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup, lines=[{"sku": "BOLT", "qty": 10}])
    rid = open_receipt(client, rec, "PO-1")
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "BOLT", "qty": 10}))
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "NUT", "qty": 7}))
    view = receipt(client, rec, rid)
    assert [(ln["sku"], ln["status"], ln["accept_up_to"]) for ln in view["lines"]] == [
        ("BOLT", "complete", 0.5), ("NUT", "unexpected", None)]
    applied(send(client, rec, "receipt.close", {"receipt_id": rid}))
    assert receipt(client, rec, rid)["discrepancies"] == [
        {"kind": "unexpected", "sku": "NUT", "expected": 0, "received": 7, "difference": 7, "beyond_tolerance": True}]


def test_damaged_goods_go_to_quarantine_with_a_reason(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup, lines=[{"sku": "BOLT", "qty": 24}])
    rid = open_receipt(client, rec, "PO-1")
    line = {"receipt_id": rid, "barcode": CASE_BOLT, "damaged": True}
    refused(send(client, rec, "receipt.line", line), 422, "say what is damaged", "damage_reason")
    refused(send(client, rec, "receipt.line", {**line, "damage_reason": "x", "quarantine_bin": "A-01"}), 422,
            "A-01 is a storage bin; damaged goods go to a quarantine bin", "quarantine_bin")
    refused(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "BOLT", "damage_reason": "wet"}), 422,
            "go with damaged: true", "damage_reason")
    result = applied(send(client, rec, "receipt.line", {**line, "damage_reason": "crushed carton"}))
    assert (result["movements"][0]["to_bin"], result["movements"][0]["reason"]) == ("QUAR-1", "damaged: crushed carton")
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": CASE_BOLT}))
    applied(send(client, rec, "receipt.close", {"receipt_id": rid, "final": False}))
    view = receipt(client, rec, rid)
    assert view["lines"][0]["damaged_here"] == 12
    assert [(d["kind"], d["received"]) for d in view["discrepancies"]] == [("damaged", 12)]
    assert [(t["qty"], t["sku"]) for t in view["putaway_tasks"]] == [(12, "BOLT")]  # only what is on the dock


def test_an_expired_lot_is_refused_unless_received_as_damaged(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    rid = open_receipt(client, rec, "PO-1")
    label = milk_label("OLD1", "261101")
    refused(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": label}), 409,
            "lot OLD1 of MILK expired on 2026-11-01; receive it as damaged (into quarantine) or refuse it", "expiry")
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": label, "damaged": True,
                                                "damage_reason": "expired on arrival"}))
    result = applied(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": label}, replay=True))
    assert [e["kind"] for e in result["exceptions"]] == ["expired_on_receipt"]


def test_blind_receipt_without_paperwork(client, auth_for, site):
    rec = auth_for("receiver")
    rid = applied(send(client, rec, "receipt.open", {"dock_bin": "DOCK-2", "supplier": "walk-in",
                                                      "note": "delivery note 881"}))["id"]
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "NUT", "qty": 250}))
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "CAM", "serial": "SN-1"}))
    open_now = client.get("/api/v1/receipts", headers=rec).get_json()["items"]
    assert [(r["id"], r["document"]["type"], r["supplier"]) for r in open_now] == [(rid, "blind", "walk-in")]
    applied(send(client, rec, "receipt.close", {"receipt_id": rid}))
    view = receipt(client, rec, rid)
    assert view["discrepancies"] == []
    # 250 nuts fill both empty bins of their zone A and spill into the nearest empty bin.
    assert [(t["sku"], t["serial"], t["qty"], t["suggested_bin"]) for t in view["putaway_tasks"]] == [
        ("NUT", None, 100, "A-01"), ("NUT", None, 100, "A-02"), ("NUT", None, 50, "B-01"),
        ("CAM", "SN-1", 1, "B-02")]
    assert client.get("/api/v1/receipts", headers=rec).get_json()["items"] == []
    assert len(client.get("/api/v1/receipts?status=closed", headers=rec).get_json()["items"]) == 1


# -- scans and refusals ---------------------------------------------------------------------

def test_gs1_labels_fill_lot_expiry_and_count(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup, lines=[{"sku": "MILK", "qty": 100}, {"sku": "BOLT", "qty": 100}])
    rid = open_receipt(client, rec, "PO-1")
    # AI 30 counts the pieces in a variable-count carton; FNC1 sent as GS.
    moved = applied(send(client, rec, "receipt.line", {"receipt_id": rid,
                                                        "barcode": f"{GS}01{GTIN14_MILK}30{'18'}{GS}17270630" "10LX"}))
    assert (moved["movements"][0]["qty"], moved["movements"][0]["lot"]) == (18, "LX")
    # AI 02 + 37: a pallet layer of 3 cases of 12, no SSCC.
    moved = applied(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": f"]C102{CASE_BOLT}373"}))
    assert moved["movements"][0]["qty"] == 36
    refused(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": milk_label("LX"), "lot": "LY"}), 422,
            "the label says lot LX, the entry says LY", "lot")
    refused(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": "4006381333931"}), 422,
            "'4006381333931' (GTIN 04006381333931) is not an item barcode here", "barcode")
    refused(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": f"00{SSCC_1}"}), 422,
            "is a pallet label (SSCC", "barcode")
    refused(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": "A-01"}), 422,
            "'A-01' is a bin label, not an item", "barcode")
    refused(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "BOLT", "barcode": EAN_BOLT}), 422,
            "not both", "barcode")
    refused(send(client, rec, "receipt.line", {"receipt_id": rid}), 422, "send what was scanned", "barcode")
    refused(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": EAN_MILK}), 422,
            "MILK is lot-tracked; scan or enter the lot", "lot")


def test_opening_refusals(client, auth_for, site):
    rec = auth_for("receiver")
    refused(send(client, rec, "receipt.open", {"dock_bin": "DOCK-1", "document": "PO-404"}), 404,
            "no purchase order or ASN 'PO-404'", "document")
    refused(send(client, rec, "receipt.open", {"dock_bin": "A-01"}), 422,
            "A-01 is a storage bin; receipts land in a dock bin", "dock_bin")
    refused(send(client, rec, "receipt.open", {"dock_bin": "NOPE"}), 422, "no bin with code 'NOPE'", "dock_bin")
    refused(send(client, rec, "receipt.line", {"receipt_id": "nope", "sku": "BOLT"}), 404, "no receipt nope",
            "receipt_id")


def test_who_may_receive(client, auth_for, site):
    rid = open_receipt(client, auth_for("receiver"))
    for role in ("picker", "counter"):
        refused(send(client, auth_for(role), "receipt.line", {"receipt_id": rid, "sku": "NUT"}), 403,
                f"a {role} may not send receipt.line commands")
        assert client.get(f"/api/v1/receipts/{rid}", headers=auth_for(role)).status_code == 403
    applied(send(client, auth_for("admin"), "receipt.line", {"receipt_id": rid, "sku": "NUT"}))


def test_a_closed_receipt_refuses_lines_but_an_offline_replay_is_kept(client, auth_for, site):
    rec = auth_for("receiver")
    rid = open_receipt(client, rec)
    applied(send(client, rec, "receipt.close", {"receipt_id": rid}))
    refused(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "NUT", "qty": 3}), 409,
            f"receipt {rid} was closed at", "receipt_id")
    result = applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "NUT", "qty": 3}, replay=True))
    assert [e["kind"] for e in result["exceptions"]] == ["receipt_after_close"]
    tasks = client.get("/api/v1/putaway/tasks", query_string={"receipt_id": rid}, headers=rec).get_json()["items"]
    assert [(t["sku"], t["qty"]) for t in tasks] == [("NUT", 3)]


def test_a_command_sent_twice_receives_once(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    rid = open_receipt(client, rec, "PO-1")
    line = {"receipt_id": rid, "barcode": CASE_BOLT, "qty": 2}
    first = applied(send(client, rec, "receipt.line", line, cid="9b1c1b8e-2f0a-4c55-9d5e-6f0e3c1f7a01"))
    again = send(client, rec, "receipt.line", line, cid="9b1c1b8e-2f0a-4c55-9d5e-6f0e3c1f7a01", replay=True)
    assert again["status"] == "duplicate" and again["movements"] == first["movements"]
    assert stock(client, rec, bin="DOCK-1") == {("DOCK-1", "BOLT", None): 24}


# -- offline ---------------------------------------------------------------------------------

def test_a_whole_receipt_recorded_offline_replays_as_one_batch_twice(client, auth_for, site):
    from conftest import command, post_commands
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    create_asn(client, sup, lines=[{"sku": "BOLT", "qty": 100}], pallets=[
        {"sscc": SSCC_1, "lines": [{"sku": "MILK", "qty": 40, "lot": "L7", "expiry": "2027-03-01"}]}])
    opened = command("receipt.open", {"dock_bin": "DOCK-2", "document": "ASN-1"}, replay=True)
    rid = opened["id"]  # the handheld knows the receipt's id before the edge has heard of it
    batch = [opened,
             command("receipt.pallet", {"receipt_id": rid, "sscc": SSCC_1}, replay=True),
             command("receipt.line", {"receipt_id": rid, "barcode": CASE_BOLT, "qty": 8}, replay=True),
             command("receipt.line", {"receipt_id": rid, "barcode": EAN_BOLT, "qty": 4}, replay=True),
             command("receipt.close", {"receipt_id": rid}, replay=True)]
    first = post_commands(client, rec, *batch)
    assert [r["status"] for r in first] == ["applied"] * 5
    assert all("exceptions" not in r for r in first)  # reality agreed with the paperwork
    again = post_commands(client, rec, *batch)
    assert [r["status"] for r in again] == ["duplicate"] * 5
    assert stock(client, rec, bin="DOCK-2") == {("DOCK-2", "BOLT", None): 100, ("DOCK-2", "MILK", "L7"): 40}
    assert receipt(client, rec, rid)["status"] == "closed"
    assert client.get("/api/v1/asns/ASN-1", headers=rec).get_json()["status"] == "closed"


def test_an_offline_approval_that_does_not_check_out_is_kept_and_raised(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup, lines=[{"sku": "NUT", "qty": 10}])
    rid = open_receipt(client, rec, "PO-1")
    result = applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "NUT", "qty": 20,
                                                         "override": {"pin": "2222"}}, replay=True))
    assert [e["kind"] for e in result["exceptions"]] == ["over_receipt"]
    assert receipt(client, rec, rid)["approvals"] == []


def test_a_pallet_beyond_tolerance_or_expired_needs_a_decision(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    from test_wf_receiving_helpers import SSCC_2
    create_asn(client, sup, lines=[{"sku": "BOLT", "qty": 60}], pallets=[
        {"sscc": SSCC_1, "lines": [{"sku": "BOLT", "qty": 60}]},
        {"sscc": SSCC_2, "lines": [{"sku": "MILK", "qty": 10, "lot": "OLD", "expiry": "2026-10-31"}]}])
    rid = open_receipt(client, rec, "ASN-1")
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "BOLT", "qty": 70}))  # loose + 10
    refused(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": SSCC_1}), 409,
            "ASN ASN-1 expects 120 of BOLT; 70 received so far, +60 makes 130", "qty")
    applied(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": SSCC_1, "override": {"pin": "4444"}}))
    refused(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": SSCC_2}), 409,
            f"pallet {SSCC_2} holds lot OLD of MILK, expired on 2026-10-31", "sscc")
    result = applied(send(client, rec, "receipt.pallet", {"receipt_id": rid, "sscc": SSCC_2}, replay=True))
    assert [e["kind"] for e in result["exceptions"]] == ["expired_on_receipt"]


def test_a_supervisor_closes_what_will_never_come(client, auth_for, site):
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup)
    create_asn(client, sup, lines=[{"sku": "BOLT", "qty": 100}])
    rid = open_receipt(client, rec, "ASN-1")
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "BOLT", "qty": 100}))
    r = client.post("/api/v1/purchase-orders/PO-1/close", headers=sup)
    assert r.status_code == 409 and r.get_json()["detail"] == \
        f"receipt {rid} at DOCK-1 is still open on purchase order PO-1; close it first"
    applied(send(client, rec, "receipt.close", {"receipt_id": rid}))
    # The ASN is in; the PO still waits for its milk, which the supplier has cancelled.
    assert client.get("/api/v1/purchase-orders/PO-1", headers=rec).get_json()["status"] == "open"
    assert client.post("/api/v1/purchase-orders/PO-1/close", headers=rec).status_code == 403
    r = client.post("/api/v1/purchase-orders/PO-1/close", headers=sup)
    assert r.status_code == 200 and r.get_json()["status"] == "closed"
    assert client.post("/api/v1/purchase-orders/PO-1/close", headers=sup).status_code == 409


def test_every_receiving_and_putaway_endpoint_and_command_is_documented():
    import re

    import edge.api.receiving  # noqa: F401  (fills ROUTES)
    from conftest import ROOT
    from edge.api.spec import ROUTES
    from edge.commands import COMMAND_TYPES
    text = "".join((ROOT / "docs" / "workflows" / name).read_text() for name in ("receiving.md", "putaway.md"))
    ours = [r for r in ROUTES if "receiving" in r.tags or "putaway" in r.tags]
    assert len(ours) == 13
    for route in ours:
        path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "{id}", route.path)
        assert f"{route.method} {path}" in text, f"{route.method} {path} is not in docs/workflows"
    for ctype in COMMAND_TYPES:
        if ctype.startswith(("receipt.", "putaway.")):
            assert f"`{ctype}`" in text


def test_an_over_receipt_reaches_supervisors_live_and_nobody_else(app, client, auth_for, site):
    import time

    from edge.realtime import socketio
    sup, rec = auth_for("supervisor"), auth_for("receiver")
    create_po(client, sup, lines=[{"sku": "NUT", "qty": 10}])
    rid = open_receipt(client, rec, "PO-1")
    time.sleep(0.15)
    listeners = {role: socketio.test_client(app, auth={"token": auth_for(role)["Authorization"][7:]})
                 for role in ("supervisor", "receiver", "picker")}
    for sio in listeners.values():
        sio.get_received()
    applied(send(client, rec, "receipt.line", {"receipt_id": rid, "sku": "NUT", "qty": 30}, replay=True))
    time.sleep(0.4)
    heard = {role: [e for e in sio.get_received() if e["name"] == "exception.raised"]
             for role, sio in listeners.items()}
    [event] = heard["supervisor"]
    assert [e["kind"] for e in event["args"][0]["exceptions"]] == ["over_receipt"]
    assert heard["receiver"] == [] and heard["picker"] == []
    for sio in listeners.values():
        sio.disconnect()
