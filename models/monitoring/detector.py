"""The metric anomaly detector: one series, each point scored against its own past (pandas/numpy, no Spark).

For point t, with history h (the last `window` valid points, or three cycles when longer; past flagged points
enter it clipped to their band):

- **Seasonality** (models/monitoring/season.py): a day or a week of points (from the sampling step), or any lag
  up to `max_season` without timestamps; kept when the detrended series repeats at that lag (autocorrelation
  ≥ `min_acf`) over two full cycles. Counts are multiplicative (the cycle scales with the level), other kinds
  additive. Season and quantisation step are re-estimated every quarter cycle.
- **Forecast**: level = median of the last k deseasonalised points (k = the period, or `level_window`
  without one), trend = (level − median of the k before) / k, extrapolated to t: the trend moves the forecast
  and never the noise scale.
- **Noise** (models/monitoring/noise.py): counts negative binomial, ratios binomial with over-dispersion,
  values a robust scale of the past forecast errors floored at the quantisation step. The score is the
  normal-equivalent z of the observation's tail probability; a point is outside when |z| > threshold (a
  Student-t equivalent while the history is short) and its move exceeds `min_relative_change` · |expected|.
  It is alertable when the volume is testable: counts with max(observed, expected) ≥ `min_count`, ratios
  with a denominator ≥ `min_denominator`.
- **Incidents**: an alertable outside point with no open incident opens one (status `new`); later points are
  `continuing` until the series has been back in its band for `resolve_after` points (or the larger share
  `resolve_season_share` of a cycle), and the point that closes it is marked `resolved`.
- **Level shifts**: after `shift_after` consecutive outside points in one direction the move is the new level
  (earlier history re-levelled by the run's median deviation, or ratio for counts). The old level is
  remembered for `window` points: a return to it is the end of the same incident, not a new alert.

`detect` returns, aligned with the input: expected, lower, upper (non-negative for non-negative kinds and
series), score, is_anomaly, status ('new' / 'continuing' / ''), incident_start (position of the point that
opened the incident, -1 outside one) and resolved; `attrs['season']` is the last period used.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
from scipy import special, stats

from creator_governance.models.monitoring import noise
from creator_governance.models.monitoring.season import candidate_periods, find_season, min_cycles, profile

OUTPUT_COLUMNS = ("expected", "lower", "upper", "score", "is_anomaly")
# Errors of past points needed before the noise scale is taken from them.
MIN_ERRORS = 7
# Below this many forecast errors, the history's own spread fills the noise estimate up to it.
POOLED_ERRORS = 21


@functools.lru_cache(maxsize=4096)
def _t_equivalent(z: float, df: int) -> float:
    """The Student-t quantile with `df` degrees of freedom that has the tail of a normal z."""
    return float(stats.t.isf(special.ndtr(-z), max(df, 1)))


def _trend(y: np.ndarray, m: int, min_points: int) -> float:
    """Slope per point between the medians of the last two spans of m points, when it is beyond three standard
    errors of that difference (else 0: noise is not extrapolated)."""
    if m < min_points:
        return 0.0
    recent, before = noise.median(y[-m:]), noise.median(y[-2 * m:-m])
    noise_sd = noise.robust_sigma(np.diff(y[-2 * m:])) / math.sqrt(2.0)
    if abs(recent - before) <= 3.0 * 1.25 * noise_sd * math.sqrt(2.0 / m):
        return 0.0
    return (recent - before) / m


def _threshold(z: float, df: int, estimated_share: float) -> float:
    """The threshold when a share of the noise variance is estimated from `df` errors: the Student-t
    equivalent with Satterthwaite's effective degrees of freedom df / share² (a known Poisson or binomial part
    has no estimation doubt)."""
    if estimated_share <= 0.0:
        return z
    return _t_equivalent(z, max(1, min(10_000, int(df / estimated_share ** 2))))


class _Series:
    """Scoring state of one series (history, errors, incident, remembered level)."""

    def __init__(self, x: np.ndarray, kind: str, dens: np.ndarray | None, params, season, step_seconds,
                 parts: dict | None = None, reference: np.ndarray | None = None, tests: int = 1):
        self.x, self.kind, self.dens, self.p = x, kind, dens, params
        # The base threshold: `threshold`, raised for the sibling series tested with this one.
        self.z0 = noise.family_threshold(params.threshold, tests)
        self.sustained_threshold = params.threshold
        # The series' total (same points), whose cycle a count too small to show its own borrows.
        self.reference = reference
        # A share's two count processes (numerator and the rest of the denominator), forecast on their own:
        # arrays total, mu_num, phi_num, mu_rest, phi_rest (models/monitoring/noise.py: share_given_total).
        self.parts = parts
        self.point_forecast = 0.0
        self.clean = x.copy()
        self.vpos = np.zeros(len(x), dtype=np.int64)
        self.nv = 0
        self.err, self.err_mu, self.err_den = (np.zeros(len(x)) for _ in range(3))
        self.err_given_total = np.zeros(len(x), dtype=bool)
        self.ne = 0
        # Errors made under an earlier model (before the season was found or dropped) are not used.
        self.err_from = 0
        fixed = season if isinstance(season, int) else None
        self.cands = [fixed] if fixed else candidate_periods(step_seconds, params.max_season)
        self.auto = season == "auto"
        fits = [c for c in self.cands if 2 * c <= len(x)] or [0]
        # Season search looks back three of the longest cycles; forecasts and errors use `window` or three
        # of the cycle found.
        self.lookback = max(params.window, 3 * max(fits))
        self.window = params.window
        self.refit_every = max(1, min(self.cands) // 4) if self.cands else 1
        # A cycle is looked for as soon as two of it fit in the history.
        self.first_fits = {math.ceil(min_cycles(c) * c) for c in self.cands if c}
        self.period, self.seas, self.step, self.next_refit = None, None, 0.0, 0
        # Position of the last accepted level shift: the level is estimated from points since then.
        self.since = 0
        self.level_cache = None
        finite = x[np.isfinite(x)]
        self.nonneg = kind in ("count", "ratio") or not len(finite) or bool(finite.min() >= 0)
        self.multiplicative = kind == "count"

    # -- forecast -------------------------------------------------------------------------------------------
    def history(self, points: int) -> np.ndarray:
        return self.vpos[max(0, self.nv - points):self.nv]

    def add_valid(self, t: int) -> None:
        self.vpos[self.nv] = t
        self.nv += 1

    def add_error(self, error: float, mu: float, den: float, given_total: bool = False) -> None:
        self.err[self.ne], self.err_mu[self.ne], self.err_den[self.ne] = error, mu, den
        self.err_given_total[self.ne] = given_total
        self.ne += 1

    def errors(self, given_total: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The latest `window` forecast errors (with their expected values and trials); `given_total`: only
        those of a share scored given its day's total."""
        lo = max(self.err_from, self.ne - self.window)
        keep = self.err_given_total[lo:self.ne] if given_total else slice(None)
        return self.err[lo:self.ne][keep], self.err_mu[lo:self.ne][keep], self.err_den[lo:self.ne][keep]

    def refit(self, t: int) -> None:
        self.level_cache = None
        hist = self.history(self.lookback)
        h = self.clean[hist]
        self.step = noise.quantisation_step(self.x[hist])
        before = self.period
        seas_of = h
        if self.auto:
            self.period = find_season(h, self.cands, min_acf=self.p.min_acf)
            if self.period is None and self.reference is not None and self.multiplicative:
                # Too few events to see a cycle: the total's cycle, when it has one, scales this slice too.
                ref = self.reference[hist]
                if np.isfinite(ref).all():
                    self.period = find_season(ref, self.cands, min_acf=self.p.min_acf)
                    seas_of = ref
        else:
            fixed = self.cands[0] if self.cands and self.cands[0] else None
            self.period = fixed if fixed and len(h) >= min_cycles(fixed) * fixed else None
        if self.period != before:
            self.err_from = self.ne
        if self.period and len(h) >= min_cycles(self.period) * self.period:
            self.seas = profile(seas_of, hist % self.period, self.period, multiplicative=self.multiplicative)
            self.window = max(self.p.window, self.period)
        else:
            self.period, self.seas, self.window = None, None, self.p.window
        self.next_refit = t + max(self.refit_every, (self.period or 0) // 4)

    def forecast(self, t: int, hist: np.ndarray) -> float:
        h = self.clean[hist]
        if self.seas is not None:
            factors = self.seas[hist % self.period]
            y = h / factors if self.multiplicative else h - factors
            k = self.period
        else:
            y, k = h, min(self.p.level_window, len(h))
        self.deseasonalised = y
        after = int(np.searchsorted(hist, self.since))
        fresh = len(hist) - after
        span = min(k, fresh)
        cached = self.level_cache
        if cached is not None and cached[0] <= t < cached[1] and cached[2] == self.since:
            # A long level (a cycle of hundreds of points) barely moves point to point: reused for k/32 points.
            level, slope = cached[3] + cached[4] * (t - cached[0]), cached[4]
        else:
            level = noise.median(y[-span:])
            # Trend from the medians of the last two spans of m points (m ≤ k, within the current level).
            slope = _trend(y, min(k, fresh // 2), max(4, (self.period or self.p.level_window) // 2))
            self.level_cache = (t, t + span // 32, self.since, level, slope) if span >= 64 else None
        self.level_points = span
        base = level + slope * (span + 1) / 2.0
        if self.seas is not None:
            s = float(self.seas[t % self.period])
            base = base * s if self.multiplicative else base + s
        self.point_forecast = max(base, 0.0) if self.nonneg else base
        return self.point_forecast

    # -- noise ----------------------------------------------------------------------------------------------
    def thresholds(self, df: int, estimated_share: float) -> float:
        """The point's threshold (the family's, `z0`), given the noise's estimation doubt; sets
        `sustained_threshold`, the same at the series' own `threshold`: a move held over consecutive points is
        judged as on a single series (the sibling correction guards against one-day excursions of some slice)."""
        self.sustained_threshold = _threshold(self.p.threshold, df, estimated_share)
        return _threshold(self.z0, df, estimated_share)

    def surprise(self, t: int, xt: float, expected: float, hist: np.ndarray) -> tuple[float, float, float, dict]:
        """(z, threshold, sigma for clipping, band parameters) of value xt at t given `expected`."""
        p = self.p
        errs, err_mu, err_den = self.errors()
        enough = len(errs) >= MIN_ERRORS
        k = self.period or min(p.level_window, len(hist))
        if len(errs) < POOLED_ERRORS:
            # Few forecast errors yet: the history's spread around its (deseasonalised) median makes up the
            # rest (it includes any cycle not modelled yet), inflated below for the uncertainty of the level.
            y = self.deseasonalised
            centre = noise.median(y)
            need = POOLED_ERRORS - len(errs)
            pseudo = (y - centre)[-need:]
            pseudo_mu = np.full(len(pseudo), max(expected, 0.0) if self.kind == "count" else centre)
            pseudo_den = self.dens[hist][-need:] if self.dens is not None else np.full(len(pseudo), np.nan)
            errs = np.concatenate([errs, pseudo])
            err_mu = np.concatenate([err_mu, pseudo_mu])
            err_den = np.concatenate([err_den, pseudo_den])
        widen = 1.0 if enough else 1.0 + 1.57 / k
        if self.kind == "count":
            mu = max(expected, 0.5 / len(hist))
            phi = noise.count_dispersion(errs, err_mu)
            # Where the noise is mostly estimated over-dispersion, its estimate's own doubt (df) counts.
            threshold = self.thresholds(len(errs) - 1, phi * mu * mu / (mu + phi * mu * mu))
            # Uncertainty of the level: a gamma posterior over the rate of the last points gives a negative
            # binomial prediction with shape = events seen + ½.
            phi = phi + (0.0 if enough else 1.0 / (mu * self.level_points + 0.5))
            z = noise.count_score(xt, mu, phi) if np.isfinite(xt) else np.nan
            return z, threshold, math.sqrt(mu + phi * mu * mu), {"mu": mu, "phi": phi}
        if self.kind == "ratio" and self.parts is not None and np.isfinite(self.parts["mu_num"][t]) \
                and np.isfinite(self.parts["mu_rest"][t]) and self.parts["total"][t] > 0:
            pt = self.parts
            total = float(pt["total"][t])
            # The parts' own forecasts split the volume; a level other than this point's forecast (the level
            # before a shift, when testing a return to it) scales the numerator's part.
            m_num, volume = pt["mu_num"][t], pt["mu_num"][t] + pt["mu_rest"][t]
            if self.point_forecast > 0 and expected != self.point_forecast:
                m_num = min(m_num * max(expected, 0.0) / self.point_forecast, volume)
            cond, sd, poisson_share = noise.share_given_total(m_num, volume - m_num, total, pt["phi_num"][t],
                                                              pt["phi_rest"][t])
            # What the two counts' own noise leaves of the share's past errors is the rate's own variation (τ²,
            # with the past points' variances given their totals as the base).
            tau2 = noise.ratio_tau2(*self.errors(given_total=True))
            var_r = sd * sd + tau2
            estimated = 1.0 - poisson_share * sd * sd / var_r if var_r > 0 else 0.0
            threshold = self.thresholds(min(max(len(errs) - 1, 1), p.ratio_tail_df), estimated)
            sigma = max(math.sqrt(var_r * widen), p.relative_floor * abs(cond), 1e-12)
            cc = 0.5 / total
            mean, var = cond * total, (sigma * total) ** 2
            if not np.isfinite(xt):
                z = np.nan
            elif var > mean > 0:
                # Over-dispersed beyond Poisson: the exact tail of a negative binomial with that mean and
                # variance (a normal tail is far too light for a few dozen items).
                z = noise.count_score(xt * total, mean, (var - mean) / (mean * mean))
            else:
                z = np.sign(xt - cond) * max(0.0, abs(xt - cond) - cc) / sigma
            # The trials whose binomial variance is the share's given its total (for later points' τ²).
            trials = cond * (1.0 - cond) / (sd * sd) if sd > 0 and 0.0 < cond < 1.0 else total
            return z, threshold, sigma, {"sigma": sigma, "cc": cc, "expected": cond, "trials": trials}
        if self.kind == "ratio":
            n = self.dens[t] if self.dens is not None and np.isfinite(self.dens[t]) else 0.0
            # An all-zero past still leaves half an event of doubt (Jeffreys), spread over its volume.
            volume = float(np.nansum(self.dens[hist])) if self.dens is not None else 0.0
            q = max(expected, 0.5 / volume) if volume > 0 else expected
            tau2 = noise.ratio_tau2(errs, err_mu, err_den)
            base = noise.ratio_variance(q, n, 0.0)
            # The rate's own day-to-day variation (τ²) comes from bursty sources (a botnet bursting or falling
            # quiet): heavy-tailed, so its part of the noise counts with at most `ratio_tail_df` degrees of freedom.
            share = tau2 / (base + tau2) if base + tau2 > 0 else 0.0
            threshold = self.thresholds(min(len(errs) - 1, p.ratio_tail_df), share)
            var = (base + tau2) * widen
            sigma = max(math.sqrt(var), p.relative_floor * abs(expected), 1e-12)
            cc = 0.5 / max(n, 1.0)
            z = np.sign(xt - expected) * max(0.0, abs(xt - expected) - cc) / sigma if np.isfinite(xt) else np.nan
            return z, threshold, sigma, {"sigma": sigma, "cc": cc}
        sigma, df = noise.robust_sigma(errs) * math.sqrt(widen), max(len(errs) - 1, 1)
        sigma = max(sigma, self.step, p.relative_floor * abs(expected), 1e-12)
        threshold = self.thresholds(df, 1.0)
        z = (xt - expected) / sigma if np.isfinite(xt) else np.nan
        return z, threshold, sigma, {"sigma": sigma, "cc": 0.0}

    def alertable(self, t: int, xt: float, expected: float, hist: np.ndarray) -> bool:
        """Enough volume to test: the point's, and for ratios the history's typical denominator too."""
        if self.kind == "count":
            return max(xt, expected) >= self.p.min_count
        if self.kind == "ratio":
            if self.dens is None or not np.isfinite(self.dens[t]):
                return False
            typical = float(np.nanmedian(self.dens[hist])) if len(hist) else 0.0
            events = max(xt, expected) * self.dens[t]
            return min(self.dens[t], typical) >= self.p.min_denominator and events >= self.p.min_count
        return True


def detect(values, *, params, kind: str = "value", denominators=None, step_seconds: float | None = None,
           season: int | str | None = "auto", parts=None, reference=None, tests: int = 1) -> pd.DataFrame:
    """Score every point of a series in time order (NaN = missing) against its past; see the module docstring.

    `params`: the `alerts.detector` settings section (any object with its attributes). `kind`: count, ratio
    (with `denominators`: the trials of each point) or value. `step_seconds`: the sampling step (None = no
    calendar: lags up to `max_season` are tried). `season`: 'auto', a period in points, or None. `parts`: for a
    share (a ratio whose numerator counts part of its denominator), the raw (numerators, denominators) counts:
    the numerator and the rest of the denominator are forecast as two count series and the share is scored
    given the day's total (noise.share_given_total). `reference`: the same metric's total at the same points (a
    count's values, or a share's (numerators, denominators) like `parts`): with season 'auto', a count whose own
    cycle does not show (too few events) borrows the total's cycle, as a multiplicative profile. `tests`: how
    many sibling series are tested with this one (the slices of one dimension): the threshold is raised so the
    family alerts by chance as often as one series (noise.family_threshold).
    """
    return _scan(values, params=params, kind=kind, denominators=denominators, step_seconds=step_seconds,
                 season=season, parts=parts, reference=reference, tests=tests)[0]


def _scan(values, *, params, kind, denominators, step_seconds, season, parts, reference=None, tests=1
          ) -> tuple[pd.DataFrame, dict]:
    """`detect`'s frame and its per-point internals (mu, phi: a count series' negative-binomial mean and
    over-dispersion, NaN before it is scored)."""
    if kind not in noise.KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(noise.KINDS)}")
    x = np.asarray(values, dtype=float)
    n = len(x)
    dens = None if denominators is None else np.asarray(denominators, dtype=float)
    if kind == "ratio" and dens is None:
        kind = "value"
    shares = kind == "ratio" and parts is not None
    s = _Series(x, kind, dens, params, season, step_seconds,
                _share_parts(parts, params, step_seconds, season, reference) if shares else None,
                np.asarray(reference, dtype=float) if kind == "count" and reference is not None else None, tests)
    out = {c: np.full(n, np.nan) for c in ("expected", "score", "sigma", "threshold", "cc", "mu", "phi")}
    flags = np.zeros(n, dtype=bool)
    status = np.full(n, "", dtype=object)
    start_of = np.full(n, -1, dtype=int)
    resolved = np.zeros(n, dtype=bool)
    resolve_after = params.resolve_after
    incident, last_incident, in_band, incident_sign = -1, -1, 0, 0
    run_sign, run_start = 0, 0
    memory = None  # (mode, amount, expires): the level before an accepted shift
    dev = np.full(n, np.nan)
    for t in range(n):
        if s.nv < params.min_history:
            if s.nv:
                out["expected"][t] = noise.median(s.clean[s.history(s.nv)])
            if np.isfinite(x[t]):
                s.add_valid(t)
            continue
        if t >= s.next_refit or s.nv in s.first_fits:
            s.refit(t)
            resolve_after = max(params.resolve_after, math.ceil(params.resolve_season_share * (s.period or 0)))
        hist = s.history(max(s.window, 2 * (s.period or 0)))
        expected = s.forecast(t, hist)
        xt = x[t]
        z, threshold, sigma, band = s.surprise(t, xt, expected, hist)
        # A share scored given the day's total has its expectation given that total.
        expected = band.pop("expected", expected)
        given_total = "trials" in band
        trials = band.pop("trials", dens[t] if dens is not None else np.nan)
        out["expected"][t], out["threshold"][t] = expected, threshold
        for key, value in band.items():
            out[key][t] = value
        if not np.isfinite(xt):
            if incident >= 0:
                status[t], start_of[t] = "continuing", incident
            continue
        s.add_valid(t)
        out["score"][t] = z
        dev[t] = xt - expected
        moved = abs(z) > threshold or _sustained(out["score"], t, s.sustained_threshold, params.sustained_points)
        outside = moved and abs(xt - expected) > params.min_relative_change * abs(expected)
        if outside and params.novelty_episodes and _episodes(dev[max(0, t - s.lookback):t], xt - expected) \
                >= params.novelty_episodes:
            # The series has made moves this large, this way, several separate times lately: its normal.
            outside = False
        half = threshold * sigma
        clipped = min(max(xt, expected - half), expected + half)
        if memory is not None and t > memory[2]:
            memory = None
        if memory is not None and abs(z) > 1.0:
            mode, amount, _ = memory
            old = expected / amount if mode == "mult" else expected - amount
            z_old = s.surprise(t, xt, max(old, 0.0) if s.nonneg else old, hist)[0]
            if abs(z_old) <= min(threshold, abs(z)):
                # Back to the level before the shift: the same incident ending, not a new one. The points
                # at the shifted level are kept at the old one, as an incident's points are.
                _undo_shift(s, t, mode, amount)
                memory, outside = None, False
                incident = incident if incident >= 0 else last_incident
                in_band = 0
        sign = int(np.sign(xt - expected)) if outside else 0
        if sign and sign == run_sign:
            run = t - run_start + 1
        else:
            run_sign, run_start, run = sign, t, 1 if sign else 0
        if outside:
            flags[t] = s.alertable(t, xt, expected, hist)
            if incident >= 0 and flags[t] and in_band and sign != incident_sign:
                # Back in the band, then out the other way: a new move, not the same incident (a rise, then a
                # lull). The last point in the band closes the old incident.
                status[t - 1], resolved[t - 1] = "", True
                last_incident, incident = incident, -1
            if incident < 0 and flags[t]:
                incident, in_band, incident_sign = t, 0, sign
                status[t] = "new"
            elif incident >= 0:
                status[t], in_band = "continuing", 0
            s.clean[t] = clipped
            if run >= params.shift_after:
                memory = _accept_shift(s, t, run_start, dev, x, out["expected"])
                run_sign, run = 0, 0
        else:
            s.clean[t] = xt
            if incident >= 0:
                in_band += 1
                if in_band >= resolve_after:
                    resolved[t] = True
                    start_of[t] = incident
                    last_incident, incident = incident, -1
                else:
                    status[t] = "continuing"
        if incident >= 0 and status[t]:
            start_of[t] = incident
        if not outside:
            # Only points inside the band teach the noise: an incident's clipped errors would widen every
            # later band and hide the next incident.
            s.add_error(xt - expected, expected, trials, given_total)
    return _finish(out, flags, status, start_of, resolved, s), out


def _share_parts(parts, params, step_seconds, season, reference=None) -> dict | None:
    """The two count processes of a share, each forecast on its own past by this detector: the numerator and
    the rest of the denominator (their expected counts and over-dispersions per point); None when the
    numerator is not part of the denominator (a rate such as reports per account). Amounts (GMV shares) are
    treated as counts: their over-dispersion, not the Poisson part, carries their noise. `reference`: the
    total's (numerators, denominators), whose two parts lend their cycles."""
    num, den = (np.asarray(a, dtype=float) for a in parts)
    ok = np.isfinite(num) & np.isfinite(den)
    if not ok.any() or (num[ok] < 0).any() or (num[ok] > den[ok] + 1e-9).any():
        return None
    # A day without the slice's row (a slice of a share with no trials that day: no hits, no items) holds no
    # events of either part; the parts are counts, and a count's missing day is 0 (models/monitoring/series.py).
    num, den = np.where(ok, num, 0.0), np.where(ok, den, 0.0)
    refs = {"num": None, "rest": None}
    if reference is not None:
        ref_num, ref_den = (np.asarray(a, dtype=float) for a in reference)
        refs = {"num": ref_num, "rest": ref_den - ref_num}
    fits = {}
    for name, series in (("num", num), ("rest", den - num)):
        out = _scan(series, params=params, kind="count", denominators=None, step_seconds=step_seconds,
                    season=season, parts=None, reference=refs[name])[1]
        fits[f"mu_{name}"], fits[f"phi_{name}"] = out["mu"], out["phi"]
    return {"total": den, **fits}


def _sustained(scores: np.ndarray, t: int, threshold: float, points: int) -> bool:
    """A move over the last w ≤ `points` points (w ≥ 2), each at least half the threshold the same way, whose
    combined score Σz/√w is beyond the threshold: evidence that accumulates (a drop on two days running)."""
    for w in range(2, points + 1):
        zs = scores[max(0, t - w + 1):t + 1]
        if len(zs) < w or not np.isfinite(zs).all():
            return False
        if not ((zs >= threshold / 2).all() or (zs <= -threshold / 2).all()):
            return False
        if abs(zs.sum()) / math.sqrt(w) > threshold:
            return True
    return False


def _episodes(past: np.ndarray, move: float) -> int:
    """How many separate runs of past deviations reached `move` (same direction, at least as large)."""
    reached = np.nan_to_num(past * np.sign(move)) >= abs(move)
    if not reached.any():
        return 0
    return int(reached[0]) + int(np.count_nonzero(reached[1:] & ~reached[:-1]))


def _undo_shift(s: _Series, t: int, mode: str, amount: float) -> None:
    """The series went back to the level before the last shift: the shifted points rejoin the old level."""
    idx = s.history(s.nv)
    idx = idx[(idx >= s.since) & (idx < t)]
    s.clean[idx] = s.clean[idx] / amount if mode == "mult" else s.clean[idx] - amount
    s.since = 0


def _accept_shift(s: _Series, t: int, run_start: int, dev: np.ndarray, x: np.ndarray, expected: np.ndarray):
    """The run [run_start, t] is a new level: the level is estimated from it on; returns the memory of the
    old level (mode, amount, until when)."""
    run = np.arange(run_start, t + 1)
    exp = expected[run]
    ratio = noise.median(x[run] / exp) if np.all(exp > 0) else 0.0
    if s.multiplicative and ratio > 0:
        mode, amount = "mult", ratio
    else:
        mode, amount = "add", noise.median(dev[run])
    s.clean[run] = x[run]
    s.since = run_start
    return mode, amount, t + s.window


def _finish(out: dict, flags, status, start_of, resolved, s: _Series) -> pd.DataFrame:
    expected, threshold = out["expected"], out["threshold"]
    if s.kind == "count":
        scored = np.isfinite(out["mu"])
        lower, upper = np.full(len(expected), np.nan), np.full(len(expected), np.nan)
        if scored.any():
            lo, hi = _count_band_at(out["mu"][scored], out["phi"][scored], threshold[scored])
            lower[scored], upper[scored] = lo, hi
    else:
        half = threshold * out["sigma"] + np.nan_to_num(out["cc"])
        lower, upper = expected - half, expected + half
    with np.errstate(invalid="ignore"):
        floor = s.p.min_relative_change * np.abs(expected)
        lower = np.minimum(lower, expected - floor)
        upper = np.maximum(upper, expected + floor)
    if s.nonneg:
        lower = np.maximum(lower, 0.0)
    frame = pd.DataFrame({
        "expected": expected, "lower": lower, "upper": upper, "score": out["score"], "is_anomaly": flags,
        "status": status.astype(str), "incident_start": start_of, "resolved": resolved,
    })
    frame.attrs["season"] = s.period
    return frame


def _count_band_at(mu: np.ndarray, phi: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.empty(len(mu)), np.empty(len(mu))
    for value in np.unique(z):
        m = z == value
        lo[m], hi[m] = noise.count_band(mu[m], phi[m], float(value))
    return lo, hi
