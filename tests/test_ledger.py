"""post_movements, the one write path, on a real SQLite file through the Writer.

Every validation rule is asserted with the exact words and field a person on
the floor sees, and the problem status it maps to.
"""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid

import pytest

from conftest import ROOT, assert_verified, command, make_bin, make_item, post_commands
from edge import masterdata as md
from edge.db import connect
from edge.ledger import (
    BadQuantity, IdConflict, InactiveMasterData, InsufficientStock, LedgerError, LotConflict, Movement,
    SerialConflict, TrackingError, UnknownBin, UnknownItem, differences, post_movements,
)
from edge.models import BinIn, ItemIn
from edge.writer import Writer


@pytest.fixture
def writer(db_path):
    w = Writer(db_path)
    yield w
    w.close()


@pytest.fixture
def post(writer, db_path):
    """post(mv, ..., replay=False) -> PostResult, run in the writer like every feature does."""
    def job(conn):
        for code in ("DOCK", "A1", "A2"):
            md.save_bin(conn, BinIn(code=code))
        md.save_bin(conn, BinIn(code="OLD", active=False))
        md.save_item(conn, ItemIn(sku="BOLT"))
        md.save_item(conn, ItemIn(sku="FLOUR", uom="kg"))
        md.save_item(conn, ItemIn(sku="PAINT", tracking="lot"))
        md.save_item(conn, ItemIn(sku="MILK", tracking="lot", perishable=True))
        md.save_item(conn, ItemIn(sku="DRILL", tracking="serial"))
        md.save_item(conn, ItemIn(sku="VACCINE", tracking="serial", perishable=True))
        md.save_item(conn, ItemIn(sku="GONE", active=False))
    writer.run(job)

    def post_(*movements: Movement, replay: bool = False):
        return writer.run(lambda conn: post_movements(conn, list(movements), replay=replay))
    return post_


def mv(kind="receive", sku="BOLT", qty=1, **kw) -> Movement:
    kw.setdefault("id", str(uuid.uuid4()))
    if kind == "receive":
        kw.setdefault("to_bin", "A1")
    return Movement(kind=kind, sku=sku, qty=qty, **kw)


def query(db_path, sql, *args):
    conn = connect(db_path, readonly=True)
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def stock(db_path, bin_code, sku, lot=""):
    rows = query(db_path, "SELECT qty FROM stock WHERE bin = ? AND sku = ? AND lot = ?", bin_code, sku, lot)
    return rows[0]["qty"] if rows else 0.0


def movement_count(db_path):
    return query(db_path, "SELECT count(*) AS n FROM movement")[0]["n"]


def refused(post, *movements, error=LedgerError, replay=False) -> LedgerError:
    with pytest.raises(error) as info:
        post(*movements, replay=replay)
    return info.value


# -- master data -------------------------------------------------------------

def test_unknown_sku_names_the_field(post, db_path):
    err = refused(post, mv(sku="NOPE"), error=UnknownItem)
    assert err.detail == "no item with sku 'NOPE'"
    assert err.field == "sku"
    problem = err.problem()
    assert problem["status"] == 422
    assert problem["type"].endswith("/unknown-item")
    assert problem["errors"] == [{"field": "sku", "message": "no item with sku 'NOPE'"}]
    assert movement_count(db_path) == 0


@pytest.mark.parametrize("side", ["from_bin", "to_bin"])
def test_unknown_bin_names_the_side(post, side):
    kw = {"from_bin": "A1", "to_bin": "A2", side: "Z-99"}
    err = refused(post, mv("move", **kw), error=UnknownBin)
    assert err.detail == "no bin with code 'Z-99'"
    assert err.field == side
    assert err.problem()["status"] == 422


def test_inactive_item_and_bin(post):
    err = refused(post, mv(sku="GONE"), error=InactiveMasterData)
    assert (err.detail, err.field) == ("item 'GONE' is inactive", "sku")
    err = refused(post, mv(to_bin="OLD"), error=InactiveMasterData)
    assert (err.detail, err.field) == ("bin 'OLD' is inactive", "to_bin")
    assert err.problem()["status"] == 422


def test_a_movement_needs_a_bin_and_two_different_ones(post):
    err = refused(post, mv(to_bin=None))
    assert (err.detail, err.field) == ("a movement needs a from_bin, a to_bin or both", "to_bin")
    err = refused(post, mv("move", from_bin="A1", to_bin="A1"))
    assert (err.detail, err.field) == ("from_bin and to_bin are the same bin", "to_bin")


