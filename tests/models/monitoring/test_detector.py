"""The detector on hand-made series: each noise model and each failure mode it must not repeat."""

import numpy as np
import pytest

from creator_governance.config import load_config
from creator_governance.models.monitoring.detector import detect
from creator_governance.models.monitoring.season import candidate_periods, find_season

WEEK = np.array([0.95, 0.93, 0.95, 1.0, 1.08, 1.2, 1.15])
DAY = 86_400.0


@pytest.fixture(scope="module")
def params():
    """The shipped defaults (conf/base/alerts.yaml `detector`), as `govern monitor` and `govern detect` use."""
    return load_config().alerts.detector


def new_points(out) -> list[int]:
    return list(np.flatnonzero(out["status"].to_numpy() == "new"))


def weekly_counts(n, seed, level=1000.0):
    rng = np.random.default_rng(seed)
    return rng.poisson(level * WEEK[np.arange(n) % 7]).astype(float)


def test_seasonal_counts_without_anomalies_raise_no_alert(params):
    alerts = sum(len(new_points(detect(weekly_counts(63, seed), params=params, kind="count", step_seconds=DAY)))
                 for seed in range(30))
    assert alerts <= 1


def test_a_spike_opens_one_incident_that_resolves(params):
    x = weekly_counts(49, 1)
    x[40] *= 1.6
    out = detect(x, params=params, kind="count", step_seconds=DAY)
    assert out.attrs["season"] == 7
    assert new_points(out) == [40]
    assert out["lower"][40] < out["expected"][40] < out["upper"][40] < x[40]
    assert out["resolved"].to_numpy().nonzero()[0].tolist() == [40 + params.resolve_after]
    assert (out["status"][41:40 + params.resolve_after] == "continuing").all()


def test_sparse_counts_are_counts_not_a_collapsed_gaussian(params):
    rng = np.random.default_rng(3)
    x = rng.poisson(0.3, 2000).astype(float)  # ~74 % zeros
    assert new_points(detect(x, params=params, kind="count", step_seconds=300.0)) == []
    x[1500] = 30
    out = detect(x, params=params, kind="count", step_seconds=300.0)
    assert new_points(out) == [1500]
    assert (out["lower"].dropna() >= 0).all()


def test_a_value_moving_between_a_few_levels_is_not_infinitely_surprising(params):
    rng = np.random.default_rng(4)
    x = rng.choice([0.066, 0.068, 0.1, 0.102], 1500)
    x[:4] = [0.066, 0.1, 0.068, 0.102]  # both levels from the start
    assert new_points(detect(x, params=params, kind="value", step_seconds=300.0)) == []
    x[1200] = 5.0
    assert new_points(detect(x, params=params, kind="value", step_seconds=300.0)) == [1200]


def test_the_daily_cycle_of_five_minute_data_is_found_and_followed(params):
    assert candidate_periods(300.0, 60) == [288, 2016]
    rng = np.random.default_rng(5)
    t = np.arange(288 * 6)
    x = 100 + 40 * np.sin(2 * np.pi * t / 288) + 30 * (t % 288 > 200) + rng.normal(0, 2, len(t))
    out = detect(x, params=params, kind="value", step_seconds=300.0)
    assert out.attrs["season"] == 288
    # The cycle is learnt from three days on (two whole cycles of a centred median); then only the spike alerts.
    assert [i for i in new_points(out) if i >= 3 * 288] == []
    y = x.copy()
    y[5 * 288 + 100] += 40
    flagged = [i for i in new_points(detect(y, params=params, kind="value", step_seconds=300.0)) if i >= 3 * 288]
    assert flagged == [5 * 288 + 100]


def test_a_trend_at_5000_a_day_keeps_a_noise_sized_band(params):
    rng = np.random.default_rng(6)
    lam = 5000 * (1 + 0.004 * np.arange(60))
    x = rng.poisson(lam).astype(float)
    quiet = detect(x, params=params, kind="count", step_seconds=DAY)
    assert new_points(quiet) == []
    # Once the trend is in the forecast's own errors: about five standard deviations of the Poisson noise plus
    # the forecast's own uncertainty (the old detector: ±27 %).
    assert (quiet["upper"][35:] / quiet["expected"][35:] - 1 < 0.10).all()
    x[50] += 9 * np.sqrt(lam[50])
    assert new_points(detect(x, params=params, kind="count", step_seconds=DAY)) == [50]


def test_a_four_day_incident_alerts_once_and_its_end_raises_nothing(params):
    for seed in range(10):
        x = weekly_counts(70, seed)
        x[40:44] *= 1.5
        out = detect(x, params=params, kind="count", step_seconds=DAY)
        assert new_points(out) == [40], seed
        assert out["status"][41] == "continuing" and (out["incident_start"][41:44].isin([-1, 40])).all()


