"""Backtest metrics of strategies against moderation decisions, in long format (one metric per row).

Labels are per target over one label window: `violation` when any decision about the target in the window
says so, `no_violation` when it was reviewed and never found violating, no row when never reviewed. Only
decisions known as of the backtest's cut-off are passed in (see `known_decisions`), so a run can be replayed.

Per strategy (targets are distinct accounts or content items hit on any day of the range):
precision = confirmed / reviewed hit targets; recall = confirmed / all violators in the window;
hits on good creators = hit targets reviewed and cleared, or hit while in a high credit tier;
unique violators and incremental recall = violators this strategy alone catches; overlap with every other
strategy; daily hit volume; and, for a swept column, precision and recall of `column >= t` for each t.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import DataFrame, functions as F, types as T

PERFORMANCE_COLUMNS = ("strategy_id", "version", "metric", "value", "threshold", "hit_ds", "other_strategy_id")


def known_decisions(decisions: DataFrame, *, as_of: dt.datetime) -> DataFrame:
    """Decisions whose timestamp is on or before `as_of`: what was known then."""
    return decisions.filter(F.col("ts") <= F.lit(as_of))


def target_labels(decisions: DataFrame, *, label_from: dt.date, label_to: dt.date) -> DataFrame:
    """One row per reviewed target in the window. Columns: target_id, is_violation."""
    day = F.to_date("ts")
    return (
        decisions.filter((day >= F.lit(label_from)) & (day <= F.lit(label_to)))
        .groupBy("target_id")
        .agg(F.max((F.col("outcome") == "violation").cast("int")).cast("boolean").alias("is_violation"))
    )


def _targets(hits: DataFrame, high_credit: DataFrame | None) -> DataFrame:
    """Per (strategy, target): whether any hit came while the target was in a high credit tier."""
    if high_credit is not None:
        marked = hits.join(high_credit.select("target_id", "ds", F.lit(True).alias("high")),
                           on=["target_id", "ds"], how="left")
    else:
        marked = hits.withColumn("high", F.lit(None).cast("boolean"))
    return marked.groupBy("strategy_id", "version", "target_id").agg(
        F.max(F.coalesce(F.col("high"), F.lit(False)).cast("int")).alias("high_credit"))


def _long(df: DataFrame, metrics: Sequence[str]) -> DataFrame:
    return df.select(
        "strategy_id", "version",
        F.explode(F.array(*[F.struct(F.lit(m).alias("metric"), F.col(m).cast("double").alias("value"))
                            for m in metrics])).alias("m"),
    ).select("strategy_id", "version", "m.metric", "m.value",
             F.lit(None).cast("double").alias("threshold"), F.lit(None).cast("date").alias("hit_ds"),
             F.lit(None).cast("string").alias("other_strategy_id"))


def backtest_metrics(hits: DataFrame, labels: DataFrame, *, high_credit: DataFrame | None = None) -> DataFrame:
    """Per-strategy summary metrics, overlap and daily volume of `hits` (ds, strategy_id, version, target_id).

    `labels` from `target_labels`; `high_credit` (target_id, ds) rows mark targets in a high credit tier.
    Columns: PERFORMANCE_COLUMNS.
    """
    targets = _targets(hits, high_credit).join(labels, on="target_id", how="left").cache()
    violators = labels.filter("is_violation").agg(F.count(F.lit(1)).alias("violators_total"))
    caught_by = (targets.filter(F.col("is_violation")).groupBy("target_id")
                 .agg(F.countDistinct("strategy_id").alias("caught_by")))
    unique = (targets.join(caught_by, on="target_id", how="left")
              .withColumn("is_unique", (F.col("caught_by") == 1) & F.col("is_violation")))
    is_reviewed = F.col("is_violation").isNotNull()
    is_cleared = F.col("is_violation") == F.lit(False)
    is_good = is_cleared | ((F.col("high_credit") == 1) & ~F.coalesce(F.col("is_violation"), F.lit(False)))
    summary = (
        unique.groupBy("strategy_id", "version").agg(
            F.count(F.lit(1)).alias("hit_targets"),
            F.sum(is_reviewed.cast("int")).alias("reviewed"),
            F.sum(F.coalesce(F.col("is_violation"), F.lit(False)).cast("int")).alias("confirmed"),
            F.sum(F.coalesce(is_cleared, F.lit(False)).cast("int")).alias("hits_on_cleared_creators"),
            F.sum(F.col("high_credit")).alias("hits_on_high_credit"),
            F.sum(F.coalesce(is_good, F.lit(False)).cast("int")).alias("fp_good_creators"),
            F.sum(F.coalesce(F.col("is_unique"), F.lit(False)).cast("int")).alias("unique_violators"),
        )
        .crossJoin(violators)
        .withColumn("precision", F.try_divide(F.col("confirmed"), F.col("reviewed")))
        .withColumn("recall", F.try_divide(F.col("confirmed"), F.col("violators_total")))
        .withColumn("incremental_recall", F.try_divide(F.col("unique_violators"), F.col("violators_total")))
    )
    rows = hits.groupBy("strategy_id", "version").agg(F.count(F.lit(1)).alias("hit_rows"))
    summary = summary.join(rows, on=["strategy_id", "version"], how="left")
    metrics = ["hit_rows", "hit_targets", "reviewed", "confirmed", "precision", "violators_total", "recall",
               "hits_on_cleared_creators", "hits_on_high_credit", "fp_good_creators", "unique_violators",
               "incremental_recall"]
    return _long(summary, metrics).unionByName(overlap(targets)).unionByName(daily_volume(hits))


def overlap(targets: DataFrame) -> DataFrame:
    """Targets each strategy shares with each other one (metric overlap_targets and overlap_share of its own)."""
    a = targets.select("strategy_id", "version", "target_id")
    b = targets.select(F.col("strategy_id").alias("other_strategy_id"), "target_id")
    own = a.groupBy("strategy_id").agg(F.count(F.lit(1)).alias("own"))
    shared = (a.join(b, on="target_id", how="inner").filter(F.col("strategy_id") != F.col("other_strategy_id"))
              .groupBy("strategy_id", "version", "other_strategy_id").agg(F.count(F.lit(1)).alias("shared"))
              .join(own, on="strategy_id", how="left"))
    both = F.array(
        F.struct(F.lit("overlap_targets").alias("metric"), F.col("shared").cast("double").alias("value")),
        F.struct(F.lit("overlap_share").alias("metric"), F.try_divide(F.col("shared"), F.col("own")).alias("value")),
    )
    return shared.select("strategy_id", "version", "other_strategy_id", F.explode(both).alias("m")).select(
        "strategy_id", "version", "m.metric", "m.value", F.lit(None).cast("double").alias("threshold"),
        F.lit(None).cast("date").alias("hit_ds"), "other_strategy_id")


def daily_volume(hits: DataFrame) -> DataFrame:
    """Hit rows per strategy and day (metric daily_hits)."""
    return hits.groupBy("strategy_id", "version", "ds").agg(F.count(F.lit(1)).cast("double").alias("value")).select(
        "strategy_id", "version", F.lit("daily_hits").alias("metric"), "value",
        F.lit(None).cast("double").alias("threshold"), F.col("ds").cast("date").alias("hit_ds"),
        F.lit(None).cast("string").alias("other_strategy_id"))


def threshold_sweep(values: DataFrame, labels: DataFrame, thresholds: Sequence[float]) -> DataFrame:
    """Precision and recall of `value >= t` for each threshold t, at target level.

    `values` has target_id and value (the largest value of the swept column over the range).
    Columns: threshold, flagged, reviewed, confirmed, precision, recall.
    """
    spark = values.sparkSession
    grid = spark.createDataFrame([(float(t),) for t in sorted(set(thresholds))],
                                 T.StructType([T.StructField("threshold", T.DoubleType())]))
    violators = labels.filter("is_violation").agg(F.count(F.lit(1)).alias("violators_total"))
    labelled = values.join(labels, on="target_id", how="left")
    flagged = F.col("value") >= F.col("threshold")
    return (
        grid.crossJoin(labelled)
        .groupBy("threshold").agg(
            F.sum(flagged.cast("int")).alias("flagged"),
            F.sum((flagged & F.col("is_violation").isNotNull()).cast("int")).alias("reviewed"),
            F.sum((flagged & F.coalesce(F.col("is_violation"), F.lit(False))).cast("int")).alias("confirmed"))
        .crossJoin(violators)
        .select("threshold", F.coalesce("flagged", F.lit(0)).alias("flagged"),
                F.coalesce("reviewed", F.lit(0)).alias("reviewed"),
                F.coalesce("confirmed", F.lit(0)).alias("confirmed"),
                F.try_divide(F.col("confirmed"), F.col("reviewed")).alias("precision"),
                F.try_divide(F.col("confirmed"), F.col("violators_total")).alias("recall"))
    )


def threshold_for_precision(sweep: list[dict], target: float, *, min_reviewed: int = 1) -> float | None:
    """The lowest threshold whose precision reaches `target` with at least `min_reviewed` reviewed targets."""
    ok = [r["threshold"] for r in sweep
          if r["precision"] is not None and r["precision"] >= target and r["reviewed"] >= min_reviewed]
    return min(ok) if ok else None


def sweep_metrics(strategy_id: str, version: int, sweep: list[dict], chosen: float | None,
                  target_precision: float) -> list[tuple]:
    """Sweep rows in PERFORMANCE_COLUMNS order (precision_at / recall_at / flagged_at per threshold)."""
    out = []
    for r in sweep:
        for metric in ("precision", "recall", "flagged"):
            value = r[metric]
            out.append((strategy_id, version, f"sweep_{metric}", None if value is None else float(value),
                        float(r["threshold"]), None, None))
    out.append((strategy_id, version, f"threshold_for_precision_{target_precision:g}", chosen, chosen, None, None))
    return out
