"""Lockstep groups: a ring acting on the same items within minutes is found; the same accounts hours apart not."""

from __future__ import annotations

import datetime as dt

from creator_governance.features.lockstep import build_lockstep
from creator_governance.features.windows import to_index

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


def ring_on(spark, days_before: list[int], items: int = 3):
    """The ring liking `items` items together (25 s apart) on each of the given days before DAY."""
    from creator_governance.contract import ENTITIES

    rows = []
    for back in days_before:
        base = dt.datetime(2026, 1, 10, 8, 0, tzinfo=dt.timezone.utc) - dt.timedelta(days=back)
        for item in range(items):
            for k, actor in enumerate(RING):
                ts = base + dt.timedelta(minutes=30 * item, seconds=25 * k)
                rows.append((f"e{back}-{item}-{k}", ts, actor, f"i{item}", "like", ts.date()))
    return spark.createDataFrame(rows, ENTITIES["engagements"].bronze_schema())


def test_window_edge_day_w_minus_1_counts_day_w_does_not(spark):
    assert sorted(r["account_id"] for r in run(ring_on(spark, [6])).collect()) == RING
    assert run(ring_on(spark, [7])).count() == 0


def test_items_co_engaged_before_the_lookback_and_again_inside_it_count(spark):
    """The same items acted on together 20 days ago and again today: today's co-engagements count, and the
    result does not depend on how much older history is passed in (daily run vs backfill)."""
    long_history = run(ring_on(spark, [20, 0])).collect()
    assert sorted(r["account_id"] for r in long_history) == RING
    assert sorted(long_history) == sorted(run(ring_on(spark, [0])).collect())
