"""The metric engine: rows of one metric (already selected by its SQL) → the long governance_metrics frame.

Output columns (every builder): ds, metric, dimension, dimension_value, value, numerator, denominator,
effective_denominator. `dimension` = `dimension_value` = 'all' is the total. Counts have value = numerator and
a null denominator; ratios have value = numerator / denominator (null when the denominator is 0). Numerator and
denominator are sums over rows, so BI can re-aggregate any set of slices of one dimension.

A ratio's `effective_denominator` is the number of independent trials its value is worth. Rows of one account
are not independent (a spam bot posts fifty low-quality items in a burst; one buyer places ten fake orders), so
the account is the unit: with n_a and d_a an account's numerator and denominator in the slice and r = N / D, the
ratio's sampling variance is V = Σ_a (n_a − r·d_a)² / D² (the delta method for a ratio of sums over clusters), and
effective_denominator = b(r) / V with b(r) = r(1 − r) (r when r ≥ 1: a rate), at most D — the denominator whose
binomial variance equals V. It is D when every account contributes one row, less when a few accounts carry the
slice. Null for counts, indexes and PSI; the detector (models/monitoring/noise.py) uses it in place of D.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import Window as W

from creator_governance.models.metrics.definitions import ACCOUNT_DIMENSIONS, TOTAL

if TYPE_CHECKING:  # annotations only: the job passes the validated sections as they are
    from creator_governance.settings.metrics import EhiComponent, MetricDefinition

METRIC_COLUMNS = ("ds", "metric", "dimension", "dimension_value", "value", "numerator", "denominator",
                  "effective_denominator")
CUBE_COLUMNS = ("ds", "metric", "leaf", "numerator", "denominator")


def with_account_dims(rows: DataFrame, dims: DataFrame, *, unknown: str = "unknown") -> DataFrame:
    """Join the account dimensions of (ds, account_id); columns the rows already have win."""
    wanted = [c for c in ACCOUNT_DIMENSIONS if c not in rows.columns]
    if not wanted:
        return rows
    joined = rows.join(dims.select("ds", "account_id", *wanted), on=["ds", "account_id"], how="left")
    return joined.fillna(unknown, subset=wanted)


def _slices(dimensions: tuple[str, ...], unknown: str):
    """An array Column of (dimension, dimension_value) structs: the total and one per dimension."""
    total = F.struct(F.lit(TOTAL).alias("dimension"), F.lit(TOTAL).alias("dimension_value"))
    per_dim = [
        F.struct(F.lit(d).alias("dimension"),
                 F.coalesce(F.col(d).cast("string"), F.lit(unknown)).alias("dimension_value"))
        for d in dimensions
    ]
    return F.array(total, *per_dim)


def _per_unit(rows: DataFrame, defn: MetricDefinition, unknown: str) -> DataFrame:
    """A ratio's rows summed per account (the unit of its sampling variance) within each combination of the
    metric's dimension values; rows without an account_id are each their own unit."""
    num = F.expr(defn.numerator).cast("double").alias("num")
    den = (F.expr(defn.denominator).cast("double") if defn.denominator else F.lit(None).cast("double")).alias("den")
    dims = [F.coalesce(F.col(d).cast("string"), F.lit(unknown)).alias(d) for d in defn.dimensions]
    if "account_id" not in rows.columns:
        return rows.select("ds", num, den, *dims)
    return (rows.select("ds", "account_id", num, den, *dims)
            .groupBy("ds", "account_id", *defn.dimensions).agg(F.sum("num").alias("num"), F.sum("den").alias("den")))


def effective_denominator(n: Column, d: Column, nn: Column, nd: Column, dd: Column) -> Column:
    """b(r) / V from the sums over units of n, d, n², n·d and d² (module docstring), at most d; d itself when the
    variance is 0 (every unit at the slice's ratio, or r in {0, 1})."""
    r = n / d
    base = F.when(r < 1.0, r * (1.0 - r)).otherwise(r)
    residual = F.greatest(nn - F.lit(2.0) * r * nd + r * r * dd, F.lit(0.0))
    eff = F.when((d > 0) & (residual > 0), F.least(base * d * d / residual, d)).otherwise(d)
    return F.when(d > 0, eff)


