"""Experiment statistics from sufficient statistics: Welch and bucket-bootstrap intervals for the absolute and
relative lift, CUPED, multiple-testing corrections, the sample-ratio-mismatch test and guardrail verdicts.

Everything works on per-variant sums (n, Σy, Σy², Σx, Σx², Σxy), so Spark never hands per-unit rows to the
driver: `sums_of` computes the same sums from arrays for tests and small data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

SUM_COLUMNS = ("n", "sum_y", "sum_y2", "n_x", "sum_x", "sum_x2", "sum_xy", "sum_y_xnull")


def sums_of(y, x=None) -> dict[str, float]:
    """The sufficient statistics of one variant from arrays (NaN in `y` = unit not measured, left out;
    NaN in `x` = no pre-period value, imputed later with the pooled pre-period mean)."""
    y = np.asarray(y, dtype=float)
    x = np.full_like(y, np.nan) if x is None else np.asarray(x, dtype=float)
    keep = ~np.isnan(y)
    y, x = y[keep], x[keep]
    has_x = ~np.isnan(x)
    return {"n": float(len(y)), "sum_y": y.sum(), "sum_y2": (y * y).sum(), "n_x": float(has_x.sum()),
            "sum_x": x[has_x].sum(), "sum_x2": (x[has_x] ** 2).sum(), "sum_xy": (x[has_x] * y[has_x]).sum(),
            "sum_y_xnull": y[~has_x].sum()}


@dataclass(frozen=True)
class Moments:
    """Mean and (ddof=1) variances of one variant; x is the pre-period covariate after imputation."""

    n: float
    mean_y: float
    var_y: float
    mean_x: float = float("nan")
    var_x: float = float("nan")
    cov_xy: float = float("nan")


def pooled_x_mean(sums: list[dict]) -> float:
    """Pre-period mean over every unit that has one, all variants pooled (the imputation value)."""
    n_x = sum(s["n_x"] for s in sums)
    return sum(s["sum_x"] for s in sums) / n_x if n_x > 0 else float("nan")


def moments(s: dict, x_fill: float | None = None) -> Moments:
    """Moments of one variant's sums; with `x_fill`, units without a pre-period value get x = x_fill."""
    n = s["n"]
    mean_y = s["sum_y"] / n if n > 0 else float("nan")
    var_y = (s["sum_y2"] - n * mean_y**2) / (n - 1) if n > 1 else float("nan")
    if x_fill is None or np.isnan(x_fill):
        return Moments(n, mean_y, max(var_y, 0.0) if n > 1 else var_y)
    missing = n - s["n_x"]
    sx = s["sum_x"] + missing * x_fill
    sxx = s["sum_x2"] + missing * x_fill**2
    sxy = s["sum_xy"] + x_fill * s["sum_y_xnull"]
    mean_x = sx / n
    var_x = (sxx - n * mean_x**2) / (n - 1) if n > 1 else float("nan")
    cov = (sxy - n * mean_x * mean_y) / (n - 1) if n > 1 else float("nan")
    return Moments(n, mean_y, max(var_y, 0.0), mean_x, max(var_x, 0.0), cov)


def add_sums(sums: list[dict]) -> dict:
    return {k: sum(s[k] for s in sums) for k in SUM_COLUMNS}


def cuped_theta(sums: list[dict]) -> tuple[float, float]:
    """theta = cov(Y, X) / var(X) over all units pooled, and the pooled mean of X (after imputation)."""
    m = pooled_x_mean(sums)
    pooled = moments(add_sums(sums), m)
    if not pooled.var_x or np.isnan(pooled.var_x) or pooled.var_x <= 0:
        return 0.0, m
    return pooled.cov_xy / pooled.var_x, m


def cuped_adjust(mo: Moments, theta: float, x_mean: float) -> Moments:
    """Moments of Y − theta·(X − x_mean): the mean moves by the arm's covariate imbalance, the variance
    shrinks by the share of it X explains."""
    if theta == 0.0 or np.isnan(mo.mean_x):
        return mo
    var = mo.var_y - 2 * theta * mo.cov_xy + theta**2 * mo.var_x
    return Moments(mo.n, mo.mean_y - theta * (mo.mean_x - x_mean), max(var, 0.0), mo.mean_x, mo.var_x, mo.cov_xy)


