"""Textbook answers: EOQ, safety stock, reorder point, min/max, forecasts on
series with known structure, ABC on a known distribution."""
from __future__ import annotations

import math

import numpy as np
import pytest

from edge.analytics import abc, forecast as fc, replenishment as rp
from edge.analytics.params import effective
from edge.ledger import LedgerError


def test_eoq_textbook():
    # D = 1000 a year, S = 10 an order, H = 0.5 a unit-year: sqrt(2 * 1000 * 10 / 0.5) = 200.
    assert rp.eoq(1000, 10, 0.5) == pytest.approx(200)
    # D = 12,000, S = 100, H = 6 (25 % of 24): sqrt(400,000) = 632.46.
    assert rp.eoq(12000, 100, 6) == pytest.approx(632.4555, rel=1e-6)
    assert rp.eoq(1000, 10, 0) is None  # no holding cost: no finite optimum
    assert rp.eoq(0, 10, 0.5) == 0


def test_eoq_refuses_negative_figures():
    with pytest.raises(LedgerError) as err:
        rp.eoq(-1, 10, 0.5)
    assert err.value.field == "holding_cost"


def test_z_from_the_normal_distribution():
    assert rp.z_value(0.95) == pytest.approx(1.6449, abs=1e-4)
    assert rp.z_value(0.99) == pytest.approx(2.3263, abs=1e-4)
    assert rp.z_value(0.5) == pytest.approx(0)
    with pytest.raises(LedgerError) as err:
        rp.z_value(1.0)
    assert err.value.field == "service_level"


def test_safety_stock_and_reorder_point_textbook():
    # Demand 50 a day, sd 10 a day, lead time 4 days, 95 %: SS = 1.645 * 10 * sqrt(4) = 32.9,
    # ROP = 50 * 4 + 32.9 = 232.9.
    ss = rp.safety_stock(0.95, 10, 4)
    assert ss == pytest.approx(32.897, abs=1e-3)
    assert rp.reorder_point(50, 4, ss) == pytest.approx(232.897, abs=1e-3)
    # With lead-time variability: d = 100, sd_d = 20, L = 9, sd_L = 2, 97.7 % (z ~ 2):
    # sqrt(9 * 400 + 10,000 * 4) = sqrt(43,600) = 208.8; SS = 2.0 * 208.8.
    z = rp.z_value(0.977)
    assert rp.safety_stock(0.977, 20, 9, 100, 2) == pytest.approx(z * math.sqrt(43600), rel=1e-9)
    # No variability, no safety stock.
    assert rp.safety_stock(0.95, 0, 7) == 0


def test_plan_of_an_item_puts_the_pieces_together():
    f = fc.Forecast(demand_class="smooth", method="holt", adi=1, cv2=0.1, daily=10, sd=3, horizon=[10.0] * 8)
    p = effective({"lead_time_days": 4, "service_level": 0.95, "ordering_cost": 50, "holding_cost_rate": 0.25})
    plan = rp.plan_item(f, p, unit_cost=8)
    assert plan["safety_stock"] == pytest.approx(1.6449 * 3 * 2, abs=1e-3)
    assert plan["reorder_point"] == pytest.approx(40 + plan["safety_stock"])
    # D = 3650, S = 50, H = 2: sqrt(182,500) = 427.2
    assert plan["eoq"] == pytest.approx(math.sqrt(2 * 3650 * 50 / 2))
    assert plan["min_qty"] == plan["reorder_point"]
    assert plan["max_qty"] == pytest.approx(plan["reorder_point"] + plan["eoq"])
    # A planner's min/max wins over the formula.
    plan = rp.plan_item(f, {**p, "min_qty": 30, "max_qty": 90}, unit_cost=8)
    assert (plan["min_qty"], plan["max_qty"]) == (30, 90)


def test_round_up_to_packs():
    assert rp.round_up(13, 12) == 24
    assert rp.round_up(12, 12) == 12
    assert rp.round_up(3.2, None) == 4


# -- forecasts ----------------------------------------------------------------------------

def test_classification_by_adi_and_cv2():
    assert fc.classify([5] * 20)[0] == "smooth"
    assert fc.classify([1, 30, 2, 40, 1, 35] * 5)[0] == "erratic"
    cls, adi, cv2 = fc.classify([0, 0, 0, 5] * 10)
    assert (cls, adi, cv2) == ("intermittent", 4.0, 0.0)
    assert fc.classify([0, 0, 1, 0, 0, 40, 0, 0, 2] * 5)[0] == "lumpy"
    assert fc.classify([0] * 10) == ("none", None, None)


