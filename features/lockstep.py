"""Lockstep engagement (CopyCatch-style): accounts that act on the same items within minutes of each other.

Two engagements of different accounts on one item at most `window_minutes` apart make a co-engagement. A pair
of accounts that co-engaged on at least `min_shared_items` distinct items in the `lookback_days` ending on ds
is a lockstep edge; connected components of those edges with at least `min_group_size` accounts are lockstep
groups. A co-engagement is dated by the earlier of its two events, once per day it happens, so a day's result
depends only on the engagements of its own lookback (a daily run and a backfill agree) and only those are
read. Candidate pairs come from time buckets of `window_minutes` (an event meets the events of its own and
the previous bucket, then the exact gap is checked), so no item-wide self-join happens; a bucket of one item
holding more than `max_cell_accounts` accounts (a viral moment) is skipped rather than paired.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.features.common import events_in_reach
from creator_governance.features.graph import connected_components, node_id
from creator_governance.features.windows import explode_to_targets, in_window


def acted_events(engagements: DataFrame, *, targets: list[int], lookback_days: int,
                 actions: tuple[str, ...]) -> DataFrame:
    """The lockstep actions dated in the lookback of some requested day, plus the day before it (so a time
    bucket across that midnight keeps every account in it): actor_id, content_id, t (epoch s), day."""
    return (
        events_in_reach(engagements, "ts", targets=targets, window=lookback_days + 1)
        .filter(F.col("action").isin(list(actions)))
        .select("actor_id", "content_id", F.unix_seconds(F.col("ts")).alias("t"), "day")
    )


def build_co_engagements(events: DataFrame, *, window_minutes: int, max_cell_accounts: int) -> DataFrame:
    """Distinct (a, b, content_id, day) with a < b: both acted on the item within `window_minutes`, the earlier
    of the two events dated `day` (`events` as from `acted_events`)."""
    width = window_minutes * 60
    events = events.withColumn("bucket", F.floor(F.col("t") / F.lit(width)))
    cells = events.groupBy("content_id", "bucket").agg(F.count_distinct("actor_id").alias("cell_accounts"))
    events = (
        events.join(cells, on=["content_id", "bucket"], how="inner")
        .filter(F.col("cell_accounts") <= F.lit(max_cell_accounts)).drop("cell_accounts")
    )
    left = events.select(F.col("actor_id").alias("a"), "content_id", "bucket", F.col("t").alias("ta"), "day")
    right = events.select(
        F.col("actor_id").alias("b"), "content_id", F.col("t").alias("tb"),
        F.explode(F.array(F.col("bucket"), F.col("bucket") + F.lit(1))).alias("bucket"),
    )
    close = (F.col("a") != F.col("b")) & (F.abs(F.col("ta") - F.col("tb")) <= F.lit(width))
    pairs = left.join(right, on=["content_id", "bucket"], how="inner").filter(close)
    return (
        pairs.select(F.least("a", "b").alias("a"), F.greatest("a", "b").alias("b"), "content_id",
                     F.least(F.col("day"), day_index_of_ts_seconds("tb")).alias("day"))
        .distinct()
    )


def day_index_of_ts_seconds(column: str):
    """UTC day index of epoch seconds."""
    return F.floor(F.col(column) / F.lit(86400)).cast("int")


def build_lockstep(engagements: DataFrame, *, targets: list[int], window_minutes: int, min_shared_items: int,
                   min_group_size: int, lookback_days: int, actions: tuple[str, ...], max_cell_accounts: int,
                   max_iterations: int = 30) -> DataFrame:
    """Lockstep signals per (account_id, ds_index) for accounts in a lockstep group.

    Columns: account_id, ds_index, lockstep_group_id (smallest account id of the group), lockstep_group_size,
    lockstep_partners (accounts it is in lockstep with), lockstep_score (share of the items it acted on in the
    lookback that it co-engaged with a partner, 0..1).
    """
    events = acted_events(engagements, targets=targets, lookback_days=lookback_days, actions=actions)
    co = build_co_engagements(events, window_minutes=window_minutes, max_cell_accounts=max_cell_accounts)
    co_t = explode_to_targets(co, targets=targets, max_window=lookback_days).filter(in_window(lookback_days))
    shared = co_t.groupBy("a", "b", "ds_index").agg(F.count_distinct("content_id").alias("shared_items"))
    edges = shared.filter(F.col("shared_items") >= F.lit(min_shared_items)).localCheckpoint()
    components = connected_components(
        edges.select(node_id("ds_index", "a").alias("src"), node_id("ds_index", "b").alias("dst")),
        max_iterations=max_iterations,
    )
    sizes = components.groupBy("component").agg(F.count(F.lit(1)).alias("lockstep_group_size"))
    groups = components.join(sizes, on="component", how="inner").filter(
        F.col("lockstep_group_size") >= F.lit(min_group_size))
    parts = F.split(F.col("node"), r"\|", 2)
    members = groups.select(
        F.element_at(parts, 2).alias("account_id"), F.element_at(parts, 1).cast("int").alias("ds_index"),
        F.element_at(F.split(F.col("component"), r"\|", 2), 2).alias("lockstep_group_id"), "lockstep_group_size",
    )
    sides = edges.select(F.col("a").alias("account_id"), "ds_index", F.col("b").alias("partner")).unionByName(
        edges.select(F.col("b").alias("account_id"), "ds_index", F.col("a").alias("partner")))
    partners = sides.groupBy("account_id", "ds_index").agg(F.count_distinct("partner").alias("lockstep_partners"))
    linked = edges.select("a", "b", "ds_index").join(co_t, on=["a", "b", "ds_index"], how="inner")
    lock_items = (
        linked.select(F.col("a").alias("account_id"), "ds_index", "content_id")
        .unionByName(linked.select(F.col("b").alias("account_id"), "ds_index", "content_id"))
        .groupBy("account_id", "ds_index").agg(F.count_distinct("content_id").alias("lockstep_items"))
    )
    acted = (
        events.select(F.col("actor_id").alias("account_id"), "content_id", "day")
        .join(members.select("account_id").distinct(), on="account_id", how="left_semi")
    )
    acted = explode_to_targets(acted, targets=targets, max_window=lookback_days).filter(in_window(lookback_days))
    items = acted.groupBy("account_id", "ds_index").agg(F.count_distinct("content_id").alias("items"))
    keys = ["account_id", "ds_index"]
    return (
        members.join(partners, on=keys, how="inner")
        .join(lock_items, on=keys, how="inner")
        .join(items, on=keys, how="inner")
        .select(*keys, "lockstep_group_id", "lockstep_group_size", "lockstep_partners",
                F.least(F.lit(1.0), F.col("lockstep_items") / F.col("items")).alias("lockstep_score"))
    )
