"""A small warehouse for the picking tests, the helpers they share, and the
checks every picking scenario ends with: reservations equal the open
allocations, and never exceed on-hand."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from conftest import command, make_bin, make_item, post_commands
from edge.db import connect
from edge.ledger.verify import reservation_differences

TODAY = date.today()
SOON = (TODAY + timedelta(days=10)).isoformat()
LATER = (TODAY + timedelta(days=60)).isoformat()
EXPIRED = (TODAY - timedelta(days=3)).isoformat()

EAN = "4006381333931"   # SKU-1 each
CASE = "14006381333938"  # SKU-1 case of 12


def build_site(app) -> None:
    """Bins in walk order A-01 < A-02 < B-01 < B-02, a dock, quarantine, totes and a staging lane."""
    for code, seq, kind in (("A-01", 10, "storage"), ("A-02", 20, "storage"), ("B-01", 30, "pick-face"),
                            ("B-02", 40, "pick-face"), ("DOCK", 1, "dock"), ("QUAR", 50, "quarantine"),
                            ("STAGE-1", 60, "staging"), ("STAGE-2", 61, "staging")):
        make_bin(app, code, zone=code[0], walk_seq=seq, kind=kind)
    for n in range(1, 7):
        make_bin(app, f"TOTE-{n}", kind="tote")
    make_item(app, "SKU-1", barcodes=[(EAN, 1), (CASE, 12)], description="Widget")
    make_item(app, "SKU-2", description="Gadget")
    make_item(app, "MILK", tracking="lot", perishable=True, description="Milk 1 l")
    make_item(app, "BOLT", tracking="lot", description="Bolt, lot-tracked, not perishable")


def stock(client, headers, sku, bin_code, qty, lot=None, expiry=None) -> None:
    payload = {"sku": sku, "qty": qty, "to_bin": bin_code}
    if lot:
        payload["lot"] = lot
    if expiry:
        payload["expiry"] = expiry
    [r] = post_commands(client, headers, command("receive", payload))
    assert r["status"] == "applied", r


def order(client, headers, oid, lines, **head) -> dict:
    r = client.post("/api/v1/sales-orders", json={"id": oid, "lines": lines, **head}, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def wave(client, headers, **body) -> dict:
    r = client.post("/api/v1/waves", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def pick_list(client, headers, list_id) -> dict:
    r = client.get(f"/api/v1/pick-lists/{list_id}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def send(client, headers, ctype, payload, *, replay=False, cid=None) -> dict:
    [r] = post_commands(client, headers, command(ctype, payload, replay=replay, cid=cid))
    return r


def applied(client, headers, ctype, payload, **kw) -> dict:
    r = send(client, headers, ctype, payload, **kw)
    assert r["status"] == "applied", r
    return r


def refused(client, headers, ctype, payload, status, detail_part, field=None, **kw) -> dict:
    r = send(client, headers, ctype, payload, **kw)
    assert r["status"] == "rejected", r
    problem = r["problem"]
    assert problem["status"] == status, problem
    assert detail_part in problem["detail"], problem
    if field is not None:
        assert problem["errors"][0]["field"] == f"commands[0].payload.{field}", problem
    return problem


def on_hand(client, headers, sku) -> dict:
    """(bin, lot) -> (qty, reserved) for ``sku``."""
    items = client.get(f"/api/v1/stock?sku={sku}", headers=headers).get_json()["items"]
    return {(s["bin"], s["lot"]): (s["qty"], s["reserved"]) for s in items}


def new_id() -> str:
    return str(uuid.uuid4())


def assert_reservations_sound(app) -> None:
    """What `floorscan verify` checks of reservations, plus: none exceeds on-hand
    (only a replayed physical fact may break that, and then it raised an exception)."""
    conn = connect(app.extensions["floorscan"].path, readonly=True)
    try:
        assert reservation_differences(conn) == []
        over = conn.execute("SELECT * FROM stock WHERE reserved > qty + 1e-6").fetchall()
        if over:
            assert conn.execute("SELECT 1 FROM exception WHERE status = 'open'").fetchone(), [dict(r) for r in over]
    finally:
        conn.close()


def test_setup_builds_a_site_and_verify_sees_reservations(app, client, auth_for):
    build_site(app)
    sup = auth_for("supervisor")
    stock(client, sup, "SKU-1", "A-01", 10)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 4}])
    wave(client, sup, order_ids=["SO-1"])
    assert on_hand(client, sup, "SKU-1") == {("A-01", None): (10, 4)}
    assert_reservations_sound(app)

    # A projection whose reservation the allocations do not explain is reported.
    app.extensions["floorscan"].write(lambda conn: conn.execute("UPDATE stock SET reserved = 5"))
    conn = connect(app.extensions["floorscan"].path, readonly=True)
    assert reservation_differences(conn) == [
        "reserved in bin A-01 sku SKU-1: open allocations 4, projection 5"]
    conn.close()
    from edge.ledger.reserve import repair
    from edge.ledger.verify import reservations_wanted
    assert app.extensions["floorscan"].write(lambda conn: repair(conn, reservations_wanted(conn))) == 1
    assert_reservations_sound(app)


def test_cli_verify_reports_and_repairs_reservations(app, client, auth_for, db_path):
    import subprocess
    import sys

    from conftest import ROOT
    build_site(app)
    sup = auth_for("supervisor")
    stock(client, sup, "SKU-1", "A-01", 10)
    order(client, sup, "SO-1", [{"sku": "SKU-1", "qty": 4}])
    wave(client, sup, order_ids=["SO-1"])
    app.extensions["floorscan"].write(lambda conn: conn.execute("UPDATE stock SET reserved = 0"))

    def verify(*args):
        return subprocess.run([sys.executable, "-m", "edge.cli", "verify", "--db", db_path, *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    out = verify()
    assert out.returncode == 1
    assert "DIFF reserved in bin A-01 sku SKU-1: open allocations 4, projection 0" in out.stdout
    assert verify("--repair").returncode == 0
    out = verify()
    assert out.returncode == 0 and "projection matches the ledger" in out.stdout
