"""Anomaly score per account from robust deviations against its peer group (the alternative to the forest).

Per (ds, peer group) and feature: median and a robust scale of log1p(x); an account's score is the mean of
its three largest robust |z|, mapped to [0, 1) by z / (z + 3). Entirely in Spark aggregates.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

ANOMALY_COLUMNS = ["account_id", "ds", "anomaly_score"]


def _scaled(column: str) -> "F.Column":
    return F.coalesce(F.log1p(F.greatest(F.col(column).cast("double"), F.lit(0.0))), F.lit(-1.0))


def peer_deviation_scores(features: DataFrame, *, columns: list[str], peer_columns: tuple[str, ...]) -> DataFrame:
    """account_id, ds, anomaly_score for every row of `features`."""
    groups = ["ds", *[c for c in peer_columns if c in features.columns]]
    columns = [c for c in columns if c not in groups]  # a peer column is constant within its group
    scaled = features.select("account_id", *groups, *[_scaled(c).alias(c) for c in columns])
    medians = scaled.groupBy(*groups).agg(*[F.percentile_approx(c, 0.5, 1000).alias(f"{c}__med") for c in columns])
    with_med = scaled.join(medians, on=groups, how="left")
    scales = with_med.groupBy(*groups).agg(*[
        F.greatest(
            1.4826 * F.percentile_approx(F.abs(F.col(c) - F.col(f"{c}__med")), 0.5, 1000),
            1.2533 * F.avg(F.abs(F.col(c) - F.col(f"{c}__med"))),
            F.lit(1e-6),
        ).alias(f"{c}__scale") for c in columns
    ])
    z = [F.abs(F.col(c) - F.col(f"{c}__med")) / F.col(f"{c}__scale") for c in columns]
    top3 = F.slice(F.sort_array(F.array(*z), asc=False), 1, 3)
    mean_top3 = F.aggregate(top3, F.lit(0.0), lambda acc, v: acc + v) / F.size(top3)
    return (with_med.join(scales, on=groups, how="left")
            .select("account_id", "ds", (mean_top3 / (mean_top3 + F.lit(3.0))).alias("anomaly_score"))
            .select(*ANOMALY_COLUMNS))
