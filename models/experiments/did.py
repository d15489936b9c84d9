"""Difference-in-differences for a launch without randomisation (a strategy switched on for one slice, e.g.
a country), on a slice × day panel: the slice panel is built in Spark (`build_slice_panel`), the estimate in
pandas on its few thousand rows.

Estimate: d_t = mean over treated slices − mean over control slices, per day; DiD = mean(d_post) − mean(d_pre)
(the 2×2 means estimator, equal to two-way fixed effects on a balanced panel). Interval: a stratified bootstrap
over slices when both groups have enough slices, otherwise Welch over the daily differences (pre vs post).
Pre-trend: the OLS slope of d_t on the day in the pre-period; a significant slope flags the design.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, functions as F
from scipy import stats as sps

from creator_governance.models.experiments.stats import Moments, welch

PANEL_COLUMNS = ("slice", "ds", "metric", "value", "accounts")


def build_slice_panel(accounts: DataFrame, events: DataFrame, metrics: list[str], *, dimension: str,
                      ds_from: dt.date, ds_to: dt.date) -> DataFrame:
    """slice, ds, metric, value, accounts: per slice (value of `dimension`) and day, each metric per existing
    account (sums / accounts; content_quality: mean quality; retention: the day's active share)."""
    n_days = (ds_to - ds_from).days + 1
    days = accounts.sparkSession.range(n_days).select(F.date_add(F.lit(ds_from), F.col("id").cast("int")).alias("ds"))
    acc = accounts.select("account_id", F.coalesce(F.col(dimension).cast("string"), F.lit("unknown")).alias("slice"),
                          F.to_date("created_at").alias("created_ds"))
    born = acc.groupBy("slice", F.greatest(F.col("created_ds"), F.lit(ds_from - dt.timedelta(days=1)))
                       .alias("born")).agg(F.count(F.lit(1)).alias("n"))
    base = days.join(born, on=F.col("born") <= F.col("ds"), how="inner") \
        .groupBy("slice", "ds").agg(F.sum("n").alias("accounts"))
    wanted = ["activity" if m == "retention" else m for m in metrics]
    ev = events.filter(F.col("metric").isin(wanted) & F.col("ds").between(F.lit(ds_from), F.lit(ds_to))) \
        .join(acc.select(F.col("account_id").alias("unit_id"), "slice"), on="unit_id", how="inner")
    per_day = ev.groupBy("slice", "ds", "metric").agg(
        F.sum("value").alias("total"), F.avg("value").alias("avg"), F.countDistinct("unit_id").alias("units"))
    grid = base.crossJoin(F.broadcast(accounts.sparkSession.createDataFrame([(m,) for m in metrics], "metric string")))
    joined = grid.withColumn("event_metric", F.when(F.col("metric") == "retention", "activity")
                             .otherwise(F.col("metric"))) \
        .join(per_day.withColumnRenamed("metric", "event_metric"), on=["slice", "ds", "event_metric"], how="left")
    value = F.when(F.col("metric") == "content_quality", F.col("avg")) \
        .when(F.col("metric") == "retention", F.coalesce(F.col("units"), F.lit(0)) / F.col("accounts")) \
        .otherwise(F.coalesce(F.col("total"), F.lit(0.0)) / F.col("accounts"))
    return joined.select("slice", "ds", "metric", value.cast("double").alias("value"), "accounts")


@dataclass(frozen=True)
class DidResult:
    """The DiD estimate and its checks."""

    estimate: float
    lo: float
    hi: float
    p_value: float
    rel_lift: float
    rel_lo: float
    rel_hi: float
    treated_post_mean: float
    counterfactual_mean: float
    pretrend_slope: float
    pretrend_p: float
    pretrend_flag: bool
    inference: str
    treated_slices: int
    control_slices: int


def select_controls(wide: pd.DataFrame, treated: list[str], launch: dt.date, k: int) -> list[str]:
    """The `k` untreated slices whose pre-period series correlate best with the treated mean (all if k = 0)."""
    controls = [c for c in wide.columns if c not in treated]
    if k <= 0 or k >= len(controls):
        return controls
    pre = wide[wide.index < launch]
    target = pre[treated].mean(axis=1)
    corr = {c: np.nan_to_num(pre[c].corr(target), nan=-1.0) for c in controls}
    return sorted(controls, key=lambda c: (-corr[c], c))[:k]


def did_estimate(panel: pd.DataFrame, *, treated: list[str], launch: dt.date, controls: list[str] | None = None,
                 alpha: float = 0.05, inference: str = "auto", min_slices: int = 5, resamples: int = 2000,
                 seed: int = 7, pretrend_alpha: float = 0.05) -> DidResult:
    """DiD of one metric; `panel` has slice, ds, value (days without a value for a slice are left out)."""
    wide = panel.pivot_table(index="ds", columns="slice", values="value", aggfunc="mean").sort_index()
    wide.index = [pd.Timestamp(d).date() for d in wide.index]
    treated = [t for t in treated if t in wide.columns]
    pool = controls if controls is not None else list(wide.columns)
    controls = [c for c in pool if c in wide.columns and c not in treated]
    if not treated or not controls:
        raise ValueError(f"DiD needs treated and control slices (treated {treated}, controls {len(controls)})")
    post = np.array([d >= launch for d in wide.index])
    if post.all() or not post.any():
        raise ValueError(f"launch {launch} must fall inside the window, after at least one pre-period day")
    diff = (wide[treated].mean(axis=1) - wide[controls].mean(axis=1)).to_numpy()
    keep = ~np.isnan(diff)
    d_pre, d_post = diff[keep & ~post], diff[keep & post]
    est = float(d_post.mean() - d_pre.mean())
    treated_post = float(np.nanmean(wide[treated].to_numpy()[post]))
    counterfactual = treated_post - est
    use_slices = inference == "slices" or (inference == "auto" and min(len(treated), len(controls)) >= min_slices)
    if use_slices:
        lo, hi, p = _slice_bootstrap(wide, treated, controls, post, alpha, resamples, seed)
    else:
        lift = welch(_moments(d_pre), _moments(d_post), alpha=alpha)
        lo, hi, p = lift.abs_lo, lift.abs_hi, lift.p_value
    # relative to the estimated counterfactual, taken as fixed (it rests on the longer pre-period and controls)
    rel, rel_lo, rel_hi = (est / counterfactual, lo / counterfactual, hi / counterfactual) if counterfactual \
        else (np.nan, np.nan, np.nan)
    rel_lo, rel_hi = min(rel_lo, rel_hi), max(rel_lo, rel_hi)
    slope, slope_p = pretrend(d_pre)
    return DidResult(est, float(lo), float(hi), float(p), float(rel), float(rel_lo), float(rel_hi),
                     treated_post, counterfactual, slope, slope_p, bool(slope_p < pretrend_alpha),
                     "slices" if use_slices else "days", len(treated), len(controls))


def _moments(a: np.ndarray) -> Moments:
    return Moments(float(len(a)), float(a.mean()), float(a.var(ddof=1)) if len(a) > 1 else float("nan"))


def pretrend(d_pre: np.ndarray) -> tuple[float, float]:
    """OLS slope (per day) of the pre-period treated − control difference, and its two-sided p-value."""
    if len(d_pre) < 3:
        return float("nan"), float("nan")
    fit = sps.linregress(np.arange(len(d_pre), dtype=float), d_pre)
    return float(fit.slope), float(fit.pvalue)


def _slice_bootstrap(wide, treated, controls, post, alpha, resamples, seed):
    """Percentile interval of DiD over resampled slices (treated and controls resampled separately)."""
    rng = np.random.default_rng(seed)
    t_pre, t_post = wide[treated].to_numpy()[~post], wide[treated].to_numpy()[post]
    c_pre, c_post = wide[controls].to_numpy()[~post], wide[controls].to_numpy()[post]
    # per-slice period means: DiD of a resample is a difference of means of these
    t_gap = np.nanmean(t_post, axis=0) - np.nanmean(t_pre, axis=0)
    c_gap = np.nanmean(c_post, axis=0) - np.nanmean(c_pre, axis=0)
    ti = rng.integers(0, len(t_gap), size=(resamples, len(t_gap)))
    ci = rng.integers(0, len(c_gap), size=(resamples, len(c_gap)))
    draws = t_gap[ti].mean(axis=1) - c_gap[ci].mean(axis=1)
    lo, hi = np.percentile(draws, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    p = float(min(1.0, max(2 * min(np.mean(draws <= 0), np.mean(draws >= 0)), 1.0 / resamples)))
    return lo, hi, p
