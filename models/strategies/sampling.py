"""Daily review sampling, stratified by score band x strategy flag, and the inverse-probability-weighted
(Horvitz-Thompson) estimate of each strategy's precision and recall over the whole base.

Each account of a day falls into one stratum: its score band, and the strategy that flagged it (`multiple`
when several did, `unflagged` when none). A stratum of N accounts is sampled independently with probability
p = min(1, n / N) (Poisson sampling), using a seeded hash, so a day's sample is reproducible and each sampled
row carries its exact inclusion probability. Unflagged strata are what make recall estimable.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, functions as F

HASH_RANGE = 1_000_000_007


def score_band(score_col: str, edges: Sequence[float]):
    """Band label of a score: `[a,b)` over consecutive `edges` (the top one `[a,b]`), `no_score` when null."""
    col = F.col(score_col)
    bounds = list(edges)
    expr = F.lit("no_score")
    pairs = list(zip(bounds[:-1], bounds[1:]))
    for i, (low, high) in reversed(list(enumerate(pairs))):
        last = i == len(pairs) - 1  # the top band includes its upper edge (a score of exactly 1)
        inside = (col >= low) & ((col <= high) if last else (col < high))
        expr = F.when(inside, F.lit(f"[{low:g},{high:g}{']' if last else ')'}")).otherwise(expr)
    return F.when(col.isNull(), F.lit("no_score")).otherwise(expr)


def with_flag_stratum(accounts: DataFrame, hits: DataFrame) -> DataFrame:
    """Add flagged_by (sorted strategy ids that hit the account that day) and flag_stratum."""
    flagged = hits.groupBy(F.col("target_id").alias("account_id"), "ds").agg(
        F.array_sort(F.collect_set("strategy_id")).alias("flagged_by"))
    joined = accounts.join(flagged, on=["account_id", "ds"], how="left").withColumn(
        "flagged_by", F.coalesce(F.col("flagged_by"), F.array().cast("array<string>")))
    stratum = (F.when(F.size("flagged_by") == 0, F.lit("unflagged"))
               .when(F.size("flagged_by") == 1, F.element_at("flagged_by", 1))
               .otherwise(F.lit("multiple")))
    return joined.withColumn("flag_stratum", stratum)


def build_review_sample(population: DataFrame, *, band_edges: Sequence[float], per_stratum: int,
                        seed: int) -> DataFrame:
    """The sampled accounts of `population` (account_id, ds, score, flagged_by, flag_stratum).

    Columns: ds, account_id, score, score_band, flag_stratum, flagged_by, stratum_size, inclusion_prob.
    """
    banded = population.withColumn("score_band", score_band("score", band_edges))
    sizes = banded.groupBy("ds", "score_band", "flag_stratum").agg(F.count(F.lit(1)).alias("stratum_size"))
    uniform = F.pmod(F.xxhash64(F.col("account_id"), F.col("ds").cast("string"), F.lit(seed)),
                     F.lit(HASH_RANGE)) / F.lit(float(HASH_RANGE))
    return (
        banded.join(sizes, on=["ds", "score_band", "flag_stratum"], how="left")
        .withColumn("inclusion_prob", F.least(F.lit(1.0), F.lit(float(per_stratum)) / F.col("stratum_size")))
        .filter(uniform < F.col("inclusion_prob"))
        .select(F.col("ds").cast("date").alias("ds"), "account_id", F.col("score").cast("double").alias("score"),
                "score_band", "flag_stratum", "flagged_by", "stratum_size", "inclusion_prob")
    )


def ipw_precision_recall(sample: DataFrame, strategies: Sequence[str]) -> DataFrame:
    """Horvitz-Thompson estimates over the base from labelled sample rows.

    `sample` has inclusion_prob, flagged_by (array of strategy ids) and is_violation (null = not yet labelled;
    such rows are left out). Columns: strategy_id, labelled, est_flagged, est_true_positives, est_violators,
    precision, recall.
    """
    labelled = sample.filter(F.col("is_violation").isNotNull()).withColumn("w", 1.0 / F.col("inclusion_prob"))
    spark = sample.sparkSession
    ids = spark.createDataFrame([(s,) for s in strategies], "strategy_id string")
    is_flagged = F.array_contains(F.col("flagged_by"), F.col("strategy_id"))
    violation_w = F.when(F.col("is_violation"), F.col("w")).otherwise(F.lit(0.0))
    return (
        ids.crossJoin(labelled)
        .groupBy("strategy_id").agg(
            F.count(F.lit(1)).alias("labelled"),
            F.sum(F.when(is_flagged, F.col("w")).otherwise(F.lit(0.0))).alias("est_flagged"),
            F.sum(F.when(is_flagged, violation_w).otherwise(F.lit(0.0))).alias("est_true_positives"),
            F.sum(violation_w).alias("est_violators"))
        .withColumn("precision", F.try_divide(F.col("est_true_positives"), F.col("est_flagged")))
        .withColumn("recall", F.try_divide(F.col("est_true_positives"), F.col("est_violators")))
    )
