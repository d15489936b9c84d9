"""Seasonality of a series: which cycle it has, and its profile.

The candidate periods follow from the sampling step: a day and a week of points (7 for daily data, 24 and 168
for hourly, 288 and 2,016 for 5-minute data); without timestamps every lag from 2 to `max_season` is a
candidate. A candidate is kept when the series, detrended by a centred rolling median over one period, is
autocorrelated at that lag by at least `min_acf` and by two standard errors of that estimate (cycles that
repeat, not a trend, a random walk or a few noisy cycles), with two full cycles besides the half-cycles the
centred median loses; the strongest such candidate wins, the shortest among near-equals (a multiple of the
true period correlates too).

Profiles are robust (an STL-like split by medians): per phase, the median of the series over its centred
rolling median, as a difference (additive) or a ratio (multiplicative: the cycle scales with the level, as
counts do, so a level shift does not break it).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from creator_governance.models.monitoring import noise

DAY_SECONDS = 86_400.0
# Longest window rolling_median takes as numpy's median over every window (equal to pandas' rolling median; a
# zero's sign may differ).
SHORT_WINDOW = 32


def candidate_periods(step_seconds: float | None, max_season: int) -> list[int]:
    """Periods worth trying for a series sampled every `step_seconds` (None: 2..max_season)."""
    if not step_seconds or step_seconds <= 0:
        return list(range(2, max_season + 1))
    out = []
    for span in (DAY_SECONDS, 7 * DAY_SECONDS):
        points = span / step_seconds
        if points >= 2 and abs(points - round(points)) < 0.01 * points:
            out.append(int(round(points)))
    return out


def rolling_median(h: np.ndarray, p: int) -> np.ndarray:
    """Centred rolling median over p points (NaN for a window holding a NaN or an infinity); NaN at the ends where
    the window does not fit."""
    h = np.asarray(h, dtype=float)
    if len(h) < p:
        return np.full(len(h), np.nan)
    if p <= SHORT_WINDOW:
        # a week of days: one numpy call over the windows, without a pandas Series per call; pandas counts an
        # infinity as missing, so a window holding one is NaN here too
        windows = np.lib.stride_tricks.sliding_window_view(np.where(np.isinf(h), np.nan, h), p)
        inner = np.median(windows, axis=1)
    else:
        # a day or a week of 5-minute points: pandas' sorted window, not a copy of every window
        inner = pd.Series(h).rolling(p).median().to_numpy()[p - 1:]
    half = p // 2
    return np.concatenate([np.full(half, np.nan), inner, np.full(len(h) - len(inner) - half, np.nan)])


def _acf(r: np.ndarray, lag: int) -> float:
    med = noise.median(r)
    mad = noise.median(np.abs(r - med)) * 1.4826 or np.std(r) or 1.0
    r = np.clip(r, med - 4 * mad, med + 4 * mad)
    r = r - noise.mean(r)
    denom = float(np.dot(r, r))
    if denom == 0.0:
        return 0.0
    return float(np.dot(r[:-lag], r[lag:])) / denom * len(r) / (len(r) - lag)


def min_cycles(p: int) -> float:
    """Cycles of history a period needs: two whole ones besides the half-cycles the centred median loses."""
    return 3.0 if p >= 3 else 2.0


def find_season(values, candidates: list[int], *, min_acf: float = 0.3) -> int | None:
    """The candidate period the series repeats with (see the module docstring), or None."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    scores = {}
    for p in candidates:
        if len(x) < min_cycles(p) * p or p < 2:
            continue
        r = x - rolling_median(x, p) if p >= 3 else np.diff(x)
        r = r[np.isfinite(r)]
        if len(r) <= p + 2:
            continue
        # Beyond two standard errors of an autocorrelation from that many pairs, so a few noisy cycles
        # do not make a season.
        scores[p] = (_acf(r, p), 2.0 / math.sqrt(len(r) - p))
    good = {p: a for p, (a, se3) in scores.items() if a >= max(min_acf, se3)}
    if not good:
        return None
    best = max(good.values())
    return min(p for p, a in good.items() if a >= 0.9 * best)


def profile(h: np.ndarray, phases: np.ndarray, p: int, *, multiplicative: bool) -> np.ndarray:
    """Seasonal index per phase (length p): mean 0 (additive) or mean 1 (multiplicative)."""
    trend = rolling_median(h, p)
    if multiplicative:
        with np.errstate(divide="ignore", invalid="ignore"):
            detrended = np.where(trend > 0, h / trend, np.nan)
    else:
        detrended = h - trend
    cycles = -(-len(h) // p)
    table = np.full(cycles * p, np.nan)
    table[: len(h)] = detrended
    by_phase = np.full(p, np.nan)
    # Row r, column k of the table holds position r·p + k of h; its phase is phases[0] + k (mod p).
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            medians = np.nanmedian(table.reshape(cycles, p), axis=0)
    by_phase[(phases[0] + np.arange(p)) % p] = medians
    if multiplicative:
        by_phase = np.nan_to_num(by_phase, nan=1.0)
        by_phase = np.clip(by_phase, 0.05, 20.0)
        return by_phase / by_phase.mean()
    by_phase = np.nan_to_num(by_phase)
    return by_phase - by_phase.mean()
