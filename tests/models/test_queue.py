"""The review queue on hand-made frames: each signal calibrated on the platform's decisions, a confirmed ring
above a lone high score, syndicate rows, ranks and actions."""

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from creator_governance.models.queue.priority import (
    account_queue, anomaly_probability, audience_probability, hit_probability, priors, ranked, reviewed_accounts,
    ring_probability, strong_ties, syndicate_queue,
)

DS = dt.date(2026, 1, 20)
ACTIONS = {"enforce": 0.9, "review": 0.5, "monitor": 0.0}


@pytest.fixture()
def frames(spark):
    # ring S1: r1..r4, two of them confirmed violators; `lone` has the highest model score and nothing else;
    # n1..n12 are ordinary accounts, n1 and n2 reviewed and cleared.
    scores = [("r1", 0.30, 0.9, "S1"), ("r2", 0.25, 0.8, "S1"), ("r3", 0.2, 0.7, "S1"), ("r4", 0.2, 0.7, "S1"),
              ("lone", 0.80, 0.5, None)] + [(f"n{i}", 0.02, 0.1 + i / 100, None) for i in range(1, 13)]
    scores = spark.createDataFrame(scores, "account_id string, score double, anomaly_score double, "
                                           "syndicate_id string").withColumn("ds", F.lit(DS))
    decisions = spark.createDataFrame([
        ("r3", dt.datetime(2026, 1, 10, 9), "violation"), ("r4", dt.datetime(2026, 1, 12, 9), "violation"),
        ("n1", dt.datetime(2026, 1, 11, 9), "no_violation"), ("n2", dt.datetime(2026, 1, 15, 9), "no_violation"),
        ("r1", dt.datetime(2026, 1, 25, 9), "violation"),  # after ds: not known yet
    ], "target_id string, ts timestamp, outcome string")
    return scores, decisions


def test_reviewed_accounts_know_only_the_decisions_up_to_the_day(spark, frames):
    _, decisions = frames
    expected = spark.createDataFrame(
        [(DS, "n1", 0), (DS, "n2", 0), (DS, "r3", 1), (DS, "r4", 1),
         (DS - dt.timedelta(days=9), "r3", 1), (DS - dt.timedelta(days=9), "n1", 0)],
        "ds date, account_id string, violation int")
    # each day knows the decisions dated up to it: on 2026-01-11, r3 (01-10) and n1 (01-11) only
    assert_df_equality(reviewed_accounts(decisions, days=[DS, DS - dt.timedelta(days=9)]), expected,
                       ignore_row_order=True, ignore_nullable=True)


def test_accounts_of_equal_anomaly_score_at_a_bin_edge_are_binned_by_id_whatever_their_order(spark):
    reviewed = spark.createDataFrame([(DS, "d", 1)], "ds date, account_id string, violation int")
    rows = [("a", 0.1), ("b", 0.5), ("c", 0.5), ("d", 0.9)]
    expected = spark.createDataFrame([(DS, "a", 0.0), (DS, "b", 0.0), (DS, "c", 0.5), (DS, "d", 0.5)],
                                     "ds date, account_id string, anomaly_probability double")
    for order in (rows, rows[::-1]):
        scores = spark.createDataFrame(order, "account_id string, anomaly_score double").withColumn("ds", F.lit(DS))
        # two bins: {a, b} never confirmed, {c, d} half confirmed; b and c tie at the edge
        assert_df_equality(anomaly_probability(scores.coalesce(1), reviewed, bins=2, prior_strength=0.0), expected,
                           ignore_row_order=True, ignore_nullable=True)


def test_a_confirmed_ring_ranks_above_a_lone_high_score(spark, frames):
    scores, decisions = frames
    reviewed = reviewed_accounts(decisions, days=[DS])
    ring = ring_probability(scores, reviewed, prior_strength=1.0)
    members = {r["account_id"]: r for r in ring.collect()}
    # r1's other reviewed members are r3 and r4, both confirmed: (2 + 1 x 1.0) / (2 + 1), pooled prior 2/2 = 1
    assert members["r1"]["ring_confirmed"] == 2 and members["r1"]["ring_reviewed"] == 2
    assert members["r3"]["ring_confirmed"] == 1  # leave-one-out: its own decision is not its evidence
    anomaly = anomaly_probability(scores, reviewed, bins=4, prior_strength=1.0)
    no_hits = spark.createDataFrame([], "ds date, account_id string, hit_probability double, "
                                        "hit_strategies array<string>")
    queue = account_queue(scores, anomaly, ring, no_hits, actions=ACTIONS, min_shared_items=2)
    priority = {r["entity_id"]: r["priority"] for r in queue.collect()}
    assert priority["r1"] > priority["lone"] > priority["n5"]
    assert priority["r2"] > priority["lone"]
    assert 0.0 <= min(priority.values()) and max(priority.values()) <= 1.0


