"""The canonical creator features of CONTRACT.md section 2, computed wide: one row per account, a column per day.

Every source ends in one aggregation keyed by the account alone, whose conditional counts hold each
requested day's window at once (`posts_7d__1` = posts in the 7 days ending on the second requested day). The
parts then share their partitioning by `account_id`, so joining them onto the accounts (shuffled once by it)
needs no further exchange, and one `inline` at the end turns each account's row into its (account_id, ds) rows.
Compared with the contribution explode of `features.windows` (each daily row copied to every day it reaches, one
aggregation per (account, ds) and a join on both keys) every source but devices takes one shuffle fewer and the
joins sort a row per account instead of one per (account, ds); see docs/performance.md.

The cost of one pass grows with the number of days it holds (a conditional aggregate per day and window), so a
long backfill is cut into passes of at most `DAYS_PER_PASS` consecutive requested days.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window as W
from pyspark.sql import functions as F

from creator_governance.features.common import MAX_WINDOW, Sources, events_in_reach
from creator_governance.features.windows import date_of_index, day_index_of_ts, in_window_of, ratio, target_indexes

CANONICAL_COLUMNS = [
    "account_age_days", "posts_1d", "posts_7d", "posts_28d", "views_7d", "likes_7d", "like_rate_7d",
    "engagements_given_1d", "reports_received_7d", "violations_28d", "orders_28d", "refund_rate_28d",
    "distinct_devices_28d", "max_accounts_per_device_28d",
]
# Counted per day; the rates are derived from them and `account_age_days` from the creation day.
_DERIVED = ("account_age_days", "like_rate_7d", "refund_rate_28d")
_COUNTS = [*(c for c in CANONICAL_COLUMNS if c not in _DERIVED), "refunded_28d"]
DAYS_PER_PASS = 7


def per_day(name: str, i: int) -> str:
    """The wide column of `name` for the `i`-th requested day."""
    return f"{name}__{i}"


def _counts(targets: list[int], name: str, window: int, condition: Column | None = None) -> list[Column]:
    """Per requested day: rows dated in its `window`-day window (and meeting `condition`)."""
    out = []
    for i, target in enumerate(targets):
        held = in_window_of(target, window)
        out.append(F.count(F.when(held if condition is None else held & condition, F.lit(1))).alias(per_day(name, i)))
    return out


def _per_account(events: DataFrame, account: str, *aggs: Column) -> DataFrame:
    return events.groupBy(F.col(account).alias("account_id")).agg(*aggs)


def _received(engagements: DataFrame, content: DataFrame, targets: list[int]) -> DataFrame:
    """views_7d and likes_7d per day, counted per item first so the join to the owners moves items, not events;
    engagements on unknown content have no owner and drop out."""
    is_view, is_like = F.col("action") == "view", F.col("action") == "like"
    per_item = (
        events_in_reach(engagements, "ts", targets=targets, window=7).filter(is_view | is_like)
        .groupBy("content_id").agg(*_counts(targets, "views_7d", 7, is_view), *_counts(targets, "likes_7d", 7, is_like))
    )
    owners = content.select("content_id", F.col("creator_id").alias("account_id"))
    columns = [per_day(name, i) for name in ("views_7d", "likes_7d") for i in range(len(targets))]
    return (per_item.join(owners, on="content_id", how="inner")
            .groupBy("account_id").agg(*[F.sum(c).alias(c) for c in columns]))


def _devices(sessions: DataFrame, targets: list[int]) -> DataFrame:
    """distinct_devices_28d and max_accounts_per_device_28d per day: each (account, device) pair once, with
    whether the pair falls in each day's window, then the device's accounts per day beside it."""
    used = [per_day("used", i) for i in range(len(targets))]
    pairs = (
        events_in_reach(sessions, "ts", targets=targets, window=MAX_WINDOW)
        .filter(F.col("device_id").isNotNull() & F.col("account_id").isNotNull())
        .groupBy("account_id", "device_id")
        .agg(*[(F.count(F.when(in_window_of(t, MAX_WINDOW), F.lit(1))) > 0).alias(u) for t, u in zip(targets, used)])
    )
    per_device = W.partitionBy("device_id")
    pairs = pairs.select("account_id", *used, *[
        F.count(F.when(F.col(u), F.lit(1))).over(per_device).alias(per_day("device_accounts", i))
        for i, u in enumerate(used)])
    return pairs.groupBy("account_id").agg(
        *[F.count(F.when(F.col(u), F.lit(1))).alias(per_day("distinct_devices_28d", i)) for i, u in enumerate(used)],
        *[F.max(F.when(F.col(u), F.col(per_day("device_accounts", i)))).alias(per_day("max_accounts_per_device_28d", i))
          for i, u in enumerate(used)],
    )


def build_canonical_wide(sources: Sources, targets: list[int]) -> DataFrame:
    """One row per account created by the last target: account_id, created_day, then `per_day(count, i)` for
    every count of the canonical columns and every target (null where the account had no row in a source)."""
    def reach(df: DataFrame, ts: str, window: int) -> DataFrame:
        return events_in_reach(df, ts, targets=targets, window=window)

    parts = [
        _per_account(reach(sources.content, "created_at", MAX_WINDOW), "creator_id",
                     *[agg for w in (1, 7, 28) for agg in _counts(targets, f"posts_{w}d", w)]),
        _received(sources.engagements, sources.content, targets),
        _per_account(reach(sources.engagements, "ts", 1), "actor_id", *_counts(targets, "engagements_given_1d", 1)),
        _per_account(reach(sources.reports, "ts", 7), "target_id", *_counts(targets, "reports_received_7d", 7)),
        _per_account(reach(sources.decisions, "ts", MAX_WINDOW).filter(F.col("outcome") == "violation"), "target_id",
                     *_counts(targets, "violations_28d", MAX_WINDOW)),
        _per_account(reach(sources.orders, "created_at", MAX_WINDOW), "seller_id",
                     *_counts(targets, "orders_28d", MAX_WINDOW),
                     *_counts(targets, "refunded_28d", MAX_WINDOW, F.col("status") == "refunded")),
        _devices(sources.sessions, targets),
    ]
    out = (sources.accounts.select("account_id", day_index_of_ts("created_at").alias("created_day"))
           .filter(F.col("created_day") <= F.lit(max(targets))))
    for part in parts:
        out = out.join(part, on="account_id", how="left")
    return out


def to_daily_rows(wide: DataFrame, targets: list[int]) -> DataFrame:
    """The wide frame as one row per (account_id, ds) the account existed on, in the contract's columns."""
    days = F.inline(F.array(*[
        F.struct(F.lit(target).alias("ds_index"), (F.lit(target) - F.col("created_day")).alias("account_age_days"),
                 *[F.coalesce(F.col(per_day(c, i)), F.lit(0)).cast("long").alias(c) for c in _COUNTS])
        for i, target in enumerate(targets)]))
    return (
        wide.select("account_id", days).filter(F.col("account_age_days") >= F.lit(0))
        .withColumn("like_rate_7d", ratio("likes_7d", "views_7d"))
        .withColumn("refund_rate_28d", ratio("refunded_28d", "orders_28d"))
        .select("account_id", date_of_index("ds_index").alias("ds"), *CANONICAL_COLUMNS)
    )


def build_canonical_features(sources: Sources, *, days: list[dt.date]) -> DataFrame:
    """The canonical columns only (CONTRACT.md section 2): account_id, ds, then `CANONICAL_COLUMNS`."""
    targets = target_indexes(days)
    if not targets:
        raise ValueError("build_canonical_features: no days requested")
    passes = [targets[k:k + DAYS_PER_PASS] for k in range(0, len(targets), DAYS_PER_PASS)]
    out = None
    for part in passes:
        rows = to_daily_rows(build_canonical_wide(sources, part), part)
        out = rows if out is None else out.unionByName(rows)
    return out
