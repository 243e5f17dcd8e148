"""Purchase orders from CSV: the same all-or-nothing import as master data."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT
from test_wf_receiving_helpers import open_receipt, site  # noqa: F401  (site is a fixture)

GOOD = """po_id,supplier,expected_at,line_no,sku,qty,lot,expiry
PO-100,Acme,2026-12-01,1,BOLT,120,,
PO-100,,,2,MILK,48,L9,2027-04-30
PO-101,Bolt & Co,,,NUT,500,,
PO-101,Bolt & Co,,,BOLT,24,,
"""


def upload(client, headers, text: str):
    return client.post("/api/v1/import/purchase_orders", data=text.encode(), content_type="text/csv",
                       headers=headers)


def test_import_purchase_orders_then_replace_one(client, auth_for, site):
    sup = auth_for("supervisor")
    r = upload(client, sup, GOOD)
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["rows"], r.get_json()["created"], r.get_json()["updated"]) == (4, 4, 0)
    po = client.get("/api/v1/purchase-orders/PO-100", headers=sup).get_json()
    assert (po["supplier"], po["expected_at"]) == ("Acme", "2026-12-01")
    assert [(ln["line_no"], ln["sku"], ln["qty"], ln["lot"], ln["expiry"]) for ln in po["lines"]] == [
        (1, "BOLT", 120, None, None), (2, "MILK", 48, "L9", "2027-04-30")]
    assert [ln["line_no"] for ln in client.get("/api/v1/purchase-orders/PO-101", headers=sup).get_json()["lines"]] \
        == [1, 2]
    # The same file again replaces the orders: nothing was received yet.
    again = upload(client, sup, GOOD.replace("BOLT,120", "BOLT,130")).get_json()
    assert (again["created"], again["updated"]) == (0, 4)
    assert client.get("/api/v1/purchase-orders/PO-100", headers=sup).get_json()["lines"][0]["qty"] == 130


def test_a_bad_file_names_the_bad_lines_and_writes_nothing(client, auth_for, site):
    sup = auth_for("supervisor")
    upload(client, sup, "po_id,sku,qty\nPO-7,NUT,1\n")
    open_receipt(client, auth_for("receiver"), "PO-7")
    bad = ("po_id,supplier,line_no,sku,qty,lot\n"
           "PO-200,Acme,1,BOLT,10,\n"
           "PO-200,Other,2,NUT,5,\n"        # another supplier for the same PO
           "PO-200,,1,NUT,5,\n"              # line 1 twice
           "PO-201,,1,NOPE,5,\n"             # unknown item
           "PO-201,,2,BOLT,2.5,\n"           # half a bolt
           "PO-7,,1,NUT,2,\n")               # already being received
    r = upload(client, sup, bad)
    assert r.status_code == 422
    errors = [(e["line"], e["field"]) for e in r.get_json()["errors"]]
    assert errors == [(3, "supplier"), (4, "line_no"), (5, "sku"), (7, "po_id")]
    messages = [e["message"] for e in r.get_json()["errors"]]
    assert "is repeated: first on line 2, again on line 4" in messages[1]
    assert messages[3] == "purchase order 'PO-7' already has an ASN or a receipt; it can no longer be replaced"
    assert client.get("/api/v1/purchase-orders/PO-200", headers=sup).status_code == 404
    assert client.post("/api/v1/import/purchase_orders", data=GOOD.encode(), content_type="text/csv",
                       headers=auth_for("receiver")).status_code == 403


def test_the_command_line_imports_purchase_orders(tmp_path, db_path, site):
    path = tmp_path / "po.csv"
    path.write_text(GOOD)
    done = subprocess.run([sys.executable, "-m", "edge.cli", "import", "purchase_orders", str(path), "--db", db_path],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "imported 4 purchase_orders (4 new, 0 updated)" in done.stdout
