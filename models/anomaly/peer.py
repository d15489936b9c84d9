"""Anomaly score per account from robust deviations against its peer group (the alternative to the forest).

Per (ds, peer group) and feature: the median and a robust scale of log1p(max(x, 0)) (a null counts as 0); an
account's score is the mean of its three largest robust |z|, mapped to [0, 1) by z / (z + 3). The scale is the
largest of 1.4826 x the median absolute deviation, 1.2533 x the mean absolute deviation and 1e-6.

Two passes in pandas on the executors, memory bounded whatever the size of a group:
1. the statistics of each group (`groupBy(...).applyInPandas`), from at most about `sample_rows` of its rows:
   every row of a group that has no more (so exact there), a deterministic sample of the others (an account is
   kept when a hash of its id and the seed falls below `sample_rows / rows`, so the same accounts every day);
2. every row scored batch by batch (`mapInPandas`) against its group's statistics, one row per day and group,
   shipped to the executors as a file.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.models.shipping import loaded, ship

MAD_TO_SD = 1.4826    # a normal variable's standard deviation per median absolute deviation
MEAN_AD_TO_SD = 1.2533  # ... per mean absolute deviation
MIN_SCALE = 1e-6
TOP = 3               # the score is the mean of this many largest |z|
_UNIT = float(2 ** 53)


def peer_deviation_scores(features: DataFrame, *, columns: list[str], peer_columns: tuple[str, ...],
                          sample_rows: int, seed: int) -> DataFrame:
    """account_id, ds, anomaly_score for every row of `features` (null where `columns` is empty)."""
    groups = ["ds", *[c for c in peer_columns if c in features.columns]]
    columns = [c for c in columns if c not in groups]  # a peer column is constant within its group
    if not columns:
        return features.select("account_id", "ds", F.lit(None).cast("double").alias("anomaly_score"))
    rows = features.select("account_id", *groups, *[F.col(c).cast("double").alias(c) for c in columns])
    stats = group_statistics(rows, groups=groups, columns=columns, sample_rows=sample_rows, seed=seed)
    shipped = ship(features.sparkSession, pickle.dumps(stats), suffix=".peer")

    def batches(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        keys, medians, scales = loaded(shipped, pickle.loads)
        position = {key: i for i, key in enumerate(keys)}
        for pdf in frames:
            score = peer_scores(pdf, groups=groups, columns=columns, position=position, medians=medians,
                                scales=scales)
            yield pd.DataFrame({"account_id": pdf["account_id"].to_numpy(), "ds": pdf["ds"].to_numpy(),
                                "anomaly_score": score})

    fields = {f.name: f for f in rows.schema.fields}
    schema = T.StructType([fields["account_id"], fields["ds"], T.StructField("anomaly_score", T.DoubleType())])
    return rows.mapInPandas(batches, schema=schema)


def log_matrix(pdf: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """float64 matrix of log1p(max(x, 0)) with a null as 0 (SQL's `greatest` skips a null). A NaN, which pandas
    cannot tell from a null, is 0 too (SQL would keep NaN); +inf becomes the largest double (log ~709.8)."""
    x = pdf[columns].to_numpy(dtype="float64", na_value=np.nan)
    return np.log1p(np.clip(np.nan_to_num(x, nan=0.0), 0.0, None))


def robust_statistics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(median, scale) per column of `x` (rows x columns, at least one row)."""
    median = np.median(x, axis=0)
    deviation = np.abs(x - median)
    scale = np.maximum(np.maximum(MAD_TO_SD * np.median(deviation, axis=0), MEAN_AD_TO_SD * deviation.mean(axis=0)),
                       MIN_SCALE)
    return median, scale


def group_key(values) -> tuple:
    """A group's key as plain values, a NaN as None (Spark groups NaN and null apart; pandas cannot tell them)."""
    return tuple(None if isinstance(v, float) and np.isnan(v) else v for v in values)


def group_statistics(rows: DataFrame, *, groups: list[str], columns: list[str], sample_rows: int,
                     seed: int) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """(keys, medians, scales): each group's key values (`group_key`) and the (groups x columns) matrices of
    medians and scales, from at most about `sample_rows` rows per group."""
    fields = {f.name: f for f in rows.schema.fields}
    over = rows.groupBy(*groups).count().filter(F.col("count") > sample_rows).collect()
    sample = rows
    if over:
        share = rows.sparkSession.createDataFrame(
            [(*(r[g] for g in groups), sample_rows / r["count"]) for r in over],
            T.StructType([*[T.StructField(f"_k_{g}", fields[g].dataType) for g in groups],
                          T.StructField("_share", T.DoubleType())]))
        on = [rows[g].eqNullSafe(share[f"_k_{g}"]) for g in groups]
        unit = F.xxhash64(F.col("account_id").cast("string"), F.lit(seed)).bitwiseAND(2 ** 53 - 1) / F.lit(_UNIT)
        sample = (rows.join(F.broadcast(share), on=on, how="left")
                  .filter(F.col("_share").isNull() | (unit < F.col("_share")))
                  .select(*rows.columns))
    cols = list(columns)

    def statistics(pdf: pd.DataFrame) -> pd.DataFrame:
        # rows in a fixed order: the mean's rounding does not depend on the order the shuffle delivered them in
        median, scale = robust_statistics(log_matrix(pdf.sort_values("account_id", kind="stable"), cols))
        return pd.DataFrame({**{g: [pdf[g].iloc[0]] for g in groups},
                             "_median": [median.tolist()], "_scale": [scale.tolist()]})

    schema = T.StructType([*[fields[g] for g in groups], T.StructField("_median", T.ArrayType(T.DoubleType())),
                           T.StructField("_scale", T.ArrayType(T.DoubleType()))])
    local = sample.groupBy(*groups).applyInPandas(statistics, schema=schema).collect()
    width = len(columns)
    keys = [group_key(r[g] for g in groups) for r in local]
    medians = np.array([r["_median"] for r in local], dtype="float64").reshape(len(local), width)
    scales = np.array([r["_scale"] for r in local], dtype="float64").reshape(len(local), width)
    return keys, medians, scales


def peer_scores(pdf: pd.DataFrame, *, groups: list[str], columns: list[str], position: dict[tuple, int],
                medians: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The anomaly score of each row of `pdf` against its group's statistics (`position`: group key -> row of
    `medians` and `scales`); NaN (null in Spark) for a row whose group has none."""
    at = np.array([position.get(group_key(values), -1) for values in zip(*(pdf[g] for g in groups))],
                  dtype="int64").reshape(len(pdf))
    found = at >= 0
    at = np.where(found, at, 0)
    if not len(pdf) or not len(medians):
        return np.full(len(pdf), np.nan)
    z = np.abs(log_matrix(pdf, columns) - medians[at]) / scales[at]
    top = min(TOP, len(columns))
    mean_top = -np.partition(-z, top - 1, axis=1)[:, :top].mean(axis=1)
    return np.where(found, mean_top / (mean_top + 3.0), np.nan)
