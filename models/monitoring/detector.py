"""A robust seasonal anomaly detector for one metric series (pandas/numpy, no Spark).

Each point is scored only against the points before it (a causal, one-step-ahead forecast), so scoring a
range at once gives exactly what scoring day by day would have given. For a point t with history h (the last
`window` valid points, past anomalies clipped to their band):

- seasonality p (given, or found by autocorrelation of the winsorized first differences) is used when h holds
  two full cycles and it lowers the residual spread; seasonal indices are medians per phase of h minus its
  centered rolling median (a robust STL-like split);
- level = median of the last p (or 7) deseasonalized points, trend = (median of the last p − median of the
  p before) / p, extrapolated to t; expected = level + trend · (p + 1) / 2 + seasonal index of t's phase;
- scale = max(1.4826 · MAD, √(π/2) · mean absolute deviation) of first differences / √2 (noise, insensitive to
  trend and level shifts; the mean-deviation term keeps sparse or overdispersed series from a zero MAD), inflated for
  the uncertainty of the medians, floored at `relative_floor` · |expected| and, when given, at the
  Poisson (counts) or binomial (ratios with a denominator) noise;
- band = expected ± max(threshold · scale, min_relative_change · |expected|); with less than two cycles the
  detector falls back to the median and spread of what there is, with the band widened; with fewer than
  `min_history` points it scores nothing.

A flagged point enters later histories clipped to its band, so an incident does not drag the expectation;
after `shift_after` consecutive flags in one direction the move is accepted as a level shift (the earlier
history is re-levelled by the run's median deviation, so the expectation jumps to the new level).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAD_TO_SIGMA = 1.4826
OUTPUT_COLUMNS = ("expected", "lower", "upper", "score", "is_anomaly")


@dataclass(frozen=True)
class DetectorParams:
    """Detector parameters (conf/base/alerts.yaml `detector`)."""

    season: int | None = None
    max_season: int = 60
    threshold: float = 4.0
    min_history: int = 7
    window: int = 56
    short_history_widen: float = 1.25
    min_relative_change: float = 0.05
    relative_floor: float = 0.01
    shift_after: int = 4


def find_season(values, *, max_season: int = 60, min_acf: float = 0.3) -> int | None:
    """The period with the strongest autocorrelation of the series' winsorized first differences, or None.

    Lags from 2 to min(max_season, n / 2); among lags whose autocorrelation is within 90 % of the best (and
    above `min_acf`), the shortest wins, so a multiple of the true period is not picked.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    d = np.diff(x)
    if len(d) < 8:
        return None
    med = np.median(d)
    mad = np.median(np.abs(d - med)) * MAD_TO_SIGMA or np.std(d) or 1.0
    d = np.clip(d, med - 4 * mad, med + 4 * mad) - np.mean(np.clip(d, med - 4 * mad, med + 4 * mad))
    denom = float(np.dot(d, d))
    if denom == 0.0:
        return None
    top = min(max_season, len(d) // 2)
    acf = {lag: float(np.dot(d[:-lag], d[lag:])) / denom * len(d) / (len(d) - lag) for lag in range(2, top + 1)}
    if not acf:
        return None
    best = max(acf.values())
    if best < min_acf:
        return None
    return min(lag for lag, v in acf.items() if v >= 0.9 * best)


def _noise(y: np.ndarray) -> float:
    """Noise sigma from first differences: the larger of the MAD and the mean absolute deviation estimates.

    The MAD alone collapses on short, sparse or overdispersed series (many equal differences, a few large
    ones: e.g. a small slice's rate with clustered events), which made quiet days alert; the mean absolute
    deviation (x √(π/2), unbiased for normal noise) still sees those moves and is steadier on short windows.
    """
    if len(y) < 3:
        return 0.0
    d = np.diff(y)
    dev = np.abs(d - np.median(d))
    return max(float(np.median(dev)) * MAD_TO_SIGMA, float(np.mean(dev)) * np.sqrt(np.pi / 2.0)) / np.sqrt(2.0)


def _seasonal(h: np.ndarray, phases: np.ndarray, p: int) -> np.ndarray:
    """Seasonal indices (sum 0) per phase: medians of h minus its centered rolling median (edges extended)."""
    inner = np.median(np.lib.stride_tricks.sliding_window_view(h, p), axis=1)
    half = p // 2
    trend = np.concatenate([np.full(half, inner[0]), inner, np.full(len(h) - len(inner) - half, inner[-1])])
    detrended = h - trend
    cycles = -(-len(h) // p)
    table = np.full(cycles * p, np.nan)
    table[: len(h)] = detrended
    by_phase = np.full(p, np.nan)
    # Row r, column k of the table holds position r·p + k of h; its phase is phases[0] + k (mod p).
    medians = np.nanmedian(table.reshape(cycles, p), axis=0)
    by_phase[(phases[0] + np.arange(p)) % p] = medians
    by_phase = np.nan_to_num(by_phase)
    return by_phase - by_phase.mean()


def forecast(h: np.ndarray, phases: np.ndarray, next_phase: int, season: int | None,
             params: DetectorParams) -> tuple[float, float, bool]:
    """(expected, scale, short) for the point after history `h` (valid values, oldest first)."""
    n = len(h)
    p = season if season and n >= 2 * season else None
    if p is None:
        k = min(n, 7)
        expected = float(np.median(h[-k:]))
        # Without a seasonal model the spread around the median (which includes any unmodelled season) counts.
        spread = float(np.median(np.abs(h - np.median(h)))) * MAD_TO_SIGMA
        scale = max(_noise(h), spread) * np.sqrt(1.0 + 1.57 / k)
        short = n < 2 * (season or 7)
        return expected, scale, short
    seas = _seasonal(h, phases, p)
    y = h - seas[phases]
    # Seasonality that does not lower the spread is noise: drop it.
    if _noise(y) >= 0.9 * _noise(h):
        return forecast(h, phases, next_phase, None, params)[0:2] + (False,)
    level = float(np.median(y[-p:]))
    slope = (level - float(np.median(y[-2 * p:-p]))) / p
    expected = level + slope * (p + 1) / 2.0 + float(seas[next_phase])
    cycles = n // p
    # The in-sample seasonal fit absorbs part of the noise (1/cycles of it): undo that, then add the
    # uncertainty of the level and seasonal medians.
    scale = _noise(y) / np.sqrt(max(1.0 - 1.0 / cycles, 0.25)) * np.sqrt(1.0 + 1.57 / p + 1.57 / cycles)
    return expected, scale, False


def detect(values, *, season: int | str | None = "auto", params: DetectorParams | None = None,
           kind: str | None = None, denominators=None) -> pd.DataFrame:
    """Score every point of a regular series against its past.

    `values`: the series in time order (NaN = missing). `season`: a period, None (no seasonality) or 'auto'.
    `kind`: 'count' floors the noise at √expected (Poisson); 'ratio' with `denominators` floors it at
    √(p(1−p)/denominator) (binomial). Returns a frame aligned with `values`: expected, lower, upper, score
    ((observed − expected) / scale), is_anomaly; `attrs['season']` holds the period used.
    """
    params = params or DetectorParams()
    x = np.asarray(values, dtype=float)
    n = len(x)
    period = find_season(x, max_season=params.max_season) if season == "auto" else season
    window = max(params.window, 3 * (period or 0))
    dens = None if denominators is None else np.asarray(denominators, dtype=float)
    clean = x.copy()
    out = {c: np.full(n, np.nan) for c in OUTPUT_COLUMNS}
    out["is_anomaly"] = np.zeros(n, dtype=bool)
    run_sign, run_start = 0, 0
    deviation = np.full(n, np.nan)
    for t in range(n):
        valid = np.flatnonzero(~np.isnan(clean[:t]))[-window:]
        if len(valid) == 0:
            continue
        h = clean[valid]
        phases = valid % period if period else np.zeros(len(valid), dtype=int)
        if len(valid) < params.min_history:
            out["expected"][t] = float(np.median(h))
            continue
        expected, scale, short = forecast(h, phases, t % period if period else 0, period, params)
        scale = max(scale, params.relative_floor * abs(expected), 1e-12)
        if kind == "count":
            scale = max(scale, np.sqrt(max(expected, 1.0)))
        elif kind == "ratio" and dens is not None and dens[t] > 0:
            q = min(max(expected, 0.0), 1.0)
            scale = max(scale, np.sqrt(max(q * (1 - q), 1.0 / dens[t]) / dens[t]))
        threshold = params.threshold * (params.short_history_widen if short else 1.0)
        half = max(threshold * scale, params.min_relative_change * abs(expected))
        out["expected"][t], out["lower"][t], out["upper"][t] = expected, expected - half, expected + half
        if np.isnan(x[t]):
            continue
        out["score"][t] = (x[t] - expected) / scale
        deviation[t] = x[t] - expected
        flagged = abs(x[t] - expected) > half
        out["is_anomaly"][t] = flagged
        sign = int(np.sign(x[t] - expected)) if flagged else 0
        if sign and sign == run_sign:
            run = t - run_start + 1
        else:
            run_sign, run_start, run = sign, t, 1 if sign else 0
        if sign and run < params.shift_after:
            clean[t] = min(max(x[t], expected - half), expected + half)
        elif sign and run == params.shift_after:
            # A level shift: the new level is the norm; the past is re-levelled so the trend stays as it was.
            clean[:run_start] += float(np.median(deviation[run_start:t + 1]))
            clean[run_start:t + 1] = x[run_start:t + 1]
    frame = pd.DataFrame(out)
    frame.attrs["season"] = period
    return frame


def detect_frame(df: pd.DataFrame, *, time_col: str, value_col: str, season: int | str | None = "auto",
                 params: DetectorParams | None = None) -> pd.DataFrame:
    """`df` sorted by `time_col` with the detector's columns added (for CSV files and notebooks)."""
    ordered = df.sort_values(time_col, kind="stable").reset_index(drop=True)
    values = pd.to_numeric(ordered[value_col], errors="coerce")
    scored = detect(values.to_numpy(), season=season, params=params)
    return pd.concat([ordered, scored], axis=1)
