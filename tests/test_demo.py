"""`floorscan demo`: the demo site, its stock, its users and what it prints."""
from __future__ import annotations

import io
import re
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from datetime import date, timedelta
from itertools import groupby
from pathlib import Path

import pytest
from biip.gtin import Gtin

from edge import demo
from edge.app import create_app
from edge.db import connect
from edge.demo import welcome
from edge.demo.items import case_gtin14, check_digit, ean13
from edge.ledger import differences, serial_differences

ROOT = Path(__file__).resolve().parent.parent
PINS = {"picker": "1111", "receiver": "2222", "counter": "3333", "supervisor": "4444", "admin": "9999"}
PORT = "8123"


def run_demo(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge.cli", "demo", "--db", str(db), "--no-serve",
                           "--port", PORT, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory):
    """The full-size demo, built once through the CLI as `make demo` builds it."""
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    first = run_demo(db)
    return db, first


@pytest.fixture(scope="module")
def conn(full_demo):
    c = connect(full_demo[0], readonly=True)
    yield c
    c.close()


@pytest.fixture
def small_demo(tmp_path):
    path = tmp_path / "small.db"
    users = demo.build(path, seed=7, scale=0.1, echo=lambda _: None)
    return path, users


def one(conn, sql, *params):
    return conn.execute(sql, params).fetchone()[0]


# -- the CLI ---------------------------------------------------------------

def test_cli_builds_and_prints_url_pins_and_curl(full_demo):
    _, first = full_demo
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert f"http://localhost:{PORT}/" in out
    assert re.search(r"built in [0-9.]+ s: 1,9\d\d bins", out)
    for role, pin in PINS.items():
        assert re.search(rf"{role}\s+.+\s{pin}\s+BADGE-{role.upper()}", out), role
    assert (f"curl -X POST http://localhost:{PORT}/api/v1/session -H 'Content-Type: application/json' "
            "-d '{\"pin\":\"4444\"}'") in out
    assert "real site never stores them" in out


def test_cli_second_run_reuses_the_database_and_prints_the_same_pins(full_demo, conn):
    db, first = full_demo
    movements = one(conn, "SELECT count(*) FROM movement")
    second = run_demo(db)
    assert second.returncode == 0, second.stderr
    assert "using the existing demo warehouse" in second.stdout
    assert "built in" not in second.stdout
    table = lambda out: [line for line in out.splitlines() if "BADGE-" in line]  # noqa: E731
    assert table(second.stdout) == table(first.stdout) and len(table(first.stdout)) == 5
    assert one(conn, "SELECT count(*) FROM movement") == movements


def test_cli_reset_builds_afresh(tmp_path):
    db = tmp_path / "reset.db"
    db.write_text("not a database")
    result = run_demo(db, "--reset")
    assert result.returncode == 0, result.stderr
    assert "building the demo warehouse" in result.stdout
    assert demo.read_users(db)[0]["pin"] == "1111"


# -- the site --------------------------------------------------------------

def test_three_storage_zones_about_two_thousand_bins_and_a_dock(conn):
    zones = {r[0] for r in conn.execute("SELECT DISTINCT zone FROM bin WHERE kind IN ('storage', 'pick-face')")}
    assert zones == {"A", "B", "C"}
    assert 1900 <= one(conn, "SELECT count(*) FROM bin") <= 2100
    kinds = Counter(r[0] for r in conn.execute("SELECT kind FROM bin"))
    assert kinds["dock"] >= 2 and kinds["staging"] >= 2 and kinds["tote"] == 50
    assert kinds["quarantine"] == kinds["returns"] == kinds["in-transit"] == 1
    assert one(conn, "SELECT count(*) FROM bin WHERE code = 'TOTE-001' AND kind = 'tote'") == 1
    assert one(conn, "SELECT count(*) FROM bin WHERE kind IN ('storage', 'pick-face') AND capacity IS NULL") == 0
    assert one(conn, "SELECT count(*) FROM bin WHERE code GLOB 'A-[0-9][0-9]-[0-9][0-9]-[0-9]'") > 500


def test_walk_order_is_a_serpentine_that_never_walks_back(conn):
    rows = conn.execute("SELECT code, zone, aisle, walk_seq FROM bin WHERE kind IN ('storage', 'pick-face') "
                        "ORDER BY walk_seq").fetchall()
    assert len({r["walk_seq"] for r in rows}) == len(rows)
    assert [z for z, _ in groupby(r["zone"] for r in rows)] == ["A", "B", "C"]
    aisles = [(aisle, [int(r["code"].split("-")[2]) for r in group])
              for aisle, group in groupby(rows, key=lambda r: r["aisle"])]
    assert len({a for a, _ in aisles}) == len(aisles), "each aisle is walked once"
    for zone, zone_aisles in groupby(aisles, key=lambda a: a[0][0]):
        for n, (aisle, bays) in enumerate(zone_aisles):
            distinct = [b for b, _ in groupby(bays)]
            assert distinct == sorted(distinct, reverse=n % 2 == 1), f"{aisle} is walked {'down' if n % 2 else 'up'}"


