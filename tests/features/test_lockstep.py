"""Lockstep groups: a ring acting on the same items within minutes is found; the same accounts hours apart not."""

from __future__ import annotations

import datetime as dt

from features.lockstep import build_lockstep
from features.windows import to_index

DAY = dt.date(2026, 1, 10)
RING = ["r1", "r2", "r3", "r4"]


def engagements(spark, gap_seconds: int):
    from creator_governance.contract import ENTITIES

    base = dt.datetime(2026, 1, 10, 8, 0, tzinfo=dt.timezone.utc)
    rows = []
    for item in range(5):
        start = base + dt.timedelta(minutes=30 * item)
        for k, actor in enumerate(RING):
            ts = start + dt.timedelta(seconds=gap_seconds * k)
            rows.append((f"e{item}{k}", ts, actor, f"i{item}", "like", ts.date()))
    # an organic account liking one of the items at the same moment, and the ring's own idle views
    rows.append(("o1", base, "organic", "i0", "like", DAY))
    rows.append(("o2", base, "r1", "i9", "view", DAY))
    return spark.createDataFrame(rows, ENTITIES["engagements"].bronze_schema())


def run(df):
    return build_lockstep(df, targets=[to_index(DAY)], window_minutes=2, min_shared_items=3, min_group_size=3,
                          lookback_days=7, actions=("like", "comment", "share"), max_cell_accounts=200)


def test_a_ring_within_two_minutes_is_one_lockstep_group(spark):
    out = {r["account_id"]: r for r in run(engagements(spark, gap_seconds=25)).collect()}
    assert sorted(out) == RING
    assert {(r["lockstep_group_id"], r["lockstep_group_size"], r["lockstep_partners"], r["lockstep_score"])
            for r in out.values()} == {("r1", 4, 3, 1.0)}


def test_the_same_accounts_hours_apart_are_not_lockstep(spark):
    assert run(engagements(spark, gap_seconds=3 * 3600)).count() == 0
