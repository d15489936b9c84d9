"""Noise models of the detector: how surprising an observation is, given its forecast, per kind of series.

Every kind turns (observed, expected, the series' own past forecast errors) into a normal-equivalent score
z (the standard normal quantile of the observation's tail probability, signed by the direction of the move),
so one threshold means the same surprise for every kind:

- `count` (events per point): negative binomial with mean = expected and variance μ + φμ², the
  over-dispersion φ ≥ 0 = the mean square of past in-band errors beyond the Poisson part, counted where it
  exceeds two standard errors (else φ = 0: Poisson). Heavy tails (bursty abuse) stay in it. Tail probabilities are
  exact (regularised incomplete beta / gamma functions), so a mostly-zero series is scored as counts, not as a
  Gaussian with a collapsed spread. The mean is floored at 0.5 / (points of history) so an all-zero past still
  gives a finite surprise.
- `ratio` (numerator / denominator, with the day's denominator n): binomial variance q(1 − q)/n (q/n for rates
  above 1) plus a between-point variance τ² of the true rate (beta-binomial-like over-dispersion), estimated
  from the past errors; a normal tail with a 0.5/n continuity correction.
- `value` (anything else): a robust scale of the past forecast errors, floored at the series' quantisation
  step (the smallest change it makes) and at `relative_floor` · |expected|; a normal tail.

Scales of past errors are the larger of 1.4826 · MAD and √(π/2) · mean absolute deviation: the MAD alone
collapses on series that mostly repeat a value (many equal errors, a few large ones).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

MAD_TO_SIGMA = 1.4826
MEAN_ABS_TO_SIGMA = math.sqrt(math.pi / 2.0)
KINDS = ("count", "ratio", "value")


def median(values: np.ndarray) -> float:
    """`np.median` of a 1-D float array (NaN when it holds a NaN or nothing), without its dispatch cost: the
    detector takes a few hundred thousand medians of a few dozen points per run, where that cost is most of the
    time. Same value to the bit (a NaN's sign aside): the middle element, or the mean of the middle two as
    (a + b) / 2, each plus 0.0 as numpy's mean adds them to its identity (a median of negative zeros is +0.0)."""
    n = len(values)
    if n == 0:
        return math.nan
    s = np.sort(values)
    if s[-1] != s[-1]:  # NaN sorts last
        return math.nan
    m = n // 2
    return float(s[m] + 0.0) if n % 2 else float((s[m - 1] + s[m] + 0.0) / 2.0)


def mean(values: np.ndarray) -> float:
    """`np.mean` of a non-empty 1-D float array (the same pairwise sum over n), without its dispatch cost."""
    return float(np.add.reduce(values) / len(values))


def robust_sigma(errors: np.ndarray) -> float:
    """A noise sigma of errors: the larger of the MAD and the mean-absolute-deviation estimates."""
    if len(errors) < 2:
        return 0.0
    med = median(errors)
    dev = np.abs(errors - med)
    return max(median(dev) * MAD_TO_SIGMA, mean(dev) * MEAN_ABS_TO_SIGMA)


def quantisation_step(values: np.ndarray) -> float:
    """The smallest positive change between distinct values of a series (0 when it has fewer than two)."""
    distinct = np.unique(values[np.isfinite(values)])
    if len(distinct) < 2:
        return 0.0
    gaps = np.diff(distinct)
    # Float noise below a millionth of the range is not a step.
    gaps = gaps[gaps > 1e-6 * (distinct[-1] - distinct[0])]
    return float(gaps.min()) if len(gaps) else 0.0


def z_of_tails(upper_tail: float, lower_tail: float, up: bool) -> float:
    """Signed normal-equivalent score from P(X ≥ x) (moves up) or P(X ≤ x) (moves down)."""
    if up:
        return max(0.0, -float(special.ndtri(min(max(upper_tail, 1e-300), 1.0))))
    return min(0.0, float(special.ndtri(min(max(lower_tail, 1e-300), 1.0))))


def family_threshold(z: float, tests: int) -> float:
    """The threshold that gives one of `tests` sibling series the tail of `z` divided by `tests` (Bonferroni):
    a family of K slices then alerts by chance as often as one series at `z`."""
    if tests <= 1:
        return z
    return -float(special.ndtri(special.ndtr(-z) / tests))


def count_dispersion(errors: np.ndarray, means: np.ndarray) -> float:
    """Over-dispersion φ of a count series: the variance of past errors beyond the Poisson part, counted only
    where it exceeds two standard errors of a variance estimate from that many points (else 0: Poisson)."""
    ok = means > 0
    n = int(ok.sum())
    if n < 3:
        return 0.0
    mu = mean(means[ok])
    excess = mean(errors[ok] ** 2) - mu - 2.0 * mu * math.sqrt(2.0 / (n - 1))
    return max(0.0, excess / mean(means[ok] ** 2))


def count_score(x: float, mu: float, phi: float) -> float:
    """Normal-equivalent score of count x under a negative binomial (mean mu, variance mu + phi·mu²)."""
    k = round(x)
    if k == mu:
        return 0.0
    up = k > mu
    if phi <= 1e-9:
        upper = float(special.gammainc(k, mu)) if k >= 1 else 1.0
        lower = float(special.gammaincc(k + 1, mu)) if k >= 0 else 0.0
    else:
        r = 1.0 / phi
        p = r / (r + mu)
        upper = float(special.betainc(k, r, 1.0 - p)) if k >= 1 else 1.0
        lower = float(special.betainc(r, k + 1, p)) if k >= 0 else 0.0
    return z_of_tails(upper, lower, up)


def count_band(mu: np.ndarray, phi: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest counts that score within ±z (vectorised negative-binomial quantiles)."""
    from scipy import stats

    tail = float(special.ndtr(-z))
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-12)
    phi = np.asarray(phi, dtype=float)
    poisson = phi <= 1e-9
    r = np.where(poisson, 1.0, 1.0 / np.maximum(phi, 1e-9))
    p = r / (r + mu)
    lo = np.where(poisson, stats.poisson.ppf(tail, mu), stats.nbinom.ppf(tail, r, p))
    hi = np.where(poisson, stats.poisson.isf(tail, mu), stats.nbinom.isf(tail, r, p))
    return np.maximum(lo, 0.0), hi


def ratio_variance(q, n, tau2: float):
    """Variance of an observed ratio around q with denominator n: binomial (or Poisson-rate) plus τ². q and n may
    be arrays (a variance per point)."""
    q = np.maximum(q, 0.0)
    base = np.where(q < 1.0, q * (1.0 - q), q)
    return base / np.maximum(n, 1.0) + tau2


def share_given_total(m_num: float, m_rest: float, total: float, phi_num: float, phi_rest: float
                      ) -> tuple[float, float, float]:
    """A share's expectation and standard deviation given the day's total, from its two count processes.

    The numerator N and the rest M = total − N are independent counts with expected values m_num and m_rest
    (each forecast on its own past) and variances V = m + φ·m² (negative binomial). Given their sum, N is
    (normal approximation) E[N | total] = m_num + w·(total − m_num − m_rest) with w = V_N / (V_N + V_M),
    variance V_N·V_M / (V_N + V_M). Both Poisson: w = q = m_num / (m_num + m_rest), the binomial mean q·total.
    When the rest is the bursty part (spam items from a few bots), w is small: a day when the rest collapses
    leaves N as expected and the share high *as expected given the total*; a move of N itself still stands out.
    Returns (E[N | total] / total, sd / total, the share of the variance the Poisson parts alone give).
    """
    m_num, m_rest = max(m_num, 0.0), max(m_rest, 0.0)
    v_num = m_num + max(phi_num, 0.0) * m_num * m_num
    v_rest = m_rest + max(phi_rest, 0.0) * m_rest * m_rest
    both = v_num + v_rest
    if both <= 0 or total <= 0:
        return (m_num / (m_num + m_rest) if m_num + m_rest > 0 else 0.0), 0.0, 1.0
    w = v_num / both
    expected_num = min(max(m_num + w * (total - m_num - m_rest), 0.0), total)
    var = v_num * v_rest / both
    poisson = m_num * m_rest / (m_num + m_rest) if m_num + m_rest > 0 else 0.0
    return expected_num / total, math.sqrt(var) / total, min(1.0, poisson / var) if var > 0 else 1.0


def ratio_tau2(errors: np.ndarray, means: np.ndarray, denominators: np.ndarray) -> float:
    """Between-point variance τ² of a ratio's true value: past error variance beyond the binomial part,
    counted only where it exceeds two standard errors of a variance estimate from that many points."""
    ok = np.isfinite(denominators) & (denominators > 0) & np.isfinite(errors)
    n = int(ok.sum())
    if n < 3:
        return 0.0
    base = mean(ratio_variance(means[ok], denominators[ok], 0.0))
    excess = mean(errors[ok] ** 2) - base - 2.0 * base * math.sqrt(2.0 / (n - 1))
    return max(0.0, excess)
