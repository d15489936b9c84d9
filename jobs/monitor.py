"""`govern monitor --ds D` (or a range): anomaly alerts on governance_metrics with root cause and attribution.

Every (metric, dimension, dimension_value) series is scored by the robust seasonal detector in parallel
(`groupBy().applyInPandas`, each series' history is small; the series are dealt over `spark.shuffle_partitions`
tasks, which adaptive execution would otherwise merge into one); each day is scored against its own past only, so
a range gives the same alerts as day-by-day runs. The scored target days (bounded by metrics × slices × days,
not by the account base) come to the driver with the metric_cube leaves of the metrics in an incident (their
baseline and the target days: metrics x leaves x days) for the root cause over combinations of dimensions
(models/monitoring/segments.py) and the attribution; the alert rows replace the requested `ds` partitions of
`alerts`, and each metric total's forecast and band those of `metric_bands` (what the dashboard draws).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import pandas as pd
from pyspark.sql import functions as F

from creator_governance.catalog import schema
from creator_governance.jobargs import job_parser
from creator_governance.models.monitoring.alerts import ALERTS_SCHEMA, build_alerts, warmup_metrics
from creator_governance.models.monitoring.attribution import derive_lever_events
from creator_governance.models.monitoring.series import TOTAL, score_all
from creator_governance.runtime import JobContext

log = logging.getLogger("jobs.monitor")
TABLE = "alerts"
CUBE = "metric_cube"
BANDS = "metric_bands"


def parser():
    return job_parser("govern monitor", "Detect metric anomalies and their root causes for --ds or a range."
                      )


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def governance_events(ctx: JobContext, first: dt.date, last: dt.date) -> list[dict]:
    """Rows of governance_events in [first, last] as dicts with ds, kind, scope_dimension, scope_value,
    description (an absent table gives none: strategies are built later)."""
    if not ctx.tables.exists("governance_events"):
        return []
    pdf = ctx.tables.read("governance_events", ds_from=first, ds_to=last).toPandas()
    out = []
    for r in pdf.to_dict("records"):
        dim = r.get("scope_dimension") or r.get("dimension") or "all"
        value = r.get("scope_value") or r.get("dimension_value") or "all"
        label = r.get("description") or r.get("strategy_id") or r.get("kind")
        out.append({"ds": r["ds"], "kind": r.get("kind", "event"), "scope_dimension": dim, "scope_value": value,
                    "description": str(label)})
    return out


def alert_from(ctx: JobContext, settings) -> dict[str, dt.date]:
    """The first day each warming-up metric may alert: the first day of governance_metrics + warmup_days."""
    first = ctx.tables.read("governance_metrics").agg(F.min("ds").alias("first")).collect()[0]["first"]
    if first is None or not settings.warmup_days:
        return {}
    cfg = ctx.cfg.metrics
    derived = {cfg.ehi.name: tuple(c.metric for c in cfg.ehi.components)}
    warm = warmup_metrics(cfg.definitions, derived=derived, sources=settings.warmup_sources)
    return {m: first + dt.timedelta(days=settings.warmup_days) for m in warm}


def leaf_cubes(ctx: JobContext, scored: pd.DataFrame, days: list[dt.date], baseline_days: int
               ) -> dict[str, pd.DataFrame] | None:
    """metric_cube rows (ds, leaf, numerator, denominator) per metric in an incident on a target day, from the
    earliest baseline day of its incidents to the last target day; None without the table (built before it)."""
    if not ctx.tables.exists(CUBE):
        log.warning("monitor: no %s table (run govern metrics again): root causes per slice only", CUBE)
        return None
    open_ = scored[scored["ds"].isin(days) & scored["status"].isin(["new", "continuing"])]
    if open_.empty:
        return {}
    starts = open_.groupby("metric")["incident_start"].min()
    first = min(pd.Timestamp(d).date() for d in starts) - dt.timedelta(days=baseline_days)
    cube = (ctx.tables.read(CUBE, ds_from=first, ds_to=max(days))
            .filter(F.col("metric").isin(list(starts.index)))
            .select("ds", "metric", "leaf", "numerator", "denominator").toPandas())
    cube["ds"] = pd.to_datetime(cube["ds"]).dt.date
    return {metric: g.drop(columns="metric") for metric, g in cube.groupby("metric")}


def band_rows(scored: pd.DataFrame, days: list[dt.date]) -> list[tuple]:
    """metric_bands rows of the target days: each metric total's observed value, forecast and predictive band."""
    totals = scored[(scored["dimension"] == TOTAL) & scored["ds"].isin(days)].sort_values(["ds", "metric"])
    return [(r.ds, r.metric, _number(r.observed), _number(r.expected), _number(r.lower), _number(r.upper),
             _number(r.score), bool(r.is_anomaly)) for r in totals.itertuples(index=False)]


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def run(ctx: JobContext, days: list[dt.date]) -> dict:
    """Score, explain and write the alerts of `days`; returns counts by status and cause kind."""
    cfg = ctx.cfg
    settings = cfg.alerts
    start = time.monotonic()
    if not ctx.tables.exists("governance_metrics"):
        raise RuntimeError("no governance_metrics table: run govern metrics first")
    first, last = min(days), max(days)
    history = ctx.tables.read("governance_metrics", ds_from=first - dt.timedelta(days=settings.history_days),
                              ds_to=last)
    kinds = {d.name: d.kind for d in cfg.metrics.definitions} | {cfg.metrics.ehi.name: "index"}
    directions = {d.name: d.direction for d in cfg.metrics.definitions} | {cfg.metrics.ehi.name: "up"}
    scored = score_all(history, targets=days, params=settings.detector.plain(),  # runs on executors: plain data
                       season=settings.detector.season or "auto", kinds=kinds,
                       partitions=cfg.spark.shuffle_partitions).toPandas()
    levers = history.filter(F.col("dimension").isin(list(settings.attribution.lever_dimensions))).select(
        "ds", "metric", "dimension", "dimension_value", "numerator").toPandas()
    events = governance_events(ctx, first - dt.timedelta(days=settings.attribution.event_lag_days), last)
    events += derive_lever_events(levers, lever_dimensions=settings.attribution.lever_dimensions,
                                  quiet_days=settings.attribution.launch_quiet_days, targets=days)
    calendar = [c.model_dump() for c in settings.calendar]
    alerts = build_alerts(scored, targets=days, kinds=kinds, good_direction=directions, events=events,
                          calendar=calendar, settings=settings, alert_from=alert_from(ctx, settings),
                          cubes=leaf_cubes(ctx, scored, days, settings.rca.baseline_days))
    rows = [tuple(r) for r in alerts.astype(object).where(pd.notna(alerts), None).itertuples(index=False)]
    ctx.tables.overwrite_partitions(TABLE, ctx.spark.createDataFrame(rows, ALERTS_SCHEMA), days, job="monitor")
    ctx.tables.overwrite_partitions(BANDS, ctx.spark.createDataFrame(band_rows(scored, days), schema(BANDS)), days,
                                    job="monitor")
    counts = alerts["status"].value_counts()
    return {
        "series_days": len(scored), "alerts": len(alerts), "new": int(counts.get("new", 0)),
        "continuing": int(counts.get("continuing", 0)), "resolved": int(counts.get("resolved", 0)),
        "by_cause": alerts["cause_kind"].value_counts().to_dict(), "events": len(events),
        "seconds": round(time.monotonic() - start, 1),
    }


def report(days: list[dt.date], s: dict) -> str:
    return (f"monitor: {len(days)} day(s) {days[0]}..{days[-1]}: {s['series_days']} series-days scored, "
            f"{s['alerts']} alert rows ({s['new']} new, {s['continuing']} continuing, {s['resolved']} resolved), "
            f"causes {s['by_cause']}, {s['events']} governance events, {s['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import job

    return job("monitor").main(argv)
