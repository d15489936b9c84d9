"""A/B analysis of every metric and variant from per-variant sums: the rows of `experiment_results`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from creator_governance.models.experiments.stats import (
    Lift, Srm, adjust_pvalues, bucket_bootstrap, cuped_adjust, cuped_theta, detectable_effect, guardrail_status,
    moments, welch,
)

RESULT_COLUMNS = (
    "metric", "variant", "units", "mean", "control_mean", "abs_lift", "abs_lift_lo", "abs_lift_hi", "rel_lift",
    "rel_lift_lo", "rel_lift_hi", "p_value", "p_adjusted", "cuped", "variance_reduction", "srm_p", "srm_flag",
    "guardrail_status", "method", "adjusted_mean", "adjusted_control_mean", "detectable_rel_lift",
)


@dataclass(frozen=True)
class MetricSpec:
    """A metric as the analysis needs it (built from the config by the job)."""

    name: str
    direction: str = "down"
    guardrail: bool = False
    max_degradation: float = 0.02


def analyse_ab(sums: pd.DataFrame, specs: list[MetricSpec], *, control: str, srm: Srm, alpha: float = 0.05,
               method: str = "welch", correction: str = "holm", cuped: bool = True,
               buckets: pd.DataFrame | None = None, resamples: int = 2000, seed: int = 7) -> pd.DataFrame:
    """One row per metric and variant (the control's row carries units and mean only).

    `sums`: variant, metric and the SUM_COLUMNS of stats.py; `buckets` (method bootstrap): variant, metric,
    bucket, n, sum_y, n_x, sum_x. The p-value family for the correction is every metric × variant test.
    """
    rows = []
    for spec in specs:
        part = sums[sums["metric"] == spec.name]
        by_variant = {r["variant"]: r.to_dict() for _, r in part.iterrows() if r["n"] > 0}
        if control not in by_variant:
            continue
        use_cuped = cuped and sum(s["n_x"] for s in by_variant.values()) > 1
        theta, x_mean = cuped_theta(list(by_variant.values())) if use_cuped else (0.0, float("nan"))
        use_cuped = use_cuped and theta != 0.0
        raw = {v: moments(s, x_mean if use_cuped else None) for v, s in by_variant.items()}
        adj = {v: cuped_adjust(m, theta, x_mean) if use_cuped else m for v, m in raw.items()}
        c_raw, c_adj = raw[control], adj[control]
        rows.append(_row(spec, control, c_raw, None, use_cuped, _reduction(c_raw.var_y, c_adj.var_y), method,
                         c_raw.mean_y) | {"adjusted_mean": c_adj.mean_y, "adjusted_control_mean": c_adj.mean_y})
        for variant in sorted(v for v in by_variant if v != control):
            if method == "bootstrap" and buckets is not None:
                arms = [_bucket_arrays(buckets, spec.name, v, x_mean if use_cuped else 0.0) for v in (control, variant)]
                lift = bucket_bootstrap(*arms, alpha=alpha, resamples=resamples, seed=seed,
                                        theta=theta if use_cuped else 0.0, x_mean=x_mean if use_cuped else 0.0)
            else:
                lift = welch(c_adj, adj[variant], alpha=alpha)
            plain = welch(c_raw, raw[variant], alpha=alpha)
            adjusted = welch(c_adj, adj[variant], alpha=alpha)
            reduction = _reduction(plain.se**2, adjusted.se**2)
            rows.append(_row(spec, variant, raw[variant], lift, use_cuped, reduction, method, c_raw.mean_y)
                        | {"adjusted_mean": adj[variant].mean_y, "adjusted_control_mean": c_adj.mean_y,
                           "detectable_rel_lift": detectable_effect(adjusted.se, c_adj.mean_y, alpha=alpha)})
    out = pd.DataFrame(rows, columns=[c for c in RESULT_COLUMNS if c not in ("p_adjusted", "srm_p", "srm_flag")])
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(dtype=float), correction) if len(out) else []
    out["srm_p"] = srm.p_value
    out["srm_flag"] = srm.flagged
    return out[list(RESULT_COLUMNS)]


def _reduction(before: float, after: float) -> float:
    return float(1 - after / before) if before and before > 0 and not np.isnan(after) else float("nan")


def _row(spec: MetricSpec, variant: str, mo, lift: Lift | None, use_cuped: bool, reduction: float,
         method: str, control_mean: float) -> dict:
    """`mean`, `control_mean` are the raw means; the lifts (and their intervals) compare the CUPED-adjusted means
    (`adjusted_mean`, `adjusted_control_mean`, added by the caller) when `cuped`."""
    row = {"metric": spec.name, "variant": variant, "units": int(mo.n), "mean": float(mo.mean_y),
           "control_mean": float(control_mean), "cuped": bool(use_cuped), "variance_reduction": reduction,
           "method": method}
    if lift is None:
        return row | {"guardrail_status": None}
    status = guardrail_status(lift.rel_lift, lift.rel_lo, lift.rel_hi, direction=spec.direction,
                              max_degradation=spec.max_degradation) if spec.guardrail else None
    return row | {"abs_lift": lift.abs_lift, "abs_lift_lo": lift.abs_lo,
                  "abs_lift_hi": lift.abs_hi, "rel_lift": lift.rel_lift, "rel_lift_lo": lift.rel_lo,
                  "rel_lift_hi": lift.rel_hi, "p_value": lift.p_value, "guardrail_status": status}


def _bucket_arrays(buckets: pd.DataFrame, metric: str, variant: str, x_fill: float) -> dict:
    b = buckets[(buckets["metric"] == metric) & (buckets["variant"] == variant) & (buckets["n"] > 0)]
    n = b["n"].to_numpy(float)
    return {"n": n, "sum_y": b["sum_y"].to_numpy(float),
            "sum_x": b["sum_x"].to_numpy(float) + (n - b["n_x"].to_numpy(float)) * x_fill}


def verdict(results: pd.DataFrame, alpha: float = 0.05) -> str:
    """One line: the split, the guardrails and the significant primary effects."""
    parts = []
    if len(results) and bool(results["srm_flag"].iloc[0]):
        parts.append(f"SAMPLE RATIO MISMATCH (p={results['srm_p'].iloc[0]:.2g}): the split is broken, do not "
                     "trust the lifts")
    failed = sorted(set(results.loc[results["guardrail_status"] == "fail", "metric"]))
    parts.append(f"guardrails failed: {', '.join(failed)}" if failed else "no guardrail failed")
    sig = results[(results["p_adjusted"] < alpha)]
    if len(sig):
        parts.append("significant: " + ", ".join(f"{r.metric} {r.variant} {r.rel_lift:+.1%}" for r in sig.itertuples()))
    return "; ".join(parts)