def test_strategy_precision_comes_from_the_hits_later_confirmed(spark, frames):
    scores, decisions = frames
    hits = spark.createDataFrame([
        (dt.date(2026, 1, 9), "good_rule", "account", "r3"), (dt.date(2026, 1, 11), "good_rule", "account", "r4"),
        (dt.date(2026, 1, 10), "noisy_rule", "account", "n1"), (dt.date(2026, 1, 14), "noisy_rule", "account", "n2"),
        (dt.date(2026, 1, 19), "good_rule", "account", "n7"), (dt.date(2026, 1, 19), "noisy_rule", "account", "n8"),
    ], "ds date, strategy_id string, target_type string, target_id string")
    out = {r["account_id"]: r for r in hit_probability(hits, decisions, days=[DS], hit_days=3, horizon_days=7,
                                                       prior_strength=1.0).collect()}
    assert set(out) == {"n7", "n8"}  # only the last 3 days' hits are evidence
    assert out["n7"]["hit_probability"] > out["n8"]["hit_probability"]  # 2/2 confirmed vs 0/2
    assert out["n7"]["hit_strategies"] == ["good_rule"]


def test_the_ring_is_one_row_too_and_ranks_run_over_both_kinds(spark, frames):
    scores, decisions = frames
    reviewed = reviewed_accounts(decisions, days=[DS])
    no_hits = spark.createDataFrame([], "ds date, account_id string, hit_probability double, "
                                        "hit_strategies array<string>")
    accounts = account_queue(scores, anomaly_probability(scores, reviewed, bins=4, prior_strength=1.0),
                             ring_probability(scores, reviewed, prior_strength=1.0), no_hits, actions=ACTIONS,
                             min_shared_items=2)
    syndicates = spark.createDataFrame([(DS, "S1", 4, ["r1", "r2", "r3", "r4"], ["shared device"])],
                                       "ds date, syndicate_id string, size int, members array<string>, "
                                       "shared_signals array<string>")
    queue = ranked(accounts.unionByName(syndicate_queue(accounts, syndicates))).collect()
    ring_row = next(r for r in queue if r["entity_kind"] == "syndicate")
    assert ring_row["members"] == ["r1", "r2", "r3", "r4"] and ring_row["suggested_action"] == "review the ring together"
    assert ring_row["priority"] == max(r["priority"] for r in queue if r["syndicate_id"] == "S1")
    assert sorted(r["rank"] for r in queue) == list(range(1, len(queue) + 1))
    by_rank = sorted(queue, key=lambda r: r["rank"])
    assert all(a["priority"] >= b["priority"] for a, b in zip(by_rank, by_rank[1:]))