# -- quantities --------------------------------------------------------------

@pytest.mark.parametrize("qty", [0, -1, -0.5, float("nan"), float("inf")])
def test_quantity_must_be_positive(post, qty):
    err = refused(post, mv(qty=qty), error=BadQuantity)
    assert err.detail == f"quantity must be greater than zero, got {qty}"
    assert err.field == "qty"
    assert err.problem()["status"] == 422


def test_quantity_must_be_a_number(post):
    err = refused(post, mv(qty="lots"), error=BadQuantity)
    assert (err.detail, err.field) == ("quantity 'lots' is not a number", "qty")


def test_fractional_quantity_refused_for_eaches(post, db_path):
    err = refused(post, mv(qty=1.5), error=BadQuantity)
    assert err.detail == "BOLT is counted in whole ea; 1.5 is not a whole number"
    assert err.field == "qty"
    assert stock(db_path, "A1", "BOLT") == 0


def test_fractional_quantity_allowed_for_kg(post, db_path):
    post(mv(sku="FLOUR", qty=2.25))
    post(mv("move", sku="FLOUR", qty=0.75, from_bin="A1", to_bin="A2"))
    assert stock(db_path, "A1", "FLOUR") == 1.5
    assert stock(db_path, "A2", "FLOUR") == 0.75
    assert_verified(db_path)


# -- lots, serials, expiry -----------------------------------------------------

def test_lot_required_for_lot_tracked(post):
    err = refused(post, mv(sku="PAINT"), error=TrackingError)
    assert (err.detail, err.field) == ("PAINT is lot-tracked; scan or enter the lot", "lot")
    assert err.problem()["status"] == 422


def test_lot_forbidden_for_untracked(post):
    err = refused(post, mv(lot="L1"), error=TrackingError)
    assert (err.detail, err.field) == ("BOLT is not lot-tracked; do not give a lot", "lot")


def test_serial_forbidden_for_untracked(post):
    err = refused(post, mv(serial="SN1"), error=TrackingError)
    assert (err.detail, err.field) == ("BOLT is not serial-tracked; do not give a serial", "serial")


def test_serial_required_and_one_piece(post):
    err = refused(post, mv(sku="DRILL"), error=TrackingError)
    assert (err.detail, err.field) == ("DRILL is serial-tracked; scan the serial number", "serial")
    err = refused(post, mv(sku="DRILL", serial="SN1", qty=2), error=BadQuantity)
    assert (err.detail, err.field) == ("DRILL is serial-tracked; each serial is one piece, not 2", "qty")


def test_a_serial_is_in_one_place_at_a_time(post, db_path):
    post(mv(sku="DRILL", serial="SN1", to_bin="A1"))
    err = refused(post, mv(sku="DRILL", serial="SN1", to_bin="A2"), error=SerialConflict)
    assert (err.detail, err.field) == ("serial SN1 of DRILL is already in bin A1", "serial")
    assert err.problem()["status"] == 409
    err = refused(post, mv("move", sku="DRILL", serial="SN1", from_bin="A2", to_bin="DOCK"), error=SerialConflict)
    assert err.detail == "serial SN1 of DRILL is in bin A1, not in A2"
    err = refused(post, mv("move", sku="DRILL", serial="SN9", from_bin="A1", to_bin="A2"), error=SerialConflict)
    assert err.detail == "serial SN9 of DRILL is not in stock, not in A1"

    post(mv("move", sku="DRILL", serial="SN1", from_bin="A1", to_bin="A2"))
    assert query(db_path, "SELECT bin FROM serial WHERE serial = 'SN1'") == [{"bin": "A2"}]
    assert (stock(db_path, "A1", "DRILL"), stock(db_path, "A2", "DRILL")) == (0, 1)
    assert_verified(db_path)


