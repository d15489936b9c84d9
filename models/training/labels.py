"""Labels of (account_id, ds) training rows from moderation decisions, point in time.

A row is labelled with what moderation decided *after* `ds`: positive when a `violation` decision about the
account is dated in (ds, ds + horizon] (UTC dates; a decision dated `ds` itself or earlier may already be in
the features of `ds`, so it never makes `ds` positive), negative when the only decisions in that window are
`no_violation`, and unreviewed when there is none (dropped, or kept as a down-weighted negative).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

KEYS = ["account_id", "ds"]
LABEL_COLUMNS = ["account_id", "ds", "label", "weight", "is_reviewed"]


def daily_outcomes(decisions: DataFrame, *, as_of: dt.date | None = None) -> DataFrame:
    """One row per (account_id, decision_day): has_violation, has_no_violation.

    Decisions dated after `as_of` are ignored: they were not known when the model is trained.
    """
    day = F.to_date(F.col("ts"))
    out = decisions.select(F.col("target_id").alias("account_id"), day.alias("decision_day"), "outcome")
    if as_of is not None:
        out = out.filter(F.col("decision_day") <= F.lit(as_of))
    return out.groupBy("account_id", "decision_day").agg(
        F.max((F.col("outcome") == "violation").cast("int")).alias("has_violation"),
        F.max((F.col("outcome") == "no_violation").cast("int")).alias("has_no_violation"),
    )


def label_dates(first: dt.date, last: dt.date, *, stride_days: int = 1) -> list[dt.date]:
    """Every `stride_days`-th date counted back from `last`, not before `first`, in order."""
    count = (last - first).days // stride_days + 1
    return sorted(last - dt.timedelta(days=i * stride_days) for i in range(max(count, 0)))


def build_labels(
    decisions: DataFrame,
    features: DataFrame,
    *,
    horizon_days: int,
    as_of: dt.date | None = None,
    unreviewed_weight: float | None = None,
    exclude_prior_violators: bool = False,
    co_member_weight: float | None = None,
) -> DataFrame:
    """Labels for every (account_id, ds) row of `features` whose horizon ends by `as_of`.

    `decisions`: target_id, ts, outcome. `features`: account_id, ds (other columns ignored: only the keys
    decide which rows exist, so no feature value after ds can leak). Returns account_id, ds, label (0/1),
    weight (1.0 for reviewed rows, `unreviewed_weight` for unreviewed negatives), is_reviewed.

    `co_member_weight` (positive-unlabelled extension): an unreviewed row whose account shares a coordination group
    on ds (`coordination_groups`) with a row labelled positive by a review becomes a positive of that weight —
    reviewers see a few members of a farm or a matrix group, the rest are not negatives. Needs the group columns
    in `features`; without them nothing is extended.
    """
    outcomes = daily_outcomes(decisions, as_of=as_of)
    rows = features.select(*KEYS).distinct()
    if as_of is not None:
        rows = rows.filter(F.date_add(F.col("ds"), horizon_days) <= F.lit(as_of))
    after_ds = F.col("o.decision_day") > F.col("r.ds")
    within_horizon = F.col("o.decision_day") <= F.date_add(F.col("r.ds"), horizon_days)
    on_or_before_ds = F.col("o.decision_day") <= F.col("r.ds")
    joined = rows.alias("r").join(
        outcomes.alias("o"), on=F.col("r.account_id") == F.col("o.account_id"), how="left"
    )
    in_window = after_ds & within_horizon
    per_row = joined.groupBy(F.col("r.account_id").alias("account_id"), F.col("r.ds").alias("ds")).agg(
        F.max(F.when(in_window, F.col("o.has_violation"))).alias("violation"),
        F.max(F.when(in_window, F.col("o.has_no_violation"))).alias("no_violation"),
        F.max(F.when(on_or_before_ds, F.col("o.has_violation"))).alias("prior_violation"),
    )
    if exclude_prior_violators:
        per_row = per_row.filter(F.coalesce(F.col("prior_violation"), F.lit(0)) == 0)
    is_positive = F.col("violation") == 1
    is_reviewed = is_positive | (F.col("no_violation") == 1)
    weight = F.when(is_reviewed, F.lit(1.0)).otherwise(F.lit(float(unreviewed_weight or 0.0)))
    out = per_row.select(
        *KEYS,
        F.when(is_positive, 1).otherwise(0).cast("int").alias("label"),
        weight.cast("double").alias("weight"),
        F.coalesce(is_reviewed, F.lit(False)).alias("is_reviewed"),
    )
    if co_member_weight:
        out = _co_member_positives(out, features, weight=co_member_weight)
    if not unreviewed_weight:
        out = out.filter(F.col("is_reviewed") | (F.col("label") == 1))
    return out.select(*LABEL_COLUMNS)


GROUP_COLUMNS = ("lockstep_group_id", "graph_cluster_id", "graph_link_types")


def coordination_groups(features: DataFrame) -> DataFrame:
    """account_id, ds, group: the account's lockstep group, and its graph cluster when the account holds both a
    behavioural link (shared content fingerprint) and an infrastructure link (device, IP) in it — a matrix
    account, not a household (device and IP only) nor a creator re-posting a popular item (fingerprint only)."""
    if not all(c in features.columns for c in GROUP_COLUMNS):
        return features.sparkSession.createDataFrame([], "account_id string, ds date, group string")
    links = F.coalesce(F.col("graph_link_types"), F.array().cast("array<string>"))
    coordinated = F.array_contains(links, "fingerprint") & F.arrays_overlap(links, F.array(F.lit("device"), F.lit("ip")))
    lockstep = features.filter(F.col("lockstep_group_id").isNotNull()).select(
        *KEYS, F.concat(F.lit("l|"), F.col("lockstep_group_id")).alias("group"))
    graph = features.filter(F.col("graph_cluster_id").isNotNull() & coordinated).select(
        *KEYS, F.concat(F.lit("g|"), F.col("graph_cluster_id")).alias("group"))
    return lockstep.unionByName(graph)


def _co_member_positives(labels: DataFrame, features: DataFrame, *, weight: float) -> DataFrame:
    groups = coordination_groups(features)
    confirmed = (labels.filter(F.col("is_reviewed") & (F.col("label") == 1)).select(*KEYS)
                 .join(groups, KEYS).select("ds", "group").distinct())
    tied = groups.join(confirmed, ["ds", "group"]).select(*KEYS).distinct().withColumn("co_member", F.lit(True))
    extended = labels.join(tied, KEYS, "left")
    promote = ~F.col("is_reviewed") & F.coalesce(F.col("co_member"), F.lit(False))
    return extended.select(*KEYS, F.when(promote, F.lit(1)).otherwise(F.col("label")).cast("int").alias("label"),
                           F.when(promote, F.lit(float(weight))).otherwise(F.col("weight")).alias("weight"),
                           "is_reviewed")


def build_training_rows(labels: DataFrame, features: DataFrame, *, feature_columns: list[str]) -> DataFrame:
    """Labels joined to the features of the same (account_id, ds): the point-in-time training set.

    Returns account_id, ds, label, weight, is_reviewed and the feature columns cast to double (null stays null,
    read as missing by XGBoost).
    """
    cols = [F.col(c).cast("double").alias(c) for c in feature_columns]
    feats = features.select(*KEYS, *cols)
    return labels.join(feats, on=KEYS, how="inner").select(*LABEL_COLUMNS, *feature_columns)


def reviewed_validation(rows: DataFrame, unreviewed_weight: float | None) -> DataFrame:
    """Training rows (with is_validation, models/training/split.py) whose validation rows are judged on what
    reviewers decided: a co-member positive (`co_member_weight`) is a training device, so in validation it is the
    unreviewed row it was (a negative of `unreviewed_weight`, or dropped when that is null)."""
    promoted = F.col("is_validation") & ~F.col("is_reviewed") & (F.col("label") == 1)
    rows = rows.withColumn("weight", F.when(promoted, F.lit(float(unreviewed_weight or 0.0)))
                           .otherwise(F.col("weight")))
    rows = rows.withColumn("label", F.when(promoted, F.lit(0)).otherwise(F.col("label")))
    return rows if unreviewed_weight else rows.filter(~(F.col("is_validation") & ~F.col("is_reviewed")))