def test_a_creator_whose_audience_comes_from_rings_is_evidence_calibrated_on_such_creators(spark, frames):
    scores, decisions = frames
    scores = scores.unionByName(spark.createDataFrame(
        [("b1", 0.05, 0.6, None), ("b2", 0.05, 0.6, None), ("b3", 0.05, 0.6, None)],
        "account_id string, score double, anomaly_score double, syndicate_id string").withColumn("ds", F.lit(DS)))
    decisions = decisions.unionByName(spark.createDataFrame(
        [("b2", dt.datetime(2026, 1, 14, 9), "violation"), ("b3", dt.datetime(2026, 1, 16, 9), "violation")],
        "target_id string, ts timestamp, outcome string"))
    reviewed = reviewed_accounts(decisions, days=[DS])
    # b1, b2, b3: 24 engagements each, 20 from ring members r1..r4; n5: 30 engagements, 10 from the ring (a third:
    # below min_share); n6: 5 engagements, all from the ring (too few to judge).
    rows = []
    for creator, from_ring, organic in (("b1", 20, 4), ("b2", 20, 4), ("b3", 20, 4), ("n5", 10, 20), ("n6", 5, 0)):
        rows += [(f"r{1 + i % 4}", f"c-{creator}") for i in range(from_ring)]
        rows += [(f"n{1 + i % 4}", f"c-{creator}") for i in range(organic)]
    engagements = spark.createDataFrame([(DS, *r) for r in rows], "ds date, actor_id string, content_id string")
    content = spark.createDataFrame([(DS, f"c-{c}", c) for c in ("b1", "b2", "b3", "n5", "n6")],
                                    "ds date, content_id string, creator_id string")
    out = {r["account_id"]: r for r in audience_probability(engagements, content, scores, reviewed, window_days=14,
                                                            min_engagements=20, min_share=0.5,
                                                            prior_strength=1.0).collect()}
    assert set(out) == {"b1", "b2", "b3"}
    assert out["b1"]["audience_share"] == pytest.approx(20 / 24) and out["b1"]["audience_engagements"] == 24
    # b1's evidence: the other two such creators, both confirmed, shrunk toward the members' 2/2 = 1.
    assert (out["b1"]["audience_confirmed"], out["b1"]["audience_reviewed"]) == (2, 2)
    assert out["b1"]["audience_probability"] == pytest.approx(1.0)
    assert (out["b2"]["audience_confirmed"], out["b2"]["audience_reviewed"]) == (1, 1)  # leave-one-out
    anomaly = anomaly_probability(scores, reviewed, bins=4, prior_strength=1.0)
    ring = ring_probability(scores, reviewed, prior_strength=1.0)
    no_hits = spark.createDataFrame([], "ds date, account_id string, hit_probability double, "
                                        "hit_strategies array<string>")
    queue = {r["entity_id"]: r for r in account_queue(
        scores, anomaly, ring, no_hits, actions=ACTIONS, min_shared_items=2,
        audience=audience_probability(engagements, content, scores, reviewed, window_days=14, min_engagements=20,
                                      min_share=0.5,
                                      prior_strength=1.0)).collect()}
    assert queue["b1"]["priority"] > queue["lone"]["priority"]
    assert "audience from syndicates: 83% of its 24 engagements" in queue["b1"]["evidence"]
    assert queue["n5"]["audience_probability"] is None


def test_a_member_tied_by_shared_means_alone_does_not_inherit_its_rings_confirmations(spark, frames):
    scores, decisions = frames
    # S1 again, now with each member's ties: r1..r4 share content fingerprints (behaviour); h1, h2 joined the ring
    # through a shared device and IP only (a household beside the ring), with scores like r1's.
    ties = {"r1": ["device", "fingerprint"], "r2": ["fingerprint"], "r3": ["fingerprint", "ip"],
            "r4": ["fingerprint"], "h1": ["device", "ip"], "h2": ["device", "ip"]}
    rows = [(r["account_id"], r["score"], r["anomaly_score"], r["syndicate_id"], ties.get(r["account_id"]))
            for r in scores.collect()] + [("h1", 0.30, 0.9, "S1", ties["h1"]), ("h2", 0.30, 0.9, "S1", ties["h2"])]
    scores = spark.createDataFrame(rows, "account_id string, score double, anomaly_score double, "
                                         "syndicate_id string, syndicate_links array<string>").withColumn(
        "ds", F.lit(DS))
    reviewed = reviewed_accounts(decisions, days=[DS])
    pooled = priors(scores, reviewed)
    assert pooled == {DS: {"accounts": pytest.approx(2 / 19), "members": 1.0}}  # r3, r4 confirmed; n1, n2 cleared
    ring = {r["account_id"]: r for r in ring_probability(scores, reviewed, prior_strength=1.0, pooled=pooled).collect()}
    assert ring["r1"]["ring_tie"] == "behaviour" and ring["r1"]["ring_probability"] == pytest.approx(1.0)
    # no weakly tied member of any ring was reviewed: h1 is as likely as any account
    assert ring["h1"]["ring_tie"] == "weak" and ring["h1"]["ring_reviewed"] == 0
    assert ring["h1"]["ring_probability"] == pytest.approx(2 / 19)
    assert ring["h1"]["ring_size"] == 6
    no_hits = spark.createDataFrame([], "ds date, account_id string, hit_probability double, "
                                        "hit_strategies array<string>")
    queue = {r["entity_id"]: r for r in account_queue(
        scores, anomaly_probability(scores, reviewed, bins=4, prior_strength=1.0),
        ring_probability(scores, reviewed, prior_strength=1.0), no_hits, actions=ACTIONS,
        min_shared_items=2).collect()}
    assert queue["r1"]["priority"] > queue["lone"]["priority"] > queue["h1"]["priority"]
    assert "tied only by shared device or IP or one shared item" in queue["h1"]["evidence"]
    # once reviews confirm such members elsewhere, the tie is evidence again
    confirmed = decisions.unionByName(spark.createDataFrame(
        [("h2", dt.datetime(2026, 1, 13, 9), "violation")], "target_id string, ts timestamp, outcome string"))
    again = reviewed_accounts(confirmed, days=[DS])
    h1 = next(r for r in ring_probability(scores, again, prior_strength=1.0).collect() if r["account_id"] == "h1")
    assert (h1["ring_confirmed"], h1["ring_reviewed"]) == (1, 1) and h1["ring_probability"] > 0.5


