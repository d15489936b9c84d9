"""Label construction: horizon edges, point in time, negatives, unreviewed weight, split."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.models.training.labels import build_labels, build_training_rows, label_dates
from creator_governance.models.training.split import with_time_split

D = dt.date(2026, 1, 10)
DEC = T.StructType([T.StructField("decision_id", T.StringType()), T.StructField("ts", T.TimestampType()),
                    T.StructField("target_id", T.StringType()), T.StructField("outcome", T.StringType())])
FEAT = T.StructType([T.StructField("account_id", T.StringType()), T.StructField("ds", T.DateType()),
                     T.StructField("posts_7d", T.LongType())])
LABELS = T.StructType([T.StructField("account_id", T.StringType()), T.StructField("ds", T.DateType()),
                       T.StructField("label", T.IntegerType()), T.StructField("weight", T.DoubleType()),
                       T.StructField("is_reviewed", T.BooleanType())])


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour)


def plus(days: int) -> dt.date:
    return D + dt.timedelta(days=days)


def features_of(spark, accounts, day=D):
    return spark.createDataFrame([(a, day, 1) for a in accounts], FEAT)


def test_horizon_edges_and_same_day(spark):
    decisions = spark.createDataFrame([
        ("d1", at(plus(7), 23), "in_last_day", "violation"),      # ds + horizon: inside
        ("d2", at(plus(8), 0), "out_next_day", "violation"),     # ds + horizon + 1: outside
        ("d3", at(D, 1), "same_day", "violation"),                # on ds itself: not a label for ds
        ("d4", at(plus(-3)), "before", "violation"),              # before ds: not a label for ds
        ("d5", at(plus(1), 0), "first_day", "violation"),         # ds + 1, first minute: inside
    ], DEC)
    accounts = ["in_last_day", "out_next_day", "same_day", "before", "first_day"]
    out = build_labels(decisions, features_of(spark, accounts), horizon_days=7, unreviewed_weight=0.1)
    expected = spark.createDataFrame([
        ("in_last_day", D, 1, 1.0, True), ("out_next_day", D, 0, 0.1, False), ("same_day", D, 0, 0.1, False),
        ("before", D, 0, 0.1, False), ("first_day", D, 1, 1.0, True),
    ], LABELS)
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_reviewed_negatives_and_unreviewed_dropped_by_default(spark):
    decisions = spark.createDataFrame([
        ("d1", at(plus(2)), "cleared", "no_violation"),
        ("d2", at(plus(2)), "both", "no_violation"),
        ("d3", at(plus(5)), "both", "violation"),                 # a violation wins over a cleared report
    ], DEC)
    out = build_labels(decisions, features_of(spark, ["cleared", "both", "unreviewed"]), horizon_days=7)
    expected = spark.createDataFrame([("cleared", D, 0, 1.0, True), ("both", D, 1, 1.0, True)], LABELS)
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_prior_violators_excluded_when_asked(spark):
    decisions = spark.createDataFrame([
        ("d1", at(plus(-2)), "repeat", "violation"), ("d2", at(plus(3)), "repeat", "violation"),
        ("d3", at(plus(3)), "first", "violation"),
    ], DEC)
    out = build_labels(decisions, features_of(spark, ["repeat", "first"]), horizon_days=7,
                       exclude_prior_violators=True)
    assert [r["account_id"] for r in out.collect()] == ["first"]


def test_no_leakage_features_after_ds_and_decisions_after_as_of(spark):
    """The training row of ds carries ds's feature values; later feature rows and decisions after as_of
    (unknown at training time) change nothing; rows whose horizon ends after as_of have no label yet."""
    feats = spark.createDataFrame([("a", D, 1), ("a", plus(1), 99), ("a", plus(5), 500)], FEAT)
    decisions = spark.createDataFrame([
        ("d1", at(plus(3)), "a", "no_violation"),
        ("d2", at(plus(6)), "a", "violation"),                    # after as_of: not known yet
    ], DEC)
    labels = build_labels(decisions, feats, horizon_days=5, as_of=plus(5))
    rows = build_training_rows(labels, feats, feature_columns=["posts_7d"])
    expected = spark.createDataFrame([("a", D, 0, 1.0, True, 1.0)],
                                     LABELS.add(T.StructField("posts_7d", T.DoubleType())))
    assert_df_equality(rows, expected, ignore_row_order=True, ignore_nullable=True)


def test_label_dates_stride_counts_back_from_last():
    assert label_dates(D, plus(7), stride_days=3) == [plus(1), plus(4), plus(7)]


def test_time_split_and_disjoint_accounts(spark):
    days = [plus(i) for i in range(10)]
    rows = spark.createDataFrame([(f"acct{a}", d, 1) for a in range(40) for d in days], FEAT)
    split = with_time_split(rows, valid_from=plus(7))
    assert split.filter(F.col("is_validation")).agg(F.min("ds")).first()[0] == plus(7)
    assert split.filter(~F.col("is_validation")).agg(F.max("ds")).first()[0] == plus(6)
    disjoint = with_time_split(rows, valid_from=plus(7), disjoint_accounts=True, account_share=0.3, seed=1)
    per_account = disjoint.groupBy("account_id").agg(F.countDistinct("is_validation").alias("sides"))
    assert per_account.filter(F.col("sides") > 1).count() == 0
    sides = {r["is_validation"] for r in disjoint.select("is_validation").distinct().collect()}
    assert sides == {True, False}
    assert disjoint.filter(F.col("is_validation") & (F.col("ds") < plus(7))).count() == 0


GROUPED = T.StructType([T.StructField("account_id", T.StringType()), T.StructField("ds", T.DateType()),
                        T.StructField("lockstep_group_id", T.StringType()), T.StructField("graph_cluster_id", T.StringType()),
                        T.StructField("graph_link_types", T.ArrayType(T.StringType()))])


def test_unreviewed_co_members_of_a_confirmed_violator_become_weighted_positives(spark):
    # farm: f1..f3 in one lockstep group, f1 confirmed; matrix: m1, m2 share content and a device (coordinated),
    # m1 confirmed; household: h1 shares only device and IP with m1's cluster; reposter: r1 shares only a
    # fingerprint with it; cleared: f4 in the farm's group but reviewed and cleared; loner: nothing.
    rows = [("f1", D, "L1", None, None), ("f2", D, "L1", None, None), ("f3", D, "L1", None, None),
            ("f4", D, "L1", None, None), ("m1", D, None, "G1", ["device", "fingerprint"]),
            ("m2", D, None, "G1", ["device", "fingerprint", "ip"]), ("h1", D, None, "G1", ["device", "ip"]),
            ("r1", D, None, "G1", ["fingerprint"]), ("loner", D, None, None, None)]
    features = spark.createDataFrame(rows, GROUPED)
    decisions = spark.createDataFrame([
        ("d1", at(plus(2)), "f1", "violation"), ("d2", at(plus(3)), "m1", "violation"),
        ("d3", at(plus(3)), "f4", "no_violation"),
    ], DEC)
    out = build_labels(decisions, features, horizon_days=7, unreviewed_weight=0.1, co_member_weight=0.5)
    expected = spark.createDataFrame([
        ("f1", D, 1, 1.0, True), ("m1", D, 1, 1.0, True), ("f4", D, 0, 1.0, True),
        ("f2", D, 1, 0.5, False), ("f3", D, 1, 0.5, False), ("m2", D, 1, 0.5, False),
        ("h1", D, 0, 0.1, False), ("r1", D, 0, 0.1, False), ("loner", D, 0, 0.1, False),
    ], "account_id string, ds date, label int, weight double, is_reviewed boolean")
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)
    # without unreviewed rows, only the promoted co-members join the reviewed ones
    kept = build_labels(decisions, features, horizon_days=7, co_member_weight=0.5)
    assert sorted(r["account_id"] for r in kept.collect()) == ["f1", "f2", "f3", "f4", "m1", "m2"]
    # a violation known only after the row's horizon extends nothing
    late = spark.createDataFrame([("d1", at(plus(9)), "f1", "violation")], DEC)
    assert build_labels(late, features, horizon_days=7, unreviewed_weight=0.1,
                        co_member_weight=0.5).filter(F.col("label") == 1).count() == 0


def test_validation_judges_on_reviews_only(spark):
    from creator_governance.models.training.labels import reviewed_validation

    rows = spark.createDataFrame([
        ("a", D, 1, 0.5, False, False), ("b", D, 1, 0.5, False, True), ("c", D, 1, 1.0, True, True),
        ("d", D, 0, 0.1, False, True),
    ], "account_id string, ds date, label int, weight double, is_reviewed boolean, is_validation boolean")
    expected = spark.createDataFrame([
        ("a", D, 1, 0.5, False, False), ("b", D, 0, 0.1, False, True), ("c", D, 1, 1.0, True, True),
        ("d", D, 0, 0.1, False, True),
    ], "account_id string, ds date, label int, weight double, is_reviewed boolean, is_validation boolean")
    assert_df_equality(reviewed_validation(rows, 0.1), expected, ignore_row_order=True, ignore_nullable=True)
    assert sorted(r["account_id"] for r in reviewed_validation(rows, None).collect()) == ["a", "c"]
