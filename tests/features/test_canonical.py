"""The canonical creator features of CONTRACT.md section 2 on a hand-made day, with window edges and UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

import creator_governance.features.canonical as canonical
from creator_governance.features.canonical import CANONICAL_COLUMNS, DAYS_PER_PASS, build_canonical_features
from creator_governance.features.creator import build_creator_features

DS = dt.date(2026, 1, 28)

ACCOUNTS = [
    {"account_id": "a", "created_at": "2026-01-01T10:00:00Z", "is_seller": True},
    {"account_id": "b", "created_at": "2026-01-28T23:59:59Z"},              # exists on ds, nothing happened
    {"account_id": "c", "created_at": "2026-01-29T00:00:00Z"},              # created after ds: no row
    {"account_id": "d", "created_at": "2026-01-29T01:00:00+02:00"},         # = 01-28 23:00Z: a row, age 0
    {"account_id": "v", "created_at": "2026-01-02T00:00:00Z", "country": None},
]
CONTENT = [
    {"content_id": "c1", "creator_id": "a", "created_at": "2026-01-28T00:00:00Z", "content_type": "video"},
    {"content_id": "c7", "creator_id": "a", "created_at": "2026-01-27T23:59:59Z", "content_type": "video"},
    {"content_id": "c2", "creator_id": "a", "created_at": "2026-01-22T00:00:00Z", "content_type": "live"},  # 7d: w-1
    {"content_id": "c3", "creator_id": "a", "created_at": "2026-01-21T23:59:59Z", "content_type": "video"},  # 7d: w
    {"content_id": "c4", "creator_id": "a", "created_at": "2026-01-01T00:00:00Z", "content_type": "video"},  # 28d: w-1
    {"content_id": "c5", "creator_id": "a", "created_at": "2025-12-31T23:59:59Z", "content_type": "video"},  # 28d: w
    {"content_id": "c6", "creator_id": "a", "created_at": "2026-01-29T00:00:00Z", "content_type": "video"},  # after ds
]
ENGAGEMENTS = [
    {"event_id": "e1", "ts": "2026-01-22T00:00:00Z", "actor_id": "v", "content_id": "c4", "action": "view"},
    {"event_id": "e2", "ts": "2026-01-21T23:59:59Z", "actor_id": "v", "content_id": "c4", "action": "view"},
    {"event_id": "e3", "ts": "2026-01-28T23:59:59Z", "actor_id": "v", "content_id": "c1", "action": "like"},
    {"event_id": "e4", "ts": "2026-01-29T00:00:00Z", "actor_id": "v", "content_id": "c1", "action": "like"},
    {"event_id": "e5", "ts": "2026-01-29T01:30:00+02:00", "actor_id": "v", "content_id": "c1", "action": "view"},
    {"event_id": "e6", "ts": "2026-01-28T12:00:00Z", "actor_id": "v", "content_id": "zzz", "action": "share"},
]
REPORTS = [
    {"report_id": "r1", "ts": "2026-01-22T00:00:00Z", "reporter_id": "v", "target_id": "a"},
    {"report_id": "r2", "ts": "2026-01-21T23:59:59Z", "reporter_id": "v", "target_id": "a"},
    {"report_id": "r3", "ts": "2026-01-28T08:00:00Z", "reporter_id": "v", "target_id": "a", "content_id": "c1"},
]
DECISIONS = [
    {"decision_id": "d1", "ts": "2026-01-01T00:00:00Z", "target_id": "a", "policy": "spam", "outcome": "violation"},
    {"decision_id": "d2", "ts": "2025-12-31T23:59:59Z", "target_id": "a", "policy": "spam", "outcome": "violation"},
    {"decision_id": "d3", "ts": "2026-01-20T00:00:00Z", "target_id": "a", "policy": "spam", "outcome": "no_violation"},
]
ORDERS = [
    {"order_id": "o1", "created_at": "2026-01-10T00:00:00Z", "buyer_id": "v", "seller_id": "a", "amount": 10.0,
     "status": "completed"},
    {"order_id": "o2", "created_at": "2026-01-15T00:00:00Z", "buyer_id": "v", "seller_id": "a", "amount": 5.0,
     "status": "refunded"},
    {"order_id": "o3", "created_at": "2025-12-31T23:00:00Z", "buyer_id": "v", "seller_id": "a", "amount": 7.0,
     "status": "refunded"},
]
SESSIONS = [
    {"event_id": "s1", "account_id": "a", "ts": "2026-01-05T00:00:00Z", "device_id": "dev1", "ip": "1.1.1.1"},
    {"event_id": "s2", "account_id": "a", "ts": "2026-01-27T00:00:00Z", "device_id": "dev2", "ip": None},
    {"event_id": "s3", "account_id": "v", "ts": "2026-01-20T00:00:00Z", "device_id": "dev1", "ip": "1.1.1.1"},
    {"event_id": "s4", "account_id": "b", "ts": "2025-12-31T00:00:00Z", "device_id": "dev1", "ip": "1.1.1.1"},
    {"event_id": "s5", "account_id": "d", "ts": "2026-01-29T00:00:00Z", "device_id": "dev2", "ip": "2.2.2.2"},
]
ALL = dict(accounts=ACCOUNTS, content=CONTENT, engagements=ENGAGEMENTS, reports=REPORTS, decisions=DECISIONS,
           orders=ORDERS, sessions=SESSIONS)

SCHEMA = T.StructType(
    [T.StructField("account_id", T.StringType()), T.StructField("ds", T.DateType()),
     T.StructField("account_age_days", T.IntegerType())]
    + [T.StructField(c, T.DoubleType() if "rate" in c else T.LongType()) for c in CANONICAL_COLUMNS[1:]]
)
#        age posts 1/7/28  views likes rate  given rep viol ord refund dev maxdev
EXPECTED = [
    ("a", DS, 27, 1, 3, 5, 2, 1, 0.5, 0, 2, 1, 2, 0.5, 2, 2),
    ("b", DS, 0, 0, 0, 0, 0, 0, None, 0, 0, 0, 0, None, 0, 0),
    ("d", DS, 0, 0, 0, 0, 0, 0, None, 0, 0, 0, 0, None, 0, 0),
    ("v", DS, 26, 0, 0, 0, 0, 0, None, 3, 0, 0, 0, None, 1, 2),
]


def test_every_canonical_feature_on_a_hand_made_day(spark, make_sources):
    actual = build_canonical_features(make_sources(**ALL), days=[DS])
    assert actual.columns == ["account_id", "ds", *CANONICAL_COLUMNS]
    assert_df_equality(actual, spark.createDataFrame(EXPECTED, SCHEMA), ignore_row_order=True, ignore_nullable=True)


def test_events_after_ds_do_not_change_its_row(spark, make_sources):
    def utc_day(value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc).date()

    def late(row):
        return any(isinstance(v, str) and v[:4] == "2026" and "T" in v and utc_day(v) > DS for v in row.values())

    after = {k: [r for r in rows if not late(r)] for k, rows in ALL.items()}
    without_late = build_canonical_features(make_sources(**after), days=[DS])
    assert sum(len(r) for r in after.values()) < sum(len(r) for r in ALL.values())
    assert_df_equality(without_late, spark.createDataFrame(EXPECTED, SCHEMA),
                       ignore_row_order=True, ignore_nullable=True)


@pytest.mark.parametrize("days_per_pass", [DAYS_PER_PASS, 2])
def test_a_range_computes_each_day_as_a_single_day_would(spark, make_sources, monkeypatch, days_per_pass):
    # 2: the three days are cut into two passes (two days, then one), as a long backfill is
    monkeypatch.setattr(canonical, "DAYS_PER_PASS", days_per_pass)
    days = [DS - dt.timedelta(days=1), DS, DS + dt.timedelta(days=1)]
    ranged = build_canonical_features(make_sources(**ALL), days=days).cache()
    assert_df_equality(ranged.filter(ranged.ds == DS), spark.createDataFrame(EXPECTED, SCHEMA),
                       ignore_row_order=True, ignore_nullable=True)
    before = {r["account_id"]: r for r in ranged.filter(ranged.ds == days[0]).collect()}
    assert sorted(before) == ["a", "v"] and before["a"]["posts_1d"] == 1 and before["v"]["engagements_given_1d"] == 0
    # the day after: c exists, the 7-day window has slid past c2
    next_day = {r["account_id"]: r for r in ranged.filter(ranged.ds == days[-1]).collect()}
    assert next_day["c"]["account_age_days"] == 0
    assert next_day["a"]["posts_7d"] == 3 and next_day["a"]["posts_1d"] == 1
    assert ranged.count() == 2 + 4 + 5


def test_no_requested_day_is_an_error(make_sources):
    with pytest.raises(ValueError, match="no days requested"):
        build_canonical_features(make_sources(**ALL), days=[])


def test_a_gap_day_in_the_request_is_skipped(make_sources):
    days = [DS - dt.timedelta(days=2), DS]
    out = build_canonical_features(make_sources(**ALL), days=days)
    assert sorted({r["ds"] for r in out.select("ds").collect()}) == days


def test_empty_sources_give_zero_counts_and_null_rates(make_sources):
    out = build_canonical_features(make_sources(accounts=ACCOUNTS[:1]), days=[DS]).first()
    assert out["posts_28d"] == 0 and out["views_7d"] == 0 and out["max_accounts_per_device_28d"] == 0
    assert out["like_rate_7d"] is None and out["refund_rate_28d"] is None


def test_rich_features_agree_with_canonical_and_read_right(make_sources):
    from creator_governance.settings.features import FeaturesSettings

    # two implementations: the rich table explodes daily rows to the days, the canonical one counts them wide
    sources = make_sources(**ALL)
    days = [DS - dt.timedelta(days=1), DS, DS + dt.timedelta(days=1)]
    full = build_creator_features(sources, days=days, params=FeaturesSettings()).cache()
    canonical = build_canonical_features(sources, days=days)
    assert_df_equality(full.select(*canonical.columns), canonical, ignore_row_order=True, ignore_nullable=True)
    rows = {r["account_id"]: r for r in full.filter(full.ds == DS).collect()}
    a, b, v = rows["a"], rows["b"], rows["v"]
    assert a["is_seller"] and a["video_share_28d"] == 0.8 and a["live_share_28d"] == 0.2
    assert a["night_post_share_7d"] == 2 / 3
    assert a["distinct_engagers_7d"] == 1 and a["top_liker_share_7d"] == 1.0
    assert a["reports_per_1k_views_7d"] == 1000.0 and a["days_since_last_violation"] == 27
    assert a["gmv_28d"] == 15.0 and a["cancel_rate_28d"] == 0.0 and a["top_buyer_share_28d"] == 1.0
    assert v["orders_placed_28d"] == 2 and v["reports_made_7d"] == 2
    assert (a["graph_cluster_id"], a["graph_cluster_size"], a["graph_link_types"]) == ("a", 2, ["device", "ip"])
    assert (v["graph_cluster_id"], v["graph_cluster_size"]) == ("a", 2)
    assert (b["graph_cluster_id"], b["graph_cluster_size"], b["graph_link_types"]) == ("b", 1, [])
    assert b["lockstep_score"] == 0.0 and b["lockstep_group_id"] is None and b["like_rate_28d"] is None
