"""Anomaly score per account from robust deviations against its peer group (the alternative to the forest).

Per (ds, peer group) and feature: median and a robust scale of log1p(x); an account's score is the mean of
its three largest robust |z|, mapped to [0, 1) by z / (z + 3). Entirely in Spark aggregates; the medians and
the scales (one row per day and peer group) are computed once each and kept (local checkpoints): every branch
of the plan that reads them would otherwise redo their percentile pass over all rows.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.features import sqltext

ANOMALY_COLUMNS = ["account_id", "ds", "anomaly_score"]


def peer_deviation_scores(features: DataFrame, *, columns: list[str], peer_columns: tuple[str, ...]) -> DataFrame:
    """account_id, ds, anomaly_score for every row of `features`. The expressions over every column are SQL
    text (features/sqltext.py): one call each instead of a Column per operation."""
    groups = ["ds", *[c for c in peer_columns if c in features.columns]]
    columns = [c for c in columns if c not in groups]  # a peer column is constant within its group
    n = sqltext.name
    med, sc = {c: n(c + "__med") for c in columns}, {c: n(c + "__scale") for c in columns}
    scaled = features.select("account_id", *groups, *[
        F.expr(f"{sqltext.log1p_nonnegative(c, missing=-1.0)} AS {n(c)}") for c in columns])
    medians = (scaled.groupBy(*groups).agg(*[F.expr(f"percentile_approx({n(c)}, 0.5, 1000) AS {med[c]}")
                                             for c in columns])
               .localCheckpoint())
    with_med = scaled.join(medians, on=groups, how="left")
    scales = with_med.groupBy(*groups).agg(*[
        F.expr(f"greatest(1.4826D * percentile_approx(abs({n(c)} - {med[c]}), 0.5, 1000), "
               f"1.2533D * avg(abs({n(c)} - {med[c]})), 1e-6D) AS {sc[c]}") for c in columns
    ]).localCheckpoint()
    z = ", ".join(f"abs({n(c)} - {med[c]}) / {sc[c]}" for c in columns)
    return (with_med.join(scales, on=groups, how="left")
            .select("account_id", "ds", F.expr(f"slice(sort_array(array({z}), false), 1, 3) AS top3"))
            .select("account_id", "ds",
                    F.expr("aggregate(top3, 0D, (acc, v) -> acc + v) / size(top3) AS mean_top3"))
            .select("account_id", "ds", F.expr("mean_top3 / (mean_top3 + 3D) AS anomaly_score"))
            .select(*ANOMALY_COLUMNS))
