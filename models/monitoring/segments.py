"""The root cause of an alert over combinations of dimensions: metric_cube leaves, their expected values, and
the conjunction search of localize.py (pandas).

An alert is on a metric's total or on one slice (`country=NG`). Its cube is the metric's leaves of that day
(metric_cube: one row per value of every dimension) inside the alert's scope; the search runs over the other
dimensions, so every cause lies inside the slice and is written with it (`country=NG&category=beauty`, in the
metric's dimension order).

Expected value of a leaf (the default, measured in docs/monitoring.md): the alerted series' own forecast (the
detector's `expected`) spread over the leaves by their share of the scope in a baseline, the `baseline_days` days
before the incident started (from the metric's first day in the cube, if later; a leaf absent on a day counts 0
that day):
- count: expected_leaf = baseline mean_leaf x expected / sum of baseline means over the scope;
- ratio: expected rate_leaf = baseline rate_leaf (its baseline numerator over denominator; the scope's rate for a
  leaf without baseline denominator) x expected / baseline rate of the scope, so the search compares each
  leaf's numerator with its expected rate x its observed denominator (a change of mix is not a cause).
A leaf new since the baseline is expected at 0 (a count) or at the scope's rate (a ratio).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from creator_governance.models.metrics.definitions import TOTAL
from creator_governance.models.monitoring.localize import format_cause, localize, parse_cause


def leaf_values(leaf: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """One row per distinct leaf (index: its text `d1=v1&d2=v2`), one column per dimension, and the dimensions
    in order; each distinct leaf is parsed once, however many days and rows repeat it."""
    unique = pd.unique(leaf)
    pairs = [parse_cause(text) for text in unique]
    dims = [d for d, _ in pairs[0]] if pairs else []
    if any([d for d, _ in p] != dims for p in pairs):
        raise ValueError("metric_cube leaves of one metric name different dimensions")
    return pd.DataFrame([[v for _, v in p] for p in pairs], columns=dims, index=pd.Index(unique, name="leaf")), dims


def leaf_columns(cube: pd.DataFrame, values: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The cube with one column per dimension of its `leaf` (from `values` of leaf_values when given), and the
    dimensions in order."""
    if values is None:
        values, dims = leaf_values(cube["leaf"])
    else:
        dims = list(values.columns)
    columns = values.reindex(cube["leaf"]).set_axis(cube.index)
    return pd.concat([cube.drop(columns=[c for c in dims if c in cube.columns]), columns], axis=1), dims


def expected_leaves(cube: pd.DataFrame, *, ds: dt.date, baseline: tuple[dt.date, dt.date], expected: float | None,
                    kind: str) -> pd.DataFrame:
    """The leaves of `ds` (and of the baseline, at 0 on ds) with `forecast` (count: the expected value; ratio:
    the expected numerator at the observed denominator) scaled so the scope's total is the series' `expected`,
    and `variance`: the leaf's own day-to-day variance of that move in the baseline (a count's variance around
    its mean; a ratio's of numerator - rate x denominator, in proportion to today's denominator), with the
    uncertainty of the baseline mean added; the search never lets it fall below the counting noise.

    `cube`: ds, leaf, numerator, denominator over the baseline days and `ds`, already restricted to the scope."""
    days = pd.to_datetime(cube["ds"]).dt.date
    first, last = baseline
    if len(days):  # a baseline reaching before the metric's first day starts on that day
        first = max(first, min(days))
    n_days = max((last - first).days + 1, 1)
    in_base = cube[(days >= first) & (days <= last)]
    daily = in_base.pivot_table(index="leaf", columns="ds", values=["numerator", "denominator"], aggfunc="sum")
    base = in_base.groupby("leaf")[["numerator", "denominator"]].sum(min_count=1)
    today = cube[days == ds].groupby("leaf")[["numerator", "denominator"]].sum(min_count=1)
    leaves = today.join(base, how="outer", rsuffix="_base").astype(float).fillna(0.0)
    num, den = leaves["numerator"].to_numpy(float), leaves["denominator"].to_numpy(float)
    base_num, base_den = leaves["numerator_base"].to_numpy(float), leaves["denominator_base"].to_numpy(float)
    nums = _per_day(daily, "numerator", leaves.index, n_days)
    if kind == "ratio":
        scope_rate = base_num.sum() / base_den.sum() if base_den.sum() > 0 else (
            num.sum() / den.sum() if den.sum() > 0 else 0.0)
        rate = np.divide(base_num, base_den, out=np.full(len(leaves), scope_rate), where=base_den > 0)
        dens = _per_day(daily, "denominator", leaves.index, n_days)
        mean_den = dens.mean(axis=1)
        spread = (nums - rate[:, None] * dens).var(axis=1, ddof=1) if n_days > 1 else np.zeros(len(leaves))
        variance = spread * np.divide(den, mean_den, out=np.zeros(len(leaves)), where=mean_den > 0)
        if expected is not None and expected == expected and scope_rate > 0:
            rate = rate * expected / scope_rate
        forecast = rate * den
    else:
        mean = base_num / n_days
        variance = nums.var(axis=1, ddof=1) if n_days > 1 else np.zeros(len(leaves))
        total = mean.sum()
        scale = expected / total if expected is not None and expected == expected and total > 0 else 1.0
        forecast, variance = mean * scale, variance * scale ** 2
    return pd.DataFrame({"leaf": leaves.index, "numerator": num, "denominator": den, "forecast": forecast,
                         "variance": variance * (1.0 + 1.0 / n_days)})


