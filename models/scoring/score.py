"""Scoring with an XGBoost booster shipped to the executors as a file (models/shipping.py) in `mapInPandas`: score, risk tier and reason codes per account.

Reason codes are the features with the largest positive per-row contributions (SHAP values from XGBoost's
`pred_contribs`): approximate (Saabas-style, ~100x cheaper) for every row, exact TreeSHAP recomputed for rows
scoring at least `exact_min_score`, where reasons are read by reviewers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.features.catalog import by_name
from creator_governance.models.shipping import loaded, ship

SCORE_COLUMNS = ["account_id", "ds", "score", "model_version", "risk_tier", "reason_codes", "reasons"]


class MissingFeatures(ValueError):
    """The model needs feature columns the input does not have."""


def check_features(feature_columns: list[str], available: list[str], *, model_version: str) -> None:
    """Raise `MissingFeatures` (one line naming them) when a model feature is not an input column."""
    missing = [c for c in feature_columns if c not in set(available)]
    if missing:
        raise MissingFeatures(f"model {model_version} needs features missing from the input: {', '.join(missing)}")


def risk_tier(score: np.ndarray, tiers: dict[str, float]) -> np.ndarray:
    """Tier name per score: `low` below every threshold, else the tier with the highest threshold reached."""
    out = np.full(score.shape, "low", dtype=object)
    for name, threshold in sorted(tiers.items(), key=lambda kv: kv[1]):
        out[score >= threshold] = name
    return out


def top_reasons(contribs: np.ndarray, names: list[str], n: int) -> list[list[int]]:
    """Per row, indexes of the `n` largest strictly positive contributions, largest first."""
    if contribs.shape[0] == 0:
        return []
    n = min(n, contribs.shape[1])
    order = np.argsort(-contribs, axis=1, kind="stable")[:, :n]
    values = np.take_along_axis(contribs, order, axis=1)
    return [[int(i) for i, v in zip(o, val) if v > 0] for o, val in zip(order, values)]


def _format_value(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    return f"{value:.4g}"


def _parse_booster(raw: bytes):
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    booster.set_param({"nthread": 1})
    return booster


def plain_words() -> dict[str, str]:
    """Feature name → the words reviewers read in reasons, from the feature catalog."""
    return {name: (f.meaning if f.window in ("-", "") else f"{f.meaning} ({f.window})")
            for name, f in by_name("creator_features").items()}


def score_frame(pdf: pd.DataFrame, *, booster, feature_columns: list[str], plain_words: dict[str, str],
                tiers: dict[str, float], reason_count: int, exact_min_score: float | None,
                margin_offset: float, model_version: str) -> pd.DataFrame:
    """Score one pandas batch (the body of the Arrow batch function; also usable on a local frame)."""
    import xgboost as xgb

    x = pdf[feature_columns].apply(pd.to_numeric, errors="coerce").astype("float32").to_numpy()
    matrix = xgb.DMatrix(x, missing=np.nan)
    margin = booster.predict(matrix, output_margin=True, validate_features=False) + margin_offset
    score = 1.0 / (1.0 + np.exp(-margin.astype("float64")))
    contribs = booster.predict(matrix, pred_contribs=True, approx_contribs=True, validate_features=False)[:, :-1]
    if exact_min_score is not None:
        flagged = np.flatnonzero(score >= exact_min_score)
        if flagged.size:
            exact = xgb.DMatrix(x[flagged], missing=np.nan)
            contribs[flagged] = booster.predict(exact, pred_contribs=True, validate_features=False)[:, :-1]
    picks = top_reasons(contribs, feature_columns, reason_count)
    codes = [[feature_columns[i] for i in row] for row in picks]
    words = [[f"{plain_words.get(feature_columns[i], feature_columns[i])}: {_format_value(float(x[r, i]))}"
              for i in row] for r, row in enumerate(picks)]
    return pd.DataFrame({
        "account_id": pdf["account_id"].to_numpy(), "ds": pdf["ds"].to_numpy(), "score": score,
        "model_version": model_version, "risk_tier": risk_tier(score, tiers), "reason_codes": codes,
        "reasons": words,
    })


def score_schema(features: DataFrame) -> T.StructType:
    """Output schema of `score_accounts` (key types as in the input)."""
    keys = {f.name: f.dataType for f in features.schema.fields}
    return T.StructType([
        T.StructField("account_id", keys["account_id"]), T.StructField("ds", keys["ds"]),
        T.StructField("score", T.DoubleType()), T.StructField("model_version", T.StringType()),
        T.StructField("risk_tier", T.StringType()), T.StructField("reason_codes", T.ArrayType(T.StringType())),
        T.StructField("reasons", T.ArrayType(T.StringType())),
    ])


def score_accounts(
    features: DataFrame,
    *,
    booster_raw: bytes,
    feature_columns: list[str],
    model_version: str,
    plain_words: dict[str, str],
    tiers: dict[str, float],
    reason_count: int = 3,
    exact_min_score: float | None = None,
    margin_offset: float = 0.0,
) -> DataFrame:
    """creator_scores rows for every row of `features`.

    `booster_raw`: the booster's saved JSON/UBJSON bytes (shipped once as a file). `plain_words`: feature name → words
    shown to reviewers. `margin_offset` is added to the log-odds (prior correction of up-weighted positives).
    Returns account_id, ds, score, model_version, risk_tier, reason_codes (array of feature names), reasons
    (array of "plain words: value").
    """
    check_features(feature_columns, features.columns, model_version=model_version)
    shipped = ship(features.sparkSession, bytes(booster_raw), suffix=".xgb")
    columns, words, tier_map = list(feature_columns), dict(plain_words), dict(tiers)

    def batches(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        booster = loaded(shipped, _parse_booster)
        for pdf in frames:
            yield score_frame(pdf, booster=booster, feature_columns=columns, plain_words=words, tiers=tier_map,
                              reason_count=reason_count, exact_min_score=exact_min_score,
                              margin_offset=margin_offset, model_version=model_version)

    inputs = features.select("account_id", "ds", *[F.col(c).cast("double").alias(c) for c in columns])
    return inputs.mapInPandas(batches, schema=score_schema(features)).select(*SCORE_COLUMNS)


def predict_scores(
    df: DataFrame,
    *,
    booster_raw: bytes,
    feature_columns: list[str],
    keep_columns: list[str],
    margin_offset: float = 0.0,
    model_version: str = "eval",
) -> DataFrame:
    """`keep_columns` plus `score` (probability after `margin_offset`), without reasons: for evaluation."""
    shipped = ship(df.sparkSession, bytes(booster_raw), suffix=".xgb")
    columns, keep = list(feature_columns), list(keep_columns)

    def batches(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import xgboost as xgb

        booster = loaded(shipped, _parse_booster)
        for pdf in frames:
            x = pdf[columns].astype("float32").to_numpy()
            margin = booster.predict(xgb.DMatrix(x, missing=np.nan), output_margin=True, validate_features=False)
            out = pdf[keep].copy()
            out["score"] = 1.0 / (1.0 + np.exp(-(margin.astype("float64") + margin_offset)))
            yield out

    types = {f.name: f for f in df.schema.fields}
    schema = T.StructType([types[c] for c in keep] + [T.StructField("score", T.DoubleType())])
    inputs = df.select(*keep, *[F.col(c).cast("double").alias(c) for c in columns if c not in keep])
    return inputs.mapInPandas(batches, schema=schema)


def trimmed_booster(booster):
    """The booster cut at its best early-stopping iteration (xgboost keeps the rounds after it)."""
    best = booster.attributes().get("best_iteration")
    if best is None:
        return booster
    return booster[: int(best) + 1]
