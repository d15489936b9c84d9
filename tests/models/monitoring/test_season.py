"""The season search's centred rolling median: the values of pandas' rolling median, on the numpy path (short
windows) and the pandas one."""

import numpy as np
import pandas as pd
import pytest

from creator_governance.models.monitoring.season import SHORT_WINDOW, rolling_median


@pytest.mark.parametrize("p", [3, 4, 7, SHORT_WINDOW, SHORT_WINDOW + 1, 40])
def test_rolling_median_is_the_centred_pandas_rolling_median(p):
    h = np.random.default_rng(p).normal(size=120)
    h[11] = np.nan  # every window over it is NaN
    h[70], h[100] = np.inf, -np.inf  # pandas counts an infinity as missing
    # point i: the window of p points from i - p//2 (pandas' trailing rolling median, which ends a window at
    # its last point, moved back to it)
    lead = p - 1 - p // 2
    trailing = pd.Series(h).rolling(p).median().to_numpy()
    expected = np.append(trailing[lead:], np.full(lead, np.nan))
    got = rolling_median(h, p)
    np.testing.assert_array_equal(got, expected)
    for planted in (70, 100):  # every window holding the infinity
        assert np.isnan(got[planted - lead:planted + p - lead]).all()
    assert np.isnan(rolling_median(h[:p - 1], p)).all()
