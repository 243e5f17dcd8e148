"""Reports over HTTP and on the command line: JSON and CSV, as of a date,
roles, bad parameters; ABC classes feeding the cycle-count schedule."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from _analytics_support import mv
from conftest import assert_problem, make_bin, make_item
from edge.cli import main
from edge.db import connect

API = "/api/v1/reports"


@pytest.fixture
def history(app, users, db_path):
    make_bin(app, "A-01", zone="A")
    make_bin(app, "B-01", zone="B")
    for sku, cost in (("BOLT", 2.0), ("NUT", 0.5), ("GLUE", 10.0), ("TAPE", 1.0)):
        make_item(app, sku, unit_cost=cost)
    conn = connect(db_path)
    try:
        mv(conn, "2026-01-01", "receive", "BOLT", 500, to_bin="A-01")
        mv(conn, "2026-01-01", "receive", "NUT", 500, to_bin="B-01")
        mv(conn, "2026-01-01", "receive", "GLUE", 50, to_bin="A-01")
        mv(conn, "2026-01-01", "receive", "TAPE", 5, to_bin="A-01")
        for day in range(1, 29):
            mv(conn, f"2026-02-{day:02d}", "ship", "BOLT", 10, "A-01")  # 280 x 2 = 560 a month
            mv(conn, f"2026-02-{day:02d}", "ship", "NUT", 5, "B-01")    # 140 x 0.5 = 70
        mv(conn, "2026-02-10", "ship", "GLUE", 1, "A-01")               # 10
    finally:
        conn.close()
    return app


def test_catalogue_lists_every_report(client, auth_for, history):
    r = client.get(API, headers=auth_for("supervisor"))
    names = [x["name"] for x in r.get_json()["items"]]
    assert "valuation" in names and "abc" in names and len(names) == 11


def test_report_as_json_and_csv_as_of_a_date(client, auth_for, history):
    sup = auth_for("supervisor")
    r = client.get(f"{API}/stock", query_string={"as_of": "2026-01-31", "by": "item"}, headers=sup)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["as_of"] == "2026-01-31" and body["params"] == {"by": "item"}
    assert [(x["sku"], x["qty"]) for x in body["rows"]] == [("BOLT", 500), ("GLUE", 50), ("NUT", 500), ("TAPE", 5)]
    r = client.get(f"{API}/stock", query_string={"as_of": "2026-02-28", "by": "item", "format": "csv"}, headers=sup)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert 'filename="stock-2026-02-28.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [(x["sku"], x["qty"]) for x in rows] == [("BOLT", "220"), ("GLUE", "49"), ("NUT", "360"), ("TAPE", "5")]


@pytest.mark.parametrize("name", ["stock", "expiry", "valuation", "turnover", "dead_slow", "abc", "accuracy",
                                  "receiving", "productivity", "replenishment"])
def test_every_report_answers_in_both_formats(client, auth_for, history, name):
    sup = auth_for("admin")
    r = client.get(f"{API}/{name}", query_string={"as_of": "2026-02-28"}, headers=sup)
    assert r.status_code == 200, r.get_json()
    rows = r.get_json()["rows"]
    r = client.get(f"{API}/{name}", query_string={"as_of": "2026-02-28", "format": "csv"}, headers=sup)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert len(list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))) == len(rows)


def test_report_figures_through_the_api(client, auth_for, history):
    sup = auth_for("supervisor")
    abc = client.get(f"{API}/abc", query_string={"as_of": "2026-02-28", "days": 28}, headers=sup).get_json()["rows"]
    assert [(x["sku"], x["abc_class"]) for x in abc] == [("BOLT", "A"), ("NUT", "B"), ("GLUE", "C"), ("TAPE", "C")]
    val = client.get(f"{API}/valuation", query_string={"as_of": "2026-02-28"}, headers=sup).get_json()["rows"]
    assert {x["sku"]: x["fifo_value"] for x in val} == {"BOLT": 440, "GLUE": 490, "NUT": 180, "TAPE": 5}
    plan = client.get(f"{API}/replenishment", query_string={"as_of": "2026-02-28"}, headers=sup).get_json()["rows"]
    bolt = next(x for x in plan if x["sku"] == "BOLT")
    assert bolt["demand_class"] in ("smooth", "intermittent")
    layers = client.get(f"{API}/fifo_layers", query_string={"sku": "BOLT"}, headers=sup).get_json()["rows"]
    assert layers == [{"sku": "BOLT", "layer": 1, "qty": 220, "unit_cost": 2.0, "value": 440}]


def test_bad_report_requests_are_problem_details(client, auth_for, history):
    sup = auth_for("supervisor")
    assert_problem(client.get(f"{API}/nope", headers=sup), 422, field="name", detail="no report 'nope'")
    assert_problem(client.get(f"{API}/stock", query_string={"as_of": "yesterday"}, headers=sup), 422,
                   field="query.as_of")
    assert_problem(client.get(f"{API}/stock", query_string={"format": "xls"}, headers=sup), 422, field="query.format")
    assert_problem(client.get(f"{API}/stock", query_string={"by": "aisle"}, headers=sup), 422, field="by")
    assert_problem(client.get(f"{API}/valuation", query_string={"days": 3}, headers=sup), 422, field="days")
    assert_problem(client.get(f"{API}/fifo_layers", headers=sup), 422, field="sku")
    assert_problem(client.get(f"{API}/stock", query_string={"days": 0}, headers=sup), 422, field="query.days")
    assert_problem(client.get(f"{API}/stock", query_string={"colour": "red"}, headers=sup), 422, field="query.colour")
    assert_problem(client.get(f"{API}/stock", headers=auth_for("picker")), 403)


def test_abc_apply_drives_the_cycle_count_schedule(client, auth_for, history, db_path):
    sup = auth_for("supervisor")
    r = client.post(f"{API}/abc/apply", json={"as_of": "2026-02-28", "days": 28}, headers=sup)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"changed": 4, "classes": {"A": 1, "B": 1, "C": 2}}
    items = {x["sku"]: x["abc_class"] for x in client.get("/api/v1/items", headers=sup).get_json()["items"]}
    assert items == {"BOLT": "A", "NUT": "B", "GLUE": "C", "TAPE": "C"}
    # The schedule reads those classes: on a first run, A is due over 30 days, C over 365 (ceil of a share).
    from edge.workflows.counting_schedule import run_schedule
    from edge.writer import Writer
    w = Writer(db_path)
    try:
        created = w.run(lambda conn: run_schedule(conn, date(2026, 3, 1), "2026-03-01T06:00:00Z"))
        conn = connect(db_path, readonly=True)
        note = conn.execute("SELECT note FROM count_task WHERE id = ?", (created[0],)).fetchone()[0]
        conn.close()
    finally:
        w.close()
    # BOLT (A) and NUT (B) are due on day one; the C items share bin A-01 with BOLT, whose count
    # covers the whole bin, so none of them needs a task of its own.
    assert note == "cycle count 2026-03-01: 1 A, 1 B, 0 C items due"
    assert_problem(client.post(f"{API}/abc/apply", json={"days": 0}, headers=sup), 422, field="days")


def test_cli_report_json_csv_and_apply(history, db_path, capsys):
    assert main(["report", "stock", "--db", db_path, "--as-of", "2026-01-31", "--by", "zone"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(r["zone"], r["qty"]) for r in out["rows"]] == [("A", 555), ("B", 500)]
    assert main(["report", "valuation", "--db", db_path, "--csv", "--as-of", "2026-02-28"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "sku,description,qty,fifo_value,fifo_unit_cost,layers,average_cost,average_value"
    assert main(["report", "abc", "--db", db_path, "--days", "28", "--as-of", "2026-02-28", "--apply"]) == 0
    assert "abc classes applied: 4 items changed" in capsys.readouterr().err
    assert main(["report", "replenishment", "--db", db_path, "--as-of", "2026-02-28", "--apply"]) == 0
    assert "plan stored for 3 items" in capsys.readouterr().err


def test_cli_bad_input_says_what_is_wrong(history, db_path, capsys, tmp_path):
    assert main(["report", "stock", "--db", db_path, "--as-of", "31/01/2026"]) == 2
    assert "--as-of wants a date" in capsys.readouterr().err
    assert main(["report", "stock", "--db", db_path, "--by", "aisle"]) == 2
    assert "by: group by one of" in capsys.readouterr().err
    assert main(["report", "stock", "--db", str(tmp_path / "none.db")]) == 2
    assert "no database" in capsys.readouterr().err
    assert main(["report", "stock", "--db", db_path, "--apply"]) == 2
    assert "--apply works with" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", "nope", "--db", db_path])