def test_five_thousand_believable_items(conn):
    assert one(conn, "SELECT count(*) FROM item") == 5000
    assert one(conn, "SELECT count(DISTINCT description) FROM item") == 5000
    abc = Counter(r[0] for r in conn.execute("SELECT abc_class FROM item"))
    assert abc == {"A": 1000, "B": 1500, "C": 2500}
    tracking = Counter(r[0] for r in conn.execute("SELECT tracking FROM item"))
    assert 450 <= tracking["lot"] <= 550 and 120 <= tracking["serial"] <= 180
    uoms = Counter(r[0] for r in conn.execute("SELECT uom FROM item"))
    assert uoms["ea"] > 4000 and uoms["kg"] > 20 and uoms["l"] > 20
    assert one(conn, "SELECT count(*) FROM item WHERE perishable AND preferred_zone <> 'C'") == 0
    assert one(conn, "SELECT count(*) FROM item WHERE perishable") > 250
    assert one(conn, "SELECT count(*) FROM item WHERE unit_cost <= 0 OR reorder_point IS NULL "
                     "OR reorder_qty < reorder_point") == 0


def test_every_barcode_has_a_valid_gs1_check_digit(conn):
    rows = conn.execute("SELECT code, sku, pack_qty FROM barcode").fetchall()
    for r in rows:
        Gtin.parse(r["code"])  # biip raises on a wrong check digit
    by_sku: dict[str, list] = {}
    for r in rows:
        by_sku.setdefault(r["sku"], []).append(r)
    assert len(by_sku) == 5000
    eaches = [r for r in rows if r["pack_qty"] == 1]
    assert len(eaches) == 5000 and all(len(r["code"]) == 13 and r["code"].startswith("950") for r in eaches)
    cases = [r for r in rows if r["pack_qty"] != 1]
    assert len(cases) > 0.7 * 5000
    assert all(len(r["code"]) == 14 and r["code"][0] == "1" for r in cases)
    ea_packs = {r["pack_qty"] for r in cases if one(conn, "SELECT uom FROM item WHERE sku = ?", r["sku"]) == "ea"}
    assert ea_packs == {6, 12, 24}


def test_check_digit_matches_gs1_examples():
    # GS1's own example GTIN and its case form.
    assert check_digit("950600013435") == "2"
    assert ean13(1) == "9506000000015" and case_gtin14("9506000000015") == "19506000000012"


def test_perishable_lots_carry_expiries_some_expired_some_soon(conn):
    assert one(conn, "SELECT count(*) FROM lot l JOIN item i USING (sku) WHERE i.perishable AND l.expiry IS NULL") == 0
    today = date.today()
    expiries = [date.fromisoformat(r[0]) for r in conn.execute(
        "SELECT l.expiry FROM lot l JOIN item i USING (sku) WHERE i.perishable")]
    expired = [e for e in expiries if today - timedelta(days=8) <= e < today]
    soon = [e for e in expiries if today <= e <= today + timedelta(days=14)]
    later = [e for e in expiries if e > today + timedelta(days=28)]
    assert expired and soon and len(later) > len(expiries) / 2
    assert one(conn, "SELECT count(*) FROM stock s JOIN item i USING (sku) WHERE i.tracking = 'lot' AND s.lot = ''") == 0


def test_serials_are_unique_and_one_piece_each(conn):
    serials = conn.execute("SELECT sku, serial, bin FROM serial").fetchall()
    assert len(serials) > 150
    assert len({r["serial"] for r in serials}) == len(serials)
    assert one(conn, "SELECT count(*) FROM movement WHERE serial IS NOT NULL AND qty <> 1") == 0
    for r in conn.execute("SELECT s.bin, s.sku, s.qty FROM stock s JOIN item i USING (sku) "
                          "WHERE i.tracking = 'serial'"):
        assert r["qty"] == one(conn, "SELECT count(*) FROM serial WHERE sku = ? AND bin = ?", r["sku"], r["bin"])


def test_opening_stock_is_only_movements_and_matches_the_ledger(conn):
    assert differences(conn) == []
    assert serial_differences(conn) == []
    kinds = conn.execute("SELECT DISTINCT kind, ref_type FROM movement").fetchall()
    assert [tuple(k) for k in kinds] == [("opening", "demo")]
    for (mid,) in conn.execute("SELECT id FROM movement LIMIT 50"):
        assert uuid.UUID(mid).version == 5
    admin = one(conn, "SELECT id FROM user WHERE role = 'admin'")
    assert one(conn, "SELECT count(*) FROM movement WHERE user_id IS NOT ?", admin) == 0


