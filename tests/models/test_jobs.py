"""`govern train` then `govern score` on a tiny lakehouse: registry, evaluation, scores (a day, a range), syndicates,
refusal."""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pytest
from pyspark.sql import functions as F

from creator_governance.config import load_config
from creator_governance.models.scoring.score import MissingFeatures
from creator_governance.runtime import JobContext
from creator_governance.tables.catalog import as_declared

D0 = dt.date(2026, 1, 1)
DAYS = [D0 + dt.timedelta(days=i) for i in range(20)]
FEATURES_DDL = ("account_id string, ds date, account_age_days int, posts_7d long, reports_received_7d long, "
                "engagements_given_1d long, is_seller boolean, is_new_account boolean, graph_cluster_id string, "
                "graph_cluster_size long, graph_link_types array<string>, lockstep_group_id string, "
                "lockstep_group_size long, lockstep_score double")


def seed_lakehouse(spark, tables):
    rng = np.random.default_rng(3)
    bad = {f"a{i:02d}" for i in range(12)}
    rows, decisions = [], []
    for d in DAYS:
        for i in range(60):
            a = f"a{i:02d}"
            is_bad = a in bad
            ring = is_bad and i < 4
            rows.append((a, d, 100 + i, int(rng.poisson(20 if is_bad else 3)), int(rng.poisson(4 if is_bad else 0.3)),
                         int(rng.poisson(50 if is_bad else 5)), i % 7 == 0, False, "a00" if ring else a,
                         4 if ring else 1, ["device"] if ring else None, None, 0, 0.0))
            if is_bad and rng.random() < 0.3:
                decisions.append((f"v{a}{d}", dt.datetime(d.year, d.month, d.day, 9), a, "violation"))
            elif not is_bad and rng.random() < 0.1:
                decisions.append((f"n{a}{d}", dt.datetime(d.year, d.month, d.day, 9), a, "no_violation"))
    tables.append("creator_features", spark.createDataFrame(rows, FEATURES_DDL))
    dec = spark.createDataFrame(decisions, "decision_id string, ts timestamp, target_id string, outcome string")
    tables.append("decisions", as_declared("decisions", dec.withColumn("ds", F.to_date("ts"))))


@pytest.fixture()
def ctx(spark, tables, lakehouse):
    seed_lakehouse(spark, tables)
    cfg = load_config(overrides={"tables": {"lakehouse": str(lakehouse)}, "model": {
        "labels": {"horizon_days": 3, "stride_days": 1, "unreviewed_weight": 0.2},
        # trainer spark: auto would fit a set this small on the driver; this keeps xgboost.spark in the fast tests
        "training": {"window_days": 14, "validation_days": 4, "n_estimators": 15, "num_workers": 1,
                     "early_stopping_rounds": 5, "max_depth": 3, "trainer": "spark"},
        "anomaly": {"sample_rows": 100, "n_trees": 20, "max_samples": 32},
        "syndicates": {"behaviour_clusters": 3, "sample_rows": 100},
    }})
    return JobContext(spark=spark, tables=tables, cfg=cfg)


def test_train_then_score_one_day_and_a_range_then_refuse_missing_features(ctx):
    from creator_governance.jobs import score as score_job
    from creator_governance.jobs import train as train_job

    as_of = DAYS[-1]
    summary = train_job.run(ctx, as_of, as_of - dt.timedelta(days=16), as_of - dt.timedelta(days=3), version="v-test")
    assert summary["status"] == "approved" and summary["metrics"]["roc_auc"] > 0.8
    registry = ctx.tables.read("model_registry").collect()
    assert [r["version"] for r in registry] == ["v-test"] and registry[0]["train_to"] == as_of - dt.timedelta(days=3)
    metrics = {r["metric"] for r in ctx.tables.read("model_evaluation").collect()}
    assert {"roc_auc", "pr_auc", "precision_at_top", "recall_at_threshold", "calibration_observed_rate"} <= metrics
    meta = json.load(open(os.path.join(summary["path"], "metadata.json")))
    assert "reports_received_7d" in meta["features"] and "graph_cluster_id" not in meta["features"]
    assert meta["params"]["trainer"] == "spark"

    out = score_job.run(ctx, [as_of])
    assert out["creator_scores"] == 60
    scores = ctx.tables.read("creator_scores", ds=[as_of])
    assert scores.columns == score_job.SCORES_COLUMNS
    ring = {r["account_id"]: r for r in scores.filter(F.col("account_id").isin("a00", "a01", "a02", "a03")).collect()}
    assert {r["syndicate_id"] for r in ring.values()} == {"S-a00"}
    assert all(r["model_version"] == "v-test" and 0 <= r["score"] <= 1 for r in ring.values())
    syndicates = ctx.tables.read("syndicates", ds=[as_of]).collect()
    assert [s["members"] for s in syndicates] == [["a00", "a01", "a02", "a03"]]

    # A range is scored in one pass (one fit of the unsupervised models): every account and the ring each day.
    out = score_job.run(ctx, DAYS[-2:])
    assert out["creator_scores"] == 2 * 60
    scores = ctx.tables.read("creator_scores", ds=DAYS[-2:])
    per_day = {r["ds"]: (r["n"], r["accounts"]) for r in scores.groupBy("ds").agg(
        F.count(F.lit(1)).alias("n"), F.countDistinct("account_id").alias("accounts")).collect()}
    assert per_day == {d: (60, 60) for d in DAYS[-2:]}
    ring = scores.filter(F.col("account_id").isin("a00", "a01", "a02", "a03")).select("ds", "syndicate_id").collect()
    assert sorted((r["ds"], r["syndicate_id"]) for r in ring) == [(d, "S-a00") for d in DAYS[-2:] for _ in range(4)]
    syndicates = sorted((s["ds"], s["members"]) for s in ctx.tables.read("syndicates", ds=DAYS[-2:]).collect())
    assert syndicates == [(d, ["a00", "a01", "a02", "a03"]) for d in DAYS[-2:]]

    meta["features"].append("views_28d")
    json.dump(meta, open(os.path.join(summary["path"], "metadata.json"), "w"))
    with pytest.raises(MissingFeatures, match="model v-test needs features missing from the input: views_28d"):
        score_job.run(ctx, [as_of])


def test_the_label_window_is_cut_to_the_history_that_exists():
    from creator_governance.runtime import NotReady
    from creator_governance.jobs.train import adapted_window

    d = dt.date(2026, 1, 1)
    first, validation, why = adapted_window(d - dt.timedelta(days=40), d + dt.timedelta(days=20), d,
                                            validation_days=14, stride_days=7)
    assert first == d and validation == 7 and "first day of history" in why and "validation on the last 7" in why
    assert adapted_window(d, d + dt.timedelta(days=60), d, validation_days=14, stride_days=7) == (d, 14, None)
    with pytest.raises(NotReady, match="no label date with history"):
        adapted_window(d - dt.timedelta(days=40), d - dt.timedelta(days=1), d, validation_days=14, stride_days=7)
