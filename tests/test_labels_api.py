"""Labels over HTTP and on the command line: downloads, previews, printing, and
every bad input with the problem a supervisor sees."""
from __future__ import annotations

import subprocess
import sys

import pytest

from _labels_support import FakePrinter, StuckPrinter, closed_port, decode
from conftest import ROOT, assert_problem, make_bin, make_item

API = "/api/v1/labels"


@pytest.fixture
def site(app):
    for code in ("A-01-01", "A-01-02", "B-01-01"):
        make_bin(app, code, zone=code[0], aisle=code[:4])
    make_item(app, "SKU-1", [("9506000134352", 1), ("19506000134359", 12)], description="Hummus 200 g")
    make_item(app, "SKU-2", [("INT-2", 1)], description="Internal part")
    make_item(app, "SKU-3", description="No barcode at all")
    return app


@pytest.fixture
def sup(site, auth_for):
    return auth_for("supervisor")


def test_bin_labels_zpl_download(client, sup):
    r = client.get(f"{API}/bins", query_string={"codes": "A-01-02,A-01-01", "qr": "true"}, headers=sup)
    assert r.status_code == 200 and r.mimetype == "application/zpl"
    assert r.headers["X-Label-Count"] == "2"
    assert 'filename="bins-labels.zpl"' in r.headers["Content-Disposition"]
    text = r.get_data(as_text=True)
    assert text.count("^XA") == 2 and text.index("^FDA-01-02^FS") < text.index("^FDA-01-01^FS")


def test_bin_labels_by_zone_pdf(client, sup):
    r = client.get(f"{API}/bins", query_string={"zone": "A", "format": "pdf", "sheet": "letter"}, headers=sup)
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert r.headers["X-Label-Count"] == "2"


def test_item_and_case_labels(client, sup):
    r = client.get(f"{API}/items", query_string={"skus": "SKU-1,SKU-2", "lot": "L7", "expiry": "2027-06-30"},
                   headers=sup)
    text = r.get_data(as_text=True)
    assert r.status_code == 200, text
    assert "^FD(01)09506000134352(17)270630(10)L7^FS" in text  # GTIN -> GS1-128
    assert "^BCN,110,N,N,N,N^FH\\^FDINT-2^FS" in text           # internal code -> Code 128
    r = client.get(f"{API}/items", query_string={"skus": "SKU-1", "case": "1", "size": "2x1"}, headers=sup)
    assert "@1011950600013435" in r.get_data(as_text=True) and "CASE OF 12" in r.get_data(as_text=True)


def test_lot_expiry_comes_from_the_lot_master(client, sup, site):
    site.extensions["floorscan"].write(lambda c: c.execute(
        "INSERT INTO lot (sku, lot, expiry, created_at) VALUES ('SKU-1', 'L9', '2028-01-31', '2026-01-01')"))
    r = client.get(f"{API}/items/preview", query_string={"skus": "SKU-1", "lot": "L9", "image": "png"}, headers=sup)
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert decode(r.data) == [("(01)09506000134352(17)280131(10)L9", "Code128", "]C1")]


def test_preview_svg(client, sup):
    r = client.get(f"{API}/bins/preview", query_string={"codes": "A-01-01,B-01-01", "index": 1}, headers=sup)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert b"B-01-01" in r.data and r.headers["X-Label-Count"] == "2"


def test_send_to_printer(client, sup):
    printer = FakePrinter()
    try:
        r = client.post(f"{API}/print", json={"printer": printer.address, "bins": {"codes": ["A-01-01"],
                                                                                    "copies": 2}}, headers=sup)
        assert r.status_code == 200, r.get_json()
        assert printer.done.wait(5)
        assert r.get_json() == {"printer": printer.address, "labels": 1, "bytes": len(printer.jobs[0])}
        job = printer.jobs[0].decode()
        assert job.startswith("^XA") and "^FDA-01-01^FS" in job and "^PQ2" in job
    finally:
        printer.close()


# -- bad input ---------------------------------------------------------------------------------

def test_unknown_bins_are_all_named(client, sup):
    r = client.get(f"{API}/bins", query_string={"codes": "A-01-01,NOPE-1,NOPE-2"}, headers=sup)
    body = assert_problem(r, 404, field="codes", detail="no bin NOPE-1, NOPE-2")
    assert body["missing"] == ["NOPE-1", "NOPE-2"]


def test_unknown_sku_and_empty_zone(client, sup):
    assert_problem(client.get(f"{API}/items", query_string={"skus": "SKU-1,GHOST"}, headers=sup), 404,
                   field="skus", detail="no item GHOST")
    assert_problem(client.get(f"{API}/bins", query_string={"zone": "Q"}, headers=sup), 404, field="zone")


