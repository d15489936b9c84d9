"""`content_features`: per content item and day, how it is engaged with, by whom, and how far its fingerprint
has spread. A row exists for (content_id, ds) when the item was created, engaged with or reported in the
7 days ending on ds."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.features.common import MAX_WINDOW, Sources, build_actor_days, events_in_reach, with_day
from creator_governance.features.graph import build_key_usage
from creator_governance.features.windows import (
    date_of_index, explode_to_targets, in_window, ratio, target_indexes, wsum,
)

if TYPE_CHECKING:  # annotations only: the section is passed in, never loaded here
    from creator_governance.settings.features import FeaturesSettings

KEYS = ["content_id", "ds_index"]

CONTENT_COLUMNS = [
    "creator_id", "content_type", "is_aigc", "quality_score", "content_age_days",
    "views_1d", "likes_1d", "comments_1d", "shares_1d", "engagements_1d", "engagements_7d", "views_7d", "likes_7d",
    "like_rate_1d", "like_rate_7d", "engagements_first_hour", "engagements_per_hour_7d",
    "distinct_engagers_1d", "engager_mean_age_days_1d", "new_engager_share_1d", "suspicious_engager_share_1d",
    "reports_1d", "reports_7d", "fingerprint_accounts_28d", "fingerprint_items_28d",
]


def _engagement_aggs(engagements: DataFrame, content: DataFrame, actor_days: DataFrame,
                     targets: list[int]) -> DataFrame:
    created = content.select("content_id", F.unix_seconds(F.col("created_at")).alias("created_s"))
    first_hour = F.unix_seconds(F.col("ts")) < F.col("created_s") + F.lit(3600)
    daily = (
        events_in_reach(engagements, "ts", targets=targets, window=MAX_WINDOW)
        .join(created, on="content_id", how="inner")
        .groupBy("content_id", "actor_id", "day").agg(
            F.count(F.lit(1)).alias("n"),
            *[F.count(F.when(F.col("action") == a, 1)).alias(a) for a in ("view", "like", "comment", "share")],
            F.count(F.when(first_hour, 1)).alias("first_hour"))
        .join(actor_days, on=["actor_id", "day"], how="left")
    )
    exploded = explode_to_targets(daily, targets=targets, max_window=MAX_WINDOW)
    on_day = in_window(1)
    return exploded.groupBy(*KEYS).agg(
        *[wsum(a, 1).alias(f"{a}s_1d") for a in ("view", "like", "comment", "share")],
        wsum("n", 1).alias("engagements_1d"), wsum("n", 7).alias("engagements_7d"),
        wsum("view", 7).alias("views_7d"), wsum("like", 7).alias("likes_7d"),
        wsum("first_hour", MAX_WINDOW).alias("engagements_first_hour"),
        F.count(F.when(on_day, 1)).alias("distinct_engagers_1d"),
        F.avg(F.when(on_day, F.col("actor_age_days"))).alias("engager_mean_age_days_1d"),
        F.count(F.when(on_day & F.col("is_new_actor"), 1)).alias("new_engagers_1d"),
        F.count(F.when(on_day & F.coalesce(F.col("is_suspicious_actor"), F.lit(True)), 1)).alias("suspicious_1d"),
        F.max(F.when(in_window(7), 1)).alias("active_7d"),
    ).filter(F.col("active_7d") == 1).drop("active_7d")


def _report_aggs(reports: DataFrame, targets: list[int]) -> DataFrame:
    daily = (events_in_reach(reports.filter(F.col("content_id").isNotNull()), "ts", targets=targets, window=7)
             .groupBy("content_id", "day").agg(F.count(F.lit(1)).alias("n")))
    return (explode_to_targets(daily, targets=targets, max_window=7)
            .groupBy(*KEYS).agg(wsum("n", 1).alias("reports_1d"), wsum("n", 7).alias("reports_7d")))


def build_content_features(sources: Sources, *, days: list[dt.date], params: FeaturesSettings) -> DataFrame:
    """The `content_features` table: content_id, ds, then `CONTENT_COLUMNS`."""
    targets = target_indexes(days)
    content = sources.content.transform(with_day, "created_at")
    actor_days = build_actor_days(sources.engagements, sources.accounts, params)
    engaged = _engagement_aggs(sources.engagements, sources.content, actor_days, targets)
    reported = _report_aggs(sources.reports, targets)
    recent = explode_to_targets(content.select("content_id", "day"), targets=targets, max_window=7).select(*KEYS)
    keys = recent.unionByName(engaged.select(*KEYS)).unionByName(reported.select(*KEYS)).groupBy(*KEYS).count().select(*KEYS)
    spread = build_key_usage(content, account="creator_id", key="fingerprint", targets=targets)
    spread = spread.groupBy(F.col("key").alias("fingerprint"), "ds_index").agg(
        F.max("key_accounts").alias("fingerprint_accounts_28d"), F.sum("uses_28d").alias("fingerprint_items_28d"))
    dims = content.select("content_id", "creator_id", "content_type",
                          F.coalesce(F.col("is_aigc"), F.lit(False)).alias("is_aigc"), "quality_score",
                          F.col("day").alias("created_day"), F.unix_seconds(F.col("created_at")).alias("created_s"),
                          "fingerprint")
    out = (
        keys.join(dims, on="content_id", how="inner")
        .filter(F.col("created_day") <= F.col("ds_index"))
        .join(engaged, on=KEYS, how="left").join(reported, on=KEYS, how="left")
        .join(spread, on=["fingerprint", "ds_index"], how="left")
    )
    zero = [c for c in CONTENT_COLUMNS if c.endswith(("_1d", "_7d", "_first_hour")) and "rate" not in c
            and "share" not in c and "age" not in c and "per_hour" not in c]
    end_of_ds = (F.col("ds_index") + F.lit(1)) * F.lit(86400)
    hours_live = F.least(F.lit(168.0), F.greatest(F.lit(1.0), (end_of_ds - F.col("created_s")) / F.lit(3600.0)))
    out = (
        out.fillna(0, subset=zero)
        .withColumn("content_age_days", F.col("ds_index") - F.col("created_day"))
        .withColumn("like_rate_1d", ratio("likes_1d", "views_1d"))
        .withColumn("like_rate_7d", ratio("likes_7d", "views_7d"))
        .withColumn("engagements_per_hour_7d", F.col("engagements_7d") / hours_live)
        .withColumn("new_engager_share_1d", ratio("new_engagers_1d", "distinct_engagers_1d"))
        .withColumn("suspicious_engager_share_1d", ratio("suspicious_1d", "distinct_engagers_1d"))
    )
    return out.select("content_id", date_of_index("ds_index").alias("ds"), *CONTENT_COLUMNS)
