"""`govern run --landing L --from A --to B`: the whole daily pipeline, in dependency order, resumable.

Ingest runs once (it is exactly-once, so a no-op when nothing new landed); then the daily steps
features → train → score → strategies → queue → metrics → monitor → dashboard → maintain (compaction, and vacuum
when due), in one of two modes:

- `daily` (the schedule's mode): for each day in order, every step with `--ds day`; the model is retrained when
  none exists or the newest is `--retrain-days` old, so each day is scored by a model trained before it.
- `backfill` (default for a range): every step once over the whole range (`--from/--to`, one pass per step
  where the job supports it); the model is trained as of `--to` and scores the whole range (in-sample for
  earlier days: use `daily` where point-in-time scores matter). The dashboard is rendered for `--to`.

Every step of every day is recorded in `pipeline_runs`. A re-run skips a step that already succeeded for its
day(s), unless new data was ingested in this run, an earlier step was redone, or `--force` is given.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pyspark.sql import functions as F

from creator_governance.jobargs import UsageError, config_of, days_of, job_parser
from creator_governance.jobs.model_store import training_due
from creator_governance.jobs.registry import PIPELINE, Job, job
from creator_governance.jobs.runs import execute, new_run_id, record
from creator_governance.logs import log_context, log_format, progress, say, setup_logging
from creator_governance.runtime import JobContext, NotReady, open_context

# The daily steps, in order (jobs.registry.PIPELINE: declared there only).
DAILY_STEPS: tuple[Job, ...] = tuple(job(name) for name in PIPELINE)
# Every step `--steps` may name: ingest (first, when a landing zone is given), then the daily steps.
STEP_NAMES = frozenset({"ingest", *(s.name for s in DAILY_STEPS)})
DEFAULT_RETRAIN_DAYS = 7


def parser():
    parser = job_parser("govern run", "Run the whole daily pipeline for a day or a range.")
    parser.add_argument("--landing", help="landing zone to ingest first (default: ingest.landing from config)")
    parser.add_argument("--mode", choices=["daily", "backfill"],
                        help="daily: every step per day; backfill: every step once over the range "
                             "(default: daily for one day, backfill for a range)")
    parser.add_argument("--retrain-days", type=int, default=DEFAULT_RETRAIN_DAYS,
                        help=f"daily mode: retrain when the newest model is this many days old "
                             f"(default {DEFAULT_RETRAIN_DAYS})")
    parser.add_argument("--force", action="store_true", help="redo steps that already succeeded")
    parser.add_argument("--steps", help="comma-separated subset of steps (default: all)")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


@dataclass
class Plan:
    """What one invocation runs."""

    days: list[dt.date]
    mode: str
    landing: str | None = None
    force: bool = False
    only: set[str] | None = None
    retrain_days: int = DEFAULT_RETRAIN_DAYS

    def wants(self, step: str) -> bool:
        return self.only is None or step in self.only


def run(ctx: JobContext, plan: Plan) -> dict:
    """Ingest, then the daily steps in the plan's mode; return counts of steps done and skipped."""
    run_id = new_run_id()
    with log_context(run_id=run_id):
        return _run(ctx, plan, run_id)


def _run(ctx: JobContext, plan: Plan, run_id: str) -> dict:
    done = _completed(ctx)
    summary = {"run_id": run_id, "done": 0, "skipped": 0}
    redo = plan.force
    if plan.landing and plan.wants("ingest"):
        ingest = job("ingest")
        rows = _run_step(ctx, run_id, ingest, plan.days, ingest.defaults(landing=plan.landing), recorded=plan.days)
        redo = redo or rows > 0
        summary["done"] += 1
    batches = [plan.days] if plan.mode == "backfill" else [[d] for d in plan.days]
    for days in batches:
        batch_redo = redo
        for step in DAILY_STEPS:
            if not plan.wants(step.name):
                continue
            due = _due(ctx, step, days, plan)
            recorded = _recorded(step, days)
            if not due or (not batch_redo and all((step.name, d) in done for d in recorded)):
                record(ctx, run_id, step.name, recorded, "skipped", 0.0, 0, None)
                say(f"[dim]{_label(days)} {step.name}: skipped ({'done' if due else 'not due'})[/dim]")
                summary["skipped"] += 1
                continue
            try:
                _run_step(ctx, run_id, step, recorded, step.defaults(), recorded=recorded)
            except NotReady as exc:
                record(ctx, run_id, step.name, _recorded(step, days), "skipped", 0.0, 0, str(exc)[:500])
                say(f"[yellow]{_label(days)} {step.name}: skipped, not ready: {exc}[/yellow]",
                    f"{_label(days)} {step.name}: skipped, not ready: {exc}")
                summary["skipped"] += 1
                continue
            summary["done"] += 1
            batch_redo = True
    return summary


