"""Per-unit metric frames in Spark, and the per-variant sums the statistics need (no per-unit collect).

A unit is an account (`assignments.unit_id`). For each metric a unit gets its value over its analysis window
— from the later of `ds_from` and its assignment day, to `ds_to` — and over the pre-period, the CUPED
covariate. The statistics then need only a handful of sums per variant (`variant_sums`), or per hashed
bucket of units for the bootstrap (`bucket_sums`): a bounded number of rows whatever the number of units.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, functions as F

# metric -> the bronze tables it needs (all of them must exist); `retention` needs one of its two.
METRIC_TABLES: dict[str, tuple[str, ...]] = {
    "violations": ("decisions",), "reports": ("reports",), "content_quality": ("content",), "gmv": ("orders",),
    "retention": ("sessions", "content"), "false_positives": ("strategy_hits", "decisions"),
}
EVENTS_COLUMNS = ("unit_id", "ds", "metric", "value")


def available_metrics(metrics: list[str], existing: set[str]) -> list[str]:
    """The metrics whose source tables exist (retention: sessions or content)."""
    out = []
    for m in metrics:
        needed = METRIC_TABLES[m]
        ok = any(t in existing for t in needed) if m == "retention" else all(t in existing for t in needed)
        if ok:
            out.append(m)
    return out


def build_assigned_units(assignments: DataFrame, *, experiment: str, ds_to: dt.date) -> DataFrame:
    """One row per unit assigned to `experiment` by the end of `ds_to`: unit_id, variant, assigned_ds and
    n_variants (> 1 means the unit was seen in several variants and must be left out)."""
    mine = assignments.filter((F.col("experiment") == F.lit(experiment))
                              & (F.to_date("assigned_at") <= F.lit(ds_to)))
    return mine.groupBy("unit_id").agg(
        F.min("variant").alias("variant"),
        F.min(F.to_date("assigned_at")).alias("assigned_ds"),
        F.countDistinct("variant").alias("n_variants"),
    ).select("unit_id", "variant", "assigned_ds", "n_variants")


def build_metric_events(sources: dict[str, DataFrame], *, fp_days_before: int = 27,
                        fp_days_after: int = 7) -> DataFrame:
    """Every metric-bearing event as (unit_id, ds, metric, value); metric `activity` feeds retention."""
    parts = []
    if "decisions" in sources:
        d = sources["decisions"].filter(F.col("outcome") == "violation")
        parts.append(_events(d, "target_id", "violations", F.lit(1.0)))
    if "reports" in sources:
        parts.append(_events(sources["reports"], "target_id", "reports", F.lit(1.0)))
    if "content" in sources:
        c = sources["content"]
        parts.append(_events(c.filter(F.col("quality_score").isNotNull()), "creator_id", "content_quality",
                             F.col("quality_score")))
        parts.append(_events(c, "creator_id", "activity", F.lit(1.0)))
    if "sessions" in sources:
        parts.append(_events(sources["sessions"], "account_id", "activity", F.lit(1.0)))
    if "orders" in sources:
        o = sources["orders"].filter(F.col("status") == "completed")
        parts.append(_events(o, "seller_id", "gmv", F.col("amount")))
    if "strategy_hits" in sources and "decisions" in sources:
        parts.append(build_false_positive_events(sources["strategy_hits"], sources["decisions"],
                                                 days_before=fp_days_before, days_after=fp_days_after))
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out.select(*EVENTS_COLUMNS)


def _events(df: DataFrame, unit: str, metric: str, value: Column) -> DataFrame:
    return df.select(F.col(unit).alias("unit_id"), F.col("ds").cast("date").alias("ds"), F.lit(metric).alias("metric"),
                     value.cast("double").alias("value"))


def build_false_positive_events(hits: DataFrame, decisions: DataFrame, *, days_before: int,
                                days_after: int) -> DataFrame:
    """Account hits whose target was cleared (no_violation) and never confirmed within the window around
    the hit (the governance_metrics definition of a false positive)."""
    h = hits.filter(F.col("target_type") == "account").select(
        F.col("target_id").alias("unit_id"), F.col("ds").alias("hit_ds"), "strategy_id")
    d = decisions.select(F.col("target_id").alias("d_unit"), F.col("ds").alias("d_ds"), "outcome")
    near = (F.col("d_unit") == F.col("unit_id")) & F.col("d_ds").between(
        F.date_sub("hit_ds", days_before), F.date_add("hit_ds", days_after))
    judged = h.join(d, on=near, how="left").groupBy("unit_id", "hit_ds", "strategy_id").agg(
        F.max((F.col("outcome") == "violation").cast("int")).alias("confirmed"),
        F.max((F.col("outcome") == "no_violation").cast("int")).alias("cleared"))
    is_false_positive = (F.col("cleared") == 1) & (F.coalesce(F.col("confirmed"), F.lit(0)) == 0)
    return judged.filter(is_false_positive).select(
        "unit_id", F.col("hit_ds").alias("ds"), F.lit("false_positives").alias("metric"), F.lit(1.0).alias("value"))


def build_unit_metrics(units: DataFrame, events: DataFrame, metrics: list[str], *, ds_from: dt.date,
                       ds_to: dt.date, pre_days: int, retention_days: int = 7) -> DataFrame:
    """unit_id, variant, then `<metric>` and `<metric>_pre` per metric. Counts and sums are 0 when nothing
    happened; content_quality is null without content; `_pre` columns are null when pre_days is 0."""
    pre_from, pre_to = ds_from - dt.timedelta(days=pre_days), ds_from - dt.timedelta(days=1)
    start = F.greatest(F.lit(ds_from), F.col("assigned_ds"))
    in_window = F.col("ds").between(start, F.lit(ds_to))
    in_pre = F.col("ds").between(F.lit(pre_from), F.lit(pre_to)) if pre_days > 0 else F.lit(False)
    in_last_week = F.col("ds").between(F.lit(ds_to - dt.timedelta(days=retention_days - 1)), F.lit(ds_to)) \
        & (F.col("ds") >= start)
    in_pre_last_week = F.col("ds").between(F.lit(pre_to - dt.timedelta(days=retention_days - 1)), F.lit(pre_to)) \
        & in_pre
    lo = F.lit(min(pre_from, ds_from))
    wanted = [("activity" if m == "retention" else m) for m in metrics]
    relevant = events.filter(F.col("metric").isin(wanted) & F.col("ds").between(lo, F.lit(ds_to)))
    joined = relevant.join(units.select("unit_id", "assigned_ds"), on="unit_id", how="inner")
    aggs = []
    for m in metrics:
        is_m = F.col("metric") == ("activity" if m == "retention" else m)
        if m == "content_quality":
            aggs += [F.avg(F.when(is_m & in_window, F.col("value"))).alias(m),
                     F.avg(F.when(is_m & in_pre, F.col("value"))).alias(m + "_pre")]
        elif m == "retention":
            aggs += [F.max(F.when(is_m & in_last_week, F.lit(1.0))).alias(m),
                     F.max(F.when(is_m & in_pre_last_week, F.lit(1.0))).alias(m + "_pre")]
        else:
            aggs += [F.sum(F.when(is_m & in_window, F.col("value"))).alias(m),
                     F.sum(F.when(is_m & in_pre, F.col("value"))).alias(m + "_pre")]
    per_unit = joined.groupBy("unit_id").agg(*aggs)
    out = units.select("unit_id", "variant").join(per_unit, on="unit_id", how="left")
    cols = []
    for m in metrics:
        zero = F.lit(0.0) if m != "content_quality" else F.lit(None).cast("double")
        pre_zero = zero if pre_days > 0 else F.lit(None).cast("double")
        cols += [F.coalesce(F.col(m), zero).alias(m), F.coalesce(F.col(m + "_pre"), pre_zero).alias(m + "_pre")]
    return out.select("unit_id", "variant", *cols)


def _sum_aggs(m: str) -> list[Column]:
    y, x = F.col(m), F.col(m + "_pre")
    has_y, has_xy = y.isNotNull(), y.isNotNull() & x.isNotNull()
    return [
        F.count(y).cast("double").alias(f"{m}__n"),
        F.coalesce(F.sum(y), F.lit(0.0)).alias(f"{m}__sum_y"),
        F.coalesce(F.sum(y * y), F.lit(0.0)).alias(f"{m}__sum_y2"),
        F.count(F.when(has_xy, x)).cast("double").alias(f"{m}__n_x"),
        F.coalesce(F.sum(F.when(has_xy, x)), F.lit(0.0)).alias(f"{m}__sum_x"),
        F.coalesce(F.sum(F.when(has_xy, x * x)), F.lit(0.0)).alias(f"{m}__sum_x2"),
        F.coalesce(F.sum(F.when(has_xy, x * y)), F.lit(0.0)).alias(f"{m}__sum_xy"),
        F.coalesce(F.sum(F.when(has_y & x.isNull(), y)), F.lit(0.0)).alias(f"{m}__sum_y_xnull"),
    ]


SUM_FIELDS = ("n", "sum_y", "sum_y2", "n_x", "sum_x", "sum_x2", "sum_xy", "sum_y_xnull")


def _long(wide: DataFrame, keys: list[str], metrics: list[str]) -> DataFrame:
    rows = F.explode(F.array(*[F.struct(F.lit(m).alias("metric"), *[F.col(f"{m}__{f}").alias(f) for f in SUM_FIELDS])
                               for m in metrics])).alias("r")
    return wide.select(*keys, rows).select(*keys, "r.metric", *[f"r.{f}" for f in SUM_FIELDS])


def variant_sums(unit_metrics: DataFrame, metrics: list[str]) -> DataFrame:
    """variant, metric, n, sum_y, sum_y2, n_x, sum_x, sum_x2, sum_xy, sum_y_xnull: one row per variant and
    metric (x = the `_pre` column, counted only where y is measured)."""
    wide = unit_metrics.groupBy("variant").agg(*[a for m in metrics for a in _sum_aggs(m)])
    return _long(wide, ["variant"], metrics)


def bucket_sums(unit_metrics: DataFrame, metrics: list[str], *, buckets: int, seed: int) -> DataFrame:
    """The same sums per variant and bucket (units hashed into `buckets` buckets): the bootstrap's input."""
    bucket = F.pmod(F.xxhash64(F.col("unit_id"), F.lit(seed)), F.lit(buckets)).cast("int").alias("bucket")
    wide = unit_metrics.withColumn("bucket", bucket).groupBy("variant", "bucket") \
        .agg(*[a for m in metrics for a in _sum_aggs(m)])
    return _long(wide, ["variant", "bucket"], metrics)