def test_a_level_shift_of_a_seasonal_count_alerts_once_then_is_the_norm(params):
    later = []
    for seed in range(10):
        x = weekly_counts(84, seed)
        x[42:] *= 1.4
        out = detect(x, params=params, kind="count", step_seconds=DAY)
        assert new_points(out)[0] == 42, seed
        later += [(seed, i) for i in new_points(out)[1:]]
    # The weekly profile is multiplicative: the shifted weekdays do not alert week after week (the additive
    # profile did for ~4 weeks); over 10 seeds x 41 days after the shift, at most one chance alert.
    assert len(later) <= 1, later


def test_a_ratio_over_40_rows_a_day_uses_its_binomial_noise(params):
    rng = np.random.default_rng(8)
    n = np.full(80, 40.0)
    ratio = rng.binomial(40, 0.1, 80) / 40.0
    assert new_points(detect(ratio, params=params, kind="ratio", denominators=n, step_seconds=DAY)) == []
    ratio[60] = 0.5
    out = detect(ratio, params=params, kind="ratio", denominators=n, step_seconds=DAY)
    assert new_points(out) == [60]
    assert 0 <= out["lower"][60] < 0.1 < out["upper"][60] < 0.4
    small = n.copy()
    small[60] = 20.0  # below min_denominator: the same jump is too little volume to alert on its own
    assert new_points(detect(ratio, params=params, kind="ratio", denominators=small, step_seconds=DAY)) == []


def bursty_share(seed, n=60):
    """A content share: ~30 good items a day from many creators (Poisson), the rest from a few spam bots that
    each burst on 30 % of days with ~40 items (heavily over-dispersed)."""
    rng = np.random.default_rng(seed)
    good = rng.poisson(30, n).astype(float)
    rest = (rng.random((n, 6)) < 0.3).astype(float) @ np.full(6, 40.0) + rng.poisson(100, n)
    return good, good + rest


def test_a_share_whose_bursty_rest_collapses_is_as_expected_given_the_day_s_total(params):
    on_collapse = {"parts": 0, "binomial": 0}
    for seed in range(20):
        good, total = bursty_share(seed)
        # Day 50: every bot quiet and half the usual rest: the share triples, the good items do not move.
        total[50] = good[50] + 40.0
        out = detect(good / total, params=params, kind="ratio", denominators=total, step_seconds=DAY,
                     parts=(good, total))
        plain = detect(good / total, params=params, kind="ratio", denominators=total, step_seconds=DAY)
        on_collapse["parts"] += 50 in new_points(out)
        on_collapse["binomial"] += 50 in new_points(plain)
        # Scored given the total, the expectation follows it (the plain model's stays at the usual share).
        assert out["expected"][50] > 1.5 * plain["expected"][50]
    assert on_collapse["parts"] == 0 and on_collapse["binomial"] >= 10
    # The good items themselves dropping to a fifth stands out, whatever the bots do.
    good, total = bursty_share(0)
    total[50] -= good[50] * 0.8
    good[50] *= 0.2
    out = detect(good / total, params=params, kind="ratio", denominators=total, step_seconds=DAY,
                 parts=(good, total))
    assert new_points(out) == [50] and out["score"][50] < -4


def test_a_share_slice_with_a_day_without_trials_is_scored_around_that_day(params):
    """A slice of a share (strategy precision among new accounts) whose strategies hit nobody one day has no row
    that day: its parts are 0 events that day, not an unknown that makes every later forecast unknown."""
    good = np.array([34, 29, 40, 33, 22, 32, 33, 29, 11, np.nan, 0, 0, 0, 2, 2, 2, 2, 2, 2, 0, 0], dtype=float)
    total = np.array([56, 52, 60, 62, 56, 57, 48, 38, 15, np.nan, 2, 4, 4, 6, 4, 3, 4, 4, 9, 6, 7], dtype=float)
    out = detect(good / total, params=params, kind="ratio", denominators=total, step_seconds=DAY,
                 parts=(good, total))
    assert np.isnan(out["score"][9]) and not out["is_anomaly"][9]
    assert np.isfinite(out["expected"][10:]).all() and np.isfinite(out["upper"][10:]).all()
    # the same as a day with no trials written as zeros
    zeros = detect(good / total, params=params, kind="ratio", denominators=total, step_seconds=DAY,
                   parts=(np.nan_to_num(good), np.nan_to_num(total)))
    for column in ("expected", "lower", "upper", "score"):
        np.testing.assert_array_equal(out[column].to_numpy(), zeros[column].to_numpy())


