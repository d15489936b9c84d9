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

Expressions over a metric's dimensions are SQL text (features/sqltext.py): a metric run builds some twenty metrics
of five dimensions each, and Python-built Columns cost a JVM round trip per call (31,661 for one daily day at 3,000
accounts, 2026-12-06), seconds per run whatever the data size.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import Window as W

from creator_governance.features.sqltext import double, name, string
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


def _dimension_value(dimension: str, unknown: str) -> str:
    """SQL text of a dimension's value as a string, `unknown` for null."""
    return f"coalesce(cast({name(dimension)} as string), {string(unknown)})"


def _slices(dimensions: tuple[str, ...], unknown: str) -> str:
    """SQL text of an array of (dimension, dimension_value) structs: the total and one per dimension."""
    structs = [f"named_struct('dimension', {string(TOTAL)}, 'dimension_value', {string(TOTAL)})"]
    structs += [f"named_struct('dimension', {string(d)}, 'dimension_value', {_dimension_value(d, unknown)})"
                for d in dimensions]
    return f"array({', '.join(structs)})"


def _as_double(sql: str | None) -> str:
    """A definition's numerator or denominator (SQL text, parsed as `F.expr` would: a trailing `--` comment ends at
    the newline) as a double; a null double when there is none."""
    return "cast(null as double)" if sql is None else f"cast((\n{sql}\n) as double)"


def _per_unit(rows: DataFrame, defn: MetricDefinition, unknown: str) -> DataFrame:
    """A ratio's rows summed per account (the unit of its sampling variance) within each combination of the
    metric's dimension values; rows without an account_id are each their own unit."""
    columns = [f"{_as_double(defn.numerator)} as num", f"{_as_double(defn.denominator or None)} as den",
               *(f"{_dimension_value(d, unknown)} as {name(d)}" for d in defn.dimensions)]
    if "account_id" not in rows.columns:
        return rows.selectExpr("ds", *columns)
    return (rows.selectExpr("ds", "account_id", *columns)
            .groupBy("ds", "account_id", *defn.dimensions).agg(F.expr("sum(num) as num"), F.expr("sum(den) as den")))


def effective_denominator(n: str, d: str, nn: str, nd: str, dd: str) -> str:
    """SQL text of b(r) / V from the sums over units of n, d, n², n·d and d² (SQL text each; module docstring), at
    most d; d itself when the variance is 0 (every unit at the slice's ratio, or r in {0, 1})."""
    n, d, nn, nd, dd = (f"({x})" for x in (n, d, nn, nd, dd))
    r = f"({n} / {d})"
    base = f"(CASE WHEN {r} < 1.0D THEN {r} * (1.0D - {r}) ELSE {r} END)"
    residual = f"greatest({nn} - 2.0D * {r} * {nd} + {r} * {r} * {dd}, 0.0D)"
    eff = f"(CASE WHEN ({d} > 0) AND ({residual} > 0) THEN least({base} * {d} * {d} / {residual}, {d}) ELSE {d} END)"
    return f"(CASE WHEN {d} > 0 THEN {eff} END)"


def build_metric(rows: DataFrame, defn: MetricDefinition, *, unknown: str = "unknown") -> DataFrame:
    """A count or ratio metric, total and per dimension value, from rows carrying its dimensions (ratios also get
    their effective denominator)."""
    is_ratio = defn.kind == "ratio"
    if is_ratio:
        source, num, den = _per_unit(rows, defn, unknown), "num", "den"
    else:
        source, num, den = rows, _as_double(defn.numerator), _as_double(defn.denominator or None)
    exploded = source.selectExpr("ds", f"{num} as num", f"{den} as den",
                                 f"explode({_slices(defn.dimensions, unknown)}) as slice")
    sums = ["sum(num) as numerator", "sum(den) as denominator"]
    if is_ratio:
        sums += ["sum(num * num) as nn", "sum(num * den) as nd", "sum(den * den) as dd"]
    summed = exploded.groupBy("ds", "slice.dimension", "slice.dimension_value").agg(*(F.expr(x) for x in sums))
    numerator = "coalesce(numerator, 0.0D)"
    null = "cast(null as double)"
    return summed.selectExpr(
        "cast(ds as date) as ds",
        f"{string(defn.name)} as metric",
        "dimension",
        "dimension_value",
        ("try_divide(numerator, nullif(denominator, 0.0D))" if is_ratio else "numerator") + " as value",
        f"{numerator} as numerator",
        ("denominator" if is_ratio else null) + " as denominator",
        (effective_denominator(numerator, "denominator", "nn", "nd", "dd") if is_ratio else null)
        + " as effective_denominator",
    )


