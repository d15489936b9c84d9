"""The detector's numeric helpers: the fast median, mean and rolling median give numpy's and pandas' values
to the bit (the detector's scores must not move when they replace them)."""

import numpy as np
import pandas as pd
import pytest

from creator_governance.models.monitoring import noise
from creator_governance.models.monitoring.season import rolling_median


def samples():
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 7, 8, 28, 57):
        yield rng.normal(size=n) * 10.0 ** rng.integers(-3, 4)
        yield rng.poisson(3.0, size=n).astype(float)  # ties
    yield np.array([0.1, 0.2, 0.30000000000000004, 0.7])  # an even count whose middle pair does not add exactly


@pytest.mark.parametrize("values", list(samples()))
def test_median_and_mean_equal_numpys_to_the_bit(values):
    assert noise.median(values) == np.median(values)
    assert noise.mean(values) == np.mean(values)


def test_median_of_nothing_or_of_a_nan_is_nan():
    assert np.isnan(noise.median(np.array([])))
    assert np.isnan(noise.median(np.array([1.0, np.nan, 2.0])))


@pytest.mark.parametrize("p", [3, 4, 7, 40])
def test_rolling_median_is_the_centred_pandas_rolling_median(p):
    h = np.random.default_rng(p).normal(size=90)
    h[11] = np.nan  # every window over it is NaN
    # point i: the window of p points from i - p//2 (pandas' trailing rolling median, which ends a window at
    # its last point, moved back to it)
    lead = p - 1 - p // 2
    trailing = pd.Series(h).rolling(p).median().to_numpy()
    expected = np.append(trailing[lead:], np.full(lead, np.nan))
    np.testing.assert_array_equal(rolling_median(h, p), expected)
    assert np.isnan(rolling_median(h[:p - 1], p)).all()