@dataclass(frozen=True)
class Lift:
    """Treatment vs control: absolute and relative lift with their intervals, and the two-sided p-value."""

    control_mean: float
    treatment_mean: float
    abs_lift: float
    abs_lo: float
    abs_hi: float
    rel_lift: float
    rel_lo: float
    rel_hi: float
    p_value: float
    se: float


def welch(control: Moments, treatment: Moments, *, alpha: float = 0.05) -> Lift:
    """Welch's t-test and interval for mean(T) − mean(C). The relative lift mean(T)/mean(C) − 1 gets Fieller's
    interval with the same t quantile and the same variances, so it excludes 0 exactly when the absolute
    interval does (a delta-method interval can disagree with it near the edge)."""
    c, t = control, treatment
    vc, vt = c.var_y / c.n, t.var_y / t.n
    se = float(np.sqrt(vc + vt))
    diff = t.mean_y - c.mean_y
    if not se > 0:
        p = 1.0 if diff == 0 else 0.0
        rel = t.mean_y / c.mean_y - 1 if c.mean_y else float("nan")
        return Lift(c.mean_y, t.mean_y, diff, diff, diff, rel, rel, rel, p, 0.0)
    dof = (vc + vt) ** 2 / (vc**2 / (c.n - 1) + vt**2 / (t.n - 1))
    tstat = diff / se
    p = float(2 * sps.t.sf(abs(tstat), dof))
    q = float(sps.t.ppf(1 - alpha / 2, dof))
    return Lift(c.mean_y, t.mean_y, diff, diff - q * se, diff + q * se, *fieller(c.mean_y, vc, t.mean_y, vt, q),
                p, se)


def fieller(mean_c: float, var_c: float, mean_t: float, var_t: float, q: float) -> tuple[float, float, float]:
    """Relative lift mean_t/mean_c − 1 and Fieller's interval for it (independent arms; var_* are the variances of
    the means): the ratios r with (mean_t − r·mean_c)² ≤ q²(var_t + r²·var_c). Bounds are NaN when mean_c is not
    distinguishable from 0 at that level (the set is then unbounded)."""
    if mean_c == 0 or np.isnan(mean_c):
        return float("nan"), float("nan"), float("nan")
    rel = mean_t / mean_c - 1
    a = mean_c**2 - q**2 * var_c
    b = mean_t * mean_c
    cc = mean_t**2 - q**2 * var_t
    disc = b * b - a * cc
    if a <= 0 or disc < 0:
        return rel, float("nan"), float("nan")
    root = float(np.sqrt(disc))
    return rel, (b - root) / a - 1, (b + root) / a - 1


