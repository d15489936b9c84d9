"""`govern strategies` over a range in one pass gives, per day, what runs of one day each give."""

from __future__ import annotations

import datetime as dt
import shutil

from chispa import assert_df_equality
from pyspark.sql import functions as F

from creator_governance.config import load_config
from creator_governance.models.strategies.lists import CHANGE_SCHEMA
from creator_governance.runtime import JobContext
from creator_governance.tables import Tables
from creator_governance.tables.catalog import as_declared

D0, D1, D2 = (dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(3))
FEATURES_DDL = "account_id string, ds date, posts_7d long, reports_received_7d long"
# Busy accounts per day: 1, 4, 8 hits of an enforcing strategy, so D1 jumps against D0 and D2 against D0 and D1.
BUSY = {D0: 1, D1: 4, D2: 8}
SCORES = {"a1": 0.9, "a2": 0.85, "a3": 0.75}
STRATEGY = ("  - {{id: {id}, version: {v}, status: {status}, target: account, action: {action}, severity: 3, owner: t, "
            "description: d, condition: \"{cond}\"}}\n")
LIBRARY_V1 = [("busy_poster", 1, "active", "limit", "posts_7d >= 10"),
              ("known_bad", 1, "active", "ban", "in_list('known_bad_accounts', account_id)"),
              ("high_score", 1, "shadow", "review", "score >= 0.7"),
              ("retire_me", 1, "shadow", "review", "reports_received_7d >= 100")]
# D1 on: high_score changes (a change event), retire_me leaves the library (a retire event).
LIBRARY_V2 = [LIBRARY_V1[0], LIBRARY_V1[1],
              ("high_score", 2, "shadow", "review", "score >= 0.8")]
# creator_credit is left out: `govern credit` is a one-pass range job of its own (tests/models/credit).
COMPARED = ("strategy_hits", "governance_events", "strategy_registry", "review_sample")


def write_library(folder, strategies):
    folder.mkdir()
    (folder / "lib.yaml").write_text("strategies:\n" + "".join(
        STRATEGY.format(id=i, v=v, status=s, action=a, cond=c) for i, v, s, a, c in strategies))
    return str(folder)


def seed(spark, tables):
    features, scores = [], []
    for d in (D0, D1, D2):
        for i in range(8):
            a = f"a{i}"
            features.append((a, d, 12 if i < BUSY[d] else 2, i % 2))
            scores.append((a, d, SCORES.get(a, 0.1)))
    tables.append("creator_features", spark.createDataFrame(features, FEATURES_DDL))
    tables.append("creator_scores", as_declared("creator_scores", spark.createDataFrame(
        scores, "account_id string, ds date, score double")))
    # known_bad_accounts: a5 from D1 noon, swapped for a6 on D2 morning.
    changes = [(f"c{n}", "known_bad_accounts", "account", "deny", a, op, at, "test", "")
               for n, (a, op, at) in enumerate([("a5", "add", dt.datetime(2026, 1, 2, 12)),
                                                ("a5", "remove", dt.datetime(2026, 1, 3, 6)),
                                                ("a6", "add", dt.datetime(2026, 1, 3, 6))])]
    tables.append("governance_lists", spark.createDataFrame(changes, CHANGE_SCHEMA))


def context(spark, root, library):
    cfg = load_config(overrides={"tables": {"lakehouse": str(root)}, "strategies": {
        "library": library, "sampling": {"per_stratum": 2}, "credit": {"enabled": False},
        "enforcement_jump": {"factor": 2.0, "min_hits": 2, "trailing_days": 2}}})
    return JobContext(spark=spark, tables=Tables(spark, str(root), engine="delta-rs"), cfg=cfg)


def comparable(ctx, table):
    df = ctx.tables.read(table, ds=[D1, D2])
    if "fired_values" in df.columns:  # maps cannot be sorted
        df = df.withColumn("fired_values", F.array_sort(F.map_entries("fired_values")))
    return df


def test_a_range_in_one_pass_equals_one_day_at_a_time(spark, tables, lakehouse, tmp_path):
    from creator_governance.jobs import strategies as job

    seed(spark, tables)
    v1, v2 = write_library(tmp_path / "v1", LIBRARY_V1), write_library(tmp_path / "v2", LIBRARY_V2)
    job.run(context(spark, lakehouse, v1), [D0])
    other = tmp_path / "other"
    shutil.copytree(lakehouse, other)

    daily = context(spark, lakehouse, v2)
    one, two = job.run(daily, [D1]), job.run(daily, [D2])
    ranged = context(spark, other, v2)
    both = job.run(ranged, [D2, D1])

    assert {k: both[k] for k in ("hits", "events", "sampled")} == {k: one[k] + two[k] for k in ("hits", "events",
                                                                                                "sampled")}
    for table in COMPARED:
        assert_df_equality(comparable(ranged, table), comparable(daily, table), ignore_row_order=True,
                           ignore_nullable=True)
    # The comparison covers what a range could get wrong: lists as of each day, events against the day before.
    hits = {(r["ds"], r["strategy_id"], r["target_id"]) for r in comparable(ranged, "strategy_hits").collect()}
    assert {(d, t) for d, s, t in hits if s == "known_bad"} == {(D1, "a5"), (D2, "a6")}
    assert {(d, t) for d, s, t in hits if s == "high_score"} == {(D1, "a1"), (D1, "a2"), (D2, "a1"), (D2, "a2")}
    events = {(r["ds"], r["kind"], r["strategy_id"]): r["description"]
              for r in comparable(ranged, "governance_events").collect()}
    assert set(events) == {(D1, "strategy_change", "high_score"), (D1, "strategy_retire", "retire_me"),
                           (D1, "enforcement_jump", "busy_poster"), (D2, "enforcement_jump", "busy_poster")}
    assert events[(D2, "enforcement_jump", "busy_poster")] == "8 hits vs a trailing mean of 2.5/day"


