"""Root cause on hand-made cubes where the answer is known."""

import pandas as pd
import pytest

from creator_governance.models.monitoring.rootcause import breadth, rank_root_causes


def cube(rows):
    return pd.DataFrame(rows, columns=["dimension", "dimension_value", "observed", "expected", "denominator"])


def test_one_country_drives_the_change_and_is_ranked_first():
    c = cube([
        ("all", "all", 190, 100, None),
        ("country", "BR", 100, 10, None), ("country", "US", 50, 50, None), ("country", "IN", 40, 40, None),
        ("category", "beauty", 70, 40, None), ("category", "gaming", 60, 30, None), ("category", "food", 60, 30, None),
        ("is_seller", "false", 185, 97, None), ("is_seller", "true", 5, 3, None),
    ])
    ranked = rank_root_causes(c, kind="count")
    assert (ranked[0]["dimension"], ranked[0]["dimension_value"]) == ("country", "BR")
    assert ranked[0]["explanatory_power"] == pytest.approx(1.0)
    assert ranked[0]["surprise"] > max(r["surprise"] for r in ranked[1:])


def test_ratio_metrics_decompose_at_the_observed_mix():
    c = cube([
        ("all", "all", 0.2, 0.1, 1000),
        ("category", "beauty", 0.6, 0.1, 200), ("category", "food", 0.1, 0.1, 800),
    ])
    ranked = rank_root_causes(c, kind="ratio")
    assert ranked[0]["dimension_value"] == "beauty" and ranked[0]["explanatory_power"] == pytest.approx(1.0)


def test_breadth_tells_a_global_move_from_a_targeted_one():
    everywhere = cube([("all", "all", 60, 100, None), ("country", "BR", 30, 50, None),
                       ("country", "US", 30, 50, None), ("category", "a", 36, 60, None), ("category", "b", 24, 40, None)])
    targeted = cube([("all", "all", 60, 100, None), ("country", "BR", 10, 50, None),
                     ("country", "US", 50, 50, None), ("category", "a", 36, 60, None), ("category", "b", 24, 40, None)])
    assert breadth(everywhere, kind="count") == pytest.approx(1.0)
    assert breadth(targeted, kind="count") == pytest.approx(0.5)
