"""Inputs shared by the feature builders: the bronze frames and per-actor daily profiles. Their parameters are the
validated `features` section of the config (FeaturesSettings, frozen plain data) passed in by the job."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from creator_governance.features import sqltext
from creator_governance.features.windows import EPOCH, day_index_of_ts, filter_in_reach

if TYPE_CHECKING:  # annotations only: the section is passed in, never loaded here
    from creator_governance.settings.features import FeaturesSettings

WINDOWS = (1, 7, 28)
MAX_WINDOW = 28
TREND_DAYS = 7
# Trends compare the last 7 days with the 7 before, so events are read 28 + 7 days back at most.
LOOKBACK_DAYS = MAX_WINDOW + TREND_DAYS


@dataclass(frozen=True)
class Sources:
    """Bronze frames (contract columns; `ds` optional). `content` and `accounts` must hold every row created
    up to the last requested day; event frames need only the lookback (`LOOKBACK_DAYS`)."""

    accounts: DataFrame
    content: DataFrame
    engagements: DataFrame
    sessions: DataFrame
    orders: DataFrame
    reports: DataFrame
    decisions: DataFrame


def events_in_reach(df: DataFrame, ts: str, *, targets: list[int], window: int) -> DataFrame:
    """`with_day(df, ts)` keeping only the events some requested day's `window` holds. On a bronze frame, whose
    `ds` is the UTC date of `ts`, the same bound on `ds` lets Spark skip whole partitions of the lookback."""
    out = filter_in_reach(with_day(df, ts), targets=targets, max_window=window)
    if "ds" in df.columns:
        first, last = min(targets) - window + 1, max(targets)
        out = out.filter(sqltext.date_between("ds", EPOCH + dt.timedelta(days=first),
                                              EPOCH + dt.timedelta(days=last)))
    return out


def with_day(df: DataFrame, ts: str) -> DataFrame:
    """Adds `day`, the UTC day index of timestamp column `ts`."""
    return df.withColumn("day", day_index_of_ts(ts))


def is_night(ts: str, params: FeaturesSettings) -> Column:
    """The UTC hour of `ts` lies in [night_start_hour, night_end_hour) (wrapping past midnight)."""
    hour = F.hour(F.col(ts))
    start, end = params.night_start_hour, params.night_end_hour
    if start <= end:
        return (hour >= start) & (hour < end)
    return (hour >= start) | (hour < end)


def build_actor_days(engagements: DataFrame, accounts: DataFrame, params: FeaturesSettings) -> DataFrame:
    """One row per (actor_id, day) that engaged: the actor's age that day and whether it looks suspicious.

    Columns: actor_id, day, actor_age_days (null for an unknown account), is_new_actor, is_suspicious_actor.
    Suspicious = an unknown account, or more actions that day than `suspicious_daily_actions`.
    """
    created = accounts.select(
        F.col("account_id").alias("actor_id"), day_index_of_ts("created_at").alias("created_day"))
    daily = (
        engagements.transform(with_day, "ts")
        .groupBy("actor_id", "day").agg(F.count(F.lit(1)).alias("actions"))
    )
    age = F.col("day") - F.col("created_day")
    return (
        daily.join(created, on="actor_id", how="left")
        .select(
            "actor_id", "day",
            age.alias("actor_age_days"),
            F.coalesce(age < F.lit(params.new_account_days), F.lit(False)).alias("is_new_actor"),
            (F.col("created_day").isNull() | (F.col("actions") > F.lit(params.suspicious_daily_actions)))
            .alias("is_suspicious_actor"),
        )
    )
