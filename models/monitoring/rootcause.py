"""Adtributor-style root cause: which dimension values explain a metric's move.

For one metric and day, a cube of slices (dimension, dimension_value) with observed and expected values:

- explanatory power EP of a slice = its share of the total change. Counts: (a_v − f_v) / (A − F) with A, F
  the sums over the dimension's slices. Ratios (m = N / D) are decomposed at the observed mix: the slice's
  expected numerator is f_v · d_v (expected rate × observed denominator), so EP_v = (n_v − f_v·d_v) / Σ(n − f·d);
  EPs of one dimension sum to 1.
- surprise of a slice = its Jensen–Shannon term between the expected and the observed distribution of the
  (numerator) volume over the dimension's slices: ½ (p log 2p/(p+q) + q log 2q/(p+q)), p expected share,
  q observed share; a slice whose share of volume changes a lot is surprising, a slice that moves with
  everything else is not.

Candidates are slices with EP ≥ `min_explanatory_power` (the slice moves with the total); they are ranked
across all dimensions by surprise, then EP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creator_governance.models.metrics.definitions import TOTAL


def _js_term(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    m = (p + q) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log(p / m), 0.0)
        b = np.where(q > 0, q * np.log(q / m), 0.0)
    return 0.5 * (a + b)


def explain_dimension(slices: pd.DataFrame, *, kind: str) -> pd.DataFrame:
    """One dimension's slices (observed, expected, denominator) with explanatory_power and surprise added."""
    out = slices.copy()
    observed = out["observed"].fillna(0.0).to_numpy(dtype=float)
    expected = out["expected"].fillna(out["observed"]).fillna(0.0).to_numpy(dtype=float)
    if kind == "ratio":
        den = out["denominator"].fillna(0.0).to_numpy(dtype=float)
        actual_vol, expected_vol = observed * den, expected * den
    else:
        actual_vol, expected_vol = observed, expected
    change = actual_vol - expected_vol
    total = change.sum()
    if abs(total) > 1e-9 * max(np.abs(change).sum(), 1e-12):
        ep = change / total
    else:
        ep = np.sign(change) * np.abs(change) / max(np.abs(change).sum(), 1e-12)
    p = expected_vol / expected_vol.sum() if expected_vol.sum() > 0 else np.zeros(len(out))
    q = actual_vol / actual_vol.sum() if actual_vol.sum() > 0 else np.zeros(len(out))
    out["explanatory_power"] = ep
    out["surprise"] = _js_term(np.clip(p, 0, None), np.clip(q, 0, None))
    out["relative_change"] = np.where(expected != 0, observed / np.where(expected == 0, 1, expected) - 1.0, np.nan)
    return out


def rank_root_causes(cube: pd.DataFrame, *, kind: str, min_explanatory_power: float = 0.1,
                     top_k: int = 5) -> list[dict]:
    """Ranked candidates for one metric-day cube (columns dimension, dimension_value, observed, expected,
    denominator; the total row is ignored): dicts with dimension, dimension_value, explanatory_power,
    surprise, relative_change."""
    parts = [explain_dimension(g, kind=kind) for d, g in cube.groupby("dimension", sort=True) if d != TOTAL]
    if not parts:
        return []
    scored = pd.concat(parts, ignore_index=True)
    candidates = scored[scored["explanatory_power"] >= min_explanatory_power]
    ranked = candidates.sort_values(["surprise", "explanatory_power"], ascending=[False, False]).head(top_k)
    return [
        {"cause": f"{r.dimension}={r.dimension_value}", "dimension": r.dimension, "dimension_value": r.dimension_value,
         "explanatory_power": round(float(r.explanatory_power), 4), "surprise": round(float(r.surprise), 6),
         "relative_change": None if pd.isna(r.relative_change) else round(float(r.relative_change), 4)}
        for r in ranked.itertuples()
    ]


def breadth(cube: pd.DataFrame, *, kind: str) -> float:
    """How broad a move is: over every dimension, the smallest expected-volume share of slices that moved in
    the total's direction by at least half its relative size (1.0 = everything moved alike)."""
    total = cube[cube["dimension"] == TOTAL]
    if total.empty or pd.isna(total["expected"].iloc[0]) or total["expected"].iloc[0] == 0:
        return float("nan")
    rel_total = total["observed"].iloc[0] / total["expected"].iloc[0] - 1.0
    shares = []
    for d, g in cube.groupby("dimension"):
        if d == TOTAL:
            continue
        exp = g["expected"].fillna(0.0).to_numpy(dtype=float)
        obs = g["observed"].fillna(0.0).to_numpy(dtype=float)
        weight = exp * (g["denominator"].fillna(0.0).to_numpy(dtype=float) if kind == "ratio" else 1.0)
        if weight.sum() <= 0:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(exp != 0, obs / np.where(exp == 0, 1, exp) - 1.0, 0.0)
        alike = (np.sign(rel) == np.sign(rel_total)) & (np.abs(rel) >= 0.5 * abs(rel_total))
        shares.append(float(weight[alike].sum() / weight.sum()))
    return min(shares) if shares else float("nan")