def detectable_effect(se: float, control_mean: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest relative change a two-sided test at `alpha` detects with probability `power`, given the
    standard error of the difference: (z_{1-alpha/2} + z_power) · se / |control mean| (NaN without a mean)."""
    if not control_mean or np.isnan(control_mean) or np.isnan(se):
        return float("nan")
    return float((sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)) * se / abs(control_mean))


def bucket_bootstrap(control: dict, treatment: dict, *, alpha: float = 0.05, resamples: int = 2000,
                     seed: int = 7, theta: float = 0.0, x_mean: float = 0.0) -> Lift:
    """Percentile bootstrap over buckets of units (hashed in Spark; one unit per bucket = the plain unit
    bootstrap). Each arm is a dict of arrays `n`, `sum_y`, `sum_x` (imputed) per bucket; each resample draws
    every arm's buckets with replacement and takes the ratio mean Σy/Σn (CUPED: Σ(y − θ(x − x̄))/Σn).
    The p-value is twice the smaller tail share of the resampled lifts beyond 0 (floored at 1/resamples)."""
    rng = np.random.default_rng(seed)
    means = []
    for arm in (control, treatment):
        n, sy = np.asarray(arm["n"], float), np.asarray(arm["sum_y"], float)
        if theta:
            sy = sy - theta * (np.asarray(arm["sum_x"], float) - n * x_mean)
        point = sy.sum() / n.sum()
        draws = np.empty(resamples)
        chunk = max(1, 2_000_000 // max(len(n), 1))  # bounds the index matrix to ~16 MB
        for start in range(0, resamples, chunk):
            idx = rng.integers(0, len(n), size=(min(chunk, resamples - start), len(n)))
            with np.errstate(invalid="ignore", divide="ignore"):
                draws[start:start + idx.shape[0]] = sy[idx].sum(axis=1) / n[idx].sum(axis=1)
        means.append((point, draws))
    (mc, bc), (mt, bt) = means
    diff, rel = bt - bc, bt / bc - 1
    lo_q, hi_q = 100 * alpha / 2, 100 * (1 - alpha / 2)
    p = 2 * min(np.mean(diff <= 0), np.mean(diff >= 0))
    p = float(min(1.0, max(p, 1.0 / resamples)))
    rel_point = mt / mc - 1 if mc != 0 else float("nan")
    return Lift(mc, mt, mt - mc, *np.nanpercentile(diff, [lo_q, hi_q]), rel_point,
                *np.nanpercentile(rel, [lo_q, hi_q]), p, float(np.nanstd(diff, ddof=1)))


def adjust_pvalues(p_values, method: str = "holm") -> np.ndarray:
    """Holm (family-wise error) or Benjamini–Hochberg (false discovery rate) adjusted p-values; NaNs stay
    NaN and do not count in the family."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0 or method == "none":
        return p.copy()
    vals = p[ok]
    order = np.argsort(vals, kind="mergesort")
    ranked = vals[order]
    if method == "holm":
        adj = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ranked))
    elif method == "bh":
        adj = np.minimum.accumulate((m * ranked / np.arange(1, m + 1))[::-1])[::-1]
        adj = np.minimum(adj, 1.0)
    else:
        raise ValueError(f"unknown correction '{method}' (holm, bh, none)")
    back = np.empty(m)
    back[order] = adj
    out[ok] = back
    return out


@dataclass(frozen=True)
class Srm:
    """Sample-ratio mismatch: chi-square of observed units per variant against the expected shares."""

    chi2: float
    p_value: float
    flagged: bool
    expected: dict


def srm_test(observed: dict[str, int], expected_shares: dict[str, float] | None = None, *,
             threshold: float = 0.001) -> Srm:
    """Chi-square goodness of fit; an empty `expected_shares` means an equal split over the observed variants."""
    variants = sorted(set(observed) | set(expected_shares or {}))
    shares = np.array([(expected_shares or {}).get(v, 0.0) if expected_shares else 1.0 for v in variants])
    counts = np.array([observed.get(v, 0) for v in variants], dtype=float)
    if counts.sum() == 0 or len(variants) < 2:
        return Srm(float("nan"), float("nan"), False, {})
    expected = counts.sum() * shares / shares.sum()
    if np.any((expected == 0) & (counts > 0)):  # units in a variant that should not exist
        return Srm(float("inf"), 0.0, True, dict(zip(variants, expected.tolist())))
    keep = expected > 0
    chi2, p = sps.chisquare(counts[keep], expected[keep])
    return Srm(float(chi2), float(p), bool(p < threshold), dict(zip(variants, expected.tolist())))


def guardrail_status(rel_lift: float, rel_lo: float, rel_hi: float, *, direction: str,
                     max_degradation: float) -> str:
    """`fail` when the metric got significantly worse (the interval excludes 0 on the bad side) and the
    estimated degradation exceeds `max_degradation`; `warn` when only one of the two holds; else `pass`."""
    if np.isnan(rel_lift):
        return "unknown"
    sign = -1.0 if direction == "up" else 1.0
    degradation = sign * rel_lift
    bad_bound = min(sign * rel_lo, sign * rel_hi)  # the interval's end nearest to no harm
    significant = bad_bound > 0
    beyond = degradation > max_degradation
    if significant and beyond:
        return "fail"
    return "warn" if (significant or beyond) else "pass"
