"""The detector over every (metric, dimension, dimension_value) series of governance_metrics, with Spark.

`score_series` is the pandas function run per series by `groupBy(...).applyInPandas`: it fills the day grid,
scores every day against its past, and returns the requested days with the alert status. A flagged day whose
previous day was flagged in the same direction continues an ongoing incident: status `suppressed` (the row is
kept, so dashboards see the incident's extent, but it is not a new notification).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import Window as W

from models.monitoring.detector import DetectorParams, detect

SERIES_KEYS = ("metric", "dimension", "dimension_value")
SCORED_SCHEMA = (
    "metric string, dimension string, dimension_value string, ds date, observed double, expected double, "
    "lower double, upper double, score double, is_anomaly boolean, status string, numerator double, "
    "denominator double, season int"
)


def score_series(pdf: pd.DataFrame, *, targets: list[dt.date], params: DetectorParams,
                 season: int | str | None) -> pd.DataFrame:
    """One series (columns metric, dimension, dimension_value, kind, metric_start, ds, value, numerator,
    denominator) → its rows on `targets`, scored (see SCORED_SCHEMA)."""
    first = pdf.iloc[0]
    kind = first["kind"]
    start = pd.Timestamp(first["metric_start"])
    end = pd.Timestamp(max(targets))
    grid = pd.date_range(start, end, freq="D")
    s = pdf.assign(ds=pd.to_datetime(pdf["ds"])).set_index("ds").reindex(grid)
    if kind == "count":
        # A count slice with no rows on a day is 0 that day.
        s[["value", "numerator"]] = s[["value", "numerator"]].fillna(0.0)
    values = s["value"].to_numpy(dtype=float)
    scored = detect(values, season=season, params=params, kind=kind if kind in ("count", "ratio") else None,
                    denominators=s["denominator"].to_numpy(dtype=float) if kind == "ratio" else None)
    flags = scored["is_anomaly"].to_numpy()
    sign = np.sign(np.nan_to_num(values - scored["expected"].to_numpy()))
    continuing = np.zeros(len(values), dtype=bool)
    continuing[1:] = flags[:-1] & (sign[1:] == sign[:-1])
    status = np.where(flags, np.where(continuing, "suppressed", "new"), "")
    out = pd.DataFrame({
        "metric": first["metric"], "dimension": first["dimension"], "dimension_value": first["dimension_value"],
        "ds": grid.date, "observed": values, "expected": scored["expected"], "lower": scored["lower"],
        "upper": scored["upper"], "score": scored["score"], "is_anomaly": flags, "status": status,
        "numerator": s["numerator"].to_numpy(dtype=float), "denominator": s["denominator"].to_numpy(dtype=float),
        "season": scored.attrs.get("season") or 0,
    })
    wanted = set(targets)
    return out[[d in wanted for d in out["ds"]]].reset_index(drop=True)


def score_all(metrics: DataFrame, *, targets: list[dt.date], params: DetectorParams,
              season: int | str | None, kinds: dict[str, str]) -> DataFrame:
    """Every series of the long metrics frame (history up to the last target) scored on the target days."""
    kind_map = F.create_map(*[x for name, k in kinds.items() for x in (F.lit(name), F.lit(k))])
    prepared = (
        metrics.filter(F.col("metric").isin(list(kinds)))
        .withColumn("kind", F.coalesce(kind_map[F.col("metric")], F.lit("ratio")))
        .withColumn("metric_start", F.min("ds").over(W.partitionBy("metric")))
        .select(*SERIES_KEYS, "kind", "metric_start", "ds", "value", "numerator", "denominator")
    )

    def apply(pdf: pd.DataFrame) -> pd.DataFrame:
        return score_series(pdf.sort_values("ds"), targets=targets, params=params, season=season)

    return prepared.groupBy(*SERIES_KEYS).applyInPandas(apply, schema=SCORED_SCHEMA)
