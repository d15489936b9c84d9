"""Per-source window aggregates keyed by (account_id, ds_index), each computed from one daily aggregate.

Every function returns a frame with `account_id`, `ds_index` and its columns; counts there are 0 when the
account had rows in the source but nothing in a given window, and the caller fills 0 for accounts with no row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.features.common import MAX_WINDOW, events_in_reach, is_night, with_day
from creator_governance.features.graph import build_key_usage
from creator_governance.features.windows import (
    explode_to_targets, previous_event, ratio, wcount_distinct, wmax, wmin, wsum,
)

if TYPE_CHECKING:  # annotations only: the section is passed in, never loaded here
    from creator_governance.settings.features import FeaturesSettings

KEYS = ["account_id", "ds_index"]
ACTIONS = ("view", "like", "comment", "share")


def _windowed(daily: DataFrame, targets: list[int], *aggs, window: int = MAX_WINDOW, keys=KEYS) -> DataFrame:
    return explode_to_targets(daily, targets=targets, max_window=window).groupBy(*keys).agg(*aggs)


# ---- content posted -------------------------------------------------------------------------------------------
def content_rich(content: DataFrame, targets: list[int], params: FeaturesSettings) -> DataFrame:
    """Posting volume, burstiness, night share, content mix, AIGC and quality over the windows."""
    gap = (F.unix_seconds(F.col("created_at"))
           - F.lag(F.unix_seconds(F.col("created_at"))).over(previous_event("creator_id", order="created_at"))) / 60.0
    quality = F.col("quality_score")
    posts = (
        content.transform(with_day, "created_at")
        .withColumn("gap_minutes", gap)
        .withColumn("hour", F.floor(F.unix_seconds(F.col("created_at")) / F.lit(3600)))
    )
    hourly = posts.groupBy("creator_id", "day", "hour").agg(F.count(F.lit(1)).alias("n"))
    peak = hourly.groupBy("creator_id", "day").agg(F.max("n").alias("peak_hour_posts"))
    daily = (
        posts.groupBy("creator_id", "day").agg(
            F.count(F.lit(1)).alias("n"),
            F.count(F.when(is_night("created_at", params), 1)).alias("night"),
            *[F.count(F.when(F.col("content_type") == t, 1)).alias(t) for t in ("video", "live", "listing")],
            F.count(F.when(F.col("is_aigc"), 1)).alias("aigc"),
            F.sum(quality).alias("quality_sum"),
            F.count(quality).alias("quality_n"),
            F.count(F.when(quality < F.lit(params.low_quality_threshold), 1)).alias("low_quality"),
            F.sum("gap_minutes").alias("gap_sum"), F.count("gap_minutes").alias("gap_n"),
            F.min("gap_minutes").alias("gap_min"),
        )
        .join(peak, on=["creator_id", "day"], how="inner")
        .withColumnRenamed("creator_id", "account_id")
    )
    out = _windowed(
        daily, targets,
        *[wsum("n", w).alias(f"posts_{w}d") for w in (1, 7, 28)],
        wsum("n", 7, lag=7).alias("posts_prev_7d"),
        wsum("night", 7).alias("night_posts_7d"),
        *[wsum(t, 28).alias(f"{t}_posts_28d") for t in ("video", "live", "listing")],
        wsum("aigc", 28).alias("aigc_posts_28d"),
        wsum("quality_sum", 28).alias("quality_sum_28d"), wsum("quality_n", 28).alias("quality_n_28d"),
        wsum("low_quality", 28).alias("low_quality_28d"),
        wmax("peak_hour_posts", 7).alias("peak_hour_posts_7d"),
        wsum("gap_sum", 7).alias("gap_sum_7d"), wsum("gap_n", 7).alias("gap_n_7d"),
        wmin("gap_min", 7).alias("min_post_gap_minutes_7d"),
    )
    return out.select(
        *KEYS, "posts_1d", "posts_7d", "posts_28d", "posts_prev_7d",
        ratio("night_posts_7d", "posts_7d").alias("night_post_share_7d"),
        ratio("peak_hour_posts_7d", "posts_7d").alias("peak_hour_share_7d"),
        "min_post_gap_minutes_7d", ratio("gap_sum_7d", "gap_n_7d").alias("mean_post_gap_minutes_7d"),
        *[ratio(f"{t}_posts_28d", "posts_28d").alias(f"{t}_share_28d") for t in ("video", "live", "listing")],
        ratio("aigc_posts_28d", "posts_28d").alias("aigc_share_28d"),
        ratio("quality_sum_28d", "quality_n_28d").alias("mean_quality_28d"),
        ratio("low_quality_28d", "quality_n_28d").alias("low_quality_share_28d"),
    )


def fingerprint_aggs(usage: DataFrame, *, hub_cap: int) -> DataFrame:
    """Near-duplicate posts in 28 days: own repeats and fingerprints shared with other accounts."""
    return usage.groupBy(*KEYS).agg(
        F.sum(F.when(F.col("uses_28d") >= 2, F.col("uses_28d")).otherwise(0)).alias("dup_own_posts_28d"),
        F.sum(F.when(F.col("key_accounts") >= 2, F.col("uses_28d")).otherwise(0)).alias("dup_cross_posts_28d"),
        F.count(F.when(F.col("key_accounts") > F.lit(hub_cap), 1)).alias("hub_fingerprints_28d"),
    )


# ---- engagement received and given ----------------------------------------------------------------------------
def _received(engagements: DataFrame, content: DataFrame, targets: list[int], *, window: int,
              by: tuple[str, ...] = ()) -> DataFrame:
    """Engagements received per (content owner, *by, day): n and a count per action. Counted per item first, so
    the join to the owners shuffles item-days rather than engagements; engagements on unknown content have no
    owner and drop out."""
    per_action = [F.count(F.when(F.col("action") == a, 1)).alias(a) for a in ACTIONS]
    per_item = (
        events_in_reach(engagements, "ts", targets=targets, window=window)
        .groupBy("content_id", *by, "day").agg(F.count(F.lit(1)).alias("n"), *per_action)
    )
    owners = content.select("content_id", F.col("creator_id").alias("account_id"))
    return (
        per_item.join(owners, on="content_id", how="inner")
        .groupBy("account_id", *by, "day").agg(*[F.sum(c).alias(c) for c in ("n", *ACTIONS)])
    )


def received_rich(engagements: DataFrame, content: DataFrame, actor_days: DataFrame, targets: list[int]) -> DataFrame:
    """Engagement received by action, from new or suspicious actors, distinct engagers, like concentration."""
    daily = (
        _received(engagements, content, targets, window=MAX_WINDOW, by=("actor_id",))
        .join(actor_days, on=["actor_id", "day"], how="left")
    )
    per_actor = _windowed(
        daily, targets,
        *[wsum(a, 7).alias(f"{a}s_7d") for a in ACTIONS],
        wsum("view", 28).alias("views_28d"), wsum("like", 28).alias("likes_28d"),
        wsum("view", 7, lag=7).alias("views_prev_7d"),
        wsum("n", 7).alias("n_7d"),
        wsum(F.when(F.col("is_new_actor"), F.col("n")), 7).alias("new_7d"),
        wsum(F.when(F.coalesce(F.col("is_suspicious_actor"), F.lit(True)), F.col("n")), 7).alias("suspicious_7d"),
        keys=[*KEYS, "actor_id"],
    )
    out = per_actor.groupBy(*KEYS).agg(
        *[F.sum(c).alias(c) for c in ("views_7d", "likes_7d", "comments_7d", "shares_7d", "views_28d",
                                     "likes_28d", "views_prev_7d", "n_7d", "new_7d", "suspicious_7d")],
        F.count(F.when(F.col("n_7d") > 0, 1)).alias("distinct_engagers_7d"),
        F.max("likes_7d").alias("top_liker_7d"),
    )
    return out.select(
        *KEYS, "views_7d", "likes_7d", "comments_7d", "shares_7d", "views_28d", "likes_28d", "views_prev_7d",
        F.col("n_7d").alias("engagements_received_7d"), "distinct_engagers_7d",
        ratio("new_7d", "n_7d").alias("new_engager_share_7d"),
        ratio("suspicious_7d", "n_7d").alias("suspicious_engager_share_7d"),
        ratio("top_liker_7d", "likes_7d").alias("top_liker_share_7d"),
    )


def given_aggs(engagements: DataFrame, targets: list[int]) -> DataFrame:
    """engagements_given_1d, 7d, 28d and previous 7d, likes and comments given."""
    daily = (
        events_in_reach(engagements, "ts", targets=targets, window=MAX_WINDOW)
        .groupBy(F.col("actor_id").alias("account_id"), "day").agg(
            F.count(F.lit(1)).alias("n"),
            F.count(F.when(F.col("action") == "like", 1)).alias("likes"),
            F.count(F.when(F.col("action") == "comment", 1)).alias("comments"))
    )
    return _windowed(
        daily, targets,
        *[wsum("n", w).alias(f"engagements_given_{w}d") for w in (1, 7, 28)],
        wsum("n", 7, lag=7).alias("engagements_given_prev_7d"),
        wsum("likes", 7).alias("likes_given_7d"), wsum("comments", 7).alias("comments_given_7d"),
    )


# ---- reports and decisions ---------------------------------------------------------------------------------------
def reports_received(reports: DataFrame, targets: list[int]) -> DataFrame:
    """reports_received_7d and 28d, distinct reporters in 28 days."""
    daily = (events_in_reach(reports, "ts", targets=targets, window=MAX_WINDOW)
             .groupBy(F.col("target_id").alias("account_id"), "reporter_id", "day")
             .agg(F.count(F.lit(1)).alias("n")))
    return _windowed(daily, targets, wsum("n", 7).alias("reports_received_7d"),
                     wsum("n", 28).alias("reports_received_28d"),
                     wcount_distinct("reporter_id", 28).alias("distinct_reporters_28d"))


def reports_made(reports: DataFrame, targets: list[int]) -> DataFrame:
    """reports_made_7d, reports_made_28d."""
    daily = (events_in_reach(reports, "ts", targets=targets, window=MAX_WINDOW)
             .groupBy(F.col("reporter_id").alias("account_id"), "day").agg(F.count(F.lit(1)).alias("n")))
    return _windowed(daily, targets, wsum("n", 7).alias("reports_made_7d"), wsum("n", 28).alias("reports_made_28d"))


def violations(decisions: DataFrame, targets: list[int]) -> DataFrame:
    """violations_28d and 7d, decisions_28d, days_since_last_violation."""
    is_violation = F.col("outcome") == "violation"
    daily = (events_in_reach(decisions, "ts", targets=targets, window=MAX_WINDOW)
             .groupBy(F.col("target_id").alias("account_id"), "day")
             .agg(F.count(F.lit(1)).alias("n"), F.count(F.when(is_violation, 1)).alias("violations")))
    return _windowed(
        daily, targets,
        wsum("violations", 28).alias("violations_28d"), wsum("violations", 7).alias("violations_7d"),
        wsum("n", 28).alias("decisions_28d"),
        wmin(F.when(F.col("violations") > 0, F.col("offset")), 28).alias("days_since_last_violation"),
    )


# ---- commerce ------------------------------------------------------------------------------------------------------
def seller_orders(orders: DataFrame, targets: list[int]) -> DataFrame:
    """Orders received as a seller: volume over the windows, refunds, GMV, cancel rate, buyer concentration."""
    daily = (
        events_in_reach(orders, "created_at", targets=targets, window=MAX_WINDOW)
        .groupBy(F.col("seller_id").alias("account_id"), "buyer_id", "day").agg(
            F.count(F.lit(1)).alias("n"),
            F.count(F.when(F.col("status") == "refunded", 1)).alias("refunded"),
            F.count(F.when(F.col("status") == "cancelled", 1)).alias("cancelled"),
            F.sum("amount").alias("gmv"))
    )
    per_buyer = _windowed(
        daily, targets,
        *[wsum("n", w).alias(f"orders_{w}d") for w in (1, 7, 28)], wsum("n", 7, lag=7).alias("orders_prev_7d"),
        wsum("refunded", 28).alias("refunded_28d"), wsum("cancelled", 28).alias("cancelled_28d"),
        wsum("gmv", 7).alias("gmv_7d"), wsum("gmv", 28).alias("gmv_28d"),
        keys=[*KEYS, "buyer_id"],
    )
    sums = ("orders_1d", "orders_7d", "orders_28d", "orders_prev_7d", "refunded_28d", "cancelled_28d",
            "gmv_7d", "gmv_28d")
    out = per_buyer.groupBy(*KEYS).agg(
        *[F.sum(c).alias(c) for c in sums],
        F.count(F.when(F.col("orders_28d") > 0, 1)).alias("distinct_buyers_28d"),
        F.max("orders_28d").alias("top_buyer_orders_28d"))
    return out.select(*KEYS, *sums, "distinct_buyers_28d",
                      ratio("cancelled_28d", "orders_28d").alias("cancel_rate_28d"),
                      ratio("top_buyer_orders_28d", "orders_28d").alias("top_buyer_share_28d"))


def buyer_orders(orders: DataFrame, targets: list[int]) -> DataFrame:
    """orders_placed_28d: orders the account made as a buyer."""
    daily = (events_in_reach(orders, "created_at", targets=targets, window=MAX_WINDOW)
             .groupBy(F.col("buyer_id").alias("account_id"), "day").agg(F.count(F.lit(1)).alias("n")))
    return _windowed(daily, targets, wsum("n", 28).alias("orders_placed_28d"))


# ---- devices, IPs, fingerprints ----------------------------------------------------------------------------------
def key_usage(events: DataFrame, key: str, targets: list[int], *, account: str = "account_id",
              ts: str = "ts") -> DataFrame:
    """`build_key_usage` of a bronze frame: who used which `key` in each day's 28-day window."""
    return build_key_usage(events_in_reach(events, ts, targets=targets, window=MAX_WINDOW), account=account, key=key,
                           targets=targets)


def device_aggs(usage: DataFrame, *, prefix: str, hub_cap: int, plural: str | None = None) -> DataFrame:
    """distinct_<plural>_28d and _7d, max_accounts_per_<prefix>_28d, hub_<plural>_28d (keys over `hub_cap`)."""
    plural = plural or f"{prefix}s"
    return usage.groupBy(*KEYS).agg(
        F.count(F.lit(1)).alias(f"distinct_{plural}_28d"),
        F.max("key_accounts").alias(f"max_accounts_per_{prefix}_28d"),
        F.count(F.when(F.col("first_offset") < 7, 1)).alias(f"distinct_{plural}_7d"),
        F.count(F.when(F.col("key_accounts") > F.lit(hub_cap), 1)).alias(f"hub_{plural}_28d"))
