"""Company-wide reports at central (docs/reports.md), on SQLite and PostgreSQL.

One hand-built two-warehouse history goes in through POST /api/v1/sync/movements
(the path edges use); every figure below is worked out by hand from it.

WH1  01-05 receive A 100, B 200, C 50, D 30     WH2  01-06 receive A 10, C 20
     02-01 ship A 40                                 02-12 transfer_in A 20 (TR1, from WH1)
     02-10 transfer_out A 20 -> WH2 (TR1)            02-18 ship A 5
     02-15 ship B 50                                 03-01 transfer_out C 8 -> WH1 (TR3),
     02-20 ship C 10                                       not received by 03-31
     02-25 transfer_out B 30 -> PARTNER (TR2: a site central does not know)

Company demand 01-01..03-31: A 45 (40 + 5; TR1 is internal), B 80 (50 + TR2), C 10 (TR3 internal), D 0.
Unit costs A 10, B 1, C 2, D 5: values A 450, B 80, C 20, D 0 of 550 -> A, B (0.818 before it), C, C.
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from _central_support import Central, central_url, movement
from conftest import assert_problem

WH1 = [  # (day, kind, sku, qty, from_bin, to_bin, ref_type, ref_id, reason)
    ("2026-01-05", "receive", "A", 100, None, "A-01", "receipt", "R1", None),
    ("2026-01-05", "receive", "B", 200, None, "A-02", "receipt", "R1", None),
    ("2026-01-05", "receive", "C", 50, None, "A-03", "receipt", "R1", None),
    ("2026-01-05", "receive", "D", 30, None, "A-04", "receipt", "R2", None),
    ("2026-02-01", "ship", "A", 40, "A-01", None, "order", "SO1", None),
    ("2026-02-10", "transfer_out", "A", 20, "A-01", "TRANSIT", "transfer", "WH1-TR-000001", "to WH2"),
    ("2026-02-15", "ship", "B", 50, "A-02", None, "order", "SO2", None),
    ("2026-02-20", "ship", "C", 10, "A-03", None, "order", "SO3", None),
    ("2026-02-25", "transfer_out", "B", 30, "A-02", "TRANSIT", "transfer", "WH1-TR-000002", "to PARTNER"),
]
WH2 = [
    ("2026-01-06", "receive", "A", 10, None, "B-01", "receipt", "R9", None),
    ("2026-01-06", "receive", "C", 20, None, "B-02", "receipt", "R9", None),
    ("2026-02-12", "transfer_in", "A", 20, None, "B-DOCK", "transfer", "WH1-TR-000001", "from WH1"),
    ("2026-02-18", "ship", "A", 5, "B-DOCK", None, "order", "SO9", None),
    ("2026-03-01", "transfer_out", "C", 8, "B-02", "B-TRANSIT", "transfer", "WH2-TR-000001", "to WH1"),
]
COSTS = {"A": 10.0, "B": 1.0, "C": 2.0, "D": 5.0}
END = "2026-03-31"


def rows_of(history: list[tuple], warehouse: str) -> list[dict]:
    return [movement(n, warehouse, kind=k, sku=s, qty=float(q), from_bin=f, to_bin=t, ref_type=rt, ref_id=ri,
                     reason=why, recorded_at=f"{day}T12:00:00.000Z", scanned_at=f"{day}T11:59:00.000Z")
            for n, (day, k, s, q, f, t, rt, ri, why) in enumerate(history, 1)]


def build(url: str, costs: dict | None) -> Central:
    c = Central(url)
    for sku, cost in (costs or {}).items():
        r = c.client.post("/api/v1/items", json={"sku": sku, "description": f"item {sku}", "unit_cost": cost},
                          headers=c.erp)
        assert r.status_code == 200, r.get_json()
    for wh, history in (("WH1", WH1), ("WH2", WH2)):
        r = c.send(rows_of(history, wh), wh)
        assert r.status_code == 200 and r.get_json()["inserted"] == len(history), r.get_json()
    return c


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central(request, tmp_path_factory):
    with central_url(request.param, tmp_path_factory.mktemp(request.param)) as url:
        c = build(url, COSTS)
        try:
            yield c
        finally:
            c.close()


def get(c: Central, name: str, **params):
    r = c.client.get(f"/api/v1/reports/{name}", query_string=params, headers=c.erp)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def by_sku(result: dict, **match) -> dict:
    return {r["sku"]: r for r in result["rows"] if all(r[k] == v for k, v in match.items())}


# -- stock as of a date ------------------------------------------------------------------

def replay_by_hand(day: str | None) -> dict[tuple, float]:
    upper = None if day is None else (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    sums: dict[tuple, float] = {}
    for wh, history in (("WH1", WH1), ("WH2", WH2)):
        for d, _k, sku, qty, f, t, *_ in history:
            if upper is not None and d >= upper:
                continue
            for b, sign in ((f, -1), (t, 1)):
                if b is not None:
                    sums[(wh, b, sku)] = sums.get((wh, b, sku), 0) + sign * qty
    return {k: v for k, v in sums.items() if v}


@pytest.mark.parametrize("day", ["2026-01-04", "2026-01-05", "2026-02-10", "2026-02-11", "2026-02-12", END, None])
def test_stock_as_of_equals_summing_the_movements_to_that_day(central, day):
    params = {"as_of": day} if day else {}
    got = get(central, "stock", **params)
    assert {(r["warehouse"], r["bin"], r["sku"]): r["qty"] for r in got["rows"]} == replay_by_hand(day)
    assert got["as_of"] == (day or date.today().isoformat())
    transit = {(r["warehouse"], r["bin"]) for r in got["rows"] if r["in_transit_bin"]}
    assert transit <= {("WH1", "TRANSIT"), ("WH2", "B-TRANSIT")}


def test_stock_filters_by_warehouse_and_sku(central):
    rows = get(central, "stock", as_of=END, warehouse="WH2", sku="A")["rows"]
    assert [(r["bin"], r["qty"]) for r in rows] == [("B-01", 10), ("B-DOCK", 15)]


def test_stock_by_warehouse_counts_a_received_transfer_once_and_shows_what_is_on_the_way(central):
    rows = {(r["sku"], r["warehouse"]): r for r in get(central, "stock-by-warehouse", as_of=END)["rows"]}
    # A: WH1 keeps TR1's 20 in its in-transit bin after WH2 received them; counted once, at WH2.
    assert rows[("A", "WH1")] == {"sku": "A", "warehouse": "WH1", "on_hand": 40, "in_transit_out": 0,
                                  "in_transit_in": 0, "total": 40}
    assert rows[("A", "WH2")]["on_hand"] == 25 and rows[("A", "*")]["total"] == 65
    # B: TR2 went to a site outside the company: gone, not in transit.
    assert rows[("B", "*")] == {"sku": "B", "warehouse": "*", "on_hand": 120, "in_transit_out": 0,
                                "in_transit_in": 0, "total": 120}
    # C: TR3 is on its way from WH2 to WH1.
    assert (rows[("C", "WH2")]["on_hand"], rows[("C", "WH2")]["in_transit_out"], rows[("C", "WH2")]["total"]) \
        == (12, 8, 20)
    assert (rows[("C", "WH1")]["in_transit_in"], rows[("C", "WH1")]["total"]) == (8, 40)
    assert rows[("C", "*")]["total"] == 60 and rows[("D", "*")]["total"] == 30


def test_stock_by_warehouse_before_the_transfer_arrived(central):
    rows = {(r["sku"], r["warehouse"]): r for r in get(central, "stock_by_warehouse", as_of="2026-02-11",
                                                       sku="A")["rows"]}
    assert (rows[("A", "WH1")]["on_hand"], rows[("A", "WH1")]["in_transit_out"]) == (40, 20)
    assert (rows[("A", "WH2")]["on_hand"], rows[("A", "WH2")]["in_transit_in"]) == (10, 20)
    assert rows[("A", "*")]["total"] == 70 and set(k[0] for k in rows) == {"A"}


# -- demand: transfers between the company's warehouses are not demand ------------------------

def test_an_inter_warehouse_transfer_is_not_company_demand(central):
    rows = by_sku(get(central, "turnover", as_of=END, days=90))
    assert (rows["A"]["demand"], rows["A"]["internal_transfers"]) == (45, 20)
    assert (rows["C"]["demand"], rows["C"]["internal_transfers"]) == (10, 8)
    assert (rows["B"]["demand"], rows["B"]["internal_transfers"]) == (80, 0)  # TR2 left the company
    a = rows["A"]
    assert a["on_hand"] == 65 and a["average_inventory"] == 32.5  # nothing held on 2025-12-31
    assert a["turnover"] == round(45 / 32.5 * 365 / 90, 3)
    assert a["daily_demand"] == 0.5 and a["days_of_supply"] == 130.0
    assert a["demand_value"] == 450 and rows["D"]["demand"] == 0 and rows["D"]["days_of_supply"] is None


def test_dead_and_slow_stock_company_wide(central):
    rows = get(central, "dead_slow", as_of=END, slow_days=200)["rows"]
    assert [(r["sku"], r["status"]) for r in rows] == [("D", "dead"), ("C", "slow"), ("A", "moving"),
                                                       ("B", "moving")]
    d = rows[0]
    assert (d["on_hand"], d["value"], d["last_demand"], d["days_of_supply"]) == (30, 150, None, None)
    assert rows[1]["days_of_supply"] == 540.0 and rows[1]["last_demand"] == "2026-02-20"


# -- ABC, valuation --------------------------------------------------------------------------

def test_abc_on_a_known_distribution_by_value(central):
    result = get(central, "abc", as_of=END, days=90)
    rows = by_sku(result)
    assert {s: r["abc_class"] for s, r in rows.items()} == {"A": "A", "B": "B", "C": "C", "D": "C"}
    assert [r["sku"] for r in result["rows"]] == ["A", "B", "C", "D"]
    assert rows["A"]["annual_value"] == round(45 * 365 / 90 * 10, 2) and rows["B"]["cumulative_share"] == 0.9636
    assert {r["basis"] for r in result["rows"]} == {"value"} and result["notes"] == []


def test_abc_without_costs_ranks_by_quantity_and_says_so(tmp_path):
    c = build(str(tmp_path / "nocost.db"), None)
    try:
        result = get(c, "abc", as_of=END, days=90)
    finally:
        c.close()
    # Quantities B 80, A 45, C 10 of 135: B and A (0.59 before it) are A, C (0.926 before it) is B; D is C.
    assert [(r["sku"], r["abc_class"]) for r in result["rows"]] == [("B", "A"), ("A", "A"), ("C", "B"), ("D", "C")]
    assert {r["basis"] for r in result["rows"]} == {"quantity"}
    assert result["rows"][0]["annual_value"] is None
    assert "ranked by annual quantity" in result["notes"][0] and "A, B, C" in result["notes"][0]


def test_valuation_at_average_cost_matches_company_stock(central):
    rows = by_sku(get(central, "valuation", as_of=END))
    assert {s: r["qty"] for s, r in rows.items()} == {"A": 65, "B": 120, "C": 60, "D": 30}
    assert (rows["A"]["average_cost"], rows["A"]["average_value"]) == (10, 650)
    assert sum(r["average_value"] for r in rows.values()) == 650 + 120 + 120 + 150


def test_receiving_and_transfer_summaries_per_warehouse(central):
    recv = {r["warehouse"]: r for r in get(central, "receiving", as_of=END, days=90)["rows"]}
    assert (recv["WH1"]["receipts"], recv["WH1"]["receipt_lines"], recv["WH1"]["received_qty"]) == (2, 4, 380)
    assert recv["WH1"]["received_value"] == 100 * 10 + 200 * 1 + 50 * 2 + 30 * 5
    assert (recv["WH2"]["transfers_in"], recv["WH2"]["transfer_in_qty"]) == (1, 20)
    routes = {(r["from_warehouse"], r["to_warehouse"]): r for r in get(central, "transfers", as_of=END)["rows"]}
    assert routes[("WH1", "WH2")] == {"from_warehouse": "WH1", "to_warehouse": "WH2", "internal": True,
                                      "transfers": 1, "shipped_qty": 20, "received_qty": 20, "in_transit_qty": 0}
    assert routes[("WH2", "WH1")]["in_transit_qty"] == 8
    assert routes[("WH1", "PARTNER")]["internal"] is False and routes[("WH1", "PARTNER")]["shipped_qty"] == 30


# -- CSV, the list, OpenAPI ------------------------------------------------------------------

def cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@pytest.mark.parametrize("name", ["stock_by_warehouse", "abc", "turnover"])
def test_csv_has_a_header_and_the_same_rows(central, name):
    js = get(central, name, as_of=END)
    r = central.client.get(f"/api/v1/reports/{name}", query_string={"as_of": END, "format": "csv"},
                           headers=central.erp)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert f"central-{name}-{END}.csv" in r.headers["Content-Disposition"]
    text = r.get_data(as_text=True)
    assert text.splitlines()[0].split(",") == list(js["rows"][0])
    assert list(csv.DictReader(io.StringIO(text))) == [{k: cell(v) for k, v in row.items()} for row in js["rows"]]


def test_report_list_and_openapi(central):
    r = central.client.get("/api/v1/reports", headers=central.erp)
    names = {i["name"] for i in r.get_json()["items"]}
    assert {"stock", "stock_by_warehouse", "turnover", "dead_slow", "abc", "valuation"} <= names
    doc = central.client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/reports/{name}"]["get"]
    assert {"name", "as_of", "format"} <= {p["name"] for p in op["parameters"]}
    assert op["security"] == [{"api_key": []}] and "404" in op["responses"]


def test_limit_keeps_the_count(central):
    result = get(central, "stock", as_of=END, limit=2)
    assert len(result["rows"]) == 2 and result["count"] == len(replay_by_hand(END))


# -- what a caller sees when the request is wrong -----------------------------------------------

def test_unknown_report_is_404(central):
    r = central.client.get("/api/v1/reports/stonks", headers=central.erp)
    body = assert_problem(r, 404, field="name", detail="no report 'stonks'")
    assert "stock_by_warehouse" in body["detail"]


@pytest.mark.parametrize("query, field", [({"as_of": "2026-13-01"}, "query.as_of"),
                                          ({"as_of": "yesterday"}, "query.as_of"),
                                          ({"days": "0"}, "query.days"),
                                          ({"format": "xlsx"}, "query.format"),
                                          ({"colour": "red"}, "query.colour")])
def test_bad_query_is_422_with_the_field(central, query, field):
    r = central.client.get("/api/v1/reports/turnover", query_string=query, headers=central.erp)
    assert_problem(r, 422, field=field)


def test_a_parameter_the_report_does_not_take_is_422(central):
    r = central.client.get("/api/v1/reports/stock", query_string={"days": "30"}, headers=central.erp)
    assert_problem(r, 422, field="days", detail="report stock takes warehouse, sku besides as_of")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer fsk_not-a-key"}, {"Authorization": "Basic x"}])
def test_no_or_invalid_key_is_401(central, headers):
    r = central.client.get("/api/v1/reports/stock", headers=headers)
    assert_problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_warehouse_token_is_not_an_api_key(central):
    r = central.client.get("/api/v1/reports/stock", headers=central.wh("WH1"))
    assert_problem(r, 401, detail="unknown API key")


def test_as_of_out_of_range_is_422(central):
    for day in ("9999-12-31", "0001-01-01"):
        r = central.client.get("/api/v1/reports/turnover", query_string={"as_of": day}, headers=central.erp)
        assert_problem(r, 422, field="query.as_of")


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_query_yields_a_server_error(tmp_path, mode):
    """Schemathesis over the report endpoint's own OpenAPI entry (as tests/test_central_fuzz.py does)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    c = build(str(tmp_path / "fuzz.db"), COSTS)
    try:
        operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", c.app)["/api/v1/reports/{name}"]["GET"]
        generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE

        @given(case=operation.as_strategy(generation_mode=generation))
        @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.validate_response(case.call(headers=c.erp), checks=[not_a_server_error])
        run()
    finally:
        c.close()


@pytest.mark.parametrize("day", ["1900-01-01", "9998-12-31"])
def test_every_report_answers_at_the_ends_of_the_date_range(central, day):
    from sync.central.reports import REPORTS, accepted
    for name in REPORTS:
        params = {p: 3660 for p in accepted(name) if p.endswith("days")}
        result = get(central, name, as_of=day, **params)
        assert result["report"] == name and result["as_of"] == day