def _due(ctx: JobContext, step: Job, days: list[dt.date], plan: Plan) -> bool:
    """False when the step is not due: training in daily mode while the newest model is recent."""
    return not (step.name == "train" and plan.mode == "daily"
                and not training_due(ctx, days[-1], plan.retrain_days))


def _recorded(step: Job, days: list[dt.date]) -> list[dt.date]:
    """The days a step's run is recorded under: all of them, or the last for a one-shot step."""
    return days if step.ranged else days[-1:]


def _label(days: list[dt.date]) -> str:
    return days[0].isoformat() if len(days) == 1 else f"{days[0]}..{days[-1]}"


def _run_step(ctx: JobContext, run_id: str, step: Job, days: list[dt.date], args, *,
              recorded: list[dt.date]) -> int:
    """Run one step in-process on the shared context, recorded in pipeline_runs; the rows it wrote."""
    with log_context(step=step.name, ds=_label(recorded)):
        with progress(f"[bold]{_label(recorded)} {step.name}[/bold] …"):
            result, seconds = execute(ctx, run_id, step, days, args, recorded=recorded)
        rows = step.rows(result)
        say(f"{_label(recorded)} {step.name}: done in {seconds:.1f}s, {rows:,} rows")
    return rows


def _completed(ctx: JobContext) -> set[tuple[str, dt.date]]:
    """(step, ds) whose latest record is a success: a small table, one row per step and day."""
    if not ctx.tables.exists("pipeline_runs"):
        return set()
    from pyspark.sql import Window as W

    runs = ctx.tables.read("pipeline_runs").filter(F.col("status") != "skipped")
    latest = F.row_number().over(W.partitionBy("step", "ds").orderBy(F.col("started_at").desc()))
    rows = runs.withColumn("_n", latest).filter((F.col("_n") == 1) & (F.col("status") == "success"))
    return {(r.step, r.ds) for r in rows.select("step", "ds").collect()}


def plan_of(args) -> Plan:
    """The plan for these arguments (validated before any Spark work)."""
    days = days_of(args)
    only = {s.strip() for s in args.steps.split(",")} if args.steps else None
    if only and not only <= STEP_NAMES:
        raise UsageError(f"--steps: unknown {sorted(only - STEP_NAMES)}; known: {sorted(STEP_NAMES)}")
    mode = args.mode or ("daily" if len(days) == 1 else "backfill")
    return Plan(days=days, mode=mode, force=args.force, only=only, retrain_days=args.retrain_days)


def step_logging(verbose: bool, fmt: str | None) -> bool:
    """Logging for a run of several steps; True in JSON mode. Text: the steps' own records from WARNING only (the
    progress lines say what runs; `--verbose` shows everything); JSON: every record from INFO."""
    as_json = log_format(fmt) == "json"
    setup_logging(verbose, fmt, level=logging.INFO if as_json else logging.WARNING)
    return as_json


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    as_json = step_logging(args.verbose, args.log_format)
    plan = plan_of(args)
    cfg = config_of(args)
    plan.landing = args.landing or cfg.ingest.landing
    summary = run(open_context(cfg), plan)
    line = (f"run {summary['run_id']} ({plan.mode}): {len(plan.days)} days, {summary['done']} steps done, "
            f"{summary['skipped']} skipped; see table pipeline_runs")
    if as_json:
        with log_context(run_id=summary["run_id"]):
            say(line)
    else:
        print(line)
    return 0
