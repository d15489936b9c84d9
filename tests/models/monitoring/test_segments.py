"""An alert's root cause from metric_cube leaves: expected leaves scaled to the series' forecast, conjunctions
inside the alert's slice, a broad move, and the cause in words."""

import datetime as dt
import itertools
from collections import namedtuple

import numpy as np
import pandas as pd
import pytest

from creator_governance.models.monitoring.alerts import _cause_words
from creator_governance.models.monitoring.segments import alert_causes, expected_leaves, in_words, leaf_columns
from creator_governance.settings.alerts import RcaSettings

DAY = dt.date(2026, 1, 20)
DIMS = {"country": ["BR", "US", "NG", "DE", "IN"], "category": ["gaming", "beauty", "food", "tech"],
        "is_seller": ["true", "false"]}
PARAMS = RcaSettings().search()


def history(seed=0, moves=(), days=14, ratio=False):
    """metric_cube rows: `days` baseline days then DAY; `moves` (conditions, factor) apply on DAY only."""
    rng = np.random.default_rng(seed)
    combos = list(itertools.product(*DIMS.values()))
    rate = rng.lognormal(np.log(40), 0.6, len(combos))
    rows = []
    for offset in range(days, -1, -1):
        ds = DAY - dt.timedelta(days=offset)
        for (country, category, seller), lam in zip(combos, rate):
            factor = 1.0
            for conditions, times in moves if offset == 0 else ():
                if all({"country": country, "category": category, "is_seller": seller}[d] == v
                       for d, v in conditions.items()):
                    factor *= times
            leaf = f"country={country}&category={category}&is_seller={seller}"
            if ratio:
                den = float(rng.poisson(lam * 10))
                rows.append((ds, leaf, float(rng.binomial(int(den), min(0.1 * factor, 1.0))), den))
            else:
                rows.append((ds, leaf, float(rng.poisson(lam * factor)), None))
    return pd.DataFrame(rows, columns=["ds", "leaf", "numerator", "denominator"])


def causes(cube, scope=("all", "all"), kind="count", expected=None):
    if expected is None:  # the series' own forecast: the baseline's daily mean (count) or rate (ratio)
        base = cube[cube["ds"] < DAY]
        if scope[0] != "all":
            base = base[base["leaf"].str.contains(f"{scope[0]}={scope[1]}", regex=False)]
        days = base["ds"].nunique()
        expected = (base["numerator"].sum() / base["denominator"].sum() if kind == "ratio"
                    else base["numerator"].sum() / days)
    return alert_causes(cube, scope=scope, ds=DAY, incident_start=DAY, expected=expected, kind=kind,
                        baseline_days=28, params=PARAMS)


def test_expected_leaves_spread_the_series_forecast_by_baseline_shares():
    cube = pd.DataFrame([(DAY - dt.timedelta(days=2), "d=a", 10.0, None), (DAY - dt.timedelta(days=1), "d=a", 30.0, None),
                         (DAY - dt.timedelta(days=1), "d=b", 20.0, None), (DAY, "d=a", 50.0, None),
                         (DAY, "d=c", 5.0, None)], columns=["ds", "leaf", "numerator", "denominator"])
    out = expected_leaves(cube, ds=DAY, baseline=(DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1)),
                          expected=60.0, kind="count").set_index("leaf")
    # baseline daily means a 20, b 10, c 0 -> 60 spread 2:1:0; b has no row today (observed 0)
    assert out["forecast"].to_dict() == pytest.approx({"d=a": 40.0, "d=b": 20.0, "d=c": 0.0})
    assert out["numerator"].to_dict() == {"d=a": 50.0, "d=b": 0.0, "d=c": 5.0}


def test_expected_leaves_of_a_ratio_are_rates_scaled_to_the_series_times_todays_denominator():
    cube = pd.DataFrame([(DAY - dt.timedelta(days=1), "d=a", 10.0, 100.0), (DAY - dt.timedelta(days=1), "d=b", 30.0, 100.0),
                         (DAY, "d=a", 4.0, 50.0), (DAY, "d=b", 60.0, 200.0), (DAY, "d=new", 1.0, 10.0)],
                        columns=["ds", "leaf", "numerator", "denominator"])
    out = expected_leaves(cube, ds=DAY, baseline=(DAY - dt.timedelta(days=1), DAY - dt.timedelta(days=1)),
                          expected=0.4, kind="ratio").set_index("leaf")
    # baseline rates a 0.1, b 0.3, scope 0.2; the series expects 0.4 -> x2; a new leaf takes the scope's rate
    assert out["forecast"].to_dict() == pytest.approx({"d=a": 0.2 * 50, "d=b": 0.6 * 200, "d=new": 0.4 * 10})


def test_a_two_dimension_segment_is_the_cause_of_a_total_move():
    found = causes(history(moves=[({"country": "BR", "category": "gaming"}, 3.0)]))
    assert [c["cause"] for c in found] == ["country=BR&category=gaming"]
    # the cause explains most of the total's move; the rest is the noise of the other 39 leaves
    assert found[0]["direction"] == "up" and 0.6 < found[0]["explanatory_power"] < 1.4


def test_a_single_value_and_a_conjunction_at_once():
    found = causes(history(seed=1, moves=[({"category": "food"}, 0.3), ({"country": "IN", "category": "tech"}, 3.0)]))
    assert {c["cause"] for c in found} == {"category=food", "country=IN&category=tech"}


def test_an_alert_on_one_slice_has_causes_inside_it_written_with_it():
    cube = history(seed=2, moves=[({"country": "NG", "category": "beauty"}, 0.2), ({"country": "US"}, 2.0)])
    found = causes(cube, scope=("country", "NG"))
    assert [c["cause"] for c in found] == ["country=NG&category=beauty"]


def test_a_broad_move_has_no_cause_and_says_so():
    assert causes(history(seed=3, moves=[({}, 1.6)])) == []
    alert = namedtuple("A", "direction dimension dimension_value")("up", "all", "all")
    assert _cause_words(alert, []).startswith("broad move: no segment explains the rise")


def test_a_ratio_cause_where_only_the_rate_moved():
    found = causes(history(seed=4, ratio=True, moves=[({"country": "DE", "category": "tech"}, 3.0)]), kind="ratio")
    assert [c["cause"] for c in found] == ["country=DE&category=tech"]


def test_no_leaves_means_the_cube_cannot_say():
    assert causes(history().iloc[0:0], expected=1.0) is None
    assert causes(history(), scope=("policy", "p1"), expected=1.0) is None  # not a dimension of the metric


def test_leaves_parse_into_columns_and_causes_read_as_words():
    parsed, dims = leaf_columns(pd.DataFrame({"leaf": ["a=1&b=x", "a=2&b=y"]}))
    assert dims == ["a", "b"] and parsed["b"].tolist() == ["x", "y"]
    assert in_words("is_seller=true&country=BR&category=beauty") == "sellers, country BR, category beauty"
    alert = namedtuple("A", "direction dimension dimension_value")("down", "all", "all")
    words = _cause_words(alert, [{"cause": "country=BR&category=beauty", "explanatory_power": 0.86}])
    assert words == "country BR, category beauty explain 86% of the drop"