def test_most_bins_and_items_have_stock_within_capacity(conn):
    storage = one(conn, "SELECT count(*) FROM bin WHERE kind IN ('storage', 'pick-face')")
    stocked = one(conn, "SELECT count(DISTINCT s.bin) FROM stock s JOIN bin b ON b.code = s.bin "
                        "WHERE b.kind IN ('storage', 'pick-face')")
    assert stocked >= 0.8 * storage
    assert one(conn, "SELECT count(DISTINCT sku) FROM stock") >= 0.85 * 5000
    assert one(conn, "SELECT count(*) FROM (SELECT s.bin FROM stock s JOIN bin b ON b.code = s.bin "
                     "GROUP BY s.bin HAVING sum(s.qty) > max(b.capacity))") == 0
    assert one(conn, "SELECT count(*) FROM stock WHERE bin LIKE 'D-DOCK-%' OR bin LIKE 'D-STAGE-%'") == 0
    assert one(conn, "SELECT count(*) FROM stock s JOIN item i USING (sku) WHERE i.uom = 'kg' "
                     "AND s.qty <> cast(s.qty AS INTEGER)") > 0


# -- determinism and safety ------------------------------------------------

def test_same_seed_same_site():
    a, b = demo.plan(seed=3, scale=0.1, today=date(2026, 1, 1)), demo.plan(seed=3, scale=0.1, today=date(2026, 1, 1))
    assert [i.item for i in a.items] == [i.item for i in b.items]
    assert [i.barcodes for i in a.items] == [i.barcodes for i in b.items]
    assert a.movements == b.movements
    other = demo.plan(seed=4, scale=0.1, today=date(2026, 1, 1))
    assert [i.item for i in other.items] != [i.item for i in a.items]


def test_same_seed_same_item_table(tmp_path):
    dumps = []
    for name in ("one.db", "two.db"):
        demo.build(tmp_path / name, seed=11, scale=0.1, echo=lambda _: None)
        with sqlite3.connect(tmp_path / name) as c:
            dumps.append((c.execute("SELECT * FROM item ORDER BY sku").fetchall(),
                          c.execute("SELECT * FROM barcode ORDER BY code").fetchall(),
                          c.execute("SELECT id, sku, lot, serial, qty, to_bin FROM movement ORDER BY seq").fetchall()))
    assert dumps[0] == dumps[1]


def test_small_demo_is_complete(small_demo):
    path, users = small_demo
    assert [u["role"] for u in users] == list(PINS)
    c = connect(path, readonly=True)
    assert {r[0] for r in c.execute("SELECT DISTINCT zone FROM bin WHERE kind IN ('storage', 'pick-face')")} \
        == {"A", "B", "C"}
    assert one(c, "SELECT count(*) FROM item") == 500
    assert one(c, "SELECT count(*) FROM lot WHERE expiry < date('now')") >= 1
    assert differences(c) == []
    c.close()
    assert not list(path.parent.glob("*.partial*"))


def test_build_refuses_an_existing_file(small_demo):
    path, _ = small_demo
    with pytest.raises(demo.DemoExists):
        demo.build(path, seed=1, scale=0.1)


def test_a_failed_build_leaves_no_database(tmp_path, monkeypatch):
    def fail(conn, movements):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(demo, "post_movements", fail)
    with pytest.raises(RuntimeError):
        demo.build(tmp_path / "broken.db", seed=1, scale=0.1, echo=lambda _: None)
    assert list(tmp_path.iterdir()) == []


def test_read_users_of_a_database_the_demo_did_not_build(db_path, tmp_path):
    assert demo.read_users(db_path) == []
    (tmp_path / "notes.txt").write_text("not a database at all " * 100)
    assert demo.read_users(tmp_path / "notes.txt") == []


# -- the API on a demo database --------------------------------------------

@pytest.fixture
def demo_client(small_demo):
    app = create_app({"DATABASE": str(small_demo[0]), "TESTING": True})
    yield app.test_client()
    app.extensions["floorscan"].close()


def test_demo_users_sign_in_with_pin_and_badge(demo_client):
    for role, pin in PINS.items():
        r = demo_client.post("/api/v1/session", json={"pin": pin})
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["user"]["role"] == role
    r = demo_client.post("/api/v1/session", json={"badge": "BADGE-PICKER"})
    assert r.status_code == 201 and r.get_json()["user"]["name"] == "Pat Picker"


