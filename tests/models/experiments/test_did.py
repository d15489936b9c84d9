"""Difference-in-differences on planted panels (no Spark)."""

import datetime as dt

import pytest

from creator_governance.models.experiments.did import did_estimate, pretrend, select_controls
from creator_governance.models.experiments.synthetic import did_panel

LAUNCH = dt.date(2026, 1, 1) + dt.timedelta(days=28)


def test_did_recovers_planted_effect_one_treated_slice():
    panel = did_panel(12, days=42, launch_day=28, effect=0.15, seed=4)
    r = did_estimate(panel, treated=["T0"], launch=LAUNCH)
    assert r.inference == "days" and r.control_slices == 12
    assert r.lo <= 0.15 <= r.hi and r.estimate == pytest.approx(0.15, abs=0.03)
    assert r.p_value < 0.001 and not r.pretrend_flag
    assert r.rel_lo <= r.rel_lift <= r.rel_hi


def test_did_slice_bootstrap_with_many_treated_slices():
    panel = did_panel(20, days=35, launch_day=21, effect=-0.1, seed=8, n_treated=6)
    r = did_estimate(panel, treated=[f"T{i}" for i in range(6)], launch=dt.date(2026, 1, 22), resamples=1000)
    assert r.inference == "slices" and r.lo <= -0.1 <= r.hi and r.hi < 0


def test_no_effect_is_not_significant():
    panel = did_panel(12, days=42, launch_day=28, effect=0.0, seed=5)
    r = did_estimate(panel, treated=["T0"], launch=LAUNCH)
    assert r.lo <= 0.0 <= r.hi


def test_pretrend_check_flags_diverging_pretrend():
    panel = did_panel(12, days=42, launch_day=28, effect=0.15, seed=4, pretrend=0.01)
    r = did_estimate(panel, treated=["T0"], launch=LAUNCH)
    assert r.pretrend_flag and r.pretrend_slope == pytest.approx(0.01, abs=0.003)
    slope, p = pretrend([1.0, 1.0])
    assert slope != slope  # too few days: no verdict (NaN)


def test_select_controls_keeps_the_best_tracking_slices():
    panel = did_panel(6, days=30, launch_day=20, effect=0.1, seed=2, noise=0.001)
    wide = panel.pivot_table(index="ds", columns="slice", values="value")
    wide.index = [d for d in wide.index]
    chosen = select_controls(wide, ["T0"], dt.date(2026, 1, 21), 3)
    assert len(chosen) == 3 and "T0" not in chosen
    assert select_controls(wide, ["T0"], dt.date(2026, 1, 21), 0) == [c for c in wide.columns if c != "T0"]
    with pytest.raises(ValueError, match="launch"):
        did_estimate(panel, treated=["T0"], launch=dt.date(2030, 1, 1))