def test_perishable_needs_a_lot_with_expiry(post, db_path):
    err = refused(post, mv(sku="MILK"), error=TrackingError)
    assert (err.detail, err.field) == ("MILK is lot-tracked; scan or enter the lot", "lot")
    # A serial-tracked perishable still needs a lot to carry the expiry.
    err = refused(post, mv(sku="VACCINE", serial="V1"), error=TrackingError)
    assert (err.detail, err.field) == ("VACCINE is perishable; it needs a lot with an expiry date", "lot")
    err = refused(post, mv(sku="MILK", lot="L1"), error=TrackingError)
    assert (err.detail, err.field) == ("MILK is perishable; lot L1 needs an expiry date", "expiry")
    assert query(db_path, "SELECT * FROM lot") == []  # the refused post left no lot behind

    post(mv(sku="MILK", lot="L1", expiry="2027-01-31"))
    # Once the lot knows its expiry, later movements need not repeat it.
    post(mv("move", sku="MILK", lot="L1", from_bin="A1", to_bin="A2"))
    assert stock(db_path, "A2", "MILK", "L1") == 1


def test_lot_expiry_conflict(post, db_path):
    post(mv(sku="MILK", lot="L1", expiry="2027-01-31"))
    err = refused(post, mv(sku="MILK", lot="L1", expiry="2027-02-28"), error=LotConflict)
    assert (err.detail, err.field) == ("lot L1 of MILK has expiry 2027-01-31, not 2027-02-28", "expiry")
    assert err.problem()["status"] == 409
    assert query(db_path, "SELECT expiry FROM lot WHERE lot = 'L1'") == [{"expiry": "2027-01-31"}]
    assert stock(db_path, "A1", "MILK", "L1") == 1


# -- stock -------------------------------------------------------------------

def test_insufficient_stock_interactive(post, db_path):
    post(mv(qty=5))
    err = refused(post, mv("move", qty=7, from_bin="A1", to_bin="A2"), error=InsufficientStock)
    assert err.detail == "bin A1 holds 5 of BOLT; cannot take 7"
    assert err.field == "qty"
    problem = err.problem()
    assert problem["status"] == 409
    assert problem["available"] == 5
    assert (stock(db_path, "A1", "BOLT"), stock(db_path, "A2", "BOLT")) == (5, 0)
    assert movement_count(db_path) == 1
    assert query(db_path, "SELECT * FROM exception") == []


def test_insufficient_stock_names_the_lot(post):
    post(mv(sku="PAINT", lot="L1", qty=2))
    err = refused(post, mv("move", sku="PAINT", lot="L2", qty=1, from_bin="A1", to_bin="A2"),
                  error=InsufficientStock)
    assert err.detail == "bin A1 holds 0 of PAINT lot L2; cannot take 1"
    assert err.problem()["available"] == 0


def test_taking_everything_removes_the_stock_row(post, db_path):
    post(mv(qty=3))
    post(mv("move", qty=3, from_bin="A1", to_bin="A2"))
    assert query(db_path, "SELECT bin, qty FROM stock") == [{"bin": "A2", "qty": 3}]


def test_replayed_movement_may_drive_stock_negative_with_an_exception(post, db_path):
    mid = str(uuid.uuid4())
    result = post(mv("move", id=mid, qty=3, from_bin="A2", to_bin="A1", command_id="c-1"), replay=True)
    assert stock(db_path, "A2", "BOLT") == -3
    assert stock(db_path, "A1", "BOLT") == 3
    [row] = query(db_path, "SELECT replayed FROM movement WHERE id = ?", mid)
    assert row["replayed"] == 1
    [exc] = query(db_path, "SELECT * FROM exception")
    assert (exc["kind"], exc["bin"], exc["sku"], exc["movement_id"], exc["command_id"], exc["status"]) == \
        ("negative_stock", "A2", "BOLT", mid, "c-1", "open")
    assert exc["detail"] == "bin A2 holds 0 of BOLT; cannot take 3"
    [count] = query(db_path, "SELECT * FROM count_request")
    assert (count["bin"], count["sku"], count["exception_id"], count["status"]) == ("A2", "BOLT", exc["id"], "open")
    assert result.exceptions[0]["id"] == exc["id"]
    assert_verified(db_path)


def test_replayed_serial_conflict_is_recorded_not_refused(post, db_path):
    post(mv(sku="DRILL", serial="SN1", to_bin="A1"))
    post(mv("move", sku="DRILL", serial="SN1", from_bin="A2", to_bin="DOCK"), replay=True)
    kinds = sorted(r["kind"] for r in query(db_path, "SELECT kind FROM exception"))
    assert kinds == ["negative_stock", "serial_conflict"]
    assert query(db_path, "SELECT bin FROM serial WHERE serial = 'SN1'") == [{"bin": "DOCK"}]
    assert_verified(db_path)


