"""A small receiving site and helpers shared by the receiving and putaway tests
(imported by test_wf_receiving*.py and test_wf_putaway*.py; holds no tests)."""
from __future__ import annotations

import pytest

from conftest import command, make_bin, make_item, post_commands
from edge.demo.items import check_digit


def gtin(body: str) -> str:
    return body + check_digit(body)


EAN_BOLT = gtin("950600000001")          # each
CASE_BOLT = gtin("1950600000001")        # case of 12
EAN_MILK = gtin("950600000002")
GTIN14_MILK = "0" + EAN_MILK
SSCC_1 = gtin("39506000" + "000000001")
SSCC_2 = gtin("39506000" + "000000002")
SSCC_3 = gtin("39506000" + "000000003")
GS = "\x1d"
TODAY = "2026-11-27"  # conftest.command() stamps every command 2026-11-27T08:00


@pytest.fixture
def site(app, users):
    make_bin(app, "DOCK-1", kind="dock", zone="D", walk_seq=10)
    make_bin(app, "DOCK-2", kind="dock", zone="D", walk_seq=20)
    make_bin(app, "QUAR-1", kind="quarantine", zone="D", walk_seq=900)
    make_bin(app, "A-01", zone="A", walk_seq=100, capacity=100)
    make_bin(app, "A-02", zone="A", walk_seq=110, capacity=100)
    make_bin(app, "B-01", zone="B", kind="pick-face", walk_seq=200, capacity=50)
    make_bin(app, "B-02", zone="B", kind="pick-face", walk_seq=210, capacity=50)
    make_bin(app, "C-01", zone="C", walk_seq=300, capacity=500)
    make_bin(app, "STAGE-1", kind="staging", zone="D", walk_seq=950)
    make_bin(app, "TOTE-1", kind="tote")
    make_item(app, "BOLT", barcodes=[(EAN_BOLT, 1), (CASE_BOLT, 12)], preferred_zone="B")
    make_item(app, "MILK", barcodes=[(EAN_MILK, 1)], tracking="lot", perishable=True, preferred_zone="C")
    make_item(app, "CAM", tracking="serial", preferred_zone="A")
    make_item(app, "NUT", preferred_zone="A")
    return app


def create_po(client, headers, po_id="PO-1", lines=None, **extra):
    body = {"id": po_id, "supplier": "Acme", "lines": lines or [
        {"sku": "BOLT", "qty": 100}, {"sku": "MILK", "qty": 40}], **extra}
    r = client.post("/api/v1/purchase-orders", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def create_asn(client, headers, asn_id="ASN-1", po_id="PO-1", lines=(), pallets=()):
    r = client.post("/api/v1/asns", json={"id": asn_id, "po_id": po_id, "lines": list(lines),
                                         "pallets": list(pallets)}, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def send(client, headers, ctype, payload, *, replay=False, cid=None) -> dict:
    [result] = post_commands(client, headers, command(ctype, payload, replay=replay, cid=cid))
    return result


def applied(result) -> dict:
    assert result["status"] == "applied", result
    return result


def refused(result, status: int, text: str, field: str | None = None) -> dict:
    assert result["status"] == "rejected", result
    problem = result["problem"]
    assert problem["status"] == status, problem
    assert text in problem["detail"], problem["detail"]
    if field is not None:
        assert problem["errors"][0]["field"] == f"commands[0].payload.{field}", problem
    return problem


def open_receipt(client, headers, document=None, dock="DOCK-1") -> str:
    payload = {"dock_bin": dock}
    if document:
        payload["document"] = document
    return applied(send(client, headers, "receipt.open", payload))["id"]


def stock(client, headers, **filters) -> dict:
    rows = client.get("/api/v1/stock", query_string=filters, headers=headers).get_json()["items"]
    return {(r["bin"], r["sku"], r["lot"]): r["qty"] for r in rows}


def receipt(client, headers, receipt_id) -> dict:
    r = client.get(f"/api/v1/receipts/{receipt_id}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()