def test_holt_follows_a_known_trend():
    rng = np.random.default_rng(7)
    series = [20 + 0.5 * t + rng.normal(0, 0.3) for t in range(120)]
    f = fc.forecast(series, horizon=7)
    assert (f.demand_class, f.method) == ("smooth", "holt")
    assert f.trend == pytest.approx(0.5, abs=0.05)
    # Day 120 would be 20 + 0.5 * 120 = 80; the next seven days follow the line.
    for k, value in enumerate(f.horizon, start=0):
        assert value == pytest.approx(80 + 0.5 * k, abs=1.5)
    # The holdout error is small and beats the naive forecast by far less than nothing:
    assert f.mae < 1.0 and f.mase < 1.5


def test_a_perfect_line_is_forecast_without_error():
    f = fc.forecast([10 + 2 * t for t in range(60)], horizon=3, holdout=10)
    assert f.mae == pytest.approx(0, abs=1e-6)
    assert f.horizon == pytest.approx([130, 132, 134], abs=1e-6)


def test_croston_sba_on_regular_intermittent_demand():
    # 8 every 4th day: the true rate is 2 a day; Croston says size / interval = 2,
    # SBA multiplies by (1 - alpha / 2) with the best alpha of the grid (the smallest here).
    f = fc.forecast([0, 0, 0, 8] * 30, horizon=5)
    assert (f.demand_class, f.method) == ("intermittent", "sba")
    alpha = min(fc.CROSTON_ALPHAS)
    assert f.daily == pytest.approx(2 * (1 - alpha / 2), rel=1e-6)
    rate, _ = fc.sba(np.array([[0, 0, 0, 8] * 30], dtype=float), correction=False)
    assert rate[0] == pytest.approx(2.0, rel=1e-6)


def test_tsb_fades_an_item_that_stopped_selling():
    lumpy = [0, 0, 1, 0, 0, 40, 0, 0, 2, 0, 0, 25] * 10
    alive = fc.forecast(lumpy, horizon=5)
    dying = fc.forecast(lumpy + [0] * 60, horizon=5)
    assert alive.method == dying.method == "tsb"
    assert dying.daily < alive.daily / 3  # SBA would hold its last estimate until the next sale


def test_no_demand_forecasts_zero():
    f = fc.forecast([0] * 30)
    assert (f.demand_class, f.method, f.daily, f.sd) == ("none", "zero", 0, 0)


def test_lead_time_demand_sums_the_path():
    f = fc.Forecast("smooth", "holt", 1, 0, daily=0, sd=0, horizon=[1.0, 2.0, 3.0])
    assert fc.lead_time_demand(f, 2) == 3
    assert fc.lead_time_demand(f, 2.5) == 4.5
    assert fc.lead_time_demand(f, 5) == 1 + 2 + 3 + 3 + 3  # past the horizon at the last rate


def test_many_series_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(3)
    series = {"a": list(rng.poisson(5, 90).astype(float)), "b": [0, 0, 3.0] * 30,
              "c": list(np.linspace(1, 30, 90)), "d": [0.0] * 90}
    together = fc.forecast_many(series, horizon=7)
    for key, s in series.items():
        alone = fc.forecast(s, horizon=7)
        assert together[key].horizon == pytest.approx(alone.horizon)
        assert together[key].mae == alone.mae


# -- ABC ------------------------------------------------------------------------------------

def test_abc_on_a_known_distribution():
    values = {"i1": 50, "i2": 20, "i3": 10, "i4": 8, "i5": 5, "i6": 3, "i7": 2, "i8": 1, "i9": 1, "i10": 0}
    # Cumulative share before each item: 0, .5, .7 (A: under 80 %), .8, .88, .93 (B: under 95 %), .96 ... (C).
    assert abc.classify(values) == {"i1": "A", "i2": "A", "i3": "A", "i4": "B", "i5": "B", "i6": "B",
                                    "i7": "C", "i8": "C", "i9": "C", "i10": "C"}


def test_abc_pareto_share_of_items():
    # 1,000 items with Zipf-like values: a fifth or fewer of them make 80 % of the value.
    values = {f"s{i}": 1000 / (i + 1) ** 1.5 for i in range(1000)}
    classes = abc.classify(values)
    counts = {c: sum(1 for v in classes.values() if v == c) for c in "ABC"}
    assert counts["A"] < 200 < counts["C"]
    assert sum(counts.values()) == 1000


def test_abc_refuses_bad_shares():
    with pytest.raises(LedgerError) as err:
        abc.classify({"x": 1}, a_share=0.9, b_share=0.8)
    assert err.value.field == "a_share"
