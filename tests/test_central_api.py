"""Central beyond the contract: the `floorscan central` commands, a real
server process spoken to over HTTP, and the ERP API's answers."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time

import pytest
import requests

from _central_support import Central, movements
from conftest import ROOT, assert_problem, free_port


def floorscan(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=60)


@pytest.fixture
def central(tmp_path):
    c = Central(str(tmp_path / "central.db"))
    yield c
    c.close()


def test_cli_init_add_warehouse_and_key(tmp_path):
    db = str(tmp_path / "c.db")
    r = floorscan("central", "init", "--db", db)
    assert r.returncode == 0 and "schema version 1" in r.stdout
    r = floorscan("central", "add-warehouse", "WH1", "--db", db)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert token.startswith("fsw_") and "not shown again" in r.stderr
    from sync.central.store import hash_secret, open_store
    store = open_store(db)
    assert store.warehouse_for_token(token) == "WH1"
    row = store.one(store.conn(), "SELECT token_hash FROM warehouse WHERE code = 'WH1'")
    assert row["token_hash"] == hash_secret(token) and token not in json.dumps(row)
    store.close()
    again = floorscan("central", "add-warehouse", "WH1", "--db", db)
    assert again.returncode == 1 and "registered already" in again.stderr
    rotated = floorscan("central", "add-warehouse", "WH1", "--rotate", "--db", db)
    assert rotated.returncode == 0 and rotated.stdout.strip() != token
    bad = floorscan("central", "add-warehouse", "no spaces", "--db", db)
    assert bad.returncode == 1 and "warehouse code" in bad.stderr
    key = floorscan("central", "add-key", "erp", "--db", f"sqlite://{db}")
    assert key.returncode == 0 and key.stdout.strip().startswith("fsk_")
    assert floorscan("central", "add-key", "erp", "--db", db).returncode == 1


def test_central_serve_is_a_real_http_server(tmp_path):
    db = str(tmp_path / "c.db")
    token = floorscan("central", "add-warehouse", "WH1", "--db", db).stdout.strip()
    port = free_port()
    log = open(tmp_path / "central.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "edge.cli", "central", "serve", "--db", db, "--host",
                             "127.0.0.1", "--port", str(port), "--threads", "4"], cwd=ROOT, stdout=log, stderr=log,
                            env=dict(os.environ, FLOORSCAN_CENTRAL_WORKERS="1"), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "central.log").read_text()
            try:
                if requests.get(url + "/api/v1/health", timeout=5).ok:
                    break
            except requests.RequestException:
                assert time.monotonic() < deadline, "central did not start"
                time.sleep(0.1)
        auth = {"Authorization": f"Bearer {token}"}
        body = gzip.compress(json.dumps({"warehouse": "WH1", "movements": movements(1, 1000)}).encode())
        r = requests.post(url + "/api/v1/sync/movements", data=body, timeout=30,
                          headers=dict(auth, **{"Content-Type": "application/json", "Content-Encoding": "gzip"}))
        assert r.status_code == 200, r.text
        assert r.json() == {"warehouse": "WH1", "cursor": 1000, "inserted": 1000, "duplicates": 0}
        assert requests.get(url + "/api/v1/sync/cursor", headers=auth, timeout=30).json()["cursor"] == 1000
        r = requests.post(url + "/api/v1/sync/movements", json={"warehouse": "WH1", "movements": movements(1002, 1002)},
                          headers=auth, timeout=30)
        assert r.status_code == 409 and r.headers["Content-Type"] == "application/problem+json"
        assert r.json()["cursor"] == 1000
        assert requests.get(url + "/api/v1/openapi.json", timeout=30).json()["info"]["title"] == "floorscan central API"
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:  # no server left behind
            os.killpg(proc.pid, 9)
            proc.wait(10)
        log.close()


def test_item_upsert_reports_created_then_replaced(central):
    r = central.client.post("/api/v1/items", json={"sku": "SKU-1", "description": "Widget"}, headers=central.erp)
    assert r.status_code == 200 and r.get_json()["created"] is True
    r = central.client.post("/api/v1/items", json={"sku": "SKU-1", "description": "Widget v2"}, headers=central.erp)
    assert r.get_json()["created"] is False
    got = central.client.get("/api/v1/items/SKU-1", headers=central.erp).get_json()
    assert got["data"]["description"] == "Widget v2" and got["data"]["uom"] == "ea"
    assert_problem(central.client.get("/api/v1/items/NOPE", headers=central.erp), 404)


def test_documents_carry_the_edges_own_shapes(central):
    """What central sends down validates with the edge's input models."""
    from edge.models import BarcodeIn, BinIn, ItemIn
    from edge.workflows.picking_orders import SalesOrderIn
    from edge.workflows.receiving_docs import PurchaseOrderIn
    from edge.workflows.transfers import TransferIn
    erp, post = central.erp, central.client.post
    post("/api/v1/items", json={"sku": "SKU-1", "tracking": "lot", "perishable": True}, headers=erp)
    post("/api/v1/barcodes", json={"code": "0501", "sku": "SKU-1", "pack_qty": 6}, headers=erp)
    post("/api/v1/warehouses/WH1/bins", json={"code": "A-01", "zone": "A", "walk_seq": 3}, headers=erp)
    post("/api/v1/purchase-orders", headers=erp, json={
        "warehouse": "WH1", "id": "PO-1", "supplier": "ACME", "expected_at": "2026-12-01",
        "lines": [{"sku": "SKU-1", "qty": 12, "lot": "L1", "expiry": "2027-01-31"}]})
    post("/api/v1/sales-orders", headers=erp, json={
        "warehouse": "WH1", "id": "SO-1", "cutoff_at": "2026-11-27T16:00:00+01:00",
        "lines": [{"sku": "SKU-1", "qty": 2}]})
    post("/api/v1/transfers", headers=erp, json={"id": "T-1", "from_warehouse": "WH1", "to_warehouse": "WH2",
                                                 "lines": [{"sku": "SKU-1", "qty": 1, "lot": "L1"}]})
    models = {"item": ItemIn, "barcode": BarcodeIn, "bin": BinIn, "purchase_order": PurchaseOrderIn,
              "sales_order": SalesOrderIn, "transfer_order": TransferIn}
    changes = central.changes("WH1")["changes"]
    assert [c["kind"] for c in changes] == list(models)
    for c in changes:
        models[c["kind"]].model_validate(c["data"])
    assert "warehouse" not in changes[3]["data"]


