"""Scanning the paperwork: a packing slip, a transfer note or a returns label
is answered with the document it names, for every document type the edge keeps."""
from __future__ import annotations

from test_wf_transfers import floor, ok, one  # noqa: F401  (floor is a fixture)


def scan(client, headers, code) -> dict:
    r = client.post("/api/v1/scan", json={"code": code}, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_sales_order_transfer_or_return_is_known_by_its_number(client, auth_for, floor):
    sup, picker, receiver = auth_for("supervisor"), auth_for("picker"), auth_for("receiver")
    r = client.post("/api/v1/sales-orders", json={"id": "SO-1", "customer": "Acme",
                                                  "lines": [{"sku": "SKU-1", "qty": 2}]}, headers=sup)
    assert r.status_code == 201, r.get_json()
    r = client.post("/api/v1/transfers", json={"to_site": "WH2", "lines": [{"sku": "SKU-1", "qty": 3}]}, headers=sup)
    assert r.status_code == 201, r.get_json()
    transfer = r.get_json()["id"]
    returned = one(client, receiver, "return.receive", {"sku": "SKU-1", "qty": 1, "to_bin": "RET-1",
                                                        "reason": "unwanted"})
    assert returned["status"] == "applied", returned
    return_id = returned["movements"][0]["ref_id"]

    # The packer scans the packing slip, the loader the transfer note, the returns desk the return label.
    assert scan(client, picker, "SO-1") == {"raw": "SO-1", "kind": "document", "symbology": None,
                                            "document": {"type": "sales_order", "id": "SO-1", "status": "open"}}
    assert scan(client, picker, transfer)["document"] == {"type": "transfer", "id": transfer, "status": "open"}
    assert scan(client, receiver, return_id)["document"] == {"type": "return", "id": return_id, "status": "open"}

    # The answer says where the document stands now.
    ok([one(client, picker, "transfer.ship", {"transfer_id": transfer, "sku": "SKU-1", "qty": 3, "from_bin": "A-01"})])
    ok([one(client, receiver, "transfer.dispatch", {"transfer_id": transfer})])
    assert scan(client, picker, transfer)["document"]["status"] == "shipped"
    assert scan(client, picker, "SO-2")["kind"] == "unknown"
