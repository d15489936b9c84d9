"""The queue's priority calibrated on the review samples of earlier days (IPW), on hand-made frames."""

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from creator_governance.models.queue.calibration import calibrated, calibration_sample, fit_calibration
from creator_governance.models.queue.priority import ranked, with_calibration

D1, D2, TODAY = dt.date(2026, 1, 5), dt.date(2026, 1, 12), dt.date(2026, 1, 14)


def test_sampled_accounts_are_labelled_by_their_reviews_in_the_outcome_window_and_weighted(spark):
    queue = spark.createDataFrame([
        (D1, "account", "a", 0.9), (D1, "account", "b", 0.2), (D1, "account", "c", 0.5), (D1, "syndicate", "S-a", 0.9),
        (D2, "account", "a", 0.9),  # D2 + 7 > TODAY: its outcome window is still open
    ], "ds date, entity_kind string, entity_id string, combined_evidence double")
    sample = spark.createDataFrame([(D1, "a", 0.5), (D1, "b", 0.1), (D1, "c", 1.0), (D2, "a", 0.5)],
                                   "ds date, account_id string, inclusion_prob double")
    decisions = spark.createDataFrame([
        ("a", dt.datetime(2026, 1, 8, 10), "violation"),     # within D1 + 7: confirmed
        ("b", dt.datetime(2026, 1, 13, 10), "violation"),    # after D1 + 7: b is not yet reviewed on D1's terms
        ("c", dt.datetime(2026, 1, 6, 10), "no_violation"),  # reviewed and cleared
    ], "target_id string, ts timestamp, outcome string")
    out = calibration_sample(queue, sample, decisions, horizon_days=7, today=TODAY)
    expected = spark.createDataFrame([(D1, 0.9, 1, 2.0), (D1, 0.5, 0, 1.0)],
                                     "ds date, evidence double, confirmed int, weight double")
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_the_map_is_the_ipw_rate_of_each_bin_made_monotone():
    # two bins by evidence; the low bin holds a heavily weighted confirmed account (it stands for 20 accounts)
    evidence = [0.1, 0.1, 0.1, 0.9, 0.9, 0.9]
    confirmed = [1, 0, 0, 1, 1, 0]
    weight = [20.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    steps = fit_calibration(evidence, confirmed, weight, bins=2, prior_strength=0.0)
    # IPW rates 20/22 (low) and 2/3 (high) violate the order: pooled to (20 + 2) / (22 + 3) in both
    assert [p for _, p in steps] == pytest.approx([22 / 25, 22 / 25])
    assert steps[-1][0] == float("inf")
    unweighted = fit_calibration(evidence, confirmed, [1.0] * 6, bins=2, prior_strength=0.0)
    assert [p for _, p in unweighted] == pytest.approx([1 / 3, 2 / 3])
    shrunk = fit_calibration(evidence, confirmed, [1.0] * 6, bins=2, prior_strength=3.0)
    assert [p for _, p in shrunk] == pytest.approx([(1 + 3 * 0.5) / 6, (2 + 3 * 0.5) / 6])


def test_calibration_keeps_the_order_of_the_combined_evidence(spark):
    steps = [(0.5, 0.05), (float("inf"), 0.3)]
    rows = [("account", f"a{i}", e, e) for i, e in enumerate([0.99, 0.97, 0.6, 0.4, 0.1])]
    accounts = spark.createDataFrame(rows, "entity_kind string, entity_id string, priority double, "
                                           "combined_evidence double")
    for column, value in (("evidence", ""), ("suggested_action", "monitor"), ("calibrated", False)):
        accounts = accounts.withColumn(column, F.lit(value))
    for column in ("model_probability", "anomaly_probability", "ring_probability", "hit_probability",
                   "audience_probability"):
        accounts = accounts.withColumn(column, F.lit(None).cast("double"))
    accounts = (accounts.withColumn("syndicate_id", F.lit(None).cast("string"))
                .withColumn("members", F.lit(None).cast("array<string>")).withColumn("ds", F.lit(D1)))
    out = ranked(with_calibration(accounts, steps, {"review": 0.25, "monitor": 0.0})).orderBy("rank").collect()
    assert [r["entity_id"] for r in out] == ["a0", "a1", "a2", "a3", "a4"]
    assert [r["priority"] for r in out] == [0.3, 0.3, 0.3, 0.05, 0.05]
    assert [r["suggested_action"] for r in out] == ["review"] * 3 + ["monitor"] * 2
    assert all(r["calibrated"] for r in out)
    probe = spark.createDataFrame([(0.5,), (0.51,)], "e double").select(calibrated(F.col("e"), steps).alias("p"))
    assert [r["p"] for r in probe.collect()] == [0.05, 0.3]
