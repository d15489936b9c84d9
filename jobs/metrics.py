"""`govern metrics --ds D` (or `--from A --to B`): governance_metrics for those days.

Registers the tables the definitions name in `source_tables` as views, plus `account_dims`, runs each
definition's SQL (conf/base/metrics.yaml), hands the rows to the pure engine (models/metrics) and replaces
exactly the requested `ds` partitions of governance_metrics (total and one slice per dimension) and of
metric_cube (count and ratio metrics at their finest grain, one row per leaf: what the root-cause search of
`govern monitor` explores). A metric whose source tables do not exist yet is skipped; the summary names it and
the missing tables.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from functools import reduce

from creator_governance.catalog import schema
from creator_governance.features import sqltext
from creator_governance.jobargs import job_parser
from creator_governance.models.metrics.definitions import missing_sources, render_rows
from creator_governance.models.metrics.dimensions import build_account_dims
from creator_governance.models.metrics.engine import (
    CUBE_COLUMNS, build_ehi, build_leaf_cube, build_metric, build_psi, union_all, with_account_dims, with_zero_totals,
)
from creator_governance.runtime import JobContext

log = logging.getLogger("jobs.metrics")
TABLE = "governance_metrics"
CUBE = "metric_cube"
CUBE_SCHEMA = schema("metric_cube")


def parser():
    return job_parser("govern metrics", "Compute governance_metrics for --ds or a range.")


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def run(ctx: JobContext, days: list[dt.date]) -> dict:
    """Compute and write every metric whose sources exist; returns computed, skipped (with reasons), rows."""
    settings = ctx.cfg.metrics
    spark, tables = ctx.spark, ctx.tables
    ds_from, ds_to = min(days), max(days)
    start = time.monotonic()
    available = set(tables.names())
    # only the tables the definitions declare: registering every table reads each one's log and lists its files
    declared = {t for d in settings.definitions for t in d.source_tables}
    tables.register_views(only=declared)
    if not tables.persisted:  # a view left by an earlier `govern sql` in this session is a stale file list
        for name in available - declared:
            spark.catalog.dropTempView(name)
    if "accounts" not in available:
        raise RuntimeError("governance_metrics needs the accounts table: run govern ingest first")
    scores = tables.read("creator_scores") if "creator_scores" in available else None
    psi_from = ds_from - dt.timedelta(days=settings.psi.reference_lag_days)
    dims = build_account_dims(tables.read("accounts"), scores, ds_from=psi_from, ds_to=ds_to,
                              age_buckets=settings.age_buckets, unknown=settings.unknown_value).cache()
    dims.createOrReplaceTempView("account_dims")
    available.add("account_dims")
    day_frame = spark.createDataFrame([(d,) for d in days], "ds date")
    # filters as SQL text: a Python date literal is several JVM round trips, and they are applied per metric
    in_days, in_psi_days = (sqltext.date_between("ds", a, ds_to) for a in (ds_from, psi_from))
    frames, cubes, computed, skipped, held = [], [], [], {}, []
    for defn in settings.definitions:
        missing = missing_sources(defn, available)
        if missing:
            skipped[defn.name] = f"missing table(s): {', '.join(missing)}"
            log.info("metrics: skip %s (%s)", defn.name, skipped[defn.name])
            continue
        if defn.kind == "psi":
            with_dims = scores.select("ds", "account_id", "score").transform(
                lambda df: with_account_dims(df, dims, unknown=settings.unknown_value))
            frame = build_psi(with_dims.filter(in_days), with_dims.filter(in_psi_days), defn,
                              lag_days=settings.psi.reference_lag_days, bins=settings.psi.bins,
                              epsilon=settings.psi.epsilon, unknown=settings.unknown_value)
        else:
            # read twice (the metric and its leaf cube): kept after the first write computes it
            rows = with_account_dims(metric_rows(spark, defn, ds_from, ds_to), dims,
                                     unknown=settings.unknown_value).persist()
            held.append(rows)
            frame = build_metric(rows, defn, unknown=settings.unknown_value)
            cubes.append(build_leaf_cube(rows, defn, unknown=settings.unknown_value).filter(in_days))
            if defn.kind == "count":
                frame = with_zero_totals(frame, day_frame, defn.name)
        frames.append(frame.filter(in_days))
        computed.append(defn.name)
    if not frames:
        raise RuntimeError("no metric could be computed: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    # A union keeps each branch's partitions (dozens of tasks, each deserialising the whole plan) for a few
    # hundred aggregate rows a day: merged into a few tasks.
    metrics = union_all(frames).coalesce(ctx.cfg.spark.shuffle_partitions).cache()
    held.append(metrics)
    components = tuple(c for c in settings.ehi.components if c.metric in computed)
    if components:
        metrics = union_all([metrics, build_ehi(metrics, components, name=settings.ehi.name)])
        computed.append(settings.ehi.name)
    written = tables.overwrite_partitions(TABLE, metrics, days, job="metrics")
    leaves = reduce(lambda a, b: a.unionByName(b), [c.select(*CUBE_COLUMNS) for c in cubes]) if cubes else \
        spark.createDataFrame([], CUBE_SCHEMA)
    tables.overwrite_partitions(CUBE, leaves, days, job="metrics")
    for frame in (dims, *held):
        frame.unpersist()
    return {"computed": computed, "skipped": skipped, "rows": written.rows_written,
            "seconds": round(time.monotonic() - start, 1)}


def metric_rows(spark, defn, ds_from: dt.date, ds_to: dt.date):
    """The definition's `rows` SQL as a frame; a table it reads but does not declare in `source_tables` (so was not
    registered) is named in the error."""
    from pyspark.errors import AnalysisException

    try:
        return spark.sql(render_rows(defn, ds_from, ds_to))
    except AnalysisException as exc:
        if exc.getCondition() != "TABLE_OR_VIEW_NOT_FOUND":
            raise
        raise RuntimeError(f"metric {defn.name}: its rows read a table that is not a view: "
                           f"{(exc.getMessageParameters() or {}).get('relationName', exc)}; name every table it "
                           f"reads in its source_tables (declared: {', '.join(defn.source_tables) or 'none'})") from exc


def report(days: list[dt.date], summary: dict) -> str:
    lines = [f"metrics: {len(days)} day(s) {days[0]}..{days[-1]}: {len(summary['computed'])} metrics, "
             f"{summary['rows']} rows in {summary['seconds']} s"]
    lines += [f"  skipped {name}: {reason}" for name, reason in summary["skipped"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import job

    return job("metrics").main(argv)
