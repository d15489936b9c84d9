"""`govern strategies backtest`: replay the strategy library over `--from..--to` against the decisions known as of
`--as-of`; append strategy_performance (hit metrics, threshold sweeps, IPW precision and recall from the review
samples) and write a markdown report under `<tables.files>/_reports`. Tables: see docs/strategies.md.
"""

from __future__ import annotations

import datetime as dt
import os

from pyspark.sql import DataFrame, functions as F, types as T

from creator_governance.jobargs import UsageError
from creator_governance.jobs.runs import new_run_id
from creator_governance.jobs.strategies import _end_of, evaluate, specs_of
from creator_governance.models.strategies.backtest import (
    PERFORMANCE_COLUMNS, backtest_metrics, known_decisions, sweep_metrics, target_labels, threshold_for_precision,
    threshold_sweep,
)
from creator_governance.models.strategies.report import backtest_report
from creator_governance.models.strategies.sampling import ipw_precision_recall
from creator_governance.models.strategies.spec import CheckedStrategy, target_key
from creator_governance.runtime import JobContext

PERF_SCHEMA = T.StructType([T.StructField(n, t) for n, t in [
    ("strategy_id", T.StringType()), ("version", T.IntegerType()), ("metric", T.StringType()),
    ("value", T.DoubleType()), ("threshold", T.DoubleType()), ("hit_ds", T.DateType()),
    ("other_strategy_id", T.StringType())]])

def parse_as_of(value: str | None) -> dt.datetime:
    """--as-of as a naive UTC datetime (a date means its end); the current time when not given."""
    if value is None:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    try:
        if len(value) == 10:
            return _end_of(dt.date.fromisoformat(value))
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--as-of {value!r}: expected YYYY-MM-DD or an ISO-8601 timestamp") from None
    return parsed.astimezone(dt.timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed


def backtest(ctx: JobContext, days: list[dt.date], strategy_ids: list[str] | None, as_of: dt.datetime,
             decisions_version: int | None) -> dict:
    """Replay the library over `days`; append strategy_performance; write and return the markdown report."""
    cfg = ctx.cfg.strategies.backtest
    specs = specs_of(ctx.cfg)
    if strategy_ids:
        unknown = sorted(set(strategy_ids) - {s.id for s in specs})
        if unknown:
            raise UsageError(f"--strategy: unknown strategy {', '.join(unknown)}")
        # A retired strategy asked for by name is replayed as if live.
        specs = [s.model_copy(update=dict(status="shadow" if s.status == "retired" else s.status))
                 for s in specs if s.id in strategy_ids]
    specs = [s for s in specs if s.status != "retired" and s.target == "account"]
    first, last = min(days), max(days)
    checked, skipped, hits, frames = evaluate(ctx, days, specs, as_of=as_of)
    accounts = frames["account"].cache()
    hits = hits.cache()
    version = decisions_version if decisions_version is not None else ctx.tables.version("decisions")
    decisions = known_decisions(ctx.tables.read("decisions", version=version), as_of=as_of)
    label_from, label_to = first - dt.timedelta(days=cfg.label_lookback_days), last + dt.timedelta(days=cfg.horizon_days)
    labels = target_labels(decisions, label_from=label_from, label_to=label_to).cache()
    high = None
    if ctx.tables.exists("creator_credit"):
        high = (ctx.tables.read("creator_credit", ds=days).filter(F.col("credit_tier").isin(cfg.high_credit_tiers))
                .select(F.col("account_id").alias("target_id"), "ds"))
    perf = backtest_metrics(hits, labels, high_credit=high)
    extra: list[tuple] = []
    for c in checked:
        if c.spec.sweep_column:
            extra += sweep_rows(c, accounts, labels, cfg)
    extra += ipw_rows(ctx, days, labels, [c.spec.id for c in checked])
    if extra:
        perf = perf.unionByName(ctx.spark.createDataFrame(extra, PERF_SCHEMA))
    run_id = new_run_id()  # the invocation's: the same as its log lines and pipeline_runs row
    out = perf.select(F.lit(run_id).alias("run_id"), F.lit(as_of).cast("timestamp").alias("as_of"),
                      F.lit(first).alias("ds_from"), F.lit(last).alias("ds_to"),
                      F.lit(version).cast("long").alias("decisions_version"), *PERFORMANCE_COLUMNS)
    ctx.tables.append("strategy_performance", out, job="strategies backtest")
    rows = [r.asDict() for r in ctx.tables.read("strategy_performance").filter(F.col("run_id") == run_id).collect()]
    header = {"ds_from": first, "ds_to": last, "run_id": run_id, "decisions known as of (UTC)": as_of,
              "decisions table version": version, "label window": f"{label_from} .. {label_to}",
              "strategies": ", ".join(c.spec.id for c in checked) or "none",
              "skipped (missing tables)": ", ".join(skipped) or "none"}
    report = backtest_report(rows, header=header, target_precision=cfg.target_precision)
    folder = ctx.tables.folder("_reports")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"backtest_{first}_{last}.md")
    with open(path, "w") as fh:
        fh.write(report + "\n")
    accounts.unpersist()
    hits.unpersist()
    return {"run_id": run_id, "rows": len(rows), "strategies": len(checked), "report": report, "path": path}


def sweep_rows(c: CheckedStrategy, accounts: DataFrame, labels: DataFrame, cfg) -> list[tuple]:
    """Threshold sweep of `sweep_column >= t` over the targets' largest value in the range."""
    column = c.spec.sweep_column
    values = (accounts.groupBy(F.col(target_key(c.spec)).cast("string").alias("target_id"))
              .agg(F.max(F.col(column).cast("double")).alias("value")).filter(F.col("value").isNotNull()))
    probs = [0.5 + 0.499 * i / (cfg.sweep_points - 1) for i in range(cfg.sweep_points)]
    thresholds = values.approxQuantile("value", probs, 0.001)
    if not thresholds:
        return []
    sweep = [r.asDict() for r in threshold_sweep(values, labels, thresholds).collect()]
    chosen = threshold_for_precision(sweep, cfg.target_precision, min_reviewed=cfg.min_reviewed)
    return sweep_metrics(c.spec.id, c.spec.version, sweep, chosen, cfg.target_precision)


def ipw_rows(ctx: JobContext, days: list[dt.date], labels: DataFrame, ids: list[str]) -> list[tuple]:
    """Horvitz-Thompson precision and recall from the review samples of the range, when there are any."""
    if not ids or not ctx.tables.exists("review_sample"):
        return []
    sample = ctx.tables.read("review_sample", ds=days).join(
        labels.withColumnRenamed("target_id", "account_id"), on="account_id", how="left")
    out = []
    for r in ipw_precision_recall(sample, ids).collect():
        for metric, value in (("ipw_precision", r["precision"]), ("ipw_recall", r["recall"]),
                              ("ipw_labelled", float(r["labelled"]))):
            out.append((r["strategy_id"], None, metric, value, None, None, None))
    return out