def test_read_api_needs_an_api_key(central):
    for path in ("/api/v1/stock", "/api/v1/movements", "/api/v1/warehouses", "/api/v1/transfers"):
        assert_problem(central.client.get(path), 401)
        assert_problem(central.client.get(path, headers=central.wh()), 401)
    assert_problem(central.client.get("/api/v1/transfers/NOPE", headers=central.erp), 404)
    assert_problem(central.client.get("/api/v1/movements?after=nonsense", headers=central.erp), 422,
                   field="query.after")


def test_stock_grouped_company_wide(central):
    central.send(movements(1, 2, to_bin="A"))
    central.send(movements(1, 3, "WH2", to_bin="B", sku="SKU-2"), "WH2")
    r = central.client.get("/api/v1/stock?by=sku", headers=central.erp)
    assert r.get_json()["items"] == [{"sku": "SKU-1", "qty": 4.0}, {"sku": "SKU-2", "qty": 6.0}]
    r = central.client.get("/api/v1/stock?by=warehouse,bin&sku=SKU-2", headers=central.erp)
    assert r.get_json()["items"] == [{"warehouse": "WH2", "bin": "B", "qty": 6.0}]


def test_unknown_endpoint_is_404_problem(central):
    assert_problem(central.client.get("/api/v1/nope"), 404)


def test_store_url_forms(tmp_path):
    from sync.central.pg_store import PgStore
    from sync.central.sqlite_store import SqliteStore
    from sync.central.store import open_store
    assert isinstance(open_store(str(tmp_path / "a.db")), SqliteStore)
    s = open_store(f"sqlite://{tmp_path}/b.db")
    assert isinstance(s, SqliteStore) and s.path == f"{tmp_path}/b.db"
    assert isinstance(open_store("postgresql://127.0.0.1:5432/test"), PgStore)
    s.init().init()  # idempotent
    assert s.schema_version() == 1
    s.close()


def test_openapi_document_is_valid_and_complete(central):
    import re

    import jsonschema_rs
    from schemathesis.specs.openapi.definitions import OPENAPI_31
    doc = central.client.get("/api/v1/openapi.json").get_json()
    jsonschema_rs.validator_for(OPENAPI_31).validate(doc)
    served = {(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", r.rule), m.lower())
              for r in central.app.url_map.iter_rules() if r.rule.startswith("/api/v1/")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert served == documented
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for ops in doc["paths"].values():
        for op in ops.values():
            assert op["summary"], op["operationId"]


def test_read_only_central_serves_reports_and_writes_nothing(central, tmp_path):
    from sync.central.app import create_app
    central.send(movements(1, 3))
    reader = create_app(central.url, {"READ_ONLY": True, "TESTING": True})
    client = reader.test_client()
    r = client.get("/api/v1/stock?by=warehouse", headers=central.erp)
    assert r.get_json()["items"] == [{"warehouse": "WH1", "qty": 6.0}]
    assert client.get("/api/v1/warehouses", headers=central.erp).status_code == 200
    assert_problem(client.post("/api/v1/items", json={"sku": "X"}, headers=central.erp), 404)
    assert_problem(client.get("/api/v1/sync/cursor", headers=central.wh()), 404)
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/stock" in paths and "/api/v1/sync/movements" not in paths and "/api/v1/items" not in paths
    reader.extensions["central"].close()
    # It never migrates: over a database nobody initialised, it does not create tables.
    empty = tmp_path / "empty.db"
    create_app(str(empty), {"READ_ONLY": True}).extensions["central"].close()
    import sqlite3
    assert sqlite3.connect(empty).execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
