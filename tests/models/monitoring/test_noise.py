"""The detector's numeric helpers: the fast median and mean give numpy's values to the bit, and the ratio
variance of many points at once equals the one-point formula (the detector's scores must not move)."""

import math

import numpy as np
import pytest

from creator_governance.models.monitoring import noise


def samples():
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 7, 8, 28, 57):
        yield rng.normal(size=n) * 10.0 ** rng.integers(-3, 4)
        yield rng.poisson(3.0, size=n).astype(float)  # ties
        yield rng.choice([-0.0, 0.0, 1.0, -1.0], size=n)  # signed zeros
    yield np.array([0.1, 0.2, 0.30000000000000004, 0.7])  # an even count whose middle pair does not add exactly
    yield np.array([-0.0, -0.0])
    yield np.array([-np.inf, 1.0, np.inf])
    yield np.array([1e308, 1e308])  # the middle pair overflows


def bits(x) -> bytes:
    return np.float64(x).tobytes()


@pytest.mark.parametrize("values", list(samples()))
def test_median_and_mean_equal_numpys_to_the_bit(values):
    with np.errstate(over="ignore", invalid="ignore"):
        assert bits(noise.median(values)) == bits(np.median(values))
        assert bits(noise.mean(values)) == bits(np.mean(values))


def test_median_of_nothing_or_of_a_nan_is_nan():
    assert np.isnan(noise.median(np.array([])))
    assert np.isnan(noise.median(np.array([1.0, np.nan, 2.0])))


def one_point_variance(q: float, n: float) -> float:
    """The per-point formula ratio_tau2 averaged one point at a time before it took arrays."""
    q = max(q, 0.0)
    return (q * (1.0 - q) if q < 1.0 else q) / max(n, 1.0) + 0.0


def test_ratio_variance_of_many_points_is_the_one_point_formula_at_each():
    rng = np.random.default_rng(4)
    q = np.concatenate([rng.uniform(-0.2, 1.5, 40), [-0.0, 0.0, 1.0]])
    n = np.concatenate([rng.uniform(0.2, 500.0, 40), [3.0, 0.5, 7.0]])
    got = noise.ratio_variance(q, n, 0.01)
    assert [bits(v) for v in got] == [bits(one_point_variance(a, b) + 0.01) for a, b in zip(q, n)]
    assert noise.ratio_variance(0.25, 4.0, 0.0) == 0.25 * 0.75 / 4.0
    assert noise.ratio_variance(3.0, 0.5, 0.1) == 3.0 + 0.1  # a rate above 1: Poisson, at least one trial


def test_ratio_tau2_equals_the_mean_of_one_point_variances():
    rng = np.random.default_rng(5)
    means = np.concatenate([rng.uniform(-0.2, 1.5, 40), [-0.0, 0.0, 1.0, 0.3]])
    dens = np.concatenate([rng.uniform(0.2, 500.0, 40), [3.0, 0.5, 7.0, np.nan]])  # the last point has no trials
    errors = rng.normal(0.0, 0.3, len(means))
    errors[5] = np.nan  # a point without a forecast error
    ok = np.isfinite(dens) & (dens > 0) & np.isfinite(errors)
    base = float(np.mean([one_point_variance(q, d) for q, d in zip(means[ok], dens[ok])]))
    n = int(ok.sum())
    expected = max(0.0, float(np.mean(errors[ok] ** 2)) - base - 2.0 * base * math.sqrt(2.0 / (n - 1)))
    assert expected > 0.0
    assert bits(noise.ratio_tau2(errors, means, dens)) == bits(expected)
