"""Syndicate recovery on a hand-made graph, and the anomaly scores' shape and ordering."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import numpy as np
import pandas as pd
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.models.anomaly.isolation import fit_isolation_forest, isolation_scores
from creator_governance.models.anomaly.peer import peer_deviation_scores
from creator_governance.models.syndicates.discover import (
    assign_syndicates, behaviour_clusters, describe_syndicates, fit_behaviour_clusters, linked_groups,
)

D = dt.date(2026, 1, 10)
SCHEMA = T.StructType([
    T.StructField("account_id", T.StringType()), T.StructField("ds", T.DateType()),
    T.StructField("graph_cluster_id", T.StringType()), T.StructField("graph_cluster_size", T.LongType()),
    T.StructField("graph_link_types", T.ArrayType(T.StringType())),
    T.StructField("lockstep_group_id", T.StringType()), T.StructField("posts_7d", T.LongType()),
    T.StructField("engagements_given_1d", T.LongType()), T.StructField("is_seller", T.BooleanType()),
])
BEHAVIOUR = ["posts_7d", "engagements_given_1d"]


def world(spark):
    """ring: r1..r4 share a device (graph component r1) and r5, r6 join it through a lockstep group with r4;
    farm: f1..f3 only in lockstep; household: h1..h3 share a device, ordinary behaviour and low scores;
    pair: p1, p2 linked (too small); 20 unlinked ordinary accounts."""
    rows = [(f"r{i}", D, "r1", 4, ["device"], "r4" if i == 4 else None, 40, 300, False) for i in range(1, 5)]
    rows += [(f"r{i}", D, f"r{i}", 1, None, "r4", 40, 300, False) for i in (5, 6)]
    rows += [(f"f{i}", D, f"f{i}", 1, None, "f1", 0, 500, False) for i in (1, 2, 3)]
    rows += [(f"h{i}", D, "h1", 3, ["device", "ip"], None, 2, 10, False) for i in (1, 2, 3)]
    rows += [(f"p{i}", D, "p1", 2, ["ip"], None, 1, 5, False) for i in (1, 2)]
    rows += [(f"u{i:02d}", D, f"u{i:02d}", 1, None, None, i % 3, 5 + i % 7, i % 5 == 0) for i in range(20)]
    return spark.createDataFrame(rows, SCHEMA)


def scores_of(spark, features):
    risky = {"r1", "r2", "r3", "r4", "r5", "r6", "f1", "f2", "f3"}
    return spark.createDataFrame(
        [(r["account_id"], D, 0.9 if r["account_id"] in risky else 0.05, 0.5) for r in features.collect()],
        "account_id string, ds date, score double, anomaly_score double")


def test_linked_groups_merge_graph_components_through_lockstep(spark):
    groups = {r["account_id"]: r["linked_group"] for r in linked_groups(world(spark)).collect()}
    assert {a for a, g in groups.items() if g == "r1"} == {"r1", "r2", "r3", "r4", "r5", "r6"}
    assert {a for a, g in groups.items() if g == "f1"} == {"f1", "f2", "f3"}
    assert groups["h2"] == "h1" and groups["p2"] == "p1"
    assert not any(a.startswith("u") for a in groups)


def test_syndicates_recovered_with_signals_and_actions(spark):
    features = world(spark)
    clusters = behaviour_clusters(features, features, columns=BEHAVIOUR, k=3, seed=1)
    members = assign_syndicates(linked_groups(features), clusters, min_size=3, min_member_share=0.2)
    membership, syndicates = describe_syndicates(
        members, features, scores_of(spark, features), signal_columns=BEHAVIOUR,
        plain_words={"engagements_given_1d": "engagements made today"}, min_size=3, enforce_min_score=0.5,
        review_min_score=0.2)
    found = {r["syndicate_id"]: r for r in syndicates.collect()}
    assert set(found) == {"S-r1", "S-f1"}  # the low-score household and the pair are not reported
    assert found["S-r1"]["members"] == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert found["S-r1"]["size"] == 6
    assert "shared device" in found["S-r1"]["shared_signals"]
    assert "lockstep engagement" in found["S-f1"]["shared_signals"]
    assert "high engagements made today" in found["S-f1"]["shared_signals"]
    assert found["S-f1"]["suggested_action"].startswith("enforce")
    by_account = {r["account_id"]: r["syndicate_id"] for r in membership.collect()}
    assert by_account["r5"] == "S-r1" and by_account["f3"] == "S-f1" and "h1" not in by_account
    # each member's own ties to its ring: r1 a device, r4 a device and lockstep, r5 lockstep only
    ties = {r["account_id"]: r["syndicate_links"] for r in membership.collect()}
    assert ties["r1"] == ["device"] and ties["r4"] == ["device", "lockstep"] and ties["r5"] == ["lockstep"]


def test_behaviour_clusters_place_each_row_at_its_nearest_centre(spark):
    """The column expression (one linear function per centre) picks the centre a direct distance computation
    picks, for every row; rows of one obvious behaviour share a cluster, and the fit ignores nulls as zeros."""
    # `flat`: a constant non-zero column (log1p(2) on every row): its computed sd is ~1e-16, not 0; scaled by
    # its inverse it would swamp every distance. It must get scale 0.
    features = world(spark).withColumn("flat", F.lit(2))
    columns = [*BEHAVIOUR, "flat"]
    clusters = {r["account_id"]: r["behaviour_cluster"]
                for r in behaviour_clusters(features, features, columns=columns, k=3, seed=1).collect()}
    local = features.select("account_id", *columns).toPandas().set_index("account_id")
    logs = np.log1p(np.clip(local[columns].fillna(0).to_numpy(dtype="float64"), 0.0, None))
    mean, scale, centres = fit_behaviour_clusters(logs, k=3, seed=1)
    assert scale[-1] == 0.0 and (scale[:-1] > 0).all()
    z = (logs - mean) * scale
    nearest = ((z[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    assert len(centres) == 3 and list(clusters) and set(clusters) == set(local.index)
    assert [clusters[a] for a in local.index] == nearest.tolist()
    assert len({clusters[f"r{i}"] for i in range(1, 7)}) == 1 and len({clusters[f"f{i}"] for i in (1, 2, 3)}) == 1
    assert len({clusters["r1"], clusters["f1"], clusters["u01"]}) == 3


def test_behaviour_clusters_of_a_sample_without_spread_is_one_centre():
    mean, scale, centres = fit_behaviour_clusters(np.array([[1.0, 2.0], [1.0, 2.0], [np.nan, 0.0]]), k=3, seed=1)
    assert centres.shape == (1, 2) and scale.tolist() == [0.0, 0.0] and mean.tolist() == [1.0, 2.0]


def _peer_deviation_in_plain_python(rows, *, columns, group_of):
    """The peer-deviation score of each row computed with the statistics module, row by row: the reference.
    `rows` are dicts; `group_of(row)` names the row's peer group."""
    def log(v):
        return math.log1p(max(v or 0.0, 0.0))  # a null counts as 0

    by_group = {}
    for r in rows:
        by_group.setdefault(group_of(r), []).append(r)
    out = {}
    for members in by_group.values():
        stats = {}
        for c in columns:
            xs = [log(r[c]) for r in members]
            med = statistics.median(xs)
            dev = [abs(x - med) for x in xs]
            stats[c] = (med, max(1.4826 * statistics.median(dev), 1.2533 * statistics.fmean(dev), 1e-6))
        for r in members:
            z = sorted((abs(log(r[c]) - stats[c][0]) / stats[c][1] for c in columns), reverse=True)[:3]
            m = sum(z) / len(z)
            out[(r["account_id"], r["ds"])] = m / (m + 3.0)
    return out


