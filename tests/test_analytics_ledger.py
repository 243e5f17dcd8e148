"""Reports from the ledger with hand-worked answers, and stock as of a date
equal to replaying the ledger to that date."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from _analytics_support import mv, open_site, po_receipt
from edge.analytics import accuracy, asof, productivity, receiving, reports, turnover, valuation
from edge.ledger import LedgerError


@pytest.fixture
def conn(db_path):
    c = open_site(db_path)
    yield c
    c.close()


# -- stock as of a date ---------------------------------------------------------------------

def test_stock_as_of_each_day(conn):
    mv(conn, "2026-03-01", "receive", "BOLT", 100, to_bin="A-01")
    mv(conn, "2026-03-02", "move", "BOLT", 30, "A-01", "PF-1")
    mv(conn, "2026-03-03", "ship", "BOLT", 10, "PF-1")
    assert asof.replay(conn, date(2026, 2, 28)) == {}
    assert asof.stock_as_of(conn, date(2026, 3, 1)) == {("A-01", "BOLT", ""): 100}
    assert asof.stock_as_of(conn, date(2026, 3, 2)) == {("A-01", "BOLT", ""): 70, ("PF-1", "BOLT", ""): 30}
    assert asof.stock_as_of(conn, date(2026, 3, 3)) == {("A-01", "BOLT", ""): 70, ("PF-1", "BOLT", ""): 20}
    assert asof.stock_as_of(conn, None) == asof.replay(conn, None)


def test_stock_report_groups(conn):
    mv(conn, "2026-03-01", "receive", "BOLT", 100, to_bin="A-01")
    mv(conn, "2026-03-01", "receive", "BOLT", 5, to_bin="B-01")
    mv(conn, "2026-03-01", "receive", "NUT", 7, to_bin="A-02")
    mv(conn, "2026-03-01", "receive", "MILK", 3, to_bin="A-02", lot="L1", expiry="2026-03-20")
    day = date(2026, 3, 1)
    assert [(r["zone"], r["qty"]) for r in asof.stock_report(conn, day, "zone")] == [("A", 110), ("B", 5)]
    assert [(r["sku"], r["qty"]) for r in asof.stock_report(conn, day, "item")] == [
        ("BOLT", 105), ("MILK", 3), ("NUT", 7)]
    assert [(r["sku"], r["lot"], r["qty"]) for r in asof.stock_report(conn, day, "lot")][1] == ("MILK", "L1", 3)
    assert [(r["bin"], r["zone"], r["qty"]) for r in asof.stock_report(conn, day, "bin")] == [
        ("A-01", "A", 100), ("A-02", "A", 10), ("B-01", "B", 5)]
    assert [r["bin"] for r in asof.stock_report(conn, day, zone="B")] == ["B-01"]
    with pytest.raises(LedgerError) as err:
        asof.stock_report(conn, day, "aisle")
    assert err.value.field == "by"


SKUS = ("BOLT", "NUT")
BIN_CODES = ("A-01", "A-02", "B-01", "PF-1", None)


@st.composite
def ledgers(draw):
    """A random history: (day offset, sku, qty, from, to) with replay=True so nothing is refused."""
    steps = draw(st.lists(st.tuples(st.integers(0, 20), st.sampled_from(SKUS), st.integers(1, 50),
                                    st.sampled_from(BIN_CODES), st.sampled_from(BIN_CODES)), max_size=40))
    return sorted([s for s in steps if s[3] != s[4]], key=lambda s: s[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=ledgers(), probe=st.integers(-1, 21))
def test_stock_as_of_equals_replaying_the_ledger(tmp_path_factory, history, probe):
    path = str(tmp_path_factory.mktemp("asof") / "edge.db")
    from edge.db import init_db
    init_db(path)
    c = open_site(path)
    try:
        start = date(2026, 5, 1)
        expected: dict = {}
        probe_day = start + timedelta(days=probe)
        for offset, sku, qty, src, dst in history:
            day = start + timedelta(days=offset)
            mv(c, day.isoformat(), "move" if src and dst else "adjust", sku, qty, src, dst, replay=True)
            if day <= probe_day:
                for b, sign in ((src, -1), (dst, 1)):
                    if b:
                        expected[(b, sku, "")] = expected.get((b, sku, ""), 0) + sign * qty
        expected = {k: v for k, v in expected.items() if v}
        assert asof.replay(c, probe_day) == expected
        assert asof.rewind(c, probe_day) == expected
        assert asof.stock_as_of(c, probe_day) == expected
    finally:
        c.close()


def test_expiry_report_and_fefo_alert(conn):
    mv(conn, "2026-03-01", "receive", "MILK", 10, to_bin="A-01", lot="OLD", expiry="2026-03-10")
    mv(conn, "2026-03-01", "receive", "MILK", 10, to_bin="A-02", lot="NEW", expiry="2026-04-30")
    mv(conn, "2026-03-02", "receive", "MILK", 10, to_bin="B-01", lot="FAR", expiry="2027-01-01")
    rows = asof.expiry_report(conn, date(2026, 3, 5), days=30)
    assert [(r["lot"], r["days_left"], r["fefo_alert"]) for r in rows] == [("OLD", 5, False)]
    # Somebody picks the later lot while the earlier one waits: FEFO alert on the earlier lot.
    mv(conn, "2026-03-06", "pick", "MILK", 2, "A-02", "TOTE-1", lot="NEW")
    rows = asof.expiry_report(conn, date(2026, 3, 12), days=60)
    assert [(r["lot"], r["bin"], r["status"], r["fefo_alert"]) for r in rows] == [
        ("OLD", "A-01", "expired", True), ("NEW", "A-02", "expiring", False), ("NEW", "TOTE-1", "expiring", False)]
    # As of before the pick, there was nothing to warn about.
    assert asof.expiry_report(conn, date(2026, 3, 5), days=60)[0]["fefo_alert"] is False


# -- valuation ----------------------------------------------------------------------------

def test_fifo_and_average_cost_hand_worked(conn):
    po_receipt(conn, "R1", "PO-1", "Acme", [("BOLT", 100, 10.0)])
    po_receipt(conn, "R2", "PO-2", "Acme", [("BOLT", 50, 12.0)])
    po_receipt(conn, "R3", "PO-3", "Bolts Ltd", [("BOLT", 70, 11.0)])
    mv(conn, "2026-02-01", "receive", "BOLT", 100, to_bin="DOCK", ref_type="receipt", ref_id="R1")
    mv(conn, "2026-02-02", "receive", "BOLT", 50, to_bin="DOCK", ref_type="receipt", ref_id="R2")
    mv(conn, "2026-02-02", "putaway", "BOLT", 150, "DOCK", "A-01")  # inside the site: no value change
    mv(conn, "2026-02-03", "ship", "BOLT", 120, "A-01")
    mv(conn, "2026-02-04", "receive", "BOLT", 70, to_bin="DOCK", ref_type="receipt", ref_id="R3")

    # After the ship: FIFO took 100 @ 10 and 20 @ 12 (1,240); 30 @ 12 = 360 are left.
    # Average: (1,000 + 600) / 150 = 10.6667; 120 out at that; 30 x 10.6667 = 320 left.
    v = valuation.value(conn, date(2026, 2, 3))["BOLT"]
    assert v.qty == 30
    assert v.fifo_value() == pytest.approx(360)
    assert v.fifo_cogs == pytest.approx(1240)
    assert v.avg_cogs == pytest.approx(1280)
    assert v.qty * v.avg_cost == pytest.approx(320)
    # Then 70 @ 11 arrive: FIFO 30 @ 12 + 70 @ 11 = 1,130; average (320 + 770) / 100 = 10.90.
    [row] = valuation.valuation_report(conn, date(2026, 2, 4))
    assert row == {"sku": "BOLT", "description": "", "qty": 100, "fifo_value": 1130, "fifo_unit_cost": 11.3,
                   "layers": 2, "average_cost": 10.9, "average_value": 1090}
    layers = valuation.layers_report(conn, None, "BOLT")
    assert [(r["qty"], r["unit_cost"]) for r in layers] == [(30, 12), (70, 11)]


def test_inflows_without_a_po_price_take_the_item_cost(conn):
    mv(conn, "2026-02-01", "adjust", "GLUE", 10, to_bin="A-01")  # found stock: GLUE costs 4
    po_receipt(conn, "R9", "PO-9", "Acme", [("GLUE", 5, None)])  # a PO line without a price
    mv(conn, "2026-02-02", "receive", "GLUE", 5, to_bin="DOCK", ref_type="receipt", ref_id="R9")
    [row] = valuation.valuation_report(conn, None)
    assert (row["qty"], row["fifo_value"], row["average_value"]) == (15, 60, 60)


# -- turnover, dead and slow stock ----------------------------------------------------------

def test_turnover_and_days_of_supply(conn):
    mv(conn, "2025-12-01", "receive", "BOLT", 100, to_bin="A-01")  # BOLT costs 2
    for day in range(1, 11):  # 5 a day for 10 days in March
        mv(conn, f"2026-03-{day:02d}", "ship", "BOLT", 5, "A-01")
    [row] = turnover.turnover_report(conn, date(2026, 3, 10), days=10)
    # COGS 50 x 2 = 100; inventory value 200 at the start and 100 at the end, average 150.
    assert row["cogs"] == 100 and row["average_inventory_value"] == 150
    assert row["turnover"] == pytest.approx(100 / 150 * 36.5, rel=1e-3)
    assert row["daily_demand"] == 5 and row["days_of_supply"] == 10


def test_dead_slow_and_moving(conn):
    mv(conn, "2025-01-01", "receive", "BOLT", 100, to_bin="A-01")
    mv(conn, "2025-01-01", "receive", "NUT", 1000, to_bin="A-01")
    mv(conn, "2025-01-01", "receive", "GLUE", 10, to_bin="A-01")
    mv(conn, "2025-02-01", "ship", "GLUE", 1, "A-01")        # last sold long ago: dead
    for day in range(1, 31):
        mv(conn, f"2026-03-{day:02d}", "ship", "BOLT", 1, "A-01")  # 70 left, 1 a day
    mv(conn, "2026-03-15", "ship", "NUT", 9, "A-01")         # 991 left at 0.3 a day: slow
    rows = turnover.dead_slow_report(conn, date(2026, 3, 30), days=30, slow_days=90)
    assert [(r["sku"], r["status"]) for r in rows] == [("GLUE", "dead"), ("NUT", "slow"), ("BOLT", "moving")]
    assert rows[0]["last_demand"] == "2025-02-01"


# -- counts, receiving, picking ------------------------------------------------------------

def _count_line(conn, day, sku, accurate, *, final=1, status="matched", value=0.0):
    conn.execute("INSERT INTO count_task (id, kind, created_at) VALUES (NULL, 'bin', ?)", (day,))
    task = conn.execute("SELECT max(id) FROM count_task").fetchone()[0]
    conn.execute(
        "INSERT INTO count_line (task_id, bin, sku, counted_qty, expected_qty, variance, variance_value, "
        "within_tolerance, status, final, counted_by, counted_at, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (task, "A-01", sku, 1, 1, 0, value, accurate, status, final, 1, f"{day}T09:00:00Z", f"{day}T09:00:00Z"))


def test_record_accuracy_over_time(conn):
    conn.execute("UPDATE item SET abc_class = 'A' WHERE sku = 'BOLT'")
    _count_line(conn, "2026-03-02", "BOLT", 1)
    _count_line(conn, "2026-03-03", "NUT", 0, value=12.5)
    _count_line(conn, "2026-03-03", "NUT", 0, final=0)           # superseded by its recount
    _count_line(conn, "2026-03-10", "BOLT", 1)
    _count_line(conn, "2026-03-10", "NUT", 1, status="rejected")  # rejected counts are left out
    rows = accuracy.accuracy_report(conn, date(2026, 3, 15), days=30, by="week")
    assert [(r["period"], r["abc_class"], r["lines"], r["ira"]) for r in rows] == [
        ("2026-03-02", "all", 2, 0.5), ("2026-03-02", "-", 1, 0.0), ("2026-03-02", "A", 1, 1.0),
        ("2026-03-09", "all", 1, 1.0), ("2026-03-09", "A", 1, 1.0)]
    assert rows[0]["variance_value"] == 12.5
    with pytest.raises(LedgerError) as err:
        accuracy.accuracy_report(conn, None, by="year")
    assert err.value.field == "by"


def test_receiving_discrepancies_by_supplier(conn):
    po_receipt(conn, "R1", "PO-1", "Acme", [("BOLT", 100, None)], day="2026-03-01")
    po_receipt(conn, "R2", "PO-2", "Acme", [("NUT", 10, None)], day="2026-03-02")
    po_receipt(conn, "R3", "PO-3", "Bolts Ltd", [("BOLT", 5, None)], day="2026-03-02")
    mv(conn, "2026-03-01", "receive", "BOLT", 90, to_bin="DOCK", ref_type="receipt", ref_id="R1")
    mv(conn, "2026-03-02", "receive", "NUT", 10, to_bin="DOCK", ref_type="receipt", ref_id="R2")
    mv(conn, "2026-03-02", "receive", "BOLT", 5, to_bin="DOCK", ref_type="receipt", ref_id="R3")
    conn.execute("INSERT INTO receipt_discrepancy VALUES ('R1', 'short', 'BOLT', 100, 90, -10, 1)")
    rows = receiving.receiving_report(conn, date(2026, 3, 5), days=30)
    acme, bolts = rows
    assert (acme["supplier"], acme["receipts"], acme["with_discrepancy"], acme["short_lines"],
            acme["short_qty"], acme["value"], acme["fill_rate"]) == ("Acme", 2, 1, 1, 10, 20, round(100 / 110, 4))
    assert (bolts["supplier"], bolts["with_discrepancy"], bolts["fill_rate"]) == ("Bolts Ltd", 0, 1.0)


def test_pick_productivity_and_short_rate(conn):
    conn.execute("INSERT INTO user (id, name, role, created_at) VALUES (7, 'Pia', 'picker', '2026-01-01')")
    mv(conn, "2026-03-01", "receive", "BOLT", 100, to_bin="PF-1")
    # Pia picks every 5 minutes from 09:00 to 09:55 (12 lines), a lunch break, then 13:00 and 13:05.
    times = [f"09:{m:02d}:00.000" for m in range(0, 60, 5)] + ["13:00:00.000", "13:05:00.000"]
    for at in times:
        mv(conn, "2026-03-02", "pick", "BOLT", 1, "PF-1", "TOTE-1", user_id=7, at=at)
    conn.execute("INSERT INTO pick_list (id, kind, assigned_to, created_at) VALUES (1, 'single', 7, "
                 "'2026-03-02T08:50:00Z')")
    for seq, status in enumerate(["picked"] * 9 + ["short"], start=1):
        conn.execute("INSERT INTO pick_line (list_id, seq, bin, sku, qty, status) VALUES (1, ?, 'PF-1', 'BOLT', 1, ?)",
                     (seq, status))
    pia, total = productivity.productivity_report(conn, date(2026, 3, 2), days=1)
    # Active: 1 + 11 x 5 minutes, then 1 + 5 after the break = 62 minutes for 14 lines.
    assert (pia["user"], pia["lines"], pia["active_hours"]) == ("Pia", 14, round(62 / 60, 3))
    assert pia["lines_per_hour"] == round(14 / (62 / 60), 2)
    assert (pia["short_lines"], pia["finished_lines"], pia["short_pick_rate"]) == (1, 10, 0.1)
    assert total["user"] == "(all)" and total["lines"] == 14


# -- the registry --------------------------------------------------------------------------

def test_every_report_runs_on_an_empty_and_a_busy_site(conn):
    for name in reports.REPORTS:
        params = {"sku": "BOLT"} if name == "fifo_layers" else {}
        assert reports.run(conn, name, None, params)["rows"] == [] or name == "abc"
    mv(conn, "2026-03-01", "receive", "BOLT", 100, to_bin="A-01")
    mv(conn, "2026-03-02", "ship", "BOLT", 10, "A-01")
    for name in reports.REPORTS:
        params = {"sku": "BOLT"} if name == "fifo_layers" else {}
        out = reports.run(conn, name, date(2026, 3, 2), params)
        assert out["report"] == name and out["as_of"] == "2026-03-02"


def test_unknown_report_or_parameter_names_the_field(conn):
    with pytest.raises(LedgerError) as err:
        reports.run(conn, "nope")
    assert err.value.field == "name"
    with pytest.raises(LedgerError) as err:
        reports.run(conn, "valuation", None, {"days": 5})
    assert err.value.field == "days" and "takes no parameters" in err.value.detail


def test_cli_names_match_the_registry():
    from edge.analytics.cli import REPORT_NAMES
    from edge.api.reports import REPORT_NAMES as API_NAMES
    assert tuple(reports.REPORTS) == REPORT_NAMES == API_NAMES
