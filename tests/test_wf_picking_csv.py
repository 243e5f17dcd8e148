"""Sales orders from a CSV file: all or nothing, every bad row named, and the
same rules as POST /api/v1/sales-orders."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT
from test_wf_picking_setup import assert_reservations_sound, build_site, order, stock, wave

GOOD = """order_id,customer,priority,cutoff_at,carrier,line_no,sku,qty,lot
SO-100,Corner Shop,2,2026-11-27T16:00:00Z,DHL,,SKU-1,3,
SO-100,,,,,,SKU-2,1,
SO-101,Deli,,2026-11-28T09:30:00,UPS,1,SKU-1,12,
"""


def upload(client, headers, text):
    return client.post("/api/v1/import/sales_orders", data=text.encode(), content_type="text/csv", headers=headers)


def test_import_orders_and_import_them_again(app, client, auth_for):
    build_site(app)
    sup = auth_for("supervisor")
    r = upload(client, sup, GOOD)
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["rows"], r.get_json()["created"], r.get_json()["updated"]) == (3, 3, 0)
    so = client.get("/api/v1/sales-orders/SO-100", headers=sup).get_json()
    assert (so["customer"], so["priority"], so["cutoff_at"], so["carrier"], so["source"]) == (
        "Corner Shop", 2, "2026-11-27T16:00:00Z", "DHL", "csv")
    assert [(ln["line_no"], ln["sku"], ln["qty"]) for ln in so["lines"]] == [(1, "SKU-1", 3), (2, "SKU-2", 1)]
    so = client.get("/api/v1/sales-orders/SO-101", headers=sup).get_json()
    assert (so["priority"], so["cutoff_at"]) == (5, "2026-11-28T09:30:00Z")
    # The same file again changes nothing.
    r = upload(client, sup, GOOD)
    assert (r.status_code, r.get_json()["created"], r.get_json()["updated"]) == (200, 0, 3)
    # Once an order is allocated, a file cannot change it.
    stock(client, sup, "SKU-1", "A-01", 50)
    wave(client, sup, order_ids=["SO-101"])
    r = upload(client, sup, GOOD.replace("SKU-1,12", "SKU-1,13"))
    assert r.status_code == 422
    assert r.get_json()["errors"] == [{"line": 4, "field": "order_id",
                                       "message": "sales order SO-101 is already released; it can no longer change"}]
    assert_reservations_sound(app)


def test_every_bad_row_is_named_and_nothing_is_written(app, client, auth_for):
    build_site(app)
    sup = auth_for("supervisor")
    order(client, sup, "SO-7", [{"sku": "SKU-1", "qty": 1}])
    bad = """order_id,customer,carrier,line_no,sku,qty,lot
SO-1,A,DHL,1,SKU-1,2,
SO-1,A,UPS,2,SKU-2,1,
SO-2,B,,1,NOPE,1,
SO-3,C,,1,SKU-1,1.5,
SO-4,D,,1,SKU-1,1,
SO-4,D,,1,SKU-2,1,
SO-5,E,,1,MILK,1,L404
"""
    r = upload(client, sup, bad)
    assert r.status_code == 422
    body = r.get_json()
    assert body["detail"] == "import of sales_orders from upload failed: 5 problems on 5 lines; nothing was written"
    assert body["errors"] == [
        {"line": 3, "field": "carrier", "message": "sales order 'SO-1' has carrier DHL on an earlier line, not UPS"},
        {"line": 4, "field": "sku", "message": "no item with sku 'NOPE'"},
        {"line": 5, "field": "qty", "message": "SKU-1 is counted in whole ea; 1.5 is not a whole number"},
        {"line": 7, "field": "line_no", "message": "line 1 of sales order 'SO-4' is repeated: first on line 6, "
                                                   "again on line 7"},
        {"line": 8, "field": "lot", "message": "lot L404 of MILK is not known here"},
    ]
    listed = client.get("/api/v1/sales-orders", headers=sup).get_json()["items"]
    assert [o["id"] for o in listed] == ["SO-7"]


def test_cli_imports_sales_orders(tmp_path, db_path, app):
    build_site(app)
    path = tmp_path / "orders.csv"
    path.write_text(GOOD)
    out = subprocess.run([sys.executable, "-m", "edge.cli", "import", "sales_orders", str(path), "--db", db_path,
                          "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "imported 3 sales_orders" in out.stdout
    verify = subprocess.run([sys.executable, "-m", "edge.cli", "verify", "--db", db_path], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and "projection matches the ledger" in verify.stdout