def build_metric(rows: DataFrame, defn: MetricDefinition, *, unknown: str = "unknown") -> DataFrame:
    """A count or ratio metric, total and per dimension value, from rows carrying its dimensions (ratios also get
    their effective denominator)."""
    is_ratio = defn.kind == "ratio"
    if is_ratio:
        units = _per_unit(rows, defn, unknown)
        num, den = F.col("num"), F.col("den")
        source = units
    else:
        num = F.expr(defn.numerator).cast("double")
        den = F.expr(defn.denominator).cast("double") if defn.denominator else F.lit(None).cast("double")
        source = rows
    exploded = source.select(
        "ds",
        num.alias("num"),
        den.alias("den"),
        F.explode(_slices(defn.dimensions, unknown)).alias("slice"),
    )
    sums = [F.sum("num").alias("numerator"), F.sum("den").alias("denominator")]
    if is_ratio:
        sums += [F.sum(F.col("num") * F.col("num")).alias("nn"), F.sum(F.col("num") * F.col("den")).alias("nd"),
                 F.sum(F.col("den") * F.col("den")).alias("dd")]
    summed = exploded.groupBy("ds", "slice.dimension", "slice.dimension_value").agg(*sums)
    value = (F.try_divide(F.col("numerator"), F.nullif(F.col("denominator"), F.lit(0.0))) if is_ratio
             else F.col("numerator"))
    null = F.lit(None).cast("double")
    return summed.select(
        F.col("ds").cast("date").alias("ds"),
        F.lit(defn.name).alias("metric"),
        "dimension",
        "dimension_value",
        value.alias("value"),
        F.coalesce("numerator", F.lit(0.0)).alias("numerator"),
        F.col("denominator") if is_ratio else null.alias("denominator"),
        (effective_denominator(F.coalesce("numerator", F.lit(0.0)), F.col("denominator"), F.col("nn"),
                               F.col("nd"), F.col("dd")) if is_ratio else null).alias("effective_denominator"),
    )


def leaf_key(dimensions: tuple[str, ...], unknown: str) -> Column:
    """The leaf of a row, `d1=v1&d2=v2&...` over every dimension in the metric's order (the cause format of
    models/monitoring/localize.py)."""
    if not dimensions:
        return F.lit("")
    return F.concat_ws("&", *[F.concat(F.lit(f"{d}="), F.coalesce(F.col(d).cast("string"), F.lit(unknown)))
                              for d in dimensions])


def build_leaf_cube(rows: DataFrame, defn: MetricDefinition, *, unknown: str = "unknown") -> DataFrame:
    """A count or ratio metric at its finest grain, one row per day and leaf (a value of every dimension):
    numerator and denominator summed like build_metric's, so any slice is a sum of leaves (metric_cube)."""
    numerator = F.expr(defn.numerator).cast("double")
    denominator = F.expr(defn.denominator).cast("double") if defn.denominator else F.lit(None).cast("double")
    summed = rows.select("ds", leaf_key(defn.dimensions, unknown).alias("leaf"), numerator.alias("num"),
                         denominator.alias("den")).groupBy("ds", "leaf").agg(
        F.sum("num").alias("numerator"), F.sum("den").alias("denominator"))
    return summed.select(F.col("ds").cast("date").alias("ds"), F.lit(defn.name).alias("metric"), "leaf",
                         F.coalesce("numerator", F.lit(0.0)).alias("numerator"),
                         F.col("denominator") if defn.kind == "ratio" else F.lit(None).cast("double").alias("denominator"))


def with_zero_totals(metric: DataFrame, days: DataFrame, name: str) -> DataFrame:
    """A count metric with an explicit 0 total on requested days that had no rows (`days` has column ds)."""
    have = metric.filter(F.col("dimension") == TOTAL).select("ds")
    zeros = days.select(F.col("ds").cast("date").alias("ds")).join(have, on="ds", how="left_anti").select(
        "ds", F.lit(name).alias("metric"), F.lit(TOTAL).alias("dimension"), F.lit(TOTAL).alias("dimension_value"),
        F.lit(0.0).alias("value"), F.lit(0.0).alias("numerator"), F.lit(None).cast("double").alias("denominator"),
        F.lit(None).cast("double").alias("effective_denominator"))
    return metric.unionByName(zeros)


def _bucket(score, bins: tuple[float, ...]):
    edges = list(bins[1:-1])
    expr = F.when(score < F.lit(edges[0]), F.lit(0)) if edges else F.lit(0)
    for i, edge in enumerate(edges[1:], start=1):
        expr = expr.when(score < F.lit(edge), F.lit(i))
    return expr.otherwise(F.lit(len(edges))) if edges else expr


