"""The demo's receiving documents: open POs, ASNs, SSCC pallets with GS1 lots,
and a whole ASN received and put away on them as a trainer would."""
from __future__ import annotations

import uuid

import pytest
from biip.sscc import Sscc

from edge import demo
from edge.app import create_app
from edge.db import connect
from edge.ledger import differences


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("receiving-demo") / "demo.db"
    demo.build(path, seed=7, scale=0.1, echo=lambda _: None)
    return path


def test_twenty_open_pos_eight_asns_four_with_sscc_pallets(demo_db):
    c = connect(demo_db, readonly=True)
    assert c.execute("SELECT count(*) FROM purchase_order WHERE status = 'open'").fetchone()[0] == 20
    assert c.execute("SELECT count(*) FROM asn").fetchone()[0] == 8
    assert c.execute("SELECT count(DISTINCT asn_id) FROM asn_pallet").fetchone()[0] == 4
    for (sscc,) in c.execute("SELECT sscc FROM asn_pallet"):
        Sscc.parse(sscc)  # raises on a bad check digit
        assert sscc[1:8] == "9506000"
    perishable = c.execute("SELECT l.lot, l.expiry FROM asn_line l JOIN item i ON i.sku = l.sku "
                           "WHERE l.sscc IS NOT NULL AND i.perishable").fetchall()
    assert len(perishable) >= 4 and all(r["lot"] and r["expiry"] for r in perishable)
    # Every PO line is an item with a barcode to scan.
    assert c.execute("SELECT count(*) FROM po_line l LEFT JOIN barcode b ON b.sku = l.sku "
                     "WHERE b.code IS NULL").fetchone()[0] == 0
    c.close()


def test_receive_and_put_away_a_demo_asn(demo_db):
    app = create_app({"DATABASE": str(demo_db), "TESTING": True})
    client = app.test_client()
    try:
        token = client.post("/api/v1/session", json={"pin": "2222"}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def send(ctype, payload):
            cmd = {"id": str(uuid.uuid4()), "type": ctype, "at": "2026-11-27T08:00:00Z", "payload": payload}
            [result] = client.post("/api/v1/commands", json={"commands": [cmd]}, headers=headers).get_json()["results"]
            assert result["status"] == "applied", result
            return result

        scanned = client.post("/api/v1/scan", json={"code": "ASN-500001"}, headers=headers).get_json()
        assert scanned["document"]["type"] == "asn"
        rid = send("receipt.open", {"dock_bin": "D-DOCK-01", "document": "ASN-500001"})["id"]
        view = client.get(f"/api/v1/receipts/{rid}", headers=headers).get_json()
        assert view["pallets"]
        for pallet in view["pallets"]:
            send("receipt.pallet", {"receipt_id": rid, "sscc": f"]C100{pallet['sscc']}"})
        view = client.get(f"/api/v1/receipts/{rid}", headers=headers).get_json()
        for line in view["lines"]:
            if line["remaining"]:
                lot = next((x for x in line["expected_lots"] if not x["sscc"]), None)
                extra = {"lot": lot["lot"]} if lot and lot["lot"] else {}
                send("receipt.line", {"receipt_id": rid, "sku": line["sku"], "qty": line["remaining"], **extra})
        send("receipt.close", {"receipt_id": rid})
        view = client.get(f"/api/v1/receipts/{rid}", headers=headers).get_json()
        assert view["discrepancies"] == [] and view["putaway_tasks"]
        tasks = client.get("/api/v1/putaway/tasks", query_string={"receipt_id": rid}, headers=headers).get_json()
        for task in tasks["items"]:
            assert task["suggested_bin"] and task["reason"]
            send("putaway.confirm", {"task_id": task["id"], "to_bin": task["suggested_bin"]})
        left = client.get("/api/v1/stock", query_string={"bin": "D-DOCK-01"}, headers=headers).get_json()["items"]
        assert left == []
        assert client.get("/api/v1/purchase-orders/PO-100001", headers=headers).get_json()["status"] == "closed"
    finally:
        app.extensions["floorscan"].close()
    c = connect(demo_db, readonly=True)
    assert differences(c) == []
    c.close()
