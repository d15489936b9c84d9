"""Creator and merchant credit: a points system from enforcement history, reviews, reports, quality, commerce,
tenure and volume, relative to the account's category, with faults that fade (see docs/credit.md).

Score = base + violations + cleared reviews + reports + quality + commerce + tenure + volume, clipped to
[0, 1000]. Violations and cleared reviews fade linearly to nothing over `lookback_days`, so an account
recovers. Reports, quality and commerce are compared with the median of the account's category that day.
Accounts below `min_volume` (posts + orders sold in 28 days) get no score: tier `unrated`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import DataFrame, functions as F

if TYPE_CHECKING:  # annotations only: the job passes the validated `strategies.credit` section as it is
    from creator_governance.settings.strategies import CreditSettings

TIER_ORDER = ("excellent", "good", "fair", "at_risk", "critical", "unrated")

OUTPUT = ("account_id", "ds", "category", "is_merchant", "credit_score", "credit_tier", "violation_points",
          "review_points", "report_points", "quality_points", "commerce_points", "tenure_points", "volume_points",
          "weighted_violations", "activity_28d")


def _clip(col, low: float, high: float):
    return F.least(F.greatest(col, F.lit(low)), F.lit(high))


def with_decayed_decisions(features: DataFrame, decisions: DataFrame, *, params: CreditSettings) -> DataFrame:
    """Add violation_points, review_points and weighted_violations from decisions of the last lookback_days.

    A decision `age` days old weighs 1 - age / lookback_days (1 on its day, gone after lookback_days).
    """
    policy_points = F.lit(params.default_violation_points)
    for policy, points in sorted(params.violation_points.items()):
        policy_points = F.when(F.col("policy") == policy, F.lit(points)).otherwise(policy_points)
    dec = decisions.select(F.col("target_id").alias("account_id"), F.to_date("ts").alias("decision_day"),
                           "outcome", "policy")
    keys = features.select("account_id", "ds")
    age = F.date_diff(F.col("ds"), F.col("decision_day"))
    weight = 1.0 - age / F.lit(float(params.lookback_days))
    is_violation = F.col("outcome") == "violation"
    decayed = (
        keys.join(dec, on="account_id", how="inner")
        .filter((age >= 0) & (age < params.lookback_days))
        .groupBy("account_id", "ds").agg(
            F.sum(F.when(is_violation, weight * policy_points).otherwise(0.0)).alias("violation_loss"),
            F.sum(F.when(is_violation, weight).otherwise(0.0)).alias("weighted_violations"),
            F.sum(F.when(~is_violation, weight).otherwise(0.0)).alias("weighted_cleared"))
    )
    return (
        features.join(decayed, on=["account_id", "ds"], how="left")
        .withColumn("violation_points", -F.coalesce(F.col("violation_loss"), F.lit(0.0)))
        .withColumn("weighted_violations", F.coalesce(F.col("weighted_violations"), F.lit(0.0)))
        .withColumn("review_points", F.least(F.coalesce(F.col("weighted_cleared"), F.lit(0.0))
                                             * params.cleared_review_points, F.lit(params.cleared_review_cap)))
        .drop("violation_loss", "weighted_cleared")
    )


def with_category_benchmarks(df: DataFrame, *, params: CreditSettings) -> DataFrame:
    """Add the day's category medians of reports, quality, refund and cancel rates (rated accounts only)."""
    rated = df.filter(F.col("activity_28d") >= params.min_volume)
    merchant = F.col("orders_28d") >= params.min_orders
    bench = rated.groupBy("ds", "category").agg(
        F.percentile_approx("reports_received_28d", 0.5).alias("bench_reports"),
        F.percentile_approx("mean_quality_28d", 0.5).alias("bench_quality"),
        F.percentile_approx(F.when(merchant, F.col("refund_rate_28d")), 0.5).alias("bench_refund"),
        F.percentile_approx(F.when(merchant, F.col("cancel_rate_28d")), 0.5).alias("bench_cancel"))
    return df.join(bench, on=["ds", "category"], how="left")


def _tier(score_col: str, params: CreditSettings):
    expr = F.lit("critical")
    for name, floor in sorted(params.tiers.items(), key=lambda kv: kv[1]):
        expr = F.when(F.col(score_col) >= floor, F.lit(name)).otherwise(expr)
    return F.when(F.col(score_col).isNull(), F.lit("unrated")).otherwise(expr)


def build_creator_credit(features: DataFrame, accounts: DataFrame, decisions: DataFrame, *,
                         params: CreditSettings) -> DataFrame:
    """Credit per (account_id, ds) of `features`; `accounts` gives category, `decisions` the history.

    Columns: OUTPUT. credit_score is null (tier unrated) below min_volume.
    """
    p = params
    base = (
        features.select("account_id", "ds", "account_age_days", "posts_28d", "orders_28d", "reports_received_28d",
                        "mean_quality_28d", "refund_rate_28d", "cancel_rate_28d")
        .join(accounts.select("account_id", F.coalesce(F.col("category"), F.lit("unknown")).alias("category")),
              on="account_id", how="left")
        .withColumn("category", F.coalesce(F.col("category"), F.lit("unknown")))
        .withColumn("activity_28d", F.col("posts_28d") + F.col("orders_28d"))
        .withColumn("is_merchant", F.col("orders_28d") >= p.min_orders)
    )
    scored = (
        base.transform(lambda df: with_decayed_decisions(df, decisions, params=p))
        .transform(lambda df: with_category_benchmarks(df, params=p))
        .withColumn("report_points", _clip(-(F.col("reports_received_28d") - F.coalesce("bench_reports", F.lit(0)))
                                           * p.report_points, -p.report_cap, 0.0))
        .withColumn("quality_points", F.coalesce(_clip((F.col("mean_quality_28d") - F.col("bench_quality"))
                                                       * p.quality_points, -p.quality_cap, p.quality_cap), F.lit(0.0)))
        .withColumn("commerce_points", F.when(F.col("is_merchant"), _clip(
            -F.greatest(F.coalesce(F.col("refund_rate_28d") - F.col("bench_refund"), F.lit(0.0)), F.lit(0.0))
            * p.refund_points
            - F.greatest(F.coalesce(F.col("cancel_rate_28d") - F.col("bench_cancel"), F.lit(0.0)), F.lit(0.0))
            * p.cancel_points, -p.commerce_cap, 0.0)).otherwise(F.lit(0.0)))
        .withColumn("tenure_points", F.least(F.col("account_age_days") / F.lit(float(p.tenure_full_days)),
                                             F.lit(1.0)) * p.tenure_points)
        .withColumn("volume_points", F.least(F.log10(1.0 + F.col("activity_28d"))
                                             / F.log10(F.lit(1.0 + p.volume_full_activity)), F.lit(1.0))
                    * p.volume_points)
    )
    total = (F.lit(p.base_points) + F.col("violation_points") + F.col("review_points") + F.col("report_points")
             + F.col("quality_points") + F.col("commerce_points") + F.col("tenure_points") + F.col("volume_points"))
    return (
        scored.withColumn("credit_score", F.when(F.col("activity_28d") >= p.min_volume,
                                                 F.round(_clip(total, 0.0, 1000.0)).cast("int")))
        .withColumn("credit_tier", _tier("credit_score", p))
        .select(*OUTPUT)
    )