def build_psi(current: DataFrame, reference: DataFrame, defn: MetricDefinition, *, lag_days: int,
              bins: tuple[float, ...], epsilon: float = 1e-4, unknown: str = "unknown") -> DataFrame:
    """Population Stability Index of `score` on each day vs `lag_days` earlier, total and per dimension.

    Both frames: ds, score and the metric's dimension columns (`reference` may cover earlier days: its rows
    count for ds + lag_days). PSI = Σ (p − q) · ln(p / q) over score bins, p and q floored at `epsilon`.
    numerator = PSI, denominator = null: PSI does not re-aggregate; each slice is its own comparison.
    """
    def counts(df: DataFrame, shift: int, column: str) -> DataFrame:
        return (df.select(F.date_add(F.col("ds").cast("date"), shift).alias("ds"),
                          _bucket(F.col("score"), bins).alias("bucket"),
                          F.explode(_slices(defn.dimensions, unknown)).alias("slice"))
                .groupBy("ds", "slice.dimension", "slice.dimension_value", "bucket").agg(F.count("*").alias(column)))

    keys = ["ds", "dimension", "dimension_value"]
    both = counts(current, 0, "n_cur").join(counts(reference, lag_days, "n_ref"), on=[*keys, "bucket"],
                                             how="full").fillna(0, subset=["n_cur", "n_ref"])
    per = W.partitionBy(*keys)
    shares = both.select(
        *keys,
        F.greatest(F.col("n_cur") / F.sum("n_cur").over(per), F.lit(epsilon)).alias("p"),
        F.greatest(F.col("n_ref") / F.sum("n_ref").over(per), F.lit(epsilon)).alias("q"),
        F.sum("n_cur").over(per).alias("total_cur"),
        F.sum("n_ref").over(per).alias("total_ref"),
    ).filter((F.col("total_cur") > 0) & (F.col("total_ref") > 0))
    psi = shares.groupBy(*keys).agg(F.sum((F.col("p") - F.col("q")) * F.log(F.col("p") / F.col("q"))).alias("psi"))
    current_days = current.select(F.col("ds").cast("date").alias("ds")).distinct()
    return psi.join(current_days, on="ds", how="left_semi").select(
        "ds", F.lit(defn.name).alias("metric"), "dimension", "dimension_value", F.col("psi").alias("value"),
        F.col("psi").alias("numerator"), F.lit(None).cast("double").alias("denominator"),
        F.lit(None).cast("double").alias("effective_denominator"))


def build_ehi(metrics: DataFrame, components: tuple[EhiComponent, ...], *, name: str,
              min_weight_share: float = 0.5) -> DataFrame:
    """The Ecosystem Health Index from component metrics in the long frame.

    Each component scores s = 100 · clip((value − bad) / (good − bad), 0, 1); the index is Σ w·s / Σ w over
    the components present for that slice (numerator = Σ w·s, denominator = Σ w), null when less than
    `min_weight_share` of the total weight is present.
    """
    if not components:
        return metrics.limit(0).select(*METRIC_COLUMNS)
    total_weight = sum(c.weight for c in components)
    params = F.create_map(*[x for c in components for x in (
        F.lit(c.metric), F.array(F.lit(float(c.weight)), F.lit(float(c.bad)), F.lit(float(c.good))))])
    p = params[F.col("metric")]
    score = F.lit(100.0) * F.least(F.greatest((F.col("value") - p[1]) / (p[2] - p[1]), F.lit(0.0)), F.lit(1.0))
    scored = metrics.filter(F.col("metric").isin([c.metric for c in components]) & F.col("value").isNotNull())
    summed = scored.groupBy("ds", "dimension", "dimension_value").agg(
        F.sum(p[0] * score).alias("numerator"), F.sum(p[0]).alias("denominator"))
    enough = F.col("denominator") >= F.lit(min_weight_share * total_weight)
    return summed.select(
        "ds", F.lit(name).alias("metric"), "dimension", "dimension_value",
        F.when(enough, F.col("numerator") / F.col("denominator")).alias("value"), "numerator", "denominator",
        F.lit(None).cast("double").alias("effective_denominator"))


def union_all(frames: list[DataFrame]) -> DataFrame:
    """One long frame of every metric, in the contract's column order."""
    return reduce(lambda a, b: a.unionByName(b), [f.select(*METRIC_COLUMNS) for f in frames])


def days_between(ds_from: dt.date, ds_to: dt.date) -> list[dt.date]:
    return [ds_from + dt.timedelta(days=i) for i in range((ds_to - ds_from).days + 1)]
