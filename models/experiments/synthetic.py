"""Synthetic per-unit metric frames with a known effect: for tests and for checking the analysis end to end
without the simulator. Same columns as `units.build_unit_metrics` (unit_id, variant, <metric>, <metric>_pre)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_units(n_units: int, *, seed: int, metrics: dict[str, float] | None = None,
                    shares: dict[str, float] | None = None, rho: float = 0.7) -> pd.DataFrame:
    """Units split at random by `shares` (default 50/50 control/treatment); per metric a heavy-tailed,
    non-negative value with mean `metrics[m]` whose pre-period value correlates with it (a shared
    per-unit propensity, correlation ≈ `rho`). No effect is planted: see `plant_effect`."""
    rng = np.random.default_rng(seed)
    metrics = metrics or {"reports": 2.0, "gmv": 50.0}
    shares = shares or {"control": 0.5, "treatment": 0.5}
    names = list(shares)
    p = np.array([shares[v] for v in names], dtype=float)
    out = {"unit_id": [f"u{i:07d}" for i in range(n_units)], "variant": rng.choice(names, size=n_units, p=p / p.sum())}
    for m, mean in metrics.items():
        latent = rng.standard_normal(n_units)
        now = np.sqrt(rho) * latent + np.sqrt(1 - rho) * rng.standard_normal(n_units)
        pre = np.sqrt(rho) * latent + np.sqrt(1 - rho) * rng.standard_normal(n_units)
        scale = mean / np.exp(0.5 * 0.25)  # lognormal with sigma 0.5 has mean exp(sigma²/2)
        out[m] = scale * np.exp(0.5 * now)
        out[m + "_pre"] = scale * np.exp(0.5 * pre)
    return pd.DataFrame(out)


def plant_effect(frame, *, metric: str, relative_effect: float, variant: str = "treatment"):
    """Multiply `metric` of the units in `variant` by (1 + relative_effect): the true relative lift is then
    exactly `relative_effect` (the pre-period column is untouched). Works on pandas and Spark frames."""
    factor = 1.0 + relative_effect
    if isinstance(frame, pd.DataFrame):
        out = frame.copy()
        hit = out["variant"] == variant
        out.loc[hit, metric] = out.loc[hit, metric] * factor
        return out
    from pyspark.sql import functions as F

    col = F.when(F.col("variant") == F.lit(variant), F.col(metric) * F.lit(factor)).otherwise(F.col(metric))
    return frame.withColumn(metric, col)


def unit_sums(frame: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """The pandas twin of `units.variant_sums` (per variant and metric sufficient statistics)."""
    from creator_governance.models.experiments.stats import sums_of

    rows = []
    for variant, part in frame.groupby("variant"):
        for m in metrics:
            rows.append({"variant": variant, "metric": m, **sums_of(part[m].to_numpy(float),
                                                                   part[m + "_pre"].to_numpy(float))})
    return pd.DataFrame(rows)


def did_panel(n_controls: int, *, days: int, launch_day: int, effect: float, seed: int,
              pretrend: float = 0.0, noise: float = 0.02, n_treated: int = 1) -> pd.DataFrame:
    """A slice × day panel (slice, ds, value): weekly seasonality and slice levels shared by all, an
    `effect` added to the treated slices from `launch_day`, and an optional pre-launch `pretrend` per day
    in the treated slices (what the pre-trend check must catch)."""
    import datetime as dt

    rng = np.random.default_rng(seed)
    start = dt.date(2026, 1, 1)
    season = 1.0 + 0.1 * np.sin(2 * np.pi * np.arange(days) / 7)
    rows = []
    for s in range(n_treated + n_controls):
        treated = s < n_treated
        name = f"T{s}" if treated else f"C{s}"
        level = rng.uniform(0.5, 1.5)
        for d in range(days):
            value = level * season[d] + rng.normal(0, noise)
            if treated and d >= launch_day:
                value += effect
            if treated and d < launch_day:
                value += pretrend * (d - launch_day)
            rows.append({"slice": name, "ds": start + dt.timedelta(days=d), "value": value})
    return pd.DataFrame(rows)