def test_too_many_labels(client, sup):
    codes = ",".join(f"X-{i}" for i in range(1001))
    body = assert_problem(client.get(f"{API}/bins", query_string={"codes": codes}, headers=sup), 413,
                          detail="1001 labels in one job; the limit is 1000")
    assert body["limit"] == 1000


def test_bad_options(client, sup):
    assert_problem(client.get(f"{API}/bins", query_string={"codes": "A-01-01", "copies": 101}, headers=sup), 422,
                   field="query.copies")
    assert_problem(client.get(f"{API}/bins", query_string={"codes": "A-01-01", "size": "6x4"}, headers=sup), 422,
                   field="query.size")
    assert_problem(client.get(f"{API}/bins", headers=sup), 422, field="codes", detail="say which bins")
    assert_problem(client.get(f"{API}/items", query_string={"skus": "SKU-1", "lot": "LOT 1"}, headers=sup), 422,
                   field="lot", detail="no spaces")
    assert_problem(client.get(f"{API}/items", query_string={"skus": "SKU-3"}, headers=sup), 422,
                   field="sku", detail="SKU-3 has no barcode")
    assert_problem(client.get(f"{API}/items", query_string={"skus": "SKU-2", "case": "true"}, headers=sup), 422,
                   detail="no case barcode")
    assert_problem(client.get(f"{API}/items", query_string={"skus": "SKU-2", "symbology": "gs1-128"},
                              headers=sup), 422, field="symbology", detail="needs a GTIN")
    assert_problem(client.get(f"{API}/bins/preview", query_string={"codes": "A-01-01", "index": 3}, headers=sup),
                   404, field="index")


def test_printer_refused_is_502(client, sup):
    address = closed_port()
    body = assert_problem(client.post(f"{API}/print", json={"printer": address, "bins": {"codes": ["A-01-01"]}},
                                      headers=sup), 502, field="printer", detail="Connection refused")
    assert body["printer"] == address and body["title"] == "Printer unreachable"


def test_printer_silent_is_504(client, sup, app):
    app.config["LABEL_PRINTER_TIMEOUT_SECONDS"] = 0.3
    stuck = StuckPrinter()
    try:
        body = assert_problem(client.post(f"{API}/print", json={"printer": stuck.address,
                                                                "bins": {"codes": ["A-01-01"]}}, headers=sup),
                              504, field="printer", detail="did not accept the job within 0.3 s")
        assert body["title"] == "Printer timeout"
    finally:
        stuck.close()


def test_print_request_shape(client, sup, monkeypatch):
    import socket
    real = socket.getaddrinfo

    def no_such_host(host, *args, **kw):  # .invalid never resolves (RFC 6761); no DNS server is asked
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kw)
    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    assert_problem(client.post(f"{API}/print", json={"printer": "10.0.0.1:9100"}, headers=sup), 422, field="bins")
    assert_problem(client.post(f"{API}/print", json={"printer": "host:notaport", "bins": {"codes": ["A-01-01"]}},
                               headers=sup), 422, field="printer", detail="not a printer address")
    assert_problem(client.post(f"{API}/print", json={"printer": "nonexistent.invalid:9100",
                                                     "bins": {"codes": ["A-01-01"]}}, headers=sup),
                   502, field="printer", detail="does not resolve")


def test_roles(client, site, auth_for):
    assert_problem(client.get(f"{API}/bins", query_string={"codes": "A-01-01"}), 401)
    assert_problem(client.get(f"{API}/bins", query_string={"codes": "A-01-01"}, headers=auth_for("picker")), 403)
    assert client.get(f"{API}/items", query_string={"skus": "SKU-1", "case": 1},
                      headers=auth_for("receiver")).status_code == 200


# -- command line ------------------------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "edge.cli", "labels", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_cli_writes_and_prints(site, db_path, tmp_path):
    out = tmp_path / "bins.zpl"
    r = run_cli("bins", "A-01-01", "--db", db_path, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("^XA") and "wrote 1 bin labels (zpl)" in r.stderr
    r = run_cli("items", "SKU-1", "--db", db_path, "--format", "pdf", "--sheet", "label", "--out", str(tmp_path / "i.pdf"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "i.pdf").read_bytes().startswith(b"%PDF")
    printer = FakePrinter()
    try:
        r = run_cli("bins", "--zone", "A", "--db", db_path, "--printer", printer.address)
        assert r.returncode == 0, r.stderr
        assert printer.done.wait(30) and printer.jobs[0].count(b"^XA") == 2
    finally:
        printer.close()


def test_cli_errors(site, db_path):
    r = run_cli("items", "GHOST", "--db", db_path, "--out", "-")
    assert r.returncode == 1 and "error: no item GHOST" in r.stderr
    r = run_cli("bins", "A-01-01", "--db", db_path, "--printer", closed_port())
    assert r.returncode == 1 and "cannot reach printer" in r.stderr
    r = run_cli("bins", "A-01-01", "--db", db_path)
    assert r.returncode == 2 and "--out FILE" in r.stderr