def test_backtest_and_list_changes_through_their_jobs(spark, tables, lakehouse, tmp_path):
    """`govern strategies backtest` (jobs/backtest.py) labels the replayed hits with the decisions known as of the
    cut-off; `govern strategies lists` (jobs/lists.py) records a change that the next evaluation sees."""
    from creator_governance.jobs.backtest import backtest
    from creator_governance.jobs.lists import change_list
    from creator_governance.jobs.strategies import list_members

    seed(spark, tables)
    ctx = context(spark, lakehouse, write_library(tmp_path / "v1", LIBRARY_V1))
    decisions = spark.createDataFrame([
        ("d1", dt.datetime(2026, 1, 2, 9), "a0", "spam", "violation"),
        ("d2", dt.datetime(2026, 1, 2, 9), "a1", "spam", "no_violation"),
        ("d3", dt.datetime(2026, 1, 20, 9), "a2", "spam", "violation"),  # after the cut-off: unknown then
    ], "decision_id string, ts timestamp, target_id string, policy string, outcome string")
    tables.append("decisions", as_declared("decisions", decisions.withColumn("ds", F.to_date("ts"))))
    out = backtest(ctx, [D0, D1, D2], ["busy_poster"], dt.datetime(2026, 1, 10), None)
    rows = {(r["strategy_id"], r["metric"]): r["value"]
            for r in tables.read("strategy_performance").filter(F.col("run_id") == out["run_id"]).collect()}
    # busy_poster hit a0..a7 over the range; of them a0 (violation) and a1 (cleared) were reviewed by 01-10
    assert rows[("busy_poster", "precision")] == 0.5
    assert out["strategies"] == 1 and "busy_poster" in out["report"] and out["path"].endswith(".md")

    assert change_list(ctx, "add", "known_bad_accounts", ["a7"], by="test", reason="r",
                       at=dt.datetime(2026, 1, 4, 8)) == 1
    members = {r["value"] for r in list_members(ctx, dt.datetime(2026, 1, 4, 23)).collect()}
    assert members == {"a6", "a7"}


def test_the_daily_run_and_the_backtest_started_alone_are_recorded_in_pipeline_runs(spark, tables, lakehouse,
                                                                                    tmp_path):
    """`govern strategies` and `govern strategies backtest` from the command line (as the weekly wheel task starts
    the backtest) leave pipeline_runs rows like every step: one per day, the rows they wrote."""
    import yaml

    from creator_governance.jobs import strategies as job

    seed(spark, tables)
    decisions = spark.createDataFrame([("d1", dt.datetime(2026, 1, 2, 9), "a0", "spam", "violation")],
                                      "decision_id string, ts timestamp, target_id string, policy string, "
                                      "outcome string")
    tables.append("decisions", as_declared("decisions", decisions.withColumn("ds", F.to_date("ts"))))
    conf = tmp_path / "conf.yaml"
    conf.write_text(yaml.safe_dump({"strategies": {"library": write_library(tmp_path / "v1", LIBRARY_V1),
                                                   "sampling": {"per_stratum": 2}, "credit": {"enabled": False}}}))
    shared = ["--lakehouse", str(lakehouse), "--conf", str(conf)]
    assert job.main(["--from", D1.isoformat(), "--to", D2.isoformat(), *shared]) == 0
    before = dt.datetime.now(dt.timezone.utc).date()
    assert job.main(["backtest", "--from", D0.isoformat(), "--to", D2.isoformat(), "--as-of", "2026-01-10",
                     "--strategy", "busy_poster", *shared]) == 0
    after = dt.datetime.now(dt.timezone.utc).date()
    runs = tables.read("pipeline_runs").collect()
    daily = sorted((r.step, r.ds, r.status) for r in runs if r.step == "strategies")
    assert daily == [("strategies", D1, "success"), ("strategies", D2, "success")]
    assert {r.rows for r in runs if r.step == "strategies"} == {tables.read("strategy_hits", ds=[D1, D2]).count()}
    # the replay of three days is one row, under the UTC date it ran; its run id is strategy_performance's
    (replay,) = [r for r in runs if r.step == "backtest"]
    assert replay.status == "success" and replay.ds in {before, after}
    performance = tables.read("strategy_performance").collect()
    assert replay.rows == len(performance) > 0 and {r.run_id for r in performance} == {replay.run_id}
