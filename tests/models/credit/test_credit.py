"""The credit score: faults fade over the look-back, minimum volume, category benchmarks and tiers."""

import datetime as dt

import pytest

from creator_governance.models.credit.score import build_creator_credit
from creator_governance.settings.strategies import CreditSettings

START = dt.date(2026, 1, 1)
FEATURES = ("account_id string, ds date, account_age_days int, posts_28d long, orders_28d long, "
            "reports_received_28d long, mean_quality_28d double, refund_rate_28d double, cancel_rate_28d double")
PARAMS = CreditSettings(base_points=700, lookback_days=90, violation_points={"spam": 90},
                        default_violation_points=120, quality_points=100, tenure_points=0, volume_points=0,
                        min_volume=3)


def feature_rows(days):
    rows = []
    for offset in days:
        ds = START + dt.timedelta(days=offset)
        rows += [("bad", ds, 400, 10, 0, 0, 0.5, None, None), ("good", ds, 400, 10, 0, 0, 0.5, None, None),
                 ("quiet", ds, 400, 2, 0, 0, 0.5, None, None)]
    return rows


def credit(spark, days, decisions, accounts=(("bad", "beauty"), ("good", "beauty"), ("quiet", "beauty"))):
    features = spark.createDataFrame(feature_rows(days), FEATURES)
    acc = spark.createDataFrame(list(accounts), "account_id string, category string")
    dec = spark.createDataFrame(decisions, "ts timestamp, target_id string, outcome string, policy string")
    return {(r.account_id, (r.ds - START).days): r for r in build_creator_credit(features, acc, dec,
                                                                                 params=PARAMS).collect()}


def test_a_violation_fades_linearly_and_is_gone_after_the_lookback(spark):
    got = credit(spark, [0, 30, 45, 89, 90, 120], [(dt.datetime(2026, 1, 1, 10), "bad", "violation", "spam")])
    points = {day: got[("bad", day)].violation_points for day in (0, 30, 45, 89, 90, 120)}
    assert points == pytest.approx({0: -90, 30: -60, 45: -45, 89: -1, 90: 0, 120: 0})
    assert [got[("bad", d)].credit_score for d in (0, 45, 90)] == [610, 655, 700]
    assert got[("bad", 0)].credit_tier == "fair" and got[("bad", 90)].credit_tier == "good"
    assert got[("good", 0)].credit_score == 700


def test_a_violation_before_it_happened_does_not_count(spark):
    got = credit(spark, [0], [(dt.datetime(2026, 1, 3), "bad", "violation", "fraud")])
    assert got[("bad", 0)].violation_points == 0


def test_below_minimum_volume_there_is_no_score(spark):
    got = credit(spark, [0], [])
    assert got[("quiet", 0)].credit_score is None and got[("quiet", 0)].credit_tier == "unrated"


def test_quality_is_relative_to_the_category(spark):
    features = spark.createDataFrame([
        ("a", START, 400, 10, 0, 0, 0.9, None, None), ("b", START, 400, 10, 0, 0, 0.5, None, None),
        ("c", START, 400, 10, 0, 0, 0.1, None, None), ("d", START, 400, 10, 0, 0, 0.9, None, None),
    ], FEATURES)
    acc = spark.createDataFrame([("a", "beauty"), ("b", "beauty"), ("c", "beauty"), ("d", "gaming")],
                                "account_id string, category string")
    dec = spark.createDataFrame([], "ts timestamp, target_id string, outcome string, policy string")
    got = {r.account_id: r for r in build_creator_credit(features, acc, dec, params=PARAMS).collect()}
    assert got["a"].quality_points == pytest.approx(40) and got["c"].quality_points == pytest.approx(-40)
    assert got["d"].quality_points == 0  # the only one of its category: at its own benchmark