def _scores(frame):
    return {(r["account_id"], r["ds"]): r["anomaly_score"] for r in frame.collect()}


def test_peer_deviation_scores_equal_the_plain_python_reference(spark):
    first = world(spark).withColumn("views", F.when(F.col("account_id").startswith("u"), None).otherwise(7))
    # a second day unlike the first (a row scored against the wrong day's statistics would show), where one
    # account's peer value is unknown: a group of its own
    second = (first.withColumn("ds", F.lit(D + dt.timedelta(days=1)))
              .withColumn("posts_7d", F.col("posts_7d") * 3 + F.length("account_id"))
              .withColumn("is_seller", F.when(F.col("account_id") != "u03", F.col("is_seller"))))
    features = first.unionByName(second)
    columns = [*BEHAVIOUR, "views", "is_seller"]
    batch = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "7")  # many batches per task
    try:
        got = _scores(peer_deviation_scores(features, columns=columns, peer_columns=("is_seller",),
                                            sample_rows=1000, seed=1))
    finally:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", batch)
    want = _peer_deviation_in_plain_python([r.asDict() for r in features.collect()], columns=[*BEHAVIOUR, "views"],
                                           group_of=lambda r: (r["ds"], r["is_seller"]))
    assert got.keys() == want.keys() and len(set(got.values())) > 3
    assert all(abs(got[k] - want[k]) < 1e-12 for k in want)
    assert got[("u03", D + dt.timedelta(days=1))] == 0.0  # alone in its group: no deviation


