"""Anomaly score per account: an isolation forest fitted on a bounded sample, applied in parallel.

Inputs are log-scaled (`log1p` of non-negative values) so that heavy-tailed counts do not put every split in
the tail; missing values become -1 (a value no real, non-negative feature takes). The score is the forest's
anomaly score s(x) in (0, 1] (Liu et al.): around 0.5 for ordinary rows, towards 1 for isolated ones.
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

ANOMALY_COLUMNS = ["account_id", "ds", "anomaly_score"]


def behaviour_matrix(pdf: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """float64 matrix of log1p(max(x, 0)) with missing values as -1."""
    x = pdf[columns].apply(pd.to_numeric, errors="coerce").astype("float64").to_numpy()
    out = np.log1p(np.clip(x, 0.0, None))
    out[np.isnan(out)] = -1.0
    return out


def bounded_sample(df: DataFrame, *, rows: int, seed: int) -> DataFrame:
    """About `rows` rows of `df` drawn at random (Bernoulli with a margin, then a limit)."""
    total = df.count()
    fraction = min(1.0, 1.2 * rows / total) if total else 1.0
    return df.sample(fraction=fraction, seed=seed).limit(rows)


def fit_isolation_forest(sample: pd.DataFrame, *, columns: list[str], n_trees: int, max_samples: int, seed: int):
    """A fitted sklearn IsolationForest on a local sample frame."""
    from sklearn.ensemble import IsolationForest

    forest = IsolationForest(n_estimators=n_trees, max_samples=min(max_samples, len(sample)), random_state=seed,
                             n_jobs=1)
    return forest.fit(behaviour_matrix(sample, columns))


def isolation_scores(features: DataFrame, *, forest, columns: list[str]) -> DataFrame:
    """account_id, ds, anomaly_score for every row, the pickled forest shipped to the executors as a file."""
    shipped = ship(features.sparkSession, pickle.dumps(forest), suffix=".forest")
    cols = list(columns)

    def batches(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        model = loaded(shipped, pickle.loads)
        for pdf in frames:
            score = -model.score_samples(behaviour_matrix(pdf, cols)) if len(pdf) else np.array([])
            yield pd.DataFrame({"account_id": pdf["account_id"], "ds": pdf["ds"], "anomaly_score": score})

    keys = {f.name: f.dataType for f in features.schema.fields}
    schema = T.StructType([T.StructField("account_id", keys["account_id"]), T.StructField("ds", keys["ds"]),
                           T.StructField("anomaly_score", T.DoubleType())])
    inputs = features.select("account_id", "ds", *[F.col(c).cast("double").alias(c) for c in cols])
    return inputs.mapInPandas(batches, schema=schema).select(*ANOMALY_COLUMNS)
