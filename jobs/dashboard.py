"""`govern dashboard --ds D`: the day's self-contained HTML dashboard under `<lakehouse>/_dashboard/`.

Every input is aggregated in Spark to a few hundred rows at most (metric totals over a window, alerts, one
row per strategy, a 20-bin score histogram, the top syndicates) before it reaches the driver.
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
from creator_governance.runtime import JobContext

TREND_DAYS = 35
BINS = 20
REFERENCE_LAG_DAYS = 7


def parser():
    parser = job_parser("govern dashboard", "Render the daily HTML dashboard.")
    parser.add_argument("--out", help="folder for the HTML files (default: <lakehouse>/_dashboard)")
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
    if tables.exists("alerts"):
        alerts = tables.read("alerts", ds_from=ds - dt.timedelta(days=6), ds_to=ds)
        keep = [c for c in ("ds", "metric", "dimension", "dimension_value", "observed", "expected", "severity",
                            "status", "cause_kind", "explanation") if c in alerts.columns]
        if "status" in alerts.columns:
            alerts = alerts.filter(F.col("status") != "resolved")
        data.alerts = _small(alerts.select(*keep).withColumn("ds", F.col("ds").cast("string")))
    else:
        data.notes["alerts"] = "run govern monitor first"
    if tables.exists("risk_queue"):
        queue = tables.read("risk_queue", ds=ds).filter(F.col("rank") <= 20).orderBy("rank")
        data.queue = _small(queue.select("rank", "entity_kind", "entity_id", F.round("priority", 3).alias("priority"),
                                         "suggested_action", "evidence"))
    else:
        data.notes["queue"] = "run govern queue first"
    data.strategies = _strategies(ctx)
    if data.strategies is None:
        data.notes["strategies"] = "run govern strategies backtest first"
    if tables.exists("creator_scores"):
        data.score_hist, data.psi = _score_histogram(tables.read("creator_scores", ds=ds),
                                                     tables.read("creator_scores", ds=ds - dt.timedelta(days=REFERENCE_LAG_DAYS)))
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
    return data


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


def _strategies(ctx: JobContext) -> pd.DataFrame | None:
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
    folder = out or os.path.join(ctx.tables.root, "_dashboard")
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