def test_peer_deviation_without_columns_is_null(spark):
    got = _scores(peer_deviation_scores(world(spark), columns=["is_seller"], peer_columns=("is_seller",),
                                        sample_rows=1000, seed=1))
    assert len(got) == world(spark).count() and set(got.values()) == {None}


def _crowd(spark, accounts, days):
    """`accounts` ordinary accounts on each of `days`, one peer group, the same rows every day."""
    rng = np.random.default_rng(3)
    posts = rng.poisson(4.0, accounts).tolist()
    given = rng.poisson(30.0, accounts).tolist()
    return spark.createDataFrame(
        [(f"a{i:05d}", d, int(posts[i]), int(given[i])) for d in days for i in range(accounts)],
        "account_id string, ds date, posts_7d long, engagements_given_1d long")


def test_peer_statistics_of_a_large_group_come_from_a_stable_sample_of_its_accounts(spark):
    days = [D, D + dt.timedelta(days=1)]
    features = _crowd(spark, 3000, days).persist()
    exact = _scores(peer_deviation_scores(features, columns=BEHAVIOUR, peer_columns=(), sample_rows=3000, seed=1))
    sampled = _scores(peer_deviation_scores(features, columns=BEHAVIOUR, peer_columns=(), sample_rows=1000, seed=1))
    again = _scores(peer_deviation_scores(features, columns=BEHAVIOUR, peer_columns=(), sample_rows=1000, seed=1))
    other = _scores(peer_deviation_scores(features, columns=BEHAVIOUR, peer_columns=(), sample_rows=1000, seed=2))
    want = _peer_deviation_in_plain_python([r.asDict() for r in features.collect()], columns=BEHAVIOUR,
                                           group_of=lambda r: r["ds"])
    features.unpersist()
    assert all(abs(exact[k] - want[k]) < 1e-12 for k in want)  # a group of sample_rows rows is exact
    assert all(abs(sampled[k] - again[k]) < 1e-12 for k in sampled)  # deterministic
    assert max(abs(sampled[k] - exact[k]) for k in exact) > 1e-6  # the statistics came from a sample ...
    assert max(abs(sampled[k] - other[k]) for k in exact) > 1e-6  # ... that the seed chose
    # the same accounts each day: identical days give identical scores
    assert all(abs(sampled[(a, days[0])] - sampled[(a, days[1])]) < 1e-12 for a, d in exact if d == days[0])
    # a sample of a third of the accounts moves no score far
    assert max(abs(sampled[k] - exact[k]) for k in exact) < 0.05


def test_anomaly_scores_rank_the_outliers_first(spark):
    features = world(spark)
    sample = features.select(*BEHAVIOUR).toPandas()
    forest = fit_isolation_forest(sample, columns=BEHAVIOUR, n_trees=50, max_samples=64, seed=0)
    iso = {r["account_id"]: r["anomaly_score"] for r in isolation_scores(features, forest=forest, columns=BEHAVIOUR).collect()}
    peer = {r["account_id"]: r["anomaly_score"] for r in peer_deviation_scores(
        features, columns=BEHAVIOUR, peer_columns=("is_seller",), sample_rows=1000, seed=1).collect()}
    for scores in (iso, peer):
        assert len(scores) == features.count()
        assert all(0.0 <= v <= 1.0 for v in scores.values())
        assert min(scores["f1"], scores["r1"]) > pd.Series({k: v for k, v in scores.items() if k.startswith("u")}).median()