def test_a_sparse_slice_that_starts_filling_is_not_an_alert(params):
    ratio = np.array([np.nan] * 7 + [0.0] * 10 + [0.02, 0.0, 0.03, 0.0, 0.05])
    den = np.array([0.0] * 7 + [25.0] * 15)
    out = detect(ratio, params=params, kind="ratio", denominators=den, step_seconds=DAY)
    assert new_points(out) == []
    assert (out["lower"].dropna() >= 0).all()


def test_short_history_scores_nothing_then_a_wider_band(params):
    rng = np.random.default_rng(9)
    x = 100 + rng.normal(0, 5, 30)
    out = detect(x, params=params, kind="value", step_seconds=DAY)
    assert out["score"][:params.min_history].isna().all()
    width = (out["upper"] - out["lower"]).to_numpy()
    assert width[params.min_history] > width[25]


def test_find_season_takes_the_calendar_period_and_none_for_noise():
    x = weekly_counts(56, 6)
    assert find_season(x, candidate_periods(DAY, 60)) == 7
    assert find_season(np.random.default_rng(7).normal(0, 1, 56), candidate_periods(DAY, 60)) is None
    assert find_season(x, candidate_periods(None, 20)) == 7


def test_the_family_threshold_divides_the_tail_among_siblings():
    from scipy import special

    from creator_governance.models.monitoring.noise import family_threshold

    assert family_threshold(4.0, 1) == 4.0
    for k in (2, 8, 100):
        assert special.ndtr(-family_threshold(4.0, k)) * k == pytest.approx(special.ndtr(-4.0), rel=1e-9)
    assert 4.0 < family_threshold(4.0, 2) < family_threshold(4.0, 8) < family_threshold(4.0, 100)


def test_a_one_day_excursion_of_one_slice_among_ten_is_not_an_alert_but_a_two_day_move_is(params):
    from scipy import stats

    from creator_governance.models.monitoring.noise import count_score, family_threshold

    # A steady Poisson slice (no estimated noise, so the threshold is exactly the family's).
    x = np.full(42, 100.0)
    spike = float(stats.poisson.isf(stats.norm.sf(4.25), 100))
    assert params.threshold < count_score(spike, 100.0, 0.0) < family_threshold(params.threshold, 10)
    one_day = x.copy()
    one_day[35] = spike
    assert new_points(detect(one_day, params=params, kind="count", step_seconds=DAY)) == [35]
    assert new_points(detect(one_day, params=params, kind="count", step_seconds=DAY, tests=10)) == []
    # Two days running at ~3.1σ each (Σz/√2 ≈ 4.4: beyond 4, not beyond the family's 4.47): judged at the
    # series' own threshold.
    held = x.copy()
    held[34:36] = float(stats.poisson.isf(stats.norm.sf(3.1), 100))
    assert new_points(detect(held, params=params, kind="count", step_seconds=DAY, tests=10)) == [35]


def test_a_slice_too_sparse_to_show_the_weekly_cycle_borrows_its_total_s(params):
    week = np.array([0.8, 0.8, 0.8, 0.8, 0.9, 1.5, 1.4])
    n = 42
    saturday, late = np.arange(n) % 7 == 5, np.arange(n) >= 28
    own, borrowed, found_alone = [], [], 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        total = rng.poisson(2000 * week[np.arange(n) % 7]).astype(float)
        slice_ = rng.poisson(4 * week[np.arange(n) % 7]).astype(float)
        alone = detect(slice_, params=params, kind="count", step_seconds=DAY)
        helped = detect(slice_, params=params, kind="count", step_seconds=DAY, reference=total)
        assert helped.attrs["season"] == 7
        found_alone += alone.attrs["season"] == 7
        own.append(alone["expected"][saturday & late].mean() / alone["expected"][~saturday & late].mean())
        borrowed.append(helped["expected"][saturday & late].mean() / helped["expected"][~saturday & late].mean())
    # Saturdays are 1.5 / 0.8 ≈ 1.9 × a weekday: forecast so with the total's cycle, mostly missed without it.
    assert found_alone <= 10
    assert np.median(borrowed) > 1.4 and np.median(own) < 1.2


def test_a_rise_then_back_in_band_then_a_fall_is_two_incidents(params):
    x = np.full(42, 100.0)
    x[30], x[32] = 150.0, 50.0  # up, back in the band for a day, then down
    out = detect(x, params=params, kind="count", step_seconds=DAY)
    assert new_points(out) == [30, 32]
    assert out["resolved"][31] and out["status"][31] == ""
    assert out["incident_start"][32] == 32
    # Out the same way after a day back in the band: still the first incident.
    y = np.full(42, 100.0)
    y[30], y[32] = 150.0, 150.0
    same = detect(y, params=params, kind="count", step_seconds=DAY)
    assert new_points(same) == [30] and same["status"][32] == "continuing"