def test_move_stock_and_read_it_back_as_docs_demo_md_shows(demo_client, small_demo):
    token = demo_client.post("/api/v1/session", json={"pin": "4444"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    c = connect(small_demo[0], readonly=True)
    row = c.execute("SELECT s.bin, s.sku, s.qty FROM stock s JOIN item i USING (sku) "
                    "WHERE i.tracking = 'none' AND i.uom = 'ea' AND s.qty >= 2 ORDER BY s.bin LIMIT 1").fetchone()
    c.close()
    cmd = {"id": str(uuid.uuid4()), "type": "move", "at": "2026-11-27T08:00:00Z",
           "payload": {"sku": row["sku"], "qty": 2, "from_bin": row["bin"], "to_bin": "TOTE-001"}}
    r = demo_client.post("/api/v1/commands", json={"commands": [cmd]}, headers=headers)
    assert r.get_json()["results"][0]["status"] == "applied", r.get_json()
    stock = demo_client.get(f"/api/v1/stock?sku={row['sku']}&bin=TOTE-001", headers=headers).get_json()
    assert [(s["bin"], s["qty"]) for s in stock["items"]] == [("TOTE-001", 2)]


def test_demo_labels_scan(demo_client, small_demo):
    token = demo_client.post("/api/v1/session", json={"pin": "1111"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    c = connect(small_demo[0], readonly=True)
    case = c.execute("SELECT code, sku, pack_qty FROM barcode WHERE length(code) = 14 LIMIT 1").fetchone()
    bin_code = c.execute("SELECT code FROM bin WHERE kind = 'pick-face' LIMIT 1").fetchone()[0]
    c.close()
    scan = lambda code: demo_client.post("/api/v1/scan", json={"code": code}, headers=headers).get_json()  # noqa: E731
    assert (scan(case["code"])["sku"], scan(case["code"])["pack_qty"]) == (case["sku"], case["pack_qty"])
    assert scan("9506000000015")["pack_qty"] == 1
    assert scan(bin_code)["kind"] == "bin"
    assert scan("TOTE-001")["kind"] == "tote"
    assert scan("BADGE-PICKER")["kind"] == "badge"      # the picker's own
    assert scan("BADGE-COUNTER")["kind"] == "unknown"   # another's is a supervisor's business


# -- the welcome -----------------------------------------------------------

def test_welcome_shows_a_qr_code_of_the_phone_url():
    out = io.StringIO()
    welcome.print_welcome("192.168.7.20", 8000, list(demo.DEMO_USERS), out=out)
    text = out.getvalue()
    assert "http://192.168.7.20:8000/" in text
    assert "▄" in text or "█" in text
    assert "9999" in text and "BADGE-ADMIN" in text


def test_welcome_on_loopback_has_no_phone_url():
    out = io.StringIO()
    welcome.print_welcome("127.0.0.1", 8000, list(demo.DEMO_USERS), out=out)
    assert "http://localhost:8000/" in out.getvalue() and "--host 0.0.0.0" in out.getvalue()


def test_lan_address_prefers_the_wifi_over_loopback_and_bridges():
    candidates = [("lo", "127.0.0.1"), ("docker0", "172.17.0.1"), ("wlan0", "192.168.1.23"),
                  ("eth1", "169.254.3.3")]
    assert welcome.lan_address(candidates) == "192.168.1.23"
    assert welcome.lan_address([("lo", "127.0.0.1"), ("docker0", "172.17.0.1")]) == "172.17.0.1"
    assert welcome.lan_address([("lo", "127.0.0.1")]) is None


def test_the_docs_example_holds_for_seed_42(conn):
    """docs/demo.md walks through SKU-102940; the default seed must still build it."""
    assert one(conn, "SELECT description FROM item WHERE sku = 'SKU-102940'") == "Drywall screw 3x20 stainless"
    assert one(conn, "SELECT pack_qty FROM barcode WHERE code = '19506000029402'") == 12
    assert one(conn, "SELECT sku FROM barcode WHERE code = '9506000000015'") == "SKU-100001"
    assert [tuple(r) for r in conn.execute("SELECT bin, qty FROM stock WHERE sku = 'SKU-102940'")] \
        == [("B-01-01-2", 53)]


def test_the_documents_docs_demo_md_names_are_built_and_scan(conn):
    import re
    from edge.catalog import SqliteCatalog
    named = re.findall(r"`((?:PO|ASN|SO|RET-DEMO|WH\d)-[0-9A-Z-]+)`", (ROOT / "docs" / "demo.md").read_text())
    assert len(named) >= 10
    for code in named:
        assert SqliteCatalog(conn).document(code) is not None, code


def test_docs_explain_the_demo():
    text = (ROOT / "docs" / "demo.md").read_text()
    for pin in PINS.values():
        assert pin in text
    assert "floorscan demo" in text and "/api/v1/session" in text and "/api/v1/stock" in text
    assert "never store" in text