def test_a_replayed_serial_conflict_asks_for_a_count_where_the_serial_was_booked(post, db_path):
    # Before: only the movement's own bin was to be counted; A1 kept a unit booked
    # that nobody was asked to look for.
    post(mv(sku="DRILL", serial="SN1", to_bin="A1"))
    result = post(mv(sku="DRILL", serial="SN1", to_bin="A2"), replay=True)
    [exc] = result.exceptions
    assert (exc["kind"], exc["bin"]) == ("serial_conflict", "A2")
    requests = query(db_path, "SELECT bin, sku, exception_id FROM count_request ORDER BY bin")
    assert requests == [{"bin": "A1", "sku": "DRILL", "exception_id": exc["id"]},
                        {"bin": "A2", "sku": "DRILL", "exception_id": exc["id"]}]
    # A serial never booked anywhere has no second bin to count: only the movement's.
    result = post(mv("move", sku="DRILL", serial="SN7", from_bin="A1", to_bin="A2"), replay=True)
    conflict = [e for e in result.exceptions if e["kind"] == "serial_conflict"][0]
    assert query(db_path, "SELECT bin FROM count_request WHERE exception_id = ?", conflict["id"]) == [{"bin": "A1"}]
    assert_verified(db_path)


def test_replay_does_not_excuse_bad_master_data(post, db_path):
    refused(post, mv(sku="NOPE"), error=UnknownItem, replay=True)
    refused(post, mv(qty=1.5), error=BadQuantity, replay=True)
    assert movement_count(db_path) == 0


def test_the_handheld_sees_the_ledger_error_in_its_command_result(app, client, auth_for):
    make_bin(app, "A1")
    make_bin(app, "A2")
    make_item(app, "BOLT")
    headers = auth_for("picker")
    [res] = post_commands(client, headers, command("move", {"sku": "BOLT", "qty": 2, "from_bin": "A1",
                                                            "to_bin": "A2"}))
    assert res["status"] == "rejected"
    assert res["movements"] == []
    problem = res["problem"]
    assert (problem["status"], problem["title"]) == (409, "Not enough stock")
    assert problem["detail"] == "bin A1 holds 0 of BOLT; cannot take 2"
    assert problem["available"] == 0
    assert problem["errors"] == [{"field": "commands[0].payload.qty",
                                  "message": "bin A1 holds 0 of BOLT; cannot take 2"}]


# -- idempotency ---------------------------------------------------------------

def test_same_id_again_is_a_duplicate_and_changes_nothing(post, db_path):
    first = mv(qty=4)
    applied = post(first)
    again = post(mv(id=first.id, qty=4))
    assert (applied.duplicates, again.duplicates) == (0, 1)
    assert again.movements[0]["seq"] == applied.movements[0]["seq"]
    assert again.changes == [] and again.exceptions == []
    assert stock(db_path, "A1", "BOLT") == 4
    assert movement_count(db_path) == 1


def test_duplicate_of_a_replayed_movement_raises_no_second_exception(post, db_path):
    move = dict(kind="move", qty=2, from_bin="A1", to_bin="A2", id=str(uuid.uuid4()))
    post(mv(**move), replay=True)
    post(mv(**move), replay=True)
    assert stock(db_path, "A1", "BOLT") == -2
    assert len(query(db_path, "SELECT * FROM exception")) == 1
    assert len(query(db_path, "SELECT * FROM count_request")) == 1


def test_same_id_with_other_content_is_an_id_conflict(post, db_path):
    first = mv(qty=4)
    post(first)
    err = refused(post, mv(id=first.id, qty=5), error=IdConflict)
    assert err.detail == f"movement {first.id} was already recorded with qty=4.0, not 5"
    assert err.field == "id"
    assert err.problem()["status"] == 409
    err = refused(post, mv(id=first.id, qty=4, to_bin="A2"), error=IdConflict)
    assert err.detail == f"movement {first.id} was already recorded with to_bin='A1', not 'A2'"
    assert stock(db_path, "A1", "BOLT") == 4
    assert movement_count(db_path) == 1


# -- the ledger itself ---------------------------------------------------------