def test_a_member_tied_by_one_shared_item_is_a_weak_tie(spark, frames):
    """Spam bots share many items with their ring; a creator who re-posted one of them is in the ring by that item
    alone and must not inherit the bots' confirmations (nor lose the audience evidence of a creator outside rings)."""
    scores, decisions = frames
    ties = {"r1": ["fingerprint"], "r2": ["fingerprint"], "r3": ["fingerprint", "ip"], "r4": ["fingerprint"],
            "p1": ["fingerprint"], "p2": ["fingerprint", "ip"], "q1": ["fingerprint"]}
    rows = [(r["account_id"], r["score"], r["anomaly_score"], r["syndicate_id"], ties.get(r["account_id"]))
            for r in scores.collect()] + [(a, 0.30, 0.9, "S1", ties[a]) for a in ("p1", "p2", "q1")]
    schema = "account_id string, score double, anomaly_score double, syndicate_id string, syndicate_links array<string>"
    scores = spark.createDataFrame(rows, schema).withColumn("ds", F.lit(DS))
    # posts_28d, dup_cross_share_28d, hub_fingerprints_28d: r1..r4 shared 6 of 200 items; p1 1 of 10; p2 3 of 20,
    # 2 of them viral (past the hub cap: they link nobody); q1 has no features row (its ties are kept)
    features = spark.createDataFrame(
        [(f"r{i}", 200, 0.03, 0) for i in range(1, 5)] + [("p1", 10, 0.1, 0), ("p2", 20, 0.15, 2), ("lone", 5, 0.2, 0)],
        "account_id string, posts_28d long, dup_cross_share_28d double, hub_fingerprints_28d long").withColumn(
        "ds", F.lit(DS))
    strong = strong_ties(scores, features, min_shared_items=2)
    expected = spark.createDataFrame(
        [(a, ties[a] if a not in ("p1", "p2") else [t for t in ties[a] if t != "fingerprint"])
         for a in ties] + [(r["account_id"], None) for r in scores.collect() if r["account_id"] not in ties],
        "account_id string, syndicate_links array<string>")
    assert_df_equality(strong.select("account_id", "syndicate_links"), expected, ignore_row_order=True,
                       ignore_nullable=True)
    assert strong.columns == scores.columns
    # the bar is a setting: at one shared item p1 keeps its fingerprint tie
    one = {r["account_id"]: r["syndicate_links"] for r in strong_ties(scores, features, min_shared_items=1).collect()}
    assert one["p1"] == ["fingerprint"] and one["p2"] == ["fingerprint", "ip"]
    reviewed = reviewed_accounts(decisions, days=[DS])
    ring = {r["account_id"]: r for r in ring_probability(strong, reviewed, prior_strength=1.0).collect()}
    assert ring["r1"]["ring_tie"] == "behaviour" and ring["r1"]["ring_probability"] == pytest.approx(1.0)
    assert ring["q1"]["ring_tie"] == "behaviour"
    # p1 and p2 are judged by the reviewed weak ties of every ring (none): as likely as any account
    assert ring["p1"]["ring_tie"] == "weak" and ring["p1"]["ring_probability"] == pytest.approx(2 / 20)
    before = {r["account_id"]: r for r in ring_probability(scores, reviewed, prior_strength=1.0).collect()}
    assert before["p1"]["ring_probability"] == pytest.approx(1.0)  # without the rule: the bots' confirmations
    # a weakly tied creator whose audience comes from the ring is judged as a boosted creator
    engagements = spark.createDataFrame([(DS, f"r{1 + i % 4}", "c-p1") for i in range(24)],
                                        "ds date, actor_id string, content_id string")
    content = spark.createDataFrame([(DS, "c-p1", "p1"), (DS, "c-r1", "r1")],
                                    "ds date, content_id string, creator_id string")
    engagements = engagements.unionByName(spark.createDataFrame([(DS, f"r{2 + i % 3}", "c-r1") for i in range(24)],
                                                                "ds date, actor_id string, content_id string"))
    bought = {r["account_id"] for r in audience_probability(engagements, content, strong, reviewed, window_days=14,
                                                            min_engagements=20, min_share=0.5,
                                                            prior_strength=1.0).collect()}
    assert bought == {"p1"}  # r1, tied by behaviour, is the ring itself
    # the evidence names the bar the tie was judged with
    no_hits = spark.createDataFrame([], "ds date, account_id string, hit_probability double, "
                                        "hit_strategies array<string>")
    strict = strong_ties(scores, features, min_shared_items=7)
    words = {r["entity_id"]: r["evidence"] for r in account_queue(
        strict, anomaly_probability(strict, reviewed, bins=4, prior_strength=1.0),
        ring_probability(strict, reviewed, prior_strength=1.0), no_hits, actions=ACTIONS,
        min_shared_items=7).collect()}
    assert "tied only by shared device or IP or fewer than 7 shared items" in words["r1"]


