"""`govern run --landing L --from A --to B`: the whole daily pipeline, in dependency order, resumable.

Ingest runs once (it is exactly-once, so a no-op when nothing new landed); then, for each day in order:
features → train (when due) → score → strategies → metrics → monitor → dashboard. Every step of every day is
recorded in `pipeline_runs`. A re-run skips a step that already succeeded for that day, unless new data was
ingested in this run, an earlier step of the same day was redone, or `--force` is given.
"""

from __future__ import annotations

import datetime as dt
import importlib
import time
import uuid
from dataclasses import dataclass

from pyspark.sql import functions as F
from pyspark.sql import types as T
from rich.console import Console

from creator_governance.jobargs import UsageError, config_of, days_of, job_parser
from creator_governance.runtime import JobContext, open_context

console = Console(stderr=True, highlight=False)

PIPELINE_RUNS = T.StructType(
    [
        T.StructField("run_id", T.StringType()),
        T.StructField("step", T.StringType()),
        T.StructField("status", T.StringType()),
        T.StructField("started_at", T.TimestampType()),
        T.StructField("duration_s", T.DoubleType()),
        T.StructField("rows", T.LongType()),
        T.StructField("error", T.StringType()),
        T.StructField("ds", T.DateType()),
    ]
)


@dataclass(frozen=True)
class Step:
    """A daily step: the job module it runs and the table whose `ds` partition it produces."""

    name: str
    module: str
    output: str | None


DAILY_STEPS: tuple[Step, ...] = (
    Step("features", "jobs.build_features", "creator_features"),
    Step("train", "jobs.train", None),
    Step("score", "jobs.score", "creator_scores"),
    Step("strategies", "jobs.strategies", "strategy_hits"),
    Step("metrics", "jobs.metrics", "governance_metrics"),
    Step("monitor", "jobs.monitor", "alerts"),
    Step("dashboard", "jobs.dashboard", None),
)


def parse_args(argv: list[str] | None):
    parser = job_parser("govern run", "Run the whole daily pipeline for each day of a range.")
    parser.add_argument("--landing", help="landing zone to ingest first (default: ingest.landing from config)")
    parser.add_argument("--force", action="store_true", help="redo steps that already succeeded")
    parser.add_argument("--steps", help="comma-separated subset of steps (default: all)")
    return parser.parse_args(argv)


def passthrough(args) -> list[str]:
    """The shared options every step receives."""
    out = []
    for option, value in (("--conf", args.conf), ("--env", args.env), ("--lakehouse", args.lakehouse)):
        if value:
            out += [option, value]
    return out


def run(ctx: JobContext, days: list[dt.date], *, landing: str | None, shared: list[str], force: bool = False,
        only: set[str] | None = None) -> dict:
    """Run ingest then every daily step for each day; return counts of steps done, skipped and failed."""
    run_id = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    done = _completed(ctx)
    summary = {"run_id": run_id, "done": 0, "skipped": 0, "failed": 0}
    new_data = False
    if landing and (only is None or "ingest" in only):
        rows = _run_step(ctx, run_id, "ingest", "jobs.ingest", ["--landing", landing, *shared], days[-1], None)
        new_data = rows > 0
        summary["done"] += 1
    for day in days:
        redo = force or new_data
        for step in DAILY_STEPS:
            if only is not None and step.name not in only:
                continue
            if not redo and (step.name, day) in done:
                _record(ctx, run_id, step.name, day, "skipped", 0.0, 0, None)
                console.print(f"[dim]{day} {step.name}: already done, skipped[/dim]")
                summary["skipped"] += 1
                continue
            _run_step(ctx, run_id, step.name, step.module, ["--ds", day.isoformat(), *shared], day, step.output)
            summary["done"] += 1
            redo = True
    return summary


def _run_step(ctx: JobContext, run_id: str, name: str, module: str, argv: list[str], day: dt.date,
              output: str | None) -> int:
    console.print(f"[bold]{day} {name}[/bold] …")
    start = time.monotonic()
    started_at = dt.datetime.now(dt.timezone.utc)
    try:
        code = importlib.import_module(module).main(argv)
        if code:
            raise RuntimeError(f"{module} exited with code {code}")
    except Exception as exc:
        _record(ctx, run_id, name, day, "failed", time.monotonic() - start, 0, str(exc).splitlines()[0][:500],
                started_at)
        raise RuntimeError(f"step {name} failed for {day}: {exc}") from exc
    rows = ctx.tables.partition_rows(output, day) if output and ctx.tables.exists(output) else 0
    if name == "ingest":
        rows = _ingested_rows(ctx, run_id)
    _record(ctx, run_id, name, day, "success", time.monotonic() - start, rows, None, started_at)
    console.print(f"{day} {name}: done in {time.monotonic() - start:.1f}s, {rows} rows")
    return rows


def _ingested_rows(ctx: JobContext, run_id: str) -> int:
    """Rows the latest ingest run accepted (0 when nothing new landed)."""
    if not ctx.tables.exists("ingest_log"):
        return 0
    log = ctx.tables.read("ingest_log")
    latest = log.agg(F.max("run_id").alias("run_id")).first()["run_id"]
    if latest is None:
        return 0
    accepted = log.filter(F.col("run_id") == latest).agg(F.sum("rows_accepted").alias("n")).first()["n"]
    return int(accepted or 0)


def _completed(ctx: JobContext) -> set[tuple[str, dt.date]]:
    """(step, ds) whose latest record is a success: a small table, one row per step and day."""
    if not ctx.tables.exists("pipeline_runs"):
        return set()
    from pyspark.sql import Window as W

    runs = ctx.tables.read("pipeline_runs").filter(F.col("status") != "skipped")
    latest = F.row_number().over(W.partitionBy("step", "ds").orderBy(F.col("started_at").desc()))
    rows = runs.withColumn("_n", latest).filter((F.col("_n") == 1) & (F.col("status") == "success"))
    return {(r.step, r.ds) for r in rows.select("step", "ds").collect()}


def _record(ctx, run_id, step, day, status, duration, rows, error, started_at=None) -> None:
    row = (run_id, step, status, started_at or dt.datetime.now(dt.timezone.utc), float(duration), int(rows), error, day)
    ctx.tables.append("pipeline_runs", ctx.spark.createDataFrame([row], PIPELINE_RUNS))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    days = days_of(args)
    only = {s.strip() for s in args.steps.split(",")} if args.steps else None
    known = {"ingest", *(s.name for s in DAILY_STEPS)}
    if only and not only <= known:
        raise UsageError(f"--steps: unknown {sorted(only - known)}; known: {sorted(known)}")
    cfg = config_of(args)
    landing = args.landing or cfg.ingest.landing
    ctx = open_context(cfg)
    summary = run(ctx, days, landing=landing, shared=passthrough(args), force=args.force, only=only)
    print(f"run {summary['run_id']}: {len(days)} days, {summary['done']} steps done, "
          f"{summary['skipped']} skipped (already complete); see table pipeline_runs")
    return 0
