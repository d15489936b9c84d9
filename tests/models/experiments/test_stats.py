"""Experiment statistics against scipy and hand computation (no Spark)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from creator_governance.models.experiments.analysis import MetricSpec, analyse_ab
from creator_governance.models.experiments.stats import (
    adjust_pvalues, bucket_bootstrap, cuped_adjust, cuped_theta, detectable_effect, guardrail_status, moments, srm_test,
    sums_of, welch,
)
from creator_governance.models.experiments.synthetic import plant_effect, synthetic_units, unit_sums

C = np.array([3.1, 2.4, 5.0, 4.2, 3.3, 2.9, 4.8, 3.7])
T_ = np.array([4.0, 4.4, 5.9, 3.8, 5.1, 4.9, 6.2, 4.1, 5.5, 3.9])


def test_moments_from_sums_equal_numpy():
    m = moments(sums_of(C))
    assert m.n == 8 and m.mean_y == pytest.approx(C.mean()) and m.var_y == pytest.approx(C.var(ddof=1))
    # a NaN outcome is an unmeasured unit: left out
    assert moments(sums_of(np.append(C, np.nan))).n == 8


def test_welch_equals_scipy_t_p_and_interval():
    lift = welch(moments(sums_of(C)), moments(sums_of(T_)), alpha=0.05)
    ref = sps.ttest_ind(T_, C, equal_var=False)
    lo, hi = ref.confidence_interval(0.95)
    assert lift.abs_lift == pytest.approx(T_.mean() - C.mean())
    assert lift.abs_lift / lift.se == pytest.approx(ref.statistic)
    assert lift.p_value == pytest.approx(ref.pvalue)
    assert (lift.abs_lo, lift.abs_hi) == pytest.approx((lo, hi))


def test_relative_lift_fieller_by_hand():
    lift = welch(moments(sums_of(C)), moments(sums_of(T_)), alpha=0.05)
    mc, mt = C.mean(), T_.mean()
    vc, vt = C.var(ddof=1) / len(C), T_.var(ddof=1) / len(T_)
    q = sps.ttest_ind(T_, C, equal_var=False)  # the same t quantile as the absolute interval
    dof = q.df
    t = sps.t.ppf(0.975, dof)
    # the ratios r with (mt - r mc)^2 <= t^2 (vt + r^2 vc): roots of (mc^2 - t^2 vc) r^2 - 2 mt mc r + mt^2 - t^2 vt
    roots = np.sort(np.roots([mc**2 - t**2 * vc, -2 * mt * mc, mt**2 - t**2 * vt]))
    assert lift.rel_lift == pytest.approx(mt / mc - 1)
    assert (lift.rel_lo, lift.rel_hi) == pytest.approx(tuple(roots - 1))


@pytest.mark.parametrize("shift", [-0.9, -0.5, -0.2, 0.0, 0.2, 0.5, 0.9, 1.3])
def test_relative_and_absolute_intervals_agree_on_zero(shift):
    rng = np.random.default_rng(int(10 * (shift + 1)))
    control, treatment = rng.gamma(2.0, 2.0, 400), rng.gamma(2.0, 2.0, 380) + shift
    lift = welch(moments(sums_of(control)), moments(sums_of(treatment)))
    assert (lift.abs_lo > 0) == (lift.rel_lo > 0) and (lift.abs_hi < 0) == (lift.rel_hi < 0)
    assert (lift.p_value < 0.05) == (lift.rel_lo > 0 or lift.rel_hi < 0)


def test_detectable_effect_is_what_the_test_finds_four_times_in_five():
    se, mean = 0.5, 20.0
    mde = detectable_effect(se, mean, alpha=0.05, power=0.8)
    assert mde == pytest.approx((1.959964 + 0.841621) * 0.5 / 20.0, rel=1e-5)
    rng = np.random.default_rng(3)
    estimates = rng.normal(mde * mean, se, 20000)  # a true effect of exactly the detectable size
    assert np.mean(np.abs(estimates / se) > 1.959964) == pytest.approx(0.8, abs=0.01)
    assert np.isnan(detectable_effect(se, 0.0))


def test_holm_and_bh_by_hand():
    p = [0.01, 0.04, 0.03, 0.005, np.nan]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max
    assert adjust_pvalues(p, "holm")[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH: p * 4 / rank = 0.02, 0.02, 0.04, 0.04 -> running min from the top
    assert adjust_pvalues(p, "bh")[:4] == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert np.isnan(adjust_pvalues(p, "holm")[4])
    assert adjust_pvalues([0.6, 0.9], "holm") == pytest.approx([1.0, 1.0])
    assert adjust_pvalues([0.2], "none") == pytest.approx([0.2])


def test_srm_flags_52_48_of_20k_and_not_50_50():
    broken = srm_test({"control": 10400, "treatment": 9600})
    assert broken.chi2 == pytest.approx(32.0)
    assert broken.p_value == pytest.approx(sps.chisquare([10400, 9600]).pvalue) and broken.flagged
    fine = srm_test({"control": 10050, "treatment": 9950})
    assert fine.chi2 == pytest.approx(0.5)  # 2 * 50^2 / 10000
    assert fine.p_value == pytest.approx(sps.chi2.sf(0.5, 1)) and not fine.flagged
    drawn = synthetic_units(20_000, seed=3)["variant"].value_counts().to_dict()
    assert not srm_test(drawn).flagged
    # an uneven design is checked against its own split
    assert not srm_test({"control": 2000, "treatment": 8000}, {"control": 0.2, "treatment": 0.8}).flagged
    assert srm_test({"control": 5, "treatment": 5, "ghost": 3}, {"control": 0.5, "treatment": 0.5}).flagged


def test_cuped_reduces_variance_and_stays_unbiased():
    raw_est, cuped_est, reductions = [], [], []
    for seed in range(60):
        df = plant_effect(synthetic_units(2000, seed=seed, metrics={"gmv": 50.0}, rho=0.8),
                          metric="gmv", relative_effect=0.05)
        s = unit_sums(df, ["gmv"]).set_index("variant")
        sums = [s.loc[v].to_dict() for v in ("control", "treatment")]
        theta, x_mean = cuped_theta(sums)
        raw = [moments(x, x_mean) for x in sums]
        adj = [cuped_adjust(m, theta, x_mean) for m in raw]
        plain, cuped = welch(*raw), welch(*adj)
        raw_est.append(plain.rel_lift)
        cuped_est.append(cuped.rel_lift)
        reductions.append(1 - cuped.se**2 / plain.se**2)
        assert adj[0].var_y < raw[0].var_y
    assert np.mean(reductions) > 0.4  # rho^2 of the logs; a bit less on the lognormal scale
    assert np.mean(cuped_est) == pytest.approx(0.05, abs=0.005)  # unbiased around the planted effect
    assert np.std(cuped_est) < 0.8 * np.std(raw_est)


def test_bucket_bootstrap_one_unit_per_bucket_agrees_with_scipy_and_welch():
    rng = np.random.default_rng(1)
    c, t = rng.exponential(2.0, 400), rng.exponential(2.4, 400)
    arms = [{"n": np.ones(len(a)), "sum_y": a, "sum_x": np.zeros(len(a))} for a in (c, t)]
    boot = bucket_bootstrap(*arms, resamples=4000, seed=5)
    ref = sps.bootstrap((t, c), lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis), vectorized=True,
                        method="percentile", n_resamples=4000, random_state=5).confidence_interval
    width = ref.high - ref.low
    assert boot.abs_lift == pytest.approx(t.mean() - c.mean())
    assert boot.abs_lo == pytest.approx(ref.low, abs=0.1 * width)
    assert boot.abs_hi == pytest.approx(ref.high, abs=0.1 * width)
    w = welch(moments(sums_of(c)), moments(sums_of(t)))
    assert boot.abs_lo == pytest.approx(w.abs_lo, abs=0.1 * width) and boot.p_value < 0.05
    assert boot.rel_lo < boot.rel_lift < boot.rel_hi
    assert bucket_bootstrap(*arms, resamples=500, seed=9) == bucket_bootstrap(*arms, resamples=500, seed=9)


def test_guardrail_statuses():
    up = dict(direction="up", max_degradation=0.02)
    assert guardrail_status(-0.05, -0.08, -0.02, **up) == "fail"  # significant and beyond 2 %
    assert guardrail_status(-0.01, -0.015, -0.005, **up) == "warn"  # significant, within tolerance
    assert guardrail_status(-0.05, -0.15, 0.05, **up) == "warn"  # beyond, not significant
    assert guardrail_status(0.01, -0.01, 0.03, **up) == "pass"
    assert guardrail_status(0.05, 0.03, 0.08, direction="down", max_degradation=0.02) == "fail"


def _analyse(df, metrics, **kw):
    specs = [MetricSpec("reports", "down"), MetricSpec("gmv", "up", guardrail=True, max_degradation=0.02)]
    return analyse_ab(unit_sums(df, metrics), specs, control="control",
                      srm=srm_test(df["variant"].value_counts().to_dict()), **kw)


def test_planted_effect_interval_covers_truth_and_guardrail_fails():
    df = synthetic_units(20_000, seed=11, metrics={"reports": 2.0, "gmv": 50.0})
    df = plant_effect(plant_effect(df, metric="reports", relative_effect=-0.10), metric="gmv", relative_effect=-0.06)
    for method in ("welch", "bootstrap"):
        buckets = None
        if method == "bootstrap":
            b = df.assign(bucket=np.arange(len(df)) % 300)
            buckets = pd.concat([
                unit_sums(g, ["reports", "gmv"]).assign(bucket=k) for k, g in b.groupby("bucket")])
        out = _analyse(df, ["reports", "gmv"], method=method, buckets=buckets).set_index(["metric", "variant"])
        reports, gmv = out.loc[("reports", "treatment")], out.loc[("gmv", "treatment")]
        assert reports.rel_lift_lo <= -0.10 <= reports.rel_lift_hi, method
        assert gmv.rel_lift_lo <= -0.06 <= gmv.rel_lift_hi, method
        assert reports.p_adjusted < 0.01 and bool(reports.cuped) and reports.variance_reduction > 0.3
        assert gmv.guardrail_status == "fail"
        assert out.loc[("reports", "control")].units + reports.units == 20_000


def test_planted_effect_coverage_close_to_nominal():
    covered = 0
    for seed in range(200):
        df = plant_effect(synthetic_units(1000, seed=100 + seed, metrics={"reports": 2.0}), metric="reports",
                          relative_effect=-0.1)
        out = _analyse(df, ["reports"])
        row = out[out["variant"] == "treatment"].iloc[0]
        covered += row.rel_lift_lo <= -0.1 <= row.rel_lift_hi
    assert 0.90 <= covered / 200 <= 0.99


def test_the_report_says_which_means_the_lift_compares_and_when_it_is_too_small():
    from creator_governance.models.experiments.report import experiment_report

    df = synthetic_units(4_000, seed=5, metrics={"reports": 2.0, "gmv": 50.0})
    df = plant_effect(df, metric="reports", relative_effect=-0.30)
    out = _analyse(df, ["reports", "gmv"])
    treated = out[out["variant"] == "treatment"].set_index("metric")
    for metric in ("reports", "gmv"):
        row = treated.loc[metric]
        assert bool(row.cuped)  # lifts compare the adjusted means, not the raw ones
        assert row.abs_lift == pytest.approx(row.adjusted_mean - row.adjusted_control_mean)
        assert row.adjusted_mean != pytest.approx(row["mean"], rel=1e-9)
        assert row.detectable_rel_lift > 0
    text = experiment_report(out, header={"experiment": "x"}, verdict="v")
    assert "| raw mean | CUPED-adjusted mean |" in text and "compare the adjusted means" in text
    assert f"{treated.loc['reports', 'adjusted_mean']:.4g}" in text
    gmv = treated.loc["gmv"]
    assert not gmv.p_adjusted < 0.05  # no effect planted on gmv: the power line says what it could have found
    assert f"gmv (treatment): not significant; this experiment is too small to detect a change below " \
           f"±{gmv.detectable_rel_lift:.0%}" in text
    assert "reports (treatment): not significant" not in text  # the planted -30 % is found