def test_several_days_in_one_pass_equal_each_day_alone(spark, frames):
    """The job builds a backfill's queues in one pass: each day must see only what it saw alone (its decisions,
    its hits, its engagements)."""
    scores, decisions = frames
    early = DS - dt.timedelta(days=8)  # 2026-01-12: knows r3, r4, n1 but not n2 (01-15)
    both = scores.unionByName(scores.withColumn("ds", F.lit(early)))
    hits = spark.createDataFrame([
        (dt.date(2026, 1, 9), "good_rule", "account", "r3"), (dt.date(2026, 1, 11), "good_rule", "account", "n1"),
        (dt.date(2026, 1, 12), "noisy_rule", "account", "n2"), (dt.date(2026, 1, 19), "good_rule", "account", "n7"),
    ], "ds date, strategy_id string, target_type string, target_id string")
    engagements = spark.createDataFrame([(d, f"r{1 + i % 4}", "c-n9") for d in (early, DS) for i in range(12)],
                                        "ds date, actor_id string, content_id string")
    content = spark.createDataFrame([(early, "c-n9", "n9")], "ds date, content_id string, creator_id string")

    def queue(frame, days):
        reviewed = reviewed_accounts(decisions, days=days)
        pooled = priors(frame, reviewed)
        return ranked(account_queue(
            frame, anomaly_probability(frame, reviewed, bins=4, prior_strength=1.0),
            ring_probability(frame, reviewed, prior_strength=1.0, pooled=pooled),
            hit_probability(hits, decisions, days=days, hit_days=3, horizon_days=7, prior_strength=1.0),
            actions=ACTIONS, min_shared_items=2,
            audience=audience_probability(engagements, content, frame, reviewed, window_days=14,
                                          min_engagements=10, min_share=0.5, prior_strength=1.0, pooled=pooled)))

    together = queue(both, [DS, early])
    alone = queue(scores, [DS]).unionByName(queue(both.filter(F.col("ds") == early), [early]))
    assert_df_equality(together, alone, ignore_row_order=True, ignore_nullable=True)
    day = {r["entity_id"]: r for r in together.filter(F.col("ds") == early).collect()}
    assert day["n9"]["audience_probability"] is not None and day["r1"]["ring_probability"] is not None