def test_movements_are_immutable(post, db_path):
    post(mv(qty=4))
    conn = connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="movement is immutable"):
            conn.execute("UPDATE movement SET qty = 40")
        with pytest.raises(sqlite3.IntegrityError, match="movement is immutable"):
            conn.execute("DELETE FROM movement")
    finally:
        conn.close()
    assert query(db_path, "SELECT qty FROM movement") == [{"qty": 4}]


def test_a_multi_movement_post_is_all_or_nothing(post, db_path):
    good = mv(sku="PAINT", lot="NEW", qty=5)
    too_much = mv("move", sku="PAINT", lot="NEW", qty=6, from_bin="A1", to_bin="A2")
    err = refused(post, good, too_much, error=InsufficientStock)
    assert err.detail == "bin A1 holds 5 of PAINT lot NEW; cannot take 6"
    assert movement_count(db_path) == 0
    assert query(db_path, "SELECT * FROM stock") == []
    assert query(db_path, "SELECT * FROM lot") == []

    # The same movements with a quantity that fits go through together.
    result = post(good, mv("move", sku="PAINT", lot="NEW", qty=5, from_bin="A1", to_bin="A2"))
    assert [m["seq"] for m in result.movements] == sorted(m["seq"] for m in result.movements)
    assert stock(db_path, "A2", "PAINT", "NEW") == 5
    assert stock(db_path, "A1", "PAINT", "NEW") == 0
    assert_verified(db_path)


def test_a_refused_post_does_not_undo_the_callers_other_work(writer, post, db_path):
    def job(conn):
        post_movements(conn, [mv(qty=2)])
        try:
            post_movements(conn, [mv(qty=2), mv(sku="NOPE")])
        except UnknownItem:
            pass
        return "done"
    assert writer.run(job) == "done"
    assert stock(db_path, "A1", "BOLT") == 2
    assert movement_count(db_path) == 1


# -- floorscan verify ----------------------------------------------------------

def verify(db_path, *args):
    return subprocess.run([sys.executable, "-m", "edge.cli", "verify", "--db", db_path, *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_verify_cli_finds_and_repairs_a_corrupted_projection(post, writer, db_path):
    post(mv(qty=5), mv(sku="PAINT", lot="L1", qty=2, to_bin="A2"))
    post(mv("move", qty=2, from_bin="A1", to_bin="A2"))
    writer.close()

    clean = verify(db_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "checked 3 movements; integrity ok" in clean.stdout
    assert "projection matches the ledger" in clean.stdout
    assert "DIFF" not in clean.stdout

    conn = connect(db_path)
    conn.execute("UPDATE stock SET qty = 99 WHERE bin = 'A1' AND sku = 'BOLT'")
    conn.execute("DELETE FROM stock WHERE bin = 'A2' AND sku = 'PAINT'")
    conn.execute("INSERT INTO stock (bin, sku, lot, qty) VALUES ('DOCK', 'BOLT', '', 7)")
    conn.close()

    broken = verify(db_path)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    diffs = sorted(line for line in broken.stdout.splitlines() if line.startswith("DIFF"))
    assert diffs == [
        "DIFF bin A1 sku BOLT: ledger 3, projection 99",
        "DIFF bin A2 sku PAINT lot L1: ledger 2, projection 0",
        "DIFF bin DOCK sku BOLT: ledger 0, projection 7",
    ]

    repaired = verify(db_path, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "repaired 3 stock rows from the ledger" in repaired.stdout

    again = verify(db_path)
    assert again.returncode == 0, again.stdout
    assert "projection matches the ledger" in again.stdout
    assert stock(db_path, "A1", "BOLT") == 3
    assert stock(db_path, "A2", "PAINT", "L1") == 2
    assert query(db_path, "SELECT * FROM stock WHERE bin = 'DOCK'") == []
    conn = connect(db_path, readonly=True)
    assert differences(conn) == []
    conn.close()


@pytest.mark.corrupts_projection
def test_verify_cli_reports_a_misplaced_serial(post, writer, db_path):
    post(mv(sku="DRILL", serial="SN1", to_bin="A1"))
    writer.close()
    conn = connect(db_path)
    conn.execute("UPDATE serial SET bin = 'A2'")
    conn.close()
    broken = verify(db_path)
    assert broken.returncode == 1
    assert "DIFF serial SN1 of DRILL: ledger says A1, projection says A2" in broken.stdout
    assert verify(db_path, "--repair").returncode == 0
    assert verify(db_path).returncode == 0
    assert_verified(db_path)
