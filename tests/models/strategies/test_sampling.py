"""Review sampling and the Horvitz-Thompson precision and recall estimates."""

import datetime as dt

import pytest

from creator_governance.models.strategies.sampling import build_review_sample, ipw_precision_recall, with_flag_stratum

D = dt.date(2026, 1, 5)


def test_ipw_estimates_match_hand_computed_totals(spark):
    # weights 1/p: flagged rows 2, 2, 4; unflagged 10, 10 (one unlabelled row is left out)
    sample = spark.createDataFrame([
        ("a", 0.5, ["s1"], True), ("b", 0.5, ["s1", "s2"], False), ("c", 0.25, ["s2"], True),
        ("d", 0.1, [], True), ("e", 0.1, [], False), ("f", 0.1, [], None),
    ], "account_id string, inclusion_prob double, flagged_by array<string>, is_violation boolean")
    got = {r.strategy_id: r.asDict() for r in ipw_precision_recall(sample, ["s1", "s2", "s3"]).collect()}
    # s1: flagged 2+2=4, TP 2; violators 2+4+10=16
    assert got["s1"]["est_flagged"] == pytest.approx(4) and got["s1"]["precision"] == pytest.approx(0.5)
    assert got["s1"]["recall"] == pytest.approx(2 / 16)
    # s2: flagged 2+4=6, TP 4
    assert got["s2"]["precision"] == pytest.approx(4 / 6) and got["s2"]["recall"] == pytest.approx(4 / 16)
    assert got["s3"]["precision"] is None and got["s3"]["recall"] == 0.0
    assert got["s1"]["labelled"] == 5


def test_sample_is_stratified_reproducible_and_carries_inclusion_probabilities(spark):
    accounts = spark.createDataFrame([(f"a{i}", D, (i % 10) / 10) for i in range(200)] + [("x", D, None)],
                                     "account_id string, ds date, score double")
    hits = spark.createDataFrame([("a1", D, "s1"), ("a2", D, "s1"), ("a2", D, "s2")],
                                 "target_id string, ds date, strategy_id string")
    population = with_flag_stratum(accounts, hits)
    sample = build_review_sample(population, band_edges=[0.0, 0.5, 1.0], per_stratum=10, seed=3)
    rows = {r.account_id: r for r in sample.collect()}
    assert rows["a1"].flag_stratum == "s1" and rows["a1"].inclusion_prob == 1.0  # a stratum of one is always in
    assert rows["a2"].flag_stratum == "multiple" and rows["x"].score_band == "no_score"
    unflagged_low = [r for r in rows.values() if r.flag_stratum == "unflagged" and r.score_band == "[0,0.5)"]
    assert unflagged_low and all(r.inclusion_prob == pytest.approx(10 / 98) for r in unflagged_low)
    again = build_review_sample(population, band_edges=[0.0, 0.5, 1.0], per_stratum=10, seed=3)
    assert sorted(r.account_id for r in again.collect()) == sorted(rows)
