"""`govern dashboard --ds D`: the day's self-contained HTML dashboard under `<tables.files>/_dashboard/`.

Every input is aggregated in Spark to a few hundred rows at most (metric totals and their expected bands over a
window, alerts, one row per strategy, a 20-bin score histogram, the top syndicates and queue rows, the day's
pipeline runs, ingest and data-quality checks) before it reaches the driver.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.jobargs import job_parser
from creator_governance.jobs.dashboard_page import DashboardData, render
from creator_governance.jobs.registry import PIPELINE
from creator_governance.runtime import JobContext

TREND_DAYS = 35
BINS = 20
REFERENCE_LAG_DAYS = 7
STRATEGY_DAYS = 28  # daily hits judged by the decisions made on them within this window


def parser():
    parser = job_parser("govern dashboard", "Render the daily HTML dashboard.")
    parser.add_argument("--out", help="folder for the HTML files (default: <tables.files>/_dashboard)")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def gather(ctx: JobContext, ds: dt.date) -> DashboardData:
    """Small aggregates of every table the dashboard shows; a missing table becomes a note."""
    data = DashboardData(ds=ds.isoformat())
    start = ds - dt.timedelta(days=TREND_DAYS - 1)
    tables = ctx.tables
    if tables.exists("governance_metrics"):
        totals = (tables.read("governance_metrics", ds_from=start, ds_to=ds)
                  .filter((F.col("dimension") == "all") & (F.col("dimension_value") == "all"))
                  .select(F.col("ds").cast("string").alias("ds"), "metric", "value"))
        data.metrics = _small(totals)
    else:
        data.notes["metrics"] = "run govern metrics first"
    if tables.exists("metric_bands"):
        data.bands = _small(tables.read("metric_bands", ds_from=start, ds_to=ds).select(
            F.col("ds").cast("string").alias("ds"), "metric", "expected", "lower", "upper"))
    if tables.exists("alerts"):
        alerts = tables.read("alerts", ds_from=start, ds_to=ds).filter(F.col("status") != "resolved")
        data.incidents = _small(alerts.filter(F.col("dimension") == "all").groupBy("metric", "incident_id").agg(
            F.min("ds").cast("string").alias("start"), F.max("ds").cast("string").alias("end"),
            F.max("severity").alias("severity")))
        recent = alerts.filter(F.col("ds") >= F.lit(ds - dt.timedelta(days=6)))
        data.alerts = _small(recent.select(
            F.col("ds").cast("string").alias("ds"), "metric", "dimension", "dimension_value", "observed", "expected",
            "severity", "status", "top_cause", "cause_kind", "explanation"))
    else:
        data.notes["alerts"] = "run govern monitor first"
    if tables.exists("risk_queue"):
        queue = tables.read("risk_queue", ds=ds).filter(F.col("rank") <= 20).orderBy("rank")
        data.queue = _small(queue.select("rank", "entity_kind", "entity_id", F.round("priority", 3).alias("priority"),
                                         "suggested_action", "evidence"))
    else:
        data.notes["queue"] = "run govern queue first"
    data.strategies = _daily_strategies(ctx, ds)
    if data.strategies is None:
        data.notes["strategies"] = "run govern strategies first"
    data.backtest = _backtest(ctx)
    data.tiers = dict(ctx.cfg.model.scoring.tiers)
    if tables.exists("creator_scores"):
        reference = ds - dt.timedelta(days=REFERENCE_LAG_DAYS)
        data.score_hist, data.psi = _score_histogram(tables.read("creator_scores", ds=ds),
                                                     tables.read("creator_scores", ds=reference))
    else:
        data.notes["scores"] = "run govern score first"
    if tables.exists("syndicates"):
        syndicates = tables.read("syndicates", ds=ds)
        order = [c for c in ("size", "mean_score") if c in syndicates.columns]
        drop = [c for c in ("members", "ds") if c in syndicates.columns]
        data.syndicates = _small(syndicates.orderBy(*[F.col(c).desc() for c in order]).drop(*drop).limit(20))
    else:
        data.notes["syndicates"] = "run govern score first"
    if tables.exists("experiment_results"):
        data.experiments = _experiments(tables.read("experiment_results"))
    else:
        data.notes["experiments"] = "run govern experiment first"
    data.health = _health(ctx, ds)
    if data.health is None:
        data.notes["health"] = "run govern run (pipeline_runs) first"
    return data


def _health(ctx: JobContext, ds: dt.date) -> dict[str, pd.DataFrame] | None:
    """The day's pipeline: each step's latest run (status, seconds, rows), the ingest runs that landed rows of the
    day (files, rows accepted and quarantined), and the data-quality checks of the latest ingest run."""
    tables = ctx.tables
    if not tables.exists("pipeline_runs"):
        return None
    from pyspark.sql import Window

    latest = Window.partitionBy("step").orderBy(F.col("started_at").desc())
    daily = ["ingest", *PIPELINE]  # not a backtest recorded on the day it ran
    steps = (tables.read("pipeline_runs", ds=ds).filter(F.col("step").isin(daily))
             .withColumn("_n", F.row_number().over(latest))
             .filter(F.col("_n") == 1).orderBy("started_at")
             .select("step", "status", F.round("duration_s", 1).alias("seconds"), "rows", "error"))
    out = {"steps": _small(steps)}
    if tables.exists("ingest_log"):
        landed = tables.read("ingest_log").filter(F.lit(ds).between(F.col("min_ds"), F.col("max_ds")))
        out["ingest"] = _small(landed.groupBy("entity").agg(
            F.count(F.lit(1)).alias("files"), F.sum("rows_accepted").alias("rows_accepted"),
            F.sum("rows_quarantined").alias("rows_quarantined"), F.sum("rows_duplicate").alias("rows_duplicate"))
            .orderBy("entity"))
    if tables.exists("data_quality"):
        quality = tables.read("data_quality")
        last = quality.agg(F.max("computed_at").alias("at")).first()["at"]
        out["quality"] = _small(quality.filter(F.col("computed_at") == F.lit(last))
                                .select("entity", "metric", "column_name", "value", "numerator", "denominator")
                                .orderBy(F.col("value").desc()).limit(15))
    return out


def _daily_strategies(ctx: JobContext, ds: dt.date) -> pd.DataFrame | None:
    """Per strategy, from what the daily run produces: the accounts it hit in the `STRATEGY_DAYS` days up to `ds`,
    those a decision was made on after the hit (reviewed), those confirmed as violations; precision = confirmed /
    reviewed, recall = confirmed / every account confirmed as a violator in the window."""
    tables = ctx.tables
    if not tables.exists("strategy_hits") or not tables.exists("decisions"):
        return None
    first = ds - dt.timedelta(days=STRATEGY_DAYS - 1)
    hits = (tables.read("strategy_hits", ds_from=first, ds_to=ds).filter(F.col("target_type") == "account")
            .groupBy("strategy_id", "target_id").agg(F.min("ds").alias("hit")))
    decided = (tables.read("decisions", ds_from=first, ds_to=ds)
               .groupBy("target_id", F.col("ds").alias("decided"))
               .agg(F.max((F.col("outcome") == "violation").cast("int")).alias("v")))
    judged = (hits.join(decided, "target_id").filter(F.col("decided") >= F.col("hit"))
              .groupBy("strategy_id", "target_id").agg(F.max("v").alias("v")))
    violators = decided.filter(F.col("v") == 1).select("target_id").distinct().count()
    rows = (hits.groupBy("strategy_id").agg(F.count(F.lit(1)).alias("hit_accounts"))
            .join(judged.groupBy("strategy_id").agg(F.count(F.lit(1)).alias("reviewed"),
                                                     F.sum("v").alias("confirmed")), "strategy_id", "left")
            .fillna(0, ["reviewed", "confirmed"])
            .withColumn("precision", F.when(F.col("reviewed") > 0, F.col("confirmed") / F.col("reviewed")))
            .withColumn("recall", F.col("confirmed") / F.lit(max(violators, 1)))
            .orderBy("strategy_id"))
    return _small(rows)


def _experiments(results: DataFrame) -> pd.DataFrame:
    """The latest analysis of each experiment: one row per metric and variant (a small table)."""
    latest = results.groupBy("experiment").agg(F.max("run_at").alias("run_at"))
    rows = results.join(latest, ["experiment", "run_at"], "inner").filter(F.col("abs_lift").isNotNull())
    interval = F.format_string("%+.1f%% [%+.1f%%, %+.1f%%]", F.col("rel_lift") * 100, F.col("rel_lift_lo") * 100,
                               F.col("rel_lift_hi") * 100)
    detectable = (F.when(F.col("detectable_rel_lift").isNotNull(),
                         F.format_string("±%.0f%%", F.col("detectable_rel_lift") * 100))
                  if "detectable_rel_lift" in rows.columns else F.lit(None).cast("string"))
    return _small(rows.select("experiment", "analysis", "metric", "variant", "units", interval.alias("relative_lift"),
                              "p_adjusted", detectable.alias("detectable_80pct_power"), "guardrail_status",
                              "srm_flag", "pretrend_flag")
                  .orderBy("experiment", "metric", "variant"))


def _backtest(ctx: JobContext) -> pd.DataFrame | None:
    """Precision and recall of each strategy from the latest weekly backtest (None before the first)."""
    if not ctx.tables.exists("strategy_performance"):
        return None
    perf = ctx.tables.read("strategy_performance")
    latest = perf.agg(F.max("run_id").alias("r")).first()["r"]
    wanted = ["precision", "recall", "hit_targets", "fp_good_creators"]
    rows = (perf.filter((F.col("run_id") == latest) & F.col("metric").isin(wanted) & F.col("threshold").isNull()
                        & F.col("hit_ds").isNull() & F.col("other_strategy_id").isNull())
            .groupBy("strategy_id").pivot("metric", wanted).agg(F.first("value")))
    return _small(rows)


def _score_histogram(today: DataFrame, reference: DataFrame) -> tuple[pd.DataFrame, float | None]:
    """Share of accounts per score bin today and on the reference day, and the PSI between them."""
    def counts(df: DataFrame) -> pd.Series:
        binned = df.select(F.least(F.floor(F.col("score") * BINS), F.lit(BINS - 1)).cast("int").alias("bin"))
        small = _small(binned.groupBy("bin").agg(F.count(F.lit(1)).alias("n")))
        return small.set_index("bin")["n"].reindex(range(BINS), fill_value=0).astype(float)

    now, ref = counts(today), counts(reference)
    hist = pd.DataFrame({
        "bin": [f"{b / BINS:.2f}" for b in range(BINS)],
        "share_today": (now / now.sum()).fillna(0.0).to_numpy() if now.sum() else np.zeros(BINS),
        "share_reference": (ref / ref.sum()).to_numpy() if ref.sum() else np.zeros(BINS),
    })
    if not ref.sum() or not now.sum():
        return hist, None
    eps = 1e-4
    a, e = hist["share_today"].clip(lower=eps), hist["share_reference"].clip(lower=eps)
    return hist, float(np.sum((a - e) * np.log(a / e)))


def _small(df: DataFrame) -> pd.DataFrame:
    """An aggregate that is small by construction (never per-account rows) as pandas."""
    return df.toPandas()


def run(ctx: JobContext, ds: dt.date, out: str | None = None) -> str:
    """Render the day's dashboard; also copy it to latest.html. Returns the file path."""
    folder = out or ctx.tables.folder("_dashboard")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"dashboard_{ds.isoformat()}.html")
    page = render(gather(ctx, ds))
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, path)
    shutil.copyfile(path, os.path.join(folder, "latest.html"))
    return path


def run_job(ctx: JobContext, days: list[dt.date], args) -> dict:
    return {"paths": {day.isoformat(): run(ctx, day, args.out) for day in days}}


def report(days: list[dt.date], summary: dict) -> str:
    return "\n".join(f"dashboard {day}: {path}" for day, path in summary["paths"].items())


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import job

    return job("dashboard").main(argv)
