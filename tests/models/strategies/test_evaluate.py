"""Hit evaluation on hand-made frames: conditions, nulls, lists and the fired values."""

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import functions as F, types as T

from creator_governance.models.strategies.checker import check_condition
from creator_governance.models.strategies.evaluate import HITS_SCHEMA, build_strategy_hits
from creator_governance.models.strategies.lists import CHANGE_SCHEMA, build_list_changes, current_members
from creator_governance.settings.strategies import StrategyDefinition

D = dt.date(2026, 1, 5)
FRAME_SCHEMA = T.StructType([
    T.StructField("account_id", T.StringType()), T.StructField("ds", T.DateType()),
    T.StructField("posts_1d", T.LongType()), T.StructField("mean_quality_28d", T.DoubleType()),
])


def spec(sid, condition, status="active", action="limit"):
    return StrategyDefinition(id=sid, version=2, status=status, target="account", condition=condition, action=action,
                              severity=3, owner="t&s", description=sid)


def members(spark, rows):
    t = dt.datetime(2026, 1, 1)
    changes = build_list_changes([{"change_id": str(i), "list_name": n, "list_kind": "account", "list_type": k,
                                   "value": v, "op": op, "changed_at": t + dt.timedelta(hours=i), "changed_by": "t",
                                   "reason": ""} for i, (n, k, v, op) in enumerate(rows)])
    return spark.createDataFrame(changes, CHANGE_SCHEMA)


def test_hits_spare_allow_listed_and_ignore_null_conditions(spark):
    frame = spark.createDataFrame([
        ("a1", D, 30, 0.1),   # fires
        ("a2", D, 30, 0.1),   # trusted partner: spared
        ("a3", D, 2, 0.1),    # too few posts
        ("a4", D, 30, None),  # quality unknown: condition is null, does not fire
        ("a5", D, 40, 0.9),   # good quality
    ], FRAME_SCHEMA)
    lists = current_members(members(spark, [("trusted_partners", "allow", "a2", "add"),
                                            ("trusted_partners", "allow", "a5", "add"),
                                            ("trusted_partners", "allow", "a5", "remove"),
                                            ("known_bad_accounts", "deny", "a3", "add")]))
    names = ("trusted_partners", "known_bad_accounts")
    checked = [check_condition(spark, s, FRAME_SCHEMA, known_lists=names) for s in (
        spec("spam_burst", "posts_1d >= 20 AND mean_quality_28d < 0.4 AND NOT in_list('trusted_partners', account_id)"),
        spec("known_bad", "in_list('known_bad_accounts', account_id)", status="shadow", action="ban"),
        spec("old", "posts_1d > 0", status="retired"),
    )]
    actual = build_strategy_hits(frame, checked, lists)
    expected = spark.createDataFrame([
        (D, "spam_burst", 2, "active", "account", "a1", "limit", 3,
         {"posts_1d": "30", "mean_quality_28d": "0.1", "account_id": "a1"}),
        (D, "known_bad", 2, "shadow", "account", "a3", "ban", 3, {"account_id": "a3"}),
    ], HITS_SCHEMA)
    as_json = F.to_json(F.array_sort(F.map_entries("fired_values")))  # maps cannot be sorted or hashed
    assert_df_equality(actual.withColumn("fired_values", as_json), expected.withColumn("fired_values", as_json),
                       ignore_row_order=True, ignore_nullable=True, ignore_metadata=True)


def test_list_membership_as_of_a_time(spark):
    changes = members(spark, [("trusted_partners", "allow", "a1", "add"), ("trusted_partners", "allow", "a1", "remove")])
    before = current_members(changes, as_of=dt.datetime(2026, 1, 1, 0, 30))
    after = current_members(changes, as_of=dt.datetime(2026, 1, 1, 2))
    assert [r.value for r in before.collect()] == ["a1"]
    assert after.count() == 0
