"""`floorscan import` and POST /api/v1/import/<kind>: all or nothing, and every
bad row reported with the line a person finds it on in an editor."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

from conftest import ROOT, assert_verified
from edge import csvio
from edge.db import connect

ITEMS_HEADER = "sku,description,uom,tracking,perishable,abc_class,unit_cost,reorder_point,reorder_qty"


def floorscan(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, timeout=60)


def csv_file(tmp_path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return str(path)


def load(db_path, tmp_path, kind: str, text: str | bytes, name: str | None = None) -> csvio.Report:
    """The in-process import (what the command line calls), for the many bad-input cases."""
    return csvio.import_file(db_path, kind, csv_file(tmp_path, name or f"{kind}.csv", text), progress=False)


def failure(db_path, tmp_path, kind: str, text: str | bytes) -> list[str]:
    with pytest.raises(csvio.ImportFailed) as info:
        load(db_path, tmp_path, kind, text)
    return info.value.report().splitlines()[1:]


def query(db_path, sql, *args) -> list[dict]:
    conn = connect(db_path, readonly=True)
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def counts(db_path) -> dict:
    return {t: query(db_path, f"SELECT count(*) AS n FROM {t}")[0]["n"]
            for t in ("item", "bin", "barcode", "movement", "stock", "lot", "serial")}


@pytest.fixture
def warehouse(db_path, tmp_path):
    """A few bins and one item of each tracking kind."""
    load(db_path, tmp_path, "bins", "code,zone\nA1,Z1\nA2,Z1\nDOCK,Z0\n")
    load(db_path, tmp_path, "items", "sku,uom,tracking,perishable\n"
                                     "BOLT,ea,none,\nFLOUR,kg,none,\nPAINT,ea,lot,\nMILK,l,lot,yes\nDRILL,ea,serial,\n")
    return db_path


# -- happy paths through the real command line -------------------------------

def test_import_items_creates_then_updates(db_path, tmp_path):
    path = csv_file(tmp_path, "items.csv", "\ufeff" + ITEMS_HEADER + "\n"
                    "BOLT,Hex bolt M8,,,,A,0.12,100,500\n"
                    "MILK,Milk 1 l,l,lot,yes,,0.9,,\n"
                    "OLDTHING,,,,no,,,,\n")
    r = floorscan("import", "items", path, "--db", db_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("imported 3 items (3 new, 0 updated) in ")
    rows = {x["sku"]: x for x in query(db_path, "SELECT * FROM item")}
    assert rows["BOLT"] == {"sku": "BOLT", "description": "Hex bolt M8", "uom": "ea", "tracking": "none",
                            "perishable": 0, "abc_class": "A", "unit_cost": 0.12, "reorder_point": 100.0,
                            "reorder_qty": 500.0, "preferred_zone": None, "active": 1}
    assert (rows["MILK"]["perishable"], rows["MILK"]["uom"], rows["MILK"]["tracking"]) == (1, "l", "lot")

    path = csv_file(tmp_path, "items2.csv", "sku,description,active\nBOLT,Hex bolt M8 zinc,0\nNUT,Nut,1\n")
    r = floorscan("import", "items", path, "--db", db_path, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("imported 2 items (1 new, 1 updated) in ")
    bolt = query(db_path, "SELECT * FROM item WHERE sku = 'BOLT'")[0]
    # An upsert replaces the record: cells left out take their defaults again.
    assert (bolt["description"], bolt["active"], bolt["unit_cost"], bolt["abc_class"]) == ("Hex bolt M8 zinc", 0, 0, None)


def test_booleans_read_like_a_person_writes_them(db_path, tmp_path):
    load(db_path, tmp_path, "bins", "code,active\nB1,true\nB2,FALSE\nB3,yes\nB4,no\nB5,1\nB6,0\nB7,\n")
    assert {r["code"]: r["active"] for r in query(db_path, "SELECT code, active FROM bin")} == {
        "B1": 1, "B2": 0, "B3": 1, "B4": 0, "B5": 1, "B6": 0, "B7": 1}


def test_import_bins_and_barcodes_from_stdin(db_path, tmp_path):
    r = floorscan("import", "bins", "-", "--db", db_path,
                  stdin="code,zone,aisle,walk_seq,kind,capacity\nA-01,Z1,01,10,pick-face,2.5\nDOCK1,,,,dock,\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("imported 2 bins (2 new, 0 updated)")
    assert query(db_path, "SELECT * FROM bin ORDER BY code")[0] == {
        "code": "A-01", "zone": "Z1", "aisle": "01", "walk_seq": 10, "kind": "pick-face", "capacity": 2.5,
        "active": 1}
    load(db_path, tmp_path, "items", "sku\nBOLT\n")
    path = csv_file(tmp_path, "barcodes.csv", "code,sku,pack_qty\n05012345678900,BOLT,\n15012345678907,BOLT,12\n")
    r = floorscan("import", "barcodes", path, "--db", db_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("imported 2 barcodes (2 new, 0 updated)")
    assert query(db_path, "SELECT code, pack_qty FROM barcode ORDER BY code") == [
        {"code": "05012345678900", "pack_qty": 1.0}, {"code": "15012345678907", "pack_qty": 12.0}]


def test_semicolon_files_from_a_spreadsheet_import(db_path, tmp_path):
    report = load(db_path, tmp_path, "items", "sku;description;unit_cost\nBOLT;Bolt, hex;0.5\n")
    assert report.rows == 1
    assert query(db_path, "SELECT description, unit_cost FROM item") == [{"description": "Bolt, hex", "unit_cost": 0.5}]


def test_import_stock_posts_opening_movements_once(warehouse, tmp_path):
    path = csv_file(tmp_path, "opening.csv", "bin,sku,lot,expiry,serial,qty\n"
                    "A1,BOLT,,,,100\n"
                    "A1,FLOUR,,,,12.5\n"
                    "A2,MILK,L7,2027-01-31,,24\n"
                    "A2,PAINT,P1,,,3\n"
                    "A1,DRILL,,,SN-1,1\n"
                    "A2,DRILL,,,SN-2,1\n")
    r = floorscan("import", "stock", path, "--db", warehouse)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("imported 6 stock rows (6 new movements, 0 already imported) in ")
    moves = query(warehouse, "SELECT kind, sku, lot, serial, qty, from_bin, to_bin, ref_type, ref_id FROM movement "
                             "ORDER BY seq")
    assert moves[0] == {"kind": "opening", "sku": "BOLT", "lot": "", "serial": None, "qty": 100.0,
                        "from_bin": None, "to_bin": "A1", "ref_type": "import", "ref_id": "opening.csv"}
    assert query(warehouse, "SELECT expiry FROM lot WHERE sku = 'MILK' AND lot = 'L7'") == [{"expiry": "2027-01-31"}]
    assert query(warehouse, "SELECT bin FROM serial WHERE serial = 'SN-2'") == [{"bin": "A2"}]
    before = counts(warehouse)
    stock_before = query(warehouse, "SELECT * FROM stock ORDER BY bin, sku, lot")

    again = floorscan("import", "stock", path, "--db", warehouse)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("imported 6 stock rows (0 new movements, 6 already imported) in ")
    assert counts(warehouse) == before
    assert query(warehouse, "SELECT * FROM stock ORDER BY bin, sku, lot") == stock_before
    assert query(warehouse, "SELECT qty FROM stock WHERE bin = 'A1' AND sku = 'BOLT'") == [{"qty": 100.0}]

    verify = floorscan("verify", "--db", warehouse)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert_verified(warehouse)


def test_the_same_rows_in_another_file_are_another_count(warehouse, tmp_path):
    load(warehouse, tmp_path, "stock", "bin,sku,qty\nA1,BOLT,5\n", name="a.csv")
    # The ids come from the file's contents: a different file is a different count.
    load(warehouse, tmp_path, "stock", "bin,sku,qty\nA1,BOLT,5\nA2,BOLT,1\n", name="b.csv")
    assert query(warehouse, "SELECT qty FROM stock WHERE bin = 'A1' AND sku = 'BOLT'") == [{"qty": 10.0}]
    assert_verified(warehouse)


# -- what a person sees when the file is wrong -------------------------------

def test_bad_rows_are_all_reported_through_the_cli_and_nothing_is_written(db_path, tmp_path):
    load(db_path, tmp_path, "items", "sku,description\nKEEP,unchanged\n")
    before = counts(db_path)
    path = csv_file(tmp_path, "items.csv", ITEMS_HEADER + "\n"
                    "GOOD,fine,,,,,1,,\n"
                    "KEEP,changed,,,,,-3,,\n"
                    "X2,,,,,,abc,,\n"
                    "X3,,,batch,,,,,\n")
    r = floorscan("import", "items", path, "--db", db_path)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        "import of items from items.csv failed: 3 problems on 3 lines; nothing was written",
        "line 3: unit_cost: Input should be greater than or equal to 0 (got '-3')",
        "line 4: unit_cost: Input should be a valid number, unable to parse string as a number (got 'abc')",
        "line 5: tracking: Input should be 'none', 'lot' or 'serial' (got 'batch')",
    ]
    assert counts(db_path) == before
    assert query(db_path, "SELECT description FROM item WHERE sku = 'KEEP'") == [{"description": "unchanged"}]


def test_a_row_with_several_bad_cells_reports_each(db_path, tmp_path):
    assert failure(db_path, tmp_path, "items", "sku,uom,perishable,abc_class\n,,maybe,D\n") == [
        "line 2: sku: required",
        "line 2: perishable: Input should be a valid boolean, unable to interpret input (got 'maybe')",
        "line 2: abc_class: Input should be 'A', 'B' or 'C' (got 'D')",
    ]


def test_perishable_without_lots_reads_as_in_the_api(db_path, tmp_path):
    assert failure(db_path, tmp_path, "items", "sku,perishable\nMILK,yes\n") == [
        "line 2: perishable: Value error, a perishable item needs lot or serial tracking to carry expiry dates "
        "(got 'yes')"]


def test_duplicate_keys_name_both_lines(db_path, tmp_path):
    assert failure(db_path, tmp_path, "items", "sku\nA\nB\nA\nC\nA\n") == [
        "line 4: sku: sku 'A' is repeated: first on line 2, again on line 4",
        "line 6: sku: sku 'A' is repeated: first on line 2, again on line 6",
    ]
    assert failure(db_path, tmp_path, "bins", "code\nA1\n A1 \n") == [
        "line 3: code: bin 'A1' is repeated: first on line 2, again on line 3"]
    assert counts(db_path)["item"] == counts(db_path)["bin"] == 0


def test_header_problems_point_at_line_1(db_path, tmp_path):
    assert failure(db_path, tmp_path, "items", "description,unit_cost\nBolt,1\n") == [
        "line 1: sku: required column is missing from the header"]
    assert failure(db_path, tmp_path, "items", "sku,colour,Unit_Cost\nBOLT,red,1\n") == [
        "line 1: colour: unknown column; items columns are: sku, description, uom, tracking, perishable, "
        "abc_class, unit_cost, reorder_point, reorder_qty, preferred_zone, active"]
    assert failure(db_path, tmp_path, "barcodes", "code,sku,sku\n1,A,A\n") == [
        "line 1: sku: the column appears more than once in the header"]


def test_a_header_with_another_delimiter_says_so(db_path, tmp_path):
    lines = failure(db_path, tmp_path, "bins", "code:zone\nA1:Z1\n")
    assert lines == ["line 1: code:zone: unknown column; bins columns are: code, zone, aisle, walk_seq, kind, "
                     "capacity, active",
                     "line 1: code: required column is missing from the header"]
    assert failure(db_path, tmp_path, "bins", "code;zone;kind\nA1;Z1;dock\nA2,Z1,dock\n") == [
        "line 3: the row has 1 cell but the header names 3 columns (the row is separated by commas, "
        "the header by semicolons: use one delimiter throughout)"]
    assert failure(db_path, tmp_path, "bins", "code,zone\nA1,Z1\nA2,Z1,dock\n") == [
        "line 3: the row has 3 cells but the header names 2 columns (a delimiter inside a value that is not in "
        "double quotes?)"]
    assert failure(db_path, tmp_path, "bins", "c;o,d,e\nA1\n")[0] == (
        "line 1: c;o: unknown column; bins columns are: code, zone, aisle, walk_seq, kind, capacity, active "
        "(the header holds a semicolon (';'): separate the columns with one delimiter, a comma, semicolon, "
        "tab or bar ('|'))")


def test_quoted_line_breaks_shift_the_line_numbers(db_path, tmp_path):
    text = ('sku,description,unit_cost\n'
            'A,"two\nlines",1\n'          # lines 2-3
            'B,"three\nlines\nhere",2\n'  # lines 4-6
            '\n'                          # line 7, blank
            'C,fine,-1\n')                # line 8
    assert failure(db_path, tmp_path, "items", text) == [
        "line 8: unit_cost: Input should be greater than or equal to 0 (got '-1')"]
    # Windows line endings count the same.
    assert failure(db_path, tmp_path, "items", text.replace("\n", "\r\n")) == [
        "line 8: unit_cost: Input should be greater than or equal to 0 (got '-1')"]


def test_rows_that_do_not_fit_the_header(db_path, tmp_path):
    assert failure(db_path, tmp_path, "bins", "code,zone\nA1,Z1,extra\nA2\nA3,Z1,\n") == [
        "line 2: the row has 3 cells but the header names 2 columns (a delimiter inside a value that is not in "
        "double quotes?)",
        "line 3: the row has 1 cell but the header names 2 columns",
    ]


def test_an_unclosed_quote_is_found_where_it_starts(db_path, tmp_path):
    assert failure(db_path, tmp_path, "items", 'sku,description\nA,fine\nB,"oops\nC,more\n') == [
        "line 3: the row cannot be read as CSV: unexpected end of data (look for a stray or unclosed double quote)"]


def test_empty_file_and_header_only(db_path, tmp_path):
    assert failure(db_path, tmp_path, "items", "") == [
        "line 1: the file is empty; the first line must name the columns, e.g. sku,description,uom,tracking"]
    assert failure(db_path, tmp_path, "items", "\n  \n") == [
        "line 1: the file is empty; the first line must name the columns, e.g. sku,description,uom,tracking"]
    assert load(db_path, tmp_path, "items", "sku,description\n").summary().startswith("imported 0 items")


def test_bad_encoding_names_the_line(db_path, tmp_path):
    data = "sku,description\nA,fine\nB,Käse\n".encode("latin-1")
    assert failure(db_path, tmp_path, "items", data) == [
        "line 3: the file is not UTF-8 text (byte 0xe4 cannot be read); save it as 'CSV UTF-8' and import it again"]
    assert failure(db_path, tmp_path, "items", "sku\nA\n".encode("utf-16")) == [
        "line 1: the file is UTF-16 text; save it as 'CSV UTF-8' instead"]


def test_a_missing_file(db_path, tmp_path):
    r = floorscan("import", "items", str(tmp_path / "nope.csv"), "--db", db_path)
    assert r.returncode == 1
    assert r.stderr.splitlines()[1] == f"cannot read {tmp_path / 'nope.csv'}: No such file or directory"


def test_a_long_report_is_capped_but_counts_everything(db_path, tmp_path):
    text = "sku,unit_cost\n" + "".join(f"S{i},-1\n" for i in range(250))
    with pytest.raises(csvio.ImportFailed) as info:
        load(db_path, tmp_path, "items", text)
    lines = info.value.report().splitlines()
    assert lines[0] == "import of items from items.csv failed: 250 problems on 250 lines; nothing was written"
    assert len(lines) == 202
    assert lines[200] == "line 201: unit_cost: Input should be greater than or equal to 0 (got '-1')"
    assert lines[-1] == "... and 50 more"
    assert len(info.value.errors) == 250


def test_barcode_for_an_unknown_sku(db_path, tmp_path):
    load(db_path, tmp_path, "items", "sku\nBOLT\n")
    assert failure(db_path, tmp_path, "barcodes", "code,sku,pack_qty\n111,BOLT,1\n222,NOPE,1\n333,BOLT,0\n") == [
        "line 3: sku: no item with sku 'NOPE'",
        "line 4: pack_qty: Input should be greater than 0 (got '0')",
    ]
    assert counts(db_path)["barcode"] == 0


def test_tracking_cannot_change_once_an_item_has_movements(warehouse, tmp_path):
    load(warehouse, tmp_path, "stock", "bin,sku,qty\nA1,BOLT,5\n")
    before = counts(warehouse)
    assert failure(warehouse, tmp_path, "items", "sku,tracking,description\nNEW,none,x\nBOLT,lot,\nPAINT,none,\n") == [
        "line 3: tracking: BOLT already has movements as tracking=none; tracking cannot change"]
    assert counts(warehouse) == before
    # Without movements the change is allowed.
    assert load(warehouse, tmp_path, "items", "sku,tracking\nPAINT,none\n").updated == 1


def test_stock_rows_the_ledger_refuses(warehouse, tmp_path):
    before = counts(warehouse)
    text = ("bin,sku,lot,expiry,serial,qty\n"
            "A1,BOLT,,,,10\n"          # fine, but nothing is written
            "Z9,BOLT,,,,1\n"           # unknown bin
            "A1,NOPE,,,,1\n"           # unknown sku
            "A2,BOLT,,,,1.5\n"         # fraction of an 'ea' item
            "A2,PAINT,,,,3\n"          # lot missing
            "A1,DRILL,,,SN-1,1\n"
            "A2,DRILL,,,SN-1,1\n"      # the same serial twice
            "A2,MILK,M1,,,2\n"         # perishable lot without expiry
            "A2,BOLT,,2027-01-01,,2\n"  # expiry without a lot
            "A2,FLOUR,,,,-1\n")
    assert failure(warehouse, tmp_path, "stock", text) == [
        "line 3: bin: no bin with code 'Z9'",
        "line 4: sku: no item with sku 'NOPE'",
        "line 5: qty: BOLT is counted in whole ea; 1.5 is not a whole number",
        "line 6: lot: PAINT is lot-tracked; scan or enter the lot",
        "line 8: serial: serial 'SN-1' of sku 'DRILL' is repeated: first on line 7, again on line 8",
        "line 9: expiry: MILK is perishable; lot M1 needs an expiry date",
        "line 10: expiry: Value error, an expiry date belongs to a lot; give the lot as well (got '2027-01-01')",
        "line 11: qty: Input should be greater than 0 (got '-1')",
    ]
    assert counts(warehouse) == before
    assert_verified(warehouse)


def test_serial_already_in_a_bin_and_repeated_places(warehouse, tmp_path):
    load(warehouse, tmp_path, "stock", "bin,sku,serial,qty\nA1,DRILL,SN-9,1\n")
    assert failure(warehouse, tmp_path, "stock", "bin,sku,lot,serial,qty\nA2,DRILL,,SN-9,1\n"
                                                 "A1,BOLT,,,1\nA1,BOLT,,,2\nA1,PAINT,P1,,1\nA1,PAINT,P2,,1\n") == [
        "line 2: serial: serial SN-9 of DRILL is already in bin A1",
        "line 4: sku: sku 'BOLT' in bin 'A1' is repeated: first on line 3, again on line 4",
    ]


# -- the HTTP API ------------------------------------------------------------

def test_api_import_text_csv(client, auth_for, app):
    r = client.post("/api/v1/import/items", data="sku,description\nBOLT,Bolt\nNUT,Nut\n",
                    content_type="text/csv", headers=auth_for("supervisor"))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert {k: body[k] for k in ("kind", "name", "rows", "created", "updated")} == {
        "kind": "items", "name": "upload", "rows": 2, "created": 2, "updated": 0}
    assert body["summary"].startswith("imported 2 items (2 new, 0 updated)")


def test_api_import_multipart_stock_is_idempotent(client, auth_for, app, db_path):
    headers = auth_for("admin")
    client.post("/api/v1/import/bins", data="code\nA1\n", content_type="text/csv", headers=headers)
    client.post("/api/v1/import/items", data="sku\nBOLT\n", content_type="text/csv", headers=headers)

    def send():
        return client.post("/api/v1/import/stock", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"bin,sku,qty\nA1,BOLT,7\n"), "count-2026.csv")})
    first, second = send(), send()
    assert first.status_code == second.status_code == 200
    assert (first.get_json()["movements"], first.get_json()["already_imported"]) == (1, 0)
    assert (second.get_json()["movements"], second.get_json()["already_imported"]) == (0, 1)
    admin = query(db_path, "SELECT id FROM user WHERE role = 'admin'")[0]["id"]
    assert query(db_path, "SELECT ref_id, user_id FROM movement") == [{"ref_id": "count-2026.csv", "user_id": admin}]
    assert query(db_path, "SELECT qty FROM stock") == [{"qty": 7.0}]


def test_api_import_422_lists_every_bad_row(client, auth_for, db_path):
    r = client.post("/api/v1/import/items", data="sku,unit_cost\nA,1\nB,-3\nA,2\n",
                    content_type="text/csv", headers=auth_for("supervisor"))
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["type"].endswith("/import-failed")
    assert body["detail"] == "import of items from upload failed: 2 problems on 2 lines; nothing was written"
    assert body["errors"] == [
        {"line": 3, "field": "unit_cost", "message": "Input should be greater than or equal to 0 (got '-3')"},
        {"line": 4, "field": "sku", "message": "sku 'A' is repeated: first on line 2, again on line 4"},
    ]
    assert counts(db_path)["item"] == 0


def test_api_import_is_for_supervisors(client, auth_for):
    r = client.post("/api/v1/import/items", data="sku\nA\n", content_type="text/csv", headers=auth_for("picker"))
    assert r.status_code == 403
    assert r.mimetype == "application/problem+json"
    assert client.post("/api/v1/import/items", data="sku\nA\n", content_type="text/csv").status_code == 401


def test_api_import_refuses_what_is_not_a_csv_upload(client, auth_for):
    headers = auth_for("supervisor")
    assert client.post("/api/v1/import/users", data="name\nx\n", content_type="text/csv",
                       headers=headers).status_code == 404
    assert client.post("/api/v1/import/items", json={"sku": "A"}, headers=headers).status_code == 415
    assert client.post("/api/v1/import/items", data=b"", content_type="text/csv", headers=headers).status_code == 400
    r = client.post("/api/v1/import/items", data={"other": (io.BytesIO(b"sku\nA\n"), "a.csv")},
                    content_type="multipart/form-data", headers=headers)
    assert r.status_code == 400
    assert r.get_json()["detail"] == "send the CSV file in the multipart field 'file'"


def test_api_import_body_limit(app, client, auth_for):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = client.post("/api/v1/import/items", data="sku\n" + "A\n" * 1000, content_type="text/csv",
                    headers=auth_for("supervisor"))
    assert r.status_code == 413


def test_import_and_export_are_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["paths"]["/api/v1/import/{kind}"]["post"]["x-roles"] == ["admin", "supervisor"]
    assert doc["paths"]["/api/v1/export/{kind}.csv"]["get"]["x-roles"] == ["admin", "supervisor"]


def test_a_progress_bar_on_a_terminal_and_none_in_a_pipe(db_path, tmp_path):
    import fcntl
    import os
    import pty
    import struct
    import termios
    path = csv_file(tmp_path, "big.csv", "sku\n" + "".join(f"S{i:05d}\n" for i in range(csvio.PROGRESS_MIN_LINES)))
    piped = floorscan("import", "items", path, "--db", db_path)
    assert piped.returncode == 0
    assert piped.stderr == ""

    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "edge.cli", "import", "items", path, "--db", db_path],
                            cwd=ROOT, stdin=child, stdout=child, stderr=child)
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    assert proc.wait(60) == 0
    assert b"checking:" in seen and b"writing:" in seen
    assert f"imported {csvio.PROGRESS_MIN_LINES:,} items (0 new, {csvio.PROGRESS_MIN_LINES:,} updated)".encode() in seen


def test_the_command_line_offers_and_describes_every_importable_kind():
    from edge import cli
    assert cli.IMPORT_KINDS == csvio.IMPORT_KINDS
    out = floorscan("import", "--help")
    assert out.returncode == 0
    described = " ".join(out.stdout.split())  # argparse wraps the description
    assert f"Import a CSV file of one kind: {', '.join(csvio.IMPORT_KINDS)}." in described
