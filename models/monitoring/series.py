"""The detector over every (metric, dimension, dimension_value) series of governance_metrics, with Spark.

`score_series` is the pandas function run per series by `groupBy(...).applyInPandas`: it fills the day grid
from the metric's first day, scores every day against its past with the metric's noise model (counts,
ratios with their effective denominators, values), and returns the target days plus every earlier day that belongs to
an incident (so that incidents open on a target day can be grouped by where they started).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import Window as W

from creator_governance.models.monitoring.detector import detect

SERIES_KEYS = ("metric", "dimension", "dimension_value")
# The dimension of a metric's total row in governance_metrics.
TOTAL = "all"
DAY_SECONDS = 86_400.0
SCORED_SCHEMA = (
    "metric string, dimension string, dimension_value string, ds date, observed double, expected double, "
    "lower double, upper double, score double, is_anomaly boolean, status string, incident_start date, "
    "resolved boolean, numerator double, denominator double, season int"
)
# Metric kinds of governance_metrics -> noise model of the detector.
NOISE_OF_KIND = {"count": "count", "ratio": "ratio"}


def score_series(pdf: pd.DataFrame, *, targets: list[dt.date], params, season: int | str | None) -> pd.DataFrame:
    """One series (columns metric, dimension, dimension_value, kind, metric_start, ds, value, numerator,
    denominator, effective_denominator; optionally siblings: how many slices its dimension has, and
    total_numerator / total_denominator: the metric's total that day) → its target days and incident days,
    scored (see SCORED_SCHEMA). A ratio's trials are its effective denominator (the account as the unit,
    models/metrics/engine.py), or its denominator on rows written before that column existed."""
    first = pdf.iloc[0]
    kind = NOISE_OF_KIND.get(first["kind"], "value")
    start = pd.Timestamp(first["metric_start"])
    grid = pd.date_range(start, pd.Timestamp(max(targets)), freq="D")
    s = pdf.assign(ds=pd.to_datetime(pdf["ds"])).set_index("ds").reindex(grid)
    if kind == "count":
        # A count slice with no rows on a day is 0 that day.
        s[["value", "numerator"]] = s[["value", "numerator"]].fillna(0.0)
    values = s["value"].to_numpy(dtype=float)
    ratio = kind == "ratio"
    trials = s["effective_denominator"].fillna(s["denominator"]).to_numpy(dtype=float) if ratio else None
    parts = (s["numerator"].to_numpy(dtype=float), s["denominator"].to_numpy(dtype=float)) if ratio else None
    # The slices of one dimension are tested together: K of them raise the threshold (alerts.detector).
    tests = int(first["siblings"]) if "siblings" in pdf.columns and getattr(params, "sibling_correction", False) \
        else 1
    scored = detect(values, params=params, kind=kind, step_seconds=DAY_SECONDS, season=season,
                    denominators=trials, parts=parts, reference=_reference(s, kind, first["dimension"]),
                    tests=tests)
    starts = scored["incident_start"].to_numpy()
    out = pd.DataFrame({
        "metric": first["metric"], "dimension": first["dimension"], "dimension_value": first["dimension_value"],
        "ds": grid.date, "observed": values, "expected": scored["expected"], "lower": scored["lower"],
        "upper": scored["upper"], "score": scored["score"], "is_anomaly": scored["is_anomaly"],
        "status": scored["status"], "incident_start": [grid[i].date() if i >= 0 else None for i in starts],
        "resolved": scored["resolved"], "numerator": s["numerator"].to_numpy(dtype=float),
        "denominator": s["denominator"].to_numpy(dtype=float), "season": scored.attrs.get("season") or 0,
    })
    wanted = np.isin(out["ds"].to_numpy(), np.array(targets, dtype=object)) | (starts >= 0)
    return out[wanted].reset_index(drop=True)


def _reference(s: pd.DataFrame, kind: str, dimension: str):
    """The metric's total on the slice's day grid (a count's values, a ratio's numerators and denominators), for
    a slice whose own cycle is too faint to find; None for a total or without the columns."""
    if dimension == TOTAL or "total_numerator" not in s.columns:
        return None
    num = s["total_numerator"].to_numpy(dtype=float)
    if kind == "count":
        return np.nan_to_num(num, nan=0.0)
    if kind == "ratio":
        return num, s["total_denominator"].to_numpy(dtype=float)
    return None


def score_all(metrics: DataFrame, *, targets: list[dt.date], params, season: int | str | None,
              kinds: dict[str, str], partitions: int | None = None) -> DataFrame:
    """Every series of the long metrics frame (history up to the last target) scored on the target days, the
    series spread over `partitions` tasks."""
    kind_map = F.create_map(*[x for name, k in kinds.items() for x in (F.lit(name), F.lit(k))])
    if "effective_denominator" not in metrics.columns:
        # governance_metrics written before the column existed.
        metrics = metrics.withColumn("effective_denominator", F.lit(None).cast("double"))
    prepared = (
        metrics.filter(F.col("metric").isin(list(kinds)))
        .withColumn("kind", F.coalesce(kind_map[F.col("metric")], F.lit("ratio")))
        .withColumn("metric_start", F.min("ds").over(W.partitionBy("metric")))
        .withColumn("siblings", F.size(F.collect_set("dimension_value").over(W.partitionBy("metric", "dimension"))))
    )
    # Each slice row carries its metric's total that day: a slice too small to show the weekly cycle borrows it.
    totals = prepared.filter(F.col("dimension") == TOTAL).select(
        "metric", "ds", F.col("numerator").alias("total_numerator"), F.col("denominator").alias("total_denominator"))
    prepared = prepared.join(totals, ["metric", "ds"], "left").select(
        *SERIES_KEYS, "kind", "metric_start", "siblings", "ds", "value", "numerator", "denominator",
        "effective_denominator", "total_numerator", "total_denominator")

    def apply(pdf: pd.DataFrame) -> pd.DataFrame:
        return score_series(pdf.sort_values("ds"), targets=targets, params=params, season=season)

    if partitions:
        # a number given to repartition is kept by adaptive execution, which would merge the few hundred series
        # (a small input) into one task: one core fitting every series
        prepared = prepared.repartition(partitions, *SERIES_KEYS)
    return prepared.groupBy(*SERIES_KEYS).applyInPandas(apply, schema=SCORED_SCHEMA)
