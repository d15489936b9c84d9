"""Scoring: output schema, reason codes of a model whose contributions are known, tiers, missing features,
and the distributed estimator factory end to end on a tiny frame."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.models.scoring.score import MissingFeatures, risk_tier, score_accounts, top_reasons
from creator_governance.models.training.evaluate import evaluate, headline
from creator_governance.models.training.xgb import booster_params, make_spark_classifier, numeric_feature_columns
from creator_governance.settings.model import TrainingSettings

D = dt.date(2026, 1, 10)
FEATURES = ["reports_received_7d", "posts_7d", "like_rate_7d"]
SCHEMA = T.StructType([T.StructField("account_id", T.StringType()), T.StructField("ds", T.DateType()),
                       T.StructField("reports_received_7d", T.LongType()), T.StructField("posts_7d", T.LongType()),
                       T.StructField("like_rate_7d", T.DoubleType())])
WORDS = {"reports_received_7d": "reports received in 7 days", "posts_7d": "posts in 7 days"}


@pytest.fixture(scope="module")
def stump():
    """A one-tree, depth-1 model that splits on reports_received_7d only: its contributions are known
    (all of the margin above the bias comes from that feature)."""
    import xgboost as xgb

    rng = np.random.default_rng(0)
    x = np.column_stack([rng.integers(0, 6, 400), rng.integers(0, 30, 400), rng.random(400)]).astype("float32")
    y = (x[:, 0] >= 3).astype(int)
    booster = xgb.train({"max_depth": 1, "objective": "binary:logistic", "eta": 1.0, "base_score": 0.5},
                        xgb.DMatrix(x, label=y), num_boost_round=1)
    return bytes(booster.save_raw("json"))


def frame(spark):
    return spark.createDataFrame([
        ("risky", D, 5, 1, 0.2), ("calm", D, 0, 20, None), ("edge", D, 3, 0, 0.5),
    ], SCHEMA)


def test_score_output_schema_and_reasons_of_a_stump(spark, stump):
    out = score_accounts(frame(spark), booster_raw=stump, feature_columns=FEATURES, model_version="v-test",
                         plain_words=WORDS, tiers={"medium": 0.2, "high": 0.5, "critical": 0.8}, reason_count=3,
                         exact_min_score=0.5)
    expected_schema = T.StructType([
        T.StructField("account_id", T.StringType()), T.StructField("ds", T.DateType()),
        T.StructField("score", T.DoubleType()), T.StructField("model_version", T.StringType()),
        T.StructField("risk_tier", T.StringType()), T.StructField("reason_codes", T.ArrayType(T.StringType())),
        T.StructField("reasons", T.ArrayType(T.StringType())),
    ])
    assert [(f.name, f.dataType) for f in out.schema.fields] == [(f.name, f.dataType) for f in expected_schema.fields]
    rows = {r["account_id"]: r for r in out.collect()}
    assert rows["risky"]["score"] > 0.5 and rows["calm"]["score"] < 0.5
    # Only reports_received_7d contributes; a row pushed down by it has no positive reason at all.
    assert rows["risky"]["reason_codes"] == ["reports_received_7d"]
    assert rows["edge"]["reason_codes"] == ["reports_received_7d"]
    assert rows["calm"]["reason_codes"] == []
    assert rows["risky"]["reasons"] == ["reports received in 7 days: 5"]
    assert rows["risky"]["model_version"] == "v-test"
    assert {rows["risky"]["risk_tier"], rows["calm"]["risk_tier"]} <= {"low", "medium", "high", "critical"}
    assert rows["calm"]["risk_tier"] == "low"


def test_margin_offset_corrects_scores_down(spark, stump):
    base = score_accounts(frame(spark), booster_raw=stump, feature_columns=FEATURES, model_version="v",
                          plain_words={}, tiers={"high": 0.5})
    shifted = score_accounts(frame(spark), booster_raw=stump, feature_columns=FEATURES, model_version="v",
                             plain_words={}, tiers={"high": 0.5}, margin_offset=-np.log(4.0))
    a = {r["account_id"]: r["score"] for r in base.collect()}
    b = {r["account_id"]: r["score"] for r in shifted.collect()}
    odds = lambda p: p / (1 - p)  # noqa: E731
    assert odds(b["risky"]) == pytest.approx(odds(a["risky"]) / 4.0, rel=1e-5)


def test_missing_features_refused_in_one_line(spark, stump):
    with pytest.raises(MissingFeatures, match="model v9 needs features missing from the input: views_28d"):
        score_accounts(frame(spark), booster_raw=stump, feature_columns=[*FEATURES, "views_28d"],
                       model_version="v9", plain_words={}, tiers={})


def test_top_reasons_and_tiers_pure():
    contribs = np.array([[0.1, 0.5, -0.2, 0.3], [-1.0, -0.1, 0.0, 0.2]])
    assert top_reasons(contribs, ["a", "b", "c", "d"], 3) == [[1, 3, 0], [3]]
    tiers = risk_tier(np.array([0.05, 0.2, 0.79, 0.8]), {"medium": 0.2, "high": 0.5, "critical": 0.8})
    assert list(tiers) == ["low", "medium", "high", "critical"]


def test_feature_list_excludes_keys_ids_and_text():
    schema = T.StructType([T.StructField(n, t) for n, t in [
        ("account_id", T.StringType()), ("ds", T.DateType()), ("posts_7d", T.LongType()),
        ("graph_cluster_id", T.StringType()), ("lockstep_group_id", T.StringType()), ("is_seller", T.BooleanType()),
        ("like_rate_7d", T.DoubleType()), ("graph_link_types", T.ArrayType(T.StringType()))]])
    assert numeric_feature_columns(schema, exclude=("like_rate_7d",)) == ["posts_7d", "is_seller"]


def test_spark_xgboost_trains_with_early_stopping_and_evaluates(spark):
    rng = np.random.default_rng(1)
    n = 400
    reports = rng.integers(0, 6, n)
    label = ((reports >= 3) ^ (rng.random(n) < 0.05)).astype(int)
    rows = [(f"a{i}", D, int(reports[i]), int(rng.integers(0, 30)), float(rng.random()), int(label[i]), 1.0,
             bool(i % 4 == 0)) for i in range(n)]
    schema = SCHEMA.add("label", T.IntegerType()).add("weight", T.DoubleType()).add("is_validation", T.BooleanType())
    df = spark.createDataFrame(rows, schema)
    params = booster_params(TrainingSettings(n_estimators=30, max_depth=2, early_stopping_rounds=3, learning_rate=0.3),
                            scale_pos_weight=1.0)
    model = make_spark_classifier(FEATURES, params, num_workers=1).fit(df)
    booster = model.get_booster()
    assert booster.num_boosted_rounds() <= 30
    scored = score_accounts(df.filter("is_validation"), booster_raw=bytes(booster.save_raw("json")),
                            feature_columns=FEATURES, model_version="v", plain_words={}, tiers={"high": 0.5})
    labelled = scored.join(df.select("account_id", "label"), on="account_id", how="inner")
    metrics = evaluate(labelled, top_shares=(0.1,), thresholds=(0.5,), bins=5)
    top = headline(metrics)
    assert top["roc_auc"] > 0.85 and top["pr_auc"] > 0.8
    names = {m["metric"] for m in metrics}
    assert {"precision_at_top", "recall_at_top", "precision_at_threshold", "calibration_observed_rate",
            "expected_calibration_error"} <= names
    assert_df_equality(labelled.select(F.max("score").alias("m")).filter("m > 1"),
                       spark.createDataFrame([], "m double"), ignore_nullable=True)