def leaf_key(dimensions: tuple[str, ...], unknown: str) -> str:
    """SQL text of the leaf of a row, `d1=v1&d2=v2&...` over every dimension in the metric's order (the cause
    format of models/monitoring/localize.py)."""
    if not dimensions:
        return "''"
    parts = [f"concat({string(d + '=')}, {_dimension_value(d, unknown)})" for d in dimensions]
    return f"concat_ws('&', {', '.join(parts)})"


def build_leaf_cube(rows: DataFrame, defn: MetricDefinition, *, unknown: str = "unknown") -> DataFrame:
    """A count or ratio metric at its finest grain, one row per day and leaf (a value of every dimension):
    numerator and denominator summed like build_metric's, so any slice is a sum of leaves (metric_cube)."""
    summed = rows.selectExpr("ds", f"{leaf_key(defn.dimensions, unknown)} as leaf",
                             f"{_as_double(defn.numerator)} as num", f"{_as_double(defn.denominator or None)} as den"
                             ).groupBy("ds", "leaf").agg(F.expr("sum(num) as numerator"),
                                                         F.expr("sum(den) as denominator"))
    return summed.selectExpr("cast(ds as date) as ds", f"{string(defn.name)} as metric", "leaf",
                             "coalesce(numerator, 0.0D) as numerator",
                             ("denominator" if defn.kind == "ratio" else "cast(null as double)") + " as denominator")


def with_zero_totals(metric: DataFrame, days: DataFrame, name: str) -> DataFrame:
    """A count metric with an explicit 0 total on requested days that had no rows (`days` has column ds)."""
    have = metric.filter(F.col("dimension") == TOTAL).select("ds")
    zeros = days.select(F.col("ds").cast("date").alias("ds")).join(have, on="ds", how="left_anti").select(
        "ds", F.lit(name).alias("metric"), F.lit(TOTAL).alias("dimension"), F.lit(TOTAL).alias("dimension_value"),
        F.lit(0.0).alias("value"), F.lit(0.0).alias("numerator"), F.lit(None).cast("double").alias("denominator"),
        F.lit(None).cast("double").alias("effective_denominator"))
    return metric.unionByName(zeros)


def _bucket(score: str, bins: tuple[float, ...]) -> str:
    """SQL text of the bin index of `score` (SQL text) over the inner edges of `bins`."""
    edges = list(bins[1:-1])
    if not edges:
        return "0"
    whens = " ".join(f"WHEN {score} < {double(edge)} THEN {i}" for i, edge in enumerate(edges))
    return f"(CASE {whens} ELSE {len(edges)} END)"


def build_psi(current: DataFrame, reference: DataFrame, defn: MetricDefinition, *, lag_days: int,
              bins: tuple[float, ...], epsilon: float = 1e-4, unknown: str = "unknown") -> DataFrame:
    """Population Stability Index of `score` on each day vs `lag_days` earlier, total and per dimension.

    Both frames: ds, score and the metric's dimension columns (`reference` may cover earlier days: its rows
    count for ds + lag_days). PSI = Σ (p − q) · ln(p / q) over score bins, p and q floored at `epsilon`.
    numerator = PSI, denominator = null: PSI does not re-aggregate; each slice is its own comparison.
    """
    def counts(df: DataFrame, shift: int, column: str) -> DataFrame:
        return (df.selectExpr(f"date_add(cast(ds as date), {int(shift)}) as ds", f"{_bucket('score', bins)} as bucket",
                              f"explode({_slices(defn.dimensions, unknown)}) as slice")
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
