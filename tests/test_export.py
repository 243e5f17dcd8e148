"""`floorscan export` and GET /api/v1/export/<kind>.csv: the import's columns,
so what goes out comes back in unchanged."""
from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from conftest import ROOT, assert_verified
from edge import csvio
from edge.db import init_db

ITEMS = ("sku,description,uom,tracking,perishable,abc_class,unit_cost,reorder_point,reorder_qty,preferred_zone,active\n"
         'BOLT,"Bolt, hex ""M8""",ea,none,false,A,0.12,100,500,Z1,true\n'
         "DRILL,Drill,ea,serial,false,,89.5,,,,true\n"
         'FLOUR,"Flour\nstone-ground",kg,none,false,B,1.25,,,,true\n'
         "MILK,Milk,l,lot,true,,0.9,,,,true\n"
         "OLD,Retired,ea,none,false,C,0,,,,false\n")
BINS = ("code,zone,aisle,walk_seq,kind,capacity,active\n"
        "A1,Z1,01,10,storage,2.5,true\n"
        "A2,Z1,01,20,pick-face,,true\n"
        "DOCK,Z0,,0,dock,,false\n")
BARCODES = "code,sku,pack_qty\n05012345678900,BOLT,1\n15012345678907,BOLT,12\n"
STOCK = ("bin,sku,lot,expiry,serial,qty\n"
         "A1,BOLT,,,,100\n"
         "A1,DRILL,,,SN-1,1\n"
         "A1,FLOUR,,,,12.5\n"
         "A2,DRILL,,,SN-2,1\n"
         "A2,MILK,L7,2027-01-31,,24\n")


def floorscan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def fill(db_path, tmp_path) -> None:
    """Bins first: DOCK is inactive, and the opening count must not go there."""
    for kind, text in (("bins", BINS), ("items", ITEMS), ("barcodes", BARCODES), ("stock", STOCK)):
        path = tmp_path / f"in-{kind}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        csvio.import_file(db_path, kind, str(path), progress=False)


def export(db_path, tmp_path, kind: str, **kw) -> str:
    path = tmp_path / f"out-{kind}.csv"
    csvio.export_file(db_path, kind, str(path), **kw)
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind, text", [("items", ITEMS), ("bins", BINS), ("barcodes", BARCODES), ("stock", STOCK)])
def test_export_writes_what_was_imported(db_path, tmp_path, kind, text):
    fill(db_path, tmp_path)
    assert export(db_path, tmp_path, kind) == text


def test_round_trip_into_a_fresh_database(db_path, tmp_path):
    fill(db_path, tmp_path)
    other = str(tmp_path / "other.db")
    init_db(other)
    for kind in ("bins", "items", "barcodes", "stock"):
        out = tmp_path / f"trip-{kind}.csv"
        assert csvio.export_file(db_path, kind, str(out)) > 0
        csvio.import_file(other, kind, str(out), progress=False)
    for kind in ("bins", "items", "barcodes", "stock"):
        assert export(other, tmp_path, kind) == export(db_path, tmp_path, kind)
    assert_verified(other)


def test_cli_export_to_stdout_and_to_a_file(db_path, tmp_path):
    fill(db_path, tmp_path)
    r = floorscan("export", "barcodes", "--db", db_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == BARCODES
    target = tmp_path / "items-out.csv"
    r = floorscan("export", "items", str(target), "--db", db_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == f"exported 5 items rows to {target}"
    assert target.read_text(encoding="utf-8") == ITEMS
    assert not (tmp_path / "items-out.csv.partial").exists()

    r = floorscan("import", "items", str(target), "--db", db_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("imported 5 items (0 new, 5 updated)")


def test_movements_export_and_after_seq(db_path, tmp_path):
    fill(db_path, tmp_path)
    rows = list(csv.DictReader(io.StringIO(export(db_path, tmp_path, "movements"))))
    assert [r["seq"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert rows[0]["kind"] == "opening"
    assert (rows[0]["sku"], rows[0]["qty"], rows[0]["to_bin"], rows[0]["from_bin"]) == ("BOLT", "100", "A1", "")
    assert (rows[0]["ref_type"], rows[0]["ref_id"], rows[0]["replayed"]) == ("import", "in-stock.csv", "false")
    later = list(csv.DictReader(io.StringIO(export(db_path, tmp_path, "movements", after_seq=3))))
    assert [r["seq"] for r in later] == ["4", "5"]


def test_an_empty_table_exports_its_header(db_path, tmp_path):
    assert export(db_path, tmp_path, "stock") == "bin,sku,lot,expiry,serial,qty\n"
    assert csvio.export_file(db_path, "items", str(tmp_path / "x.csv")) == 0


def test_api_export_csv(app, client, auth_for, db_path, tmp_path):
    fill(db_path, tmp_path)
    r = client.get("/api/v1/export/items.csv", headers=auth_for("supervisor"))
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == 'attachment; filename="items.csv"'
    assert r.get_data(as_text=True) == ITEMS
    r = client.get("/api/v1/export/movements.csv?after_seq=4", headers=auth_for("admin"))
    assert [row["seq"] for row in csv.DictReader(io.StringIO(r.get_data(as_text=True)))] == ["5"]


def test_api_export_refusals(client, auth_for):
    r = client.get("/api/v1/export/stock.csv", headers=auth_for("picker"))
    assert r.status_code == 403
    assert r.mimetype == "application/problem+json"
    assert client.get("/api/v1/export/stock.csv").status_code == 401
    r = client.get("/api/v1/export/users.csv", headers=auth_for("supervisor"))
    assert r.status_code == 404
    for bad in ("-1", "x", str(2**64)):
        r = client.get(f"/api/v1/export/movements.csv?after_seq={bad}", headers=auth_for("supervisor"))
        assert r.status_code == 422
        assert r.get_json()["errors"][0]["field"] == "query.after_seq"