def _per_day(daily: pd.DataFrame, column: str, leaves: pd.Index, n_days: int) -> np.ndarray:
    """A leaves x baseline-days matrix of one column, a day without a row at 0 (days with no leaf at all too)."""
    if daily.empty:
        return np.zeros((len(leaves), n_days))
    part = daily[column].reindex(leaves).astype(float).fillna(0.0).to_numpy()
    return np.hstack([part, np.zeros((len(leaves), max(n_days - part.shape[1], 0)))])


def alert_causes(cube: pd.DataFrame, *, scope: tuple[str, str], ds: dt.date, incident_start: dt.date,
                 expected: float | None, kind: str, baseline_days: int, params: dict) -> list[dict] | None:
    """The cause set of one alert (dicts: cause, explanatory_power, share_of_move, relative_change, direction,
    observed, expected), [] for a move with no localised cause, or None when the cube cannot say (no leaves).

    `cube`: the metric's metric_cube rows (ds, leaf, numerator, denominator) over the baseline and `ds`;
    `scope`: the alert's (dimension, value), (all, all) for the total; `params`: the alerts.rca settings."""
    if cube.empty:
        return None
    values, dims = leaf_values(cube["leaf"])
    dimension, value = scope
    if dimension != TOTAL:
        if dimension not in dims:
            return None
        cube = cube[cube["leaf"].isin(values.index[values[dimension] == value])]
    baseline = (incident_start - dt.timedelta(days=baseline_days), incident_start - dt.timedelta(days=1))
    leaves = expected_leaves(cube[["ds", "leaf", "numerator", "denominator"]], ds=ds, baseline=baseline,
                             expected=expected, kind=kind)
    if leaves.empty or (leaves["numerator"].sum() == 0 and leaves["forecast"].sum() == 0):
        return None
    leaves, _ = leaf_columns(leaves, values)
    search = [d for d in dims if d != dimension]
    ratio = {"denominator_col": "denominator", "denominator_forecast_col": "denominator"} if kind == "ratio" else {}
    found = localize(leaves, dims=search, value_col="numerator", forecast_col="forecast", **ratio, **params,
                     counts=True, variance_col="variance")
    out = []
    for r in found.itertuples():
        pairs = dict(parse_cause(r.cause)) | ({dimension: value} if dimension != TOTAL else {})
        out.append({"cause": format_cause([(d, pairs[d]) for d in dims if d in pairs]),
                    "explanatory_power": _round(r.explanatory_power), "share_of_move": _round(r.share_of_move),
                    "relative_change": _round(r.relative_change), "direction": r.direction,
                    "observed": _round(r.observed), "expected": _round(r.expected)})
    return out


def _round(x) -> float | None:
    x = float(x)
    return None if x != x or x in (float("inf"), float("-inf")) else round(x, 4)


def in_words(cause: str) -> str:
    """A cause in words: `is_seller=true&country=BR&category=beauty` -> 'sellers, country BR, category beauty'."""
    words = []
    for dim, value in parse_cause(cause):
        if dim == "is_seller" and value in ("true", "false"):
            words.append("sellers" if value == "true" else "non-sellers")
        else:
            words.append(f"{dim.replace('_', ' ')} {value}")
    return ", ".join(words)
