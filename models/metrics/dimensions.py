"""The account-dimension view every metric is sliced by: one row per account and day."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.models.metrics.definitions import age_bucket_labels

UNSCORED = "unscored"


def age_bucket(age_days, edges: tuple[int, ...]):
    """A Column with the age-bucket label of an age in days (edges in days, ascending)."""
    labels = age_bucket_labels(edges)
    expr = F.when(age_days < F.lit(edges[0]), F.lit(labels[0])) if edges else None
    if expr is None:
        return F.lit(labels[-1])
    for edge, label in zip(edges[1:], labels[1:-1]):
        expr = expr.when(age_days < F.lit(edge), F.lit(label))
    return expr.otherwise(F.lit(labels[-1]))


def build_account_dims(accounts: DataFrame, scores: DataFrame | None, *, ds_from: dt.date, ds_to: dt.date,
                       age_buckets: tuple[int, ...], unknown: str = "unknown") -> DataFrame:
    """Every account on every day of [ds_from, ds_to] it existed, with its dimensions.

    Columns: ds, account_id, country, category, age_bucket, is_seller ('true'/'false'), risk_tier (the tier of
    that day's creator_scores row, 'unscored' without one).
    """
    created = F.to_date("created_at")
    start = F.greatest(created, F.lit(ds_from))
    days = (
        accounts.filter(created <= F.lit(ds_to))
        .withColumn("ds", F.explode(F.sequence(start, F.lit(ds_to))))
        .withColumn("age_days", F.datediff("ds", created))
    )
    dims = days.select(
        "ds",
        "account_id",
        F.coalesce(F.col("country").cast("string"), F.lit(unknown)).alias("country"),
        F.coalesce(F.col("category").cast("string"), F.lit(unknown)).alias("category"),
        age_bucket(F.col("age_days"), age_buckets).alias("age_bucket"),
        F.when(F.col("is_seller"), F.lit("true")).otherwise(F.lit("false")).alias("is_seller"),
    )
    if scores is None:
        return dims.withColumn("risk_tier", F.lit(UNSCORED))
    tiers = scores.select("ds", "account_id", F.col("risk_tier").cast("string").alias("score_tier"))
    return (
        dims.join(tiers, on=["ds", "account_id"], how="left")
        .select("ds", "account_id", "country", "category", "age_bucket", "is_seller",
                F.coalesce("score_tier", F.lit(UNSCORED)).alias("risk_tier"))
    )
