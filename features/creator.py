"""`creator_features`: the canonical columns of CONTRACT.md section 2, then the rich set, per (account_id, ds).

(The canonical columns alone, without the rich set, come from `features.canonical.build_canonical_features`.)

Each source is reduced once to a daily aggregate per account, exploded to the requested days
(`features.windows.explode_to_targets`) and aggregated into every window at once; the results are left-joined
onto the grid of accounts that exist on each day. Graph and lockstep signals are computed by their own modules
and joined here by the caller (`with_graph_signals`, `with_lockstep_signals`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from creator_governance.features import sources as src
from creator_governance.features.canonical import CANONICAL_COLUMNS
from creator_governance.features.common import Sources, build_actor_days
from creator_governance.features.graph import build_account_graph
from creator_governance.features.lockstep import build_lockstep
from creator_governance.features.windows import date_of_index, day_index_of_ts, ratio, target_indexes

if TYPE_CHECKING:  # annotations only: the section is passed in, never loaded here
    from creator_governance.settings.features import FeaturesSettings

KEYS = ["account_id", "ds_index"]


def build_grid(accounts: DataFrame, targets: list[int]) -> DataFrame:
    """One row per (account_id, ds_index) for every account created on or before that day.

    Columns: account_id, ds_index, account_age_days, is_seller.
    """
    created = day_index_of_ts("created_at")
    return (
        accounts.select("account_id", created.alias("created_day"),
                        F.coalesce(F.col("is_seller"), F.lit(False)).alias("is_seller"))
        .filter(F.col("created_day") <= F.lit(max(targets)))
        .withColumn("ds_index", F.explode(F.array(*[F.lit(t) for t in targets])))
        .filter(F.col("created_day") <= F.col("ds_index"))
        .select(*KEYS, (F.col("ds_index") - F.col("created_day")).alias("account_age_days"), "is_seller")
    )


def _join_all(grid: DataFrame, parts: list[DataFrame]) -> DataFrame:
    out = grid
    for part in parts:
        out = out.join(part, on=KEYS, how="left")
    return out


def _zero_filled(df: DataFrame, columns: list[str]) -> DataFrame:
    """Counts are 0, not null, for an account that had no row in a source."""
    return df.fillna(0, subset=columns)


def _finish(df: DataFrame, columns: list[str]) -> DataFrame:
    return df.select("account_id", date_of_index("ds_index").alias("ds"), *columns)


RICH_COLUMNS = [
    "is_seller", "is_new_account",
    # posting
    "posts_prev_7d", "posts_trend_7d", "night_post_share_7d", "peak_hour_share_7d", "min_post_gap_minutes_7d",
    "mean_post_gap_minutes_7d", "video_share_28d", "live_share_28d", "listing_share_28d", "aigc_share_28d",
    "mean_quality_28d", "low_quality_share_28d", "dup_own_share_28d", "dup_cross_share_28d",
    "hub_fingerprints_28d",
    # engagement received
    "comments_7d", "shares_7d", "views_28d", "likes_28d", "views_prev_7d", "views_trend_7d",
    "engagements_received_7d", "like_rate_28d", "comment_rate_7d", "distinct_engagers_7d",
    "new_engager_share_7d", "suspicious_engager_share_7d", "top_liker_share_7d",
    # engagement given
    "engagements_given_7d", "engagements_given_28d", "engagements_given_prev_7d", "engagements_given_trend_7d",
    "likes_given_7d", "comments_given_7d",
    # reports and enforcement
    "reports_received_28d", "distinct_reporters_28d", "reports_per_1k_views_7d", "reports_made_7d",
    "reports_made_28d", "violations_7d", "decisions_28d", "days_since_last_violation",
    # commerce
    "orders_1d", "orders_7d", "orders_prev_7d", "orders_trend_7d", "gmv_7d", "gmv_28d", "cancel_rate_28d",
    "distinct_buyers_28d", "top_buyer_share_28d", "orders_placed_28d",
    # devices and networks
    "distinct_devices_7d", "hub_devices_28d", "distinct_ips_7d", "distinct_ips_28d", "max_accounts_per_ip_28d",
    "hub_ips_28d",
    # graph and lockstep
    "graph_cluster_id", "graph_cluster_size", "graph_link_types", "graph_cluster_link_types",
    "lockstep_group_id", "lockstep_group_size", "lockstep_partners", "lockstep_score",
]

FEATURE_COLUMNS = [*CANONICAL_COLUMNS, *RICH_COLUMNS]

_NULLABLE = {
    "like_rate_7d", "refund_rate_28d", "night_post_share_7d", "peak_hour_share_7d", "min_post_gap_minutes_7d",
    "mean_post_gap_minutes_7d", "video_share_28d", "live_share_28d", "listing_share_28d", "aigc_share_28d",
    "mean_quality_28d", "low_quality_share_28d", "dup_own_share_28d", "dup_cross_share_28d", "like_rate_28d",
    "comment_rate_7d", "new_engager_share_7d", "suspicious_engager_share_7d", "top_liker_share_7d",
    "reports_per_1k_views_7d", "days_since_last_violation", "cancel_rate_28d", "top_buyer_share_28d",
    "graph_cluster_id", "graph_cluster_size", "graph_link_types", "graph_cluster_link_types", "lockstep_group_id",
    "gmv_7d", "gmv_28d", "lockstep_score",
}


def _trend(current: str, previous: str) -> Column:
    """(current + 1) / (previous + 1): 1 when flat, defined even from zero."""
    return (F.col(current) + F.lit(1.0)) / (F.col(previous) + F.lit(1.0))


def with_derived(df: DataFrame, *, new_account_days: int) -> DataFrame:
    """Rates, shares and trends computed from the joined counts."""
    return (
        df.withColumn("like_rate_7d", ratio("likes_7d", "views_7d"))
        .withColumn("like_rate_28d", ratio("likes_28d", "views_28d"))
        .withColumn("comment_rate_7d", ratio("comments_7d", "views_7d"))
        .withColumn("refund_rate_28d", ratio("refunded_28d", "orders_28d"))
        .withColumn("dup_own_share_28d", ratio("dup_own_posts_28d", "posts_28d"))
        .withColumn("dup_cross_share_28d", ratio("dup_cross_posts_28d", "posts_28d"))
        .withColumn("reports_per_1k_views_7d", ratio(F.col("reports_received_7d") * 1000, "views_7d"))
        .withColumn("posts_trend_7d", _trend("posts_7d", "posts_prev_7d"))
        .withColumn("views_trend_7d", _trend("views_7d", "views_prev_7d"))
        .withColumn("engagements_given_trend_7d", _trend("engagements_given_7d", "engagements_given_prev_7d"))
        .withColumn("orders_trend_7d", _trend("orders_7d", "orders_prev_7d"))
        .withColumn("is_new_account", F.col("account_age_days") < F.lit(new_account_days))
        .withColumn("gmv_7d", F.coalesce(F.col("gmv_7d"), F.lit(0.0)))
        .withColumn("gmv_28d", F.coalesce(F.col("gmv_28d"), F.lit(0.0)))
    )


def with_network_defaults(df: DataFrame) -> DataFrame:
    """An account without links is its own cluster of one; outside any lockstep group its score is 0."""
    empty = F.array().cast("array<string>")
    return (
        df.withColumn("graph_cluster_id", F.coalesce(F.col("graph_cluster_id"), F.col("account_id")))
        .withColumn("graph_cluster_size", F.coalesce(F.col("graph_cluster_size"), F.lit(1)).cast("long"))
        .withColumn("graph_link_types", F.coalesce(F.col("graph_link_types"), empty))
        .withColumn("graph_cluster_link_types", F.coalesce(F.col("graph_cluster_link_types"), empty))
        .withColumn("lockstep_group_size", F.coalesce(F.col("lockstep_group_size"), F.lit(0)).cast("long"))
        .withColumn("lockstep_partners", F.coalesce(F.col("lockstep_partners"), F.lit(0)).cast("long"))
        .withColumn("lockstep_score", F.coalesce(F.col("lockstep_score"), F.lit(0.0)))
    )


def build_creator_features(sources: Sources, *, days: list[dt.date], params: FeaturesSettings) -> DataFrame:
    """The full `creator_features` table: account_id, ds, then `FEATURE_COLUMNS` (canonical first)."""
    targets = target_indexes(days)
    device_use = src.key_usage(sources.sessions, "device_id", targets).localCheckpoint()
    ip_use = src.key_usage(sources.sessions, "ip", targets).localCheckpoint()
    fp_use = src.key_usage(sources.content, "fingerprint", targets, account="creator_id",
                           ts="created_at").localCheckpoint()
    actor_days = build_actor_days(sources.engagements, sources.accounts, params)
    graph = build_account_graph({"device": device_use, "ip": ip_use, "fingerprint": fp_use},
                                hub_cap=params.hub_cap, max_iterations=params.graph_max_iterations)
    lockstep = build_lockstep(
        sources.engagements, targets=targets, window_minutes=params.lockstep_window_minutes,
        min_shared_items=params.lockstep_min_shared_items, min_group_size=params.lockstep_min_group_size,
        lookback_days=params.lockstep_lookback_days, actions=params.lockstep_actions,
        max_cell_accounts=params.lockstep_max_cell_accounts, max_iterations=params.graph_max_iterations)
    parts = [
        src.content_rich(sources.content, targets, params),
        src.fingerprint_aggs(fp_use, hub_cap=params.hub_cap),
        src.received_rich(sources.engagements, sources.content, actor_days, targets),
        src.given_aggs(sources.engagements, targets),
        src.reports_received(sources.reports, targets),
        src.reports_made(sources.reports, targets),
        src.violations(sources.decisions, targets),
        src.seller_orders(sources.orders, targets),
        src.buyer_orders(sources.orders, targets),
        src.device_aggs(device_use, prefix="device", hub_cap=params.hub_cap),
        src.device_aggs(ip_use, prefix="ip", hub_cap=params.hub_cap),
        graph, lockstep,
    ]
    out = _join_all(build_grid(sources.accounts, targets), parts)
    counts = [f.name for f in out.schema.fields
              if f.name not in _NULLABLE and f.name not in KEYS and f.dataType.typeName() in ("long", "integer")]
    out = out.transform(_zero_filled, counts + ["refunded_28d", "dup_own_posts_28d", "dup_cross_posts_28d"])
    out = out.transform(with_derived, new_account_days=params.new_account_days).transform(with_network_defaults)
    return _finish(out, FEATURE_COLUMNS)
