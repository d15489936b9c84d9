"""Root cause over combinations of dimensions on hand-made cubes: exact causes, both directions, ripple
effects, ratios, an even move and a restricted slice."""

import itertools

import numpy as np
import pandas as pd
import pytest

from creator_governance.models.monitoring.localize import COLUMNS, format_cause, localize, parse_cause
from creator_governance.settings.alerts import RcaSettings

DIMS = {"country": ["NG", "KE", "GH", "ZA", "EG"], "device": ["ios", "android", "web"],
        "channel": ["feed", "search", "live", "shop"], "category": ["c1", "c2", "c3", "c4", "c5", "c6"]}
PARAMS = RcaSettings().search()


def cube(seed=0, moves=(), dims=DIMS):
    """360 leaves of Poisson counts around a forecast; `moves` are (conditions, factor) applied to the truth."""
    rng = np.random.default_rng(seed)
    leaves = pd.DataFrame(list(itertools.product(*dims.values())), columns=list(dims))
    leaves["forecast"] = np.round(rng.lognormal(np.log(60), 0.8, len(leaves)), 2)
    factor = np.ones(len(leaves))
    for conditions, times in moves:
        factor[inside(leaves, conditions)] *= times
    leaves["value"] = rng.poisson(leaves["forecast"] * factor).astype(float)
    return leaves


def inside(leaves, conditions):
    return np.logical_and.reduce([leaves[d] == v for d, v in conditions.items()])


def causes(leaves, dims=tuple(DIMS), **kwargs):
    out = localize(leaves, dims=list(dims), value_col="value", forecast_col="forecast", **PARAMS, **kwargs)
    assert list(out.columns) == list(COLUMNS)
    return out


def test_a_single_value_moving_as_a_whole_is_the_cause_not_its_children():
    out = causes(cube(moves=[({"country": "NG"}, 0.5)]))
    assert out["cause"].tolist() == ["country=NG"]
    assert out["direction"].tolist() == ["down"]
    assert out["explanatory_power"].iloc[0] == pytest.approx(1.0, abs=0.1)


def test_a_conjunction_is_returned_exactly_not_its_parent():
    out = causes(cube(moves=[({"country": "KE", "channel": "live"}, 1.8)]))
    assert out["cause"].tolist() == ["country=KE&channel=live"]  # in --dims order
    assert out["direction"].tolist() == ["up"]
    assert out["relative_change"].iloc[0] == pytest.approx(0.8, abs=0.1)


def test_two_simultaneous_causes_in_opposite_directions():
    leaves = cube(moves=[({"device": "android", "category": "c2"}, 2.5), ({"channel": "search"}, 0.4)])
    out = causes(leaves)
    assert set(out["cause"]) == {"device=android&category=c2", "channel=search"}
    assert dict(zip(out["cause"], out["direction"])) == {"device=android&category=c2": "up", "channel=search": "down"}
    assert (out["share_of_move"].diff().dropna() <= 0).all()  # largest first


def test_a_three_value_conjunction():
    out = causes(cube(seed=3, moves=[({"country": "GH", "device": "web", "category": "c4"}, 0.0)]))
    assert out["cause"].tolist() == ["country=GH&device=web&category=c4"]


def test_a_move_spread_evenly_over_everything_has_no_cause():
    assert causes(cube(moves=[({}, 1.3)])).empty
    assert causes(cube(seed=1)).empty  # noise only


def test_a_ratio_whose_denominator_falls_in_one_segment_rises_there():
    leaves = ratio_cube(denominator_moves=[({"device": "android"}, 0.6)])
    out = causes(leaves, denominator_col="views", denominator_forecast_col="views_forecast")
    assert out["cause"].tolist() == ["device=android"]
    assert out["direction"].tolist() == ["up"]
    assert out["observed"].iloc[0] == pytest.approx(out["expected"].iloc[0] / 0.6, rel=0.1)  # rates


def test_a_ratio_whose_numerator_and_denominator_move_together_has_no_cause():
    leaves = ratio_cube(denominator_moves=[({"device": "android"}, 0.6)], numerator_moves=[({"device": "android"}, 0.6)])
    assert causes(leaves, denominator_col="views", denominator_forecast_col="views_forecast").empty


def ratio_cube(seed=0, denominator_moves=(), numerator_moves=()):
    """Views per leaf and likes at a 10% rate; moves scale the observed views and the likes' expected count."""
    rng = np.random.default_rng(seed)
    leaves = pd.DataFrame(list(itertools.product(*DIMS.values())), columns=list(DIMS))
    leaves["views_forecast"] = np.round(rng.lognormal(np.log(600), 0.8, len(leaves)), 1)
    leaves["forecast"] = 0.1 * leaves["views_forecast"]
    views, likes = np.ones(len(leaves)), np.ones(len(leaves))
    for conditions, times in denominator_moves:
        views[inside(leaves, conditions)] *= times
    for conditions, times in numerator_moves:
        likes[inside(leaves, conditions)] *= times
    leaves["views"] = rng.poisson(leaves["views_forecast"] * views).astype(float)
    leaves["value"] = rng.poisson(leaves["forecast"] * likes).astype(float)
    return leaves


def test_within_a_slice_causes_are_relative_to_it():
    leaves = cube(moves=[({"country": "NG", "device": "ios"}, 0.3)])
    nigeria = leaves[leaves["country"] == "NG"]
    out = causes(nigeria, dims=("device", "channel", "category"))
    assert out["cause"].tolist() == ["device=ios"]  # i.e. country=NG&device=ios of the whole cube


def test_a_cause_overlapping_another_is_still_found():
    leaves = cube(seed=2, moves=[({"country": "ZA"}, 0.5), ({"category": "c5"}, 0.4)])
    assert set(causes(leaves)["cause"]) == {"country=ZA", "category=c5"}


def test_causes_format_and_parse():
    assert format_cause([("a", "a1"), ("b", "x=y")]) == "a=a1&b=x=y"
    assert parse_cause("a=a1&b=x=y") == [("a", "a1"), ("b", "x=y")]
    with pytest.raises(ValueError, match="not dimension=value"):
        parse_cause("a=a1&b")
