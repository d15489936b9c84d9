"""Backtest metrics and the threshold sweep against numbers computed by hand."""

import datetime as dt

import pytest
from pyspark.sql import types as T

from creator_governance.models.strategies.backtest import (
    backtest_metrics, known_decisions, target_labels, threshold_for_precision, threshold_sweep,
)

D1, D2 = dt.date(2026, 1, 1), dt.date(2026, 1, 2)
AS_OF = dt.datetime(2026, 1, 3, 12)
HITS = T.StructType([T.StructField("ds", T.DateType()), T.StructField("strategy_id", T.StringType()),
                     T.StructField("version", T.IntegerType()), T.StructField("target_id", T.StringType())])
DECISIONS = "ts timestamp, target_id string, outcome string"


def labels(spark):
    decisions = spark.createDataFrame([
        (dt.datetime(2026, 1, 3, 9), "a1", "violation"),
        (dt.datetime(2026, 1, 2, 9), "a2", "no_violation"),
        (dt.datetime(2026, 1, 3, 18), "a3", "violation"),    # known only after the cut-off
        (dt.datetime(2026, 1, 2, 9), "a5", "violation"),
        (dt.datetime(2026, 1, 2, 10), "a6", "violation"),    # a violator no strategy hit
        (dt.datetime(2026, 3, 1, 0), "a7", "violation"),     # outside the label window
    ], DECISIONS)
    known = known_decisions(decisions, as_of=AS_OF)
    return target_labels(known, label_from=dt.date(2025, 12, 25), label_to=dt.date(2026, 1, 16))


def metrics_of(rows):
    return {(r.strategy_id, r.metric, r.other_strategy_id, r.hit_ds): r.value for r in rows}


def test_precision_recall_good_creators_overlap_and_volume(spark):
    hits = spark.createDataFrame([
        (D1, "s1", 1, "a1"), (D2, "s1", 1, "a1"), (D1, "s1", 1, "a2"), (D1, "s1", 1, "a3"), (D2, "s1", 1, "a4"),
        (D1, "s2", 1, "a1"), (D1, "s2", 1, "a5"),
    ], HITS)
    high_credit = spark.createDataFrame([("a4", D2), ("a4", D1), ("a1", D1)], "target_id string, ds date")
    m = metrics_of(backtest_metrics(hits, labels(spark), high_credit=high_credit).collect())
    s1 = {k[1]: v for k, v in m.items() if k[0] == "s1" and k[2] is None and k[3] is None}
    s2 = {k[1]: v for k, v in m.items() if k[0] == "s2" and k[2] is None and k[3] is None}
    assert s1 == pytest.approx({
        "hit_rows": 5, "hit_targets": 4, "reviewed": 2, "confirmed": 1, "precision": 0.5, "violators_total": 3,
        "recall": 1 / 3, "hits_on_cleared_creators": 1, "hits_on_high_credit": 2, "fp_good_creators": 2,
        "unique_violators": 0, "incremental_recall": 0.0})
    assert s2 == pytest.approx({
        "hit_rows": 2, "hit_targets": 2, "reviewed": 2, "confirmed": 2, "precision": 1.0, "violators_total": 3,
        "recall": 2 / 3, "hits_on_cleared_creators": 0, "hits_on_high_credit": 1, "fp_good_creators": 0,
        "unique_violators": 1, "incremental_recall": 1 / 3})
    assert m[("s1", "overlap_targets", "s2", None)] == 1
    assert m[("s1", "overlap_share", "s2", None)] == pytest.approx(0.25)
    assert m[("s2", "overlap_share", "s1", None)] == pytest.approx(0.5)
    assert m[("s1", "daily_hits", None, D1)] == 3 and m[("s1", "daily_hits", None, D2)] == 2
    assert m[("s2", "daily_hits", None, D1)] == 2 and ("s2", "daily_hits", None, D2) not in m


def test_threshold_sweep_and_the_threshold_reaching_a_precision(spark):
    values = spark.createDataFrame([("a1", 0.9), ("a2", 0.7), ("a5", 0.8), ("a6", 0.3), ("a8", 0.95)],
                                   "target_id string, value double")
    sweep = {r.threshold: r.asDict() for r in threshold_sweep(values, labels(spark), [0.5, 0.75, 0.85, 0.99]).collect()}
    assert (sweep[0.5]["flagged"], sweep[0.5]["reviewed"], sweep[0.5]["confirmed"]) == (4, 3, 2)
    assert sweep[0.5]["precision"] == pytest.approx(2 / 3) and sweep[0.5]["recall"] == pytest.approx(2 / 3)
    assert (sweep[0.75]["flagged"], sweep[0.75]["precision"], sweep[0.75]["recall"]) == (3, 1.0, pytest.approx(2 / 3))
    assert (sweep[0.85]["flagged"], sweep[0.85]["precision"], sweep[0.85]["recall"]) == (2, 1.0, pytest.approx(1 / 3))
    assert (sweep[0.99]["flagged"], sweep[0.99]["precision"], sweep[0.99]["recall"]) == (0, None, 0.0)
    rows = list(sweep.values())
    assert threshold_for_precision(rows, 0.9) == 0.75
    assert threshold_for_precision(rows, 0.9, min_reviewed=2) == 0.75
    assert threshold_for_precision(rows, 0.9, min_reviewed=3) is None
    assert threshold_for_precision(rows, 0.6) == 0.5


def test_labels_known_as_of_a_cut_off(spark):
    got = {r.target_id: r.is_violation for r in labels(spark).collect()}
    assert got == {"a1": True, "a2": False, "a5": True, "a6": True}