def test_order_links_join_a_seller_to_its_buyer_ring(spark):
    from creator_governance.models.syndicates.discover import order_links

    ts = dt.datetime(2026, 1, 9, 12)
    orders = spark.createDataFrame(
        [(f"o{i}", ts, f"b{i % 3}", "seller", 10.0) for i in range(9)]      # 3 orders from each of 3 buyers
        + [("x1", ts, "b9", "shop", 5.0), ("x2", ts, "b9", "shop", 5.0)]     # 2 orders: below the minimum
        + [(f"old{i}", dt.datetime(2025, 11, 1), "b8", "shop", 5.0) for i in range(5)],  # outside the window
        "order_id string, created_at timestamp, buyer_id string, seller_id string, amount double")
    links = order_links(orders, days=[D, D + dt.timedelta(days=60)], lookback_days=28, min_orders=3)
    # 60 days later the orders have left the window: no link that day
    assert {(r["account_id"], r["ds"], r["link_key"]) for r in links.collect()} == {
        ("b0", D, "o|seller"), ("b1", D, "o|seller"), ("b2", D, "o|seller"), ("seller", D, "o|seller")}


def test_coordinated_groups_are_reported_whatever_their_score(spark):
    """matrix: m1..m3 share a device and post the same content; ring: seller s1 fed by b1..b3 (repeat orders),
    the buyers on one IP; meme: c1..c3 only re-post one item (fingerprint, no shared means); merged: two
    households k1..k4 (device, IP) joined through k1's re-post. All score low: the matrix and the order ring are
    coordinated (reported, reviewed); the meme group, the merged households and the household are not."""
    rows = [(f"m{i}", D, "m1", 3, ["device", "fingerprint"], None, 6, 2, False) for i in (1, 2, 3)]
    rows += [(f"c{i}", D, "c1", 3, ["fingerprint"], None, 3, 20, False) for i in (1, 2, 3)]
    rows += [("s1", D, "s1", 1, None, None, 1, 0, True)]
    rows += [(f"b{i}", D, "b1", 3, ["ip"], None, 0, 3, False) for i in (1, 2, 3)]
    rows += [("k1", D, "k1", 4, ["device", "fingerprint", "ip"], None, 2, 8, False)]
    rows += [(f"k{i}", D, "k1", 4, ["device", "ip"], None, 2, 8, False) for i in (2, 3, 4)]
    features = world(spark).unionByName(spark.createDataFrame(rows, SCHEMA))
    orders = spark.createDataFrame([(f"b{i}", D, "o|s1") for i in (1, 2, 3)] + [("s1", D, "o|s1")],
                                   "account_id string, ds date, link_key string")
    groups = linked_groups(features, extra_links=orders)
    kinds = {r["account_id"]: r["link_kinds"] for r in groups.collect()}
    assert kinds["s1"] == ["orders"] and kinds["b2"] == ["ip", "orders"] and kinds["f1"] == ["lockstep"]
    clusters = behaviour_clusters(features, features, columns=BEHAVIOUR, k=3, seed=1)
    members = assign_syndicates(groups, clusters, min_size=3, min_member_share=0.2)
    _, syndicates = describe_syndicates(
        members, features, scores_of(spark, features), signal_columns=BEHAVIOUR, plain_words={}, min_size=3,
        enforce_min_score=0.5, review_min_score=0.2)
    found = {r["syndicate_id"]: r for r in syndicates.collect()}
    assert set(found) == {"S-r1", "S-f1", "S-m1", "S-b1"}
    assert found["S-b1"]["members"] == ["b1", "b2", "b3", "s1"]
    assert "repeat orders between members" in found["S-b1"]["shared_signals"]
    assert {"shared device", "shared fingerprint"} <= set(found["S-m1"]["shared_signals"])
    for sid in ("S-m1", "S-b1"):
        assert found[sid]["mean_score"] < 0.2 and found[sid]["suggested_action"].startswith("review")
