"""`govern strategies`: evaluate the strategy library, log governance events, draw the review sample;
`govern strategies backtest`: replay the library over history against the decisions known as of a cut-off
(jobs/backtest.py); `govern strategies check`: check every condition without running anything;
`govern strategies lists add|remove|show`: change the allow and deny lists, every change recorded (jobs/lists.py).
The pure parts (conditions, hits, list epochs, library snapshots, enforcement jumps) are in models/strategies.

Daily (`--ds D` or `--from A --to B`): creator_credit (when enabled), then strategy_hits, then
strategy_registry + governance_events, then review_sample. A range is done in one pass (one read of the
inputs, one write per table) and gives each day what a run of that day alone gives: lists as of the day's end,
events against the snapshot of the day before. Tables: see docs/strategies.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys

from pyspark.sql import DataFrame, functions as F, types as T

from creator_governance.catalog import schema
from creator_governance.jobargs import UsageError, config_of, days_of, job_parser
from creator_governance.jobs import credit as credit_job
from creator_governance.jobs.library import load_library
from creator_governance.logs import setup_logging
from creator_governance.models.strategies.checker import DEFAULT_FUNCTIONS, check_condition
from creator_governance.models.strategies.evaluate import HITS_SCHEMA, build_strategy_hits
from creator_governance.models.strategies.events import enforcement_jumps, list_epochs
from creator_governance.models.strategies.lists import CHANGE_SCHEMA, current_members
from creator_governance.models.strategies.registry import governance_events, registry_snapshot
from creator_governance.models.strategies.sampling import build_review_sample, with_flag_stratum
from creator_governance.models.strategies.spec import ENFORCING_ACTIONS, CheckedStrategy, ConditionError
from creator_governance.runtime import JobContext, open_context
from creator_governance.settings.strategies import StrategyDefinition

log = logging.getLogger("jobs.strategies")

# Columns each optional upstream table brings, with their types: a strategy using them is skipped (with a
# warning naming the table) while the table is missing, instead of failing the whole run.
OPTIONAL_COLUMNS: dict[str, dict[str, str]] = {
    "creator_scores": {"score": "double", "model_version": "string", "risk_tier": "string",
                       "reason_codes": "array<string>", "anomaly_score": "double", "syndicate_id": "string"},
    "creator_credit": {"credit_score": "int", "credit_tier": "string"},
}
EVENT_SCHEMA = schema("governance_events")
REGISTRY_SCHEMA = schema("strategy_registry")


# ---- arguments ------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None):
    argv = list(argv or [])
    mode = argv[0] if argv and argv[0] in ("backtest", "check", "lists") else "run"
    rest = argv[1:] if mode != "run" else argv
    if mode == "lists":
        parser = job_parser("govern strategies lists", "Change or show the allow and deny lists.", dates=False)
        parser.add_argument("op", choices=["add", "remove", "show"])
        parser.add_argument("name", nargs="?", help="list name (conf strategies.lists)")
        parser.add_argument("values", nargs="*", help="values to add or remove")
        parser.add_argument("--by", default="cli", help="who makes the change")
        parser.add_argument("--reason", default="", help="why")
    elif mode == "backtest":
        parser = job_parser("govern strategies backtest", "Replay strategies over --from..--to against the "
                            "decisions known as of --as-of; write strategy_performance and a report.",
                            as_of_help="also the labels' cutoff: decisions known at that UTC time (a date means its "
                                       "end; default: now)")
        parser.add_argument("--strategy", action="append", help="strategy id (repeatable; default: all live)")
        parser.add_argument("--decisions-version", dest="decisions_version", type=int,
                            help="Delta version of the decisions table (default: latest)")
    elif mode == "check":
        parser = job_parser("govern strategies check", "Check every strategy condition.", dates=False)
    else:
        parser = run_parser()
    args = parser.parse_args(rest)
    args.mode = mode
    return args


def run_parser():
    """The daily mode's options (what `govern run` gives this step)."""
    return job_parser("govern strategies", "Evaluate active and shadow strategies for --ds or a range.")


def report(days: list[dt.date], s: dict) -> str:
    return (f"strategies: {len(days)} day(s) {days[0]}..{days[-1]}: {s['strategies']} live strategies, "
            f"{s['hits']} hits, {s['events']} governance events, {s['sampled']} sampled for review"
            + (f"; skipped: {', '.join(s['skipped'])}" if s["skipped"] else ""))


# ---- library --------------------------------------------------------------------------------------------------
def specs_of(cfg) -> list[StrategyDefinition]:
    return load_library(cfg.strategies.library)


def check_library(ctx: JobContext, specs: list[StrategyDefinition], schemas: dict[str, T.StructType],
                  missing: set[str]) -> tuple[list[CheckedStrategy], list[str]]:
    """Check every condition; raise one error listing every fault; skip those needing a missing table."""
    allowed = DEFAULT_FUNCTIONS | {f.lower() for f in ctx.cfg.strategies.allowed_functions}
    checked, faults, skipped = [], [], []
    for spec in specs:
        try:
            checked.append(check_condition(ctx.spark, spec, schemas[spec.target], allowed_functions=allowed,
                                           known_lists=ctx.cfg.strategies.lists.keys()))
        except ConditionError as exc:
            faults.append(str(exc))
    if faults:
        raise ConditionError(f"{len(faults)} strategy condition(s) rejected: " + " | ".join(faults))
    usable = []
    for c in checked:
        needs = [t for t in sorted(missing) if set(OPTIONAL_COLUMNS[t]) & set(c.columns)]
        if needs and c.spec.status != "retired":
            skipped.append(f"{c.spec.id} (needs {', '.join(needs)})")
            log.warning("strategy '%s' skipped: table %s does not exist yet", c.spec.id, ", ".join(needs))
        else:
            usable.append(c)
    return usable, skipped


# ---- evaluation frames ----------------------------------------------------------------------------------------
def _with_optional(ctx: JobContext, frame: DataFrame, table: str, days, on_left: str, missing: set[str]):
    columns = OPTIONAL_COLUMNS[table]
    if not ctx.tables.exists(table):
        missing.add(table)
        for name, kind in columns.items():
            frame = frame.withColumn(name, F.lit(None).cast(kind))
        return frame
    right = ctx.tables.read(table, ds=days)
    right = right.select(F.col("account_id").alias(on_left), "ds",
                         *[c for c in columns if c not in frame.columns and c in right.columns])
    for name, kind in columns.items():
        if name not in right.columns and name not in frame.columns:
            right = right.withColumn(name, F.lit(None).cast(kind))
    return frame.join(right, on=[on_left, "ds"], how="left")


def frames_for(ctx: JobContext, days: list[dt.date]) -> tuple[dict[str, DataFrame], set[str]]:
    """Evaluation frames per target type over `days`, and the optional tables that are missing."""
    missing: set[str] = set()
    for required in ("creator_features",):
        if not ctx.tables.exists(required):
            raise UsageError(f"table '{required}' does not exist: run `govern features` first")
    accounts = ctx.tables.read("creator_features", ds=days)
    for table in ("creator_scores", "creator_credit"):
        accounts = _with_optional(ctx, accounts, table, days, "account_id", missing)
    frames = {"account": accounts}
    if ctx.tables.exists("content_features"):
        content = ctx.tables.read("content_features", ds=days)
        frames["content"] = _with_optional(ctx, content, "creator_credit", days, "creator_id", missing)
    return frames, missing


def list_members(ctx: JobContext, as_of: dt.datetime | None) -> DataFrame:
    if ctx.tables.exists("governance_lists"):
        return current_members(ctx.tables.read("governance_lists"), as_of=as_of)
    return current_members(ctx.spark.createDataFrame([], CHANGE_SCHEMA))


def hits_of(ctx: JobContext, frames: dict[str, DataFrame], checked: list[CheckedStrategy],
            members: DataFrame) -> DataFrame:
    """Hits of the checked strategies over the evaluation frames, with list membership `members`."""
    parts = [build_strategy_hits(frames[t], [c for c in checked if c.spec.target == t], members)
             for t in frames if any(c.spec.target == t for c in checked)]
    hits = parts[0] if parts else ctx.spark.createDataFrame([], HITS_SCHEMA)
    for part in parts[1:]:
        hits = hits.unionByName(part)
    return hits


def evaluate(ctx: JobContext, days: list[dt.date], specs: list[StrategyDefinition], *, as_of=None):
    """Checked strategies and their hits over `days` (list membership as of `as_of`)."""
    frames, missing = frames_for(ctx, days)
    checked, skipped = check_library(ctx, specs, schemas_of(frames), missing)
    hits = hits_of(ctx, frames, checked, list_members(ctx, as_of).cache())
    return checked, skipped, hits, frames


def schemas_of(frames: dict[str, DataFrame]) -> dict[str, T.StructType]:
    schemas = {t: f.schema for t, f in frames.items()}
    schemas.setdefault("content", T.StructType([T.StructField("content_id", T.StringType())]))
    return schemas


# ---- daily run ------------------------------------------------------------------------------------------------
def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59, 999999))


def epochs_of_lists(ctx: JobContext, days: list[dt.date]) -> list[list[dt.date]]:
    """`days` cut where list membership changes (models/strategies/events.py), from governance_lists."""
    changed: list[dt.date] = []
    if len(days) > 1 and ctx.tables.exists("governance_lists"):
        in_range = ((F.col("changed_at") > F.lit(_end_of(days[0])))
                    & (F.col("changed_at") <= F.lit(_end_of(days[-1]))))
        changed = [r[0] for r in ctx.tables.read("governance_lists").filter(in_range)
                   .select(F.to_date("changed_at")).distinct().collect()]
    return list_epochs(days, changed)


def evaluate_days(ctx: JobContext, days: list[dt.date], checked: list[CheckedStrategy],
                  frames: dict[str, DataFrame]) -> tuple[DataFrame, list[DataFrame]]:
    """Hits over `days`, each day with the lists as of its end; and the cached member frames to release."""
    epochs = epochs_of_lists(ctx, days)
    parts, cached = [], []
    for epoch in epochs:
        members = list_members(ctx, _end_of(epoch[-1])).cache()
        cached.append(members)
        scope = frames if len(epochs) == 1 else {t: f.filter(F.col("ds").isin(epoch)) for t, f in frames.items()}
        parts.append(hits_of(ctx, scope, checked, members))
    hits = parts[0]
    for part in parts[1:]:
        hits = hits.unionByName(part)
    return hits, cached


def registry_rows(rows) -> list[dict]:
    """Registry rows as a read of strategy_registry gives them back (its columns, in order)."""
    return [{f.name: r.get(f.name) for f in REGISTRY_SCHEMA.fields} for r in rows]


def write_events(ctx: JobContext, days: list[dt.date], specs: list[StrategyDefinition], counts: dict) -> int:
    """Snapshot the library for each of `days` and write their governance events (idempotent per day).

    Each day is compared with the latest snapshot before it: one of `days` (this run's) or a stored one.
    `counts` maps (ds, strategy_id, status) to the day's hits (see `hit_counts`).
    """
    stored: dict[dt.date, list[dict] | None] = {}
    if ctx.tables.exists("strategy_registry"):
        table = ctx.tables.read("strategy_registry").filter(
            (F.col("ds") < F.lit(days[-1])) & ~F.col("ds").isin(days))
        stored = dict.fromkeys(r[0] for r in table.select("ds").distinct().collect())
    snapshots: dict[dt.date, list[dict]] = {}
    events: list[dict] = []
    for day in days:
        last = max((d for d in [*stored, *snapshots] if d < day), default=None)
        if last in snapshots:
            previous = snapshots[last]
        elif last is not None:
            if stored[last] is None:
                stored[last] = [r.asDict() for r in table.filter(F.col("ds") == F.lit(last)).collect()]
            previous = stored[last]
        else:
            previous = []
        snapshots[day] = registry_rows(registry_snapshot(specs, previous, day))
        events += governance_events(previous, snapshots[day], day)
    events += jumps_of_enforcement(ctx, days, specs, counts)
    ctx.tables.overwrite_partitions("strategy_registry", ctx.spark.createDataFrame(
        [tuple(r[f.name] for f in REGISTRY_SCHEMA.fields) for d in days for r in snapshots[d]], REGISTRY_SCHEMA),
        days)
    ctx.tables.overwrite_partitions("governance_events", ctx.spark.createDataFrame(
        [tuple(e.get(f.name) for f in EVENT_SCHEMA.fields) for e in events], EVENT_SCHEMA), days)
    return len(events)


def hit_counts(hits: DataFrame) -> dict[tuple, int]:
    """(ds, strategy_id, status) -> hits: a row per strategy and day, collected."""
    return {(r["ds"], r["strategy_id"], r["status"]): r["n"]
            for r in hits.groupBy("ds", "strategy_id", "status").agg(F.count(F.lit(1)).alias("n")).collect()}


def jumps_of_enforcement(ctx: JobContext, days: list[dt.date], specs: list[StrategyDefinition],
                      counts: dict) -> list[dict]:
    """Enforcement jumps of `days` (models/strategies/events.py): the trailing active hits are this run's `counts`
    for `days` and strategy_hits for the days before."""
    s = ctx.cfg.strategies.enforcement_jump
    if not any(x.status == "active" and x.action in ENFORCING_ACTIONS for x in specs):
        return []
    active = {(d, sid): n for (d, sid, status), n in counts.items() if status == "active"}
    if ctx.tables.exists("strategy_hits"):
        past = (ctx.tables.read("strategy_hits", ds_from=days[0] - dt.timedelta(days=s.trailing_days),
                                ds_to=days[-1] - dt.timedelta(days=1))
                .filter((F.col("status") == "active") & ~F.col("ds").isin(days)))
        active |= {(r["ds"], r["strategy_id"]): r["n"]
                   for r in past.groupBy("ds", "strategy_id").agg(F.count(F.lit(1)).alias("n")).collect()}
    return enforcement_jumps(days, specs, counts, active, s)


def run(ctx: JobContext, days: list[dt.date]) -> dict:
    """Credit, hits, events and review sample of `days` in one pass (one read of the inputs, one write per
    table); each day gives what a run of that day alone gives. Returns a summary."""
    days = sorted(set(days))
    specs = specs_of(ctx.cfg)
    if ctx.cfg.strategies.credit.enabled:
        credit_job.run(ctx, days)
    frames, missing = frames_for(ctx, days)
    checked, skipped = check_library(ctx, specs, schemas_of(frames), missing)
    hits, cached = evaluate_days(ctx, days, checked, frames)
    ctx.tables.overwrite_partitions("strategy_hits", hits, days, job="strategies")
    for frame in cached:
        frame.unpersist()
    # Read back once: counts, events and the sample use the stored hits, not a second evaluation.
    written = ctx.tables.read("strategy_hits", ds=days).cache()
    counts = hit_counts(written)
    summary = {"hits": sum(counts.values()), "events": write_events(ctx, days, specs, counts), "sampled": 0,
               "skipped": skipped}
    if ctx.cfg.strategies.sampling.enabled:
        sm = ctx.cfg.strategies.sampling
        population = with_flag_stratum(frames["account"].select("account_id", "ds", "score"),
                                       written.filter(F.col("target_type") == "account"))
        sample = build_review_sample(population, band_edges=sm.score_band_edges, per_stratum=sm.per_stratum,
                                     seed=sm.seed)
        summary["sampled"] = ctx.tables.overwrite_partitions("review_sample", sample, days,
                                                             job="strategies").rows_written
    written.unpersist()
    log.info("strategies %s..%s: %d strategies evaluated", days[0], days[-1], len(checked))
    summary["strategies"] = len([s for s in specs if s.status != "retired"])
    return summary


def _as_step(ctx: JobContext, step, days: list[dt.date], args, *, recorded: list[dt.date]) -> dict:
    """Run `step` (a registry Job) as `govern <step>` runs every step: its Spark work named, recorded in
    pipeline_runs under `recorded`; a failure raises its own reason."""
    from creator_governance.jobs.runs import StepFailed, execute, new_run_id

    try:
        summary, _ = execute(ctx, new_run_id(), step, days, args, recorded=recorded)
    except StepFailed as exc:
        raise exc.__cause__ from None
    return summary


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import Job, job

    args = parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    ctx = open_context(config_of(args))
    if args.mode == "backtest":
        from creator_governance.jobs.backtest import backtest, parse_as_of

        days = days_of(args)
        as_of = parse_as_of(args.as_of)
        reports: list[str] = []

        def replay(ctx: JobContext, days: list[dt.date], args) -> dict:
            result = backtest(ctx, days, args.strategy, as_of, args.decisions_version)
            reports.append(result.pop("report"))
            return result

        step = Job("backtest", "replay the strategies over history", writes=True, parser=run_parser, run=replay,
                   rows=lambda summary: int(summary["rows"]))
        # a replay of many days, not a day's step: recorded once, under the UTC date it ran (as ingest alone)
        result = _as_step(ctx, step, days, args, recorded=[dt.datetime.now(dt.timezone.utc).date()])
        print(reports[0])
        print(f"backtest: {result['strategies']} strategies, {result['rows']} rows in strategy_performance "
              f"(run {result['run_id']}); report: {result['path']}")
        return 0
    if args.mode == "check":
        frames, missing = frames_for(ctx, [dt.date(1970, 1, 1)])
        checked, skipped = check_library(ctx, specs_of(ctx.cfg), schemas_of(frames), missing)
        print(f"strategies: {len(checked)} condition(s) pass" + (f"; skipped until tables exist: "
                                                                 f"{', '.join(skipped)}" if skipped else ""))
        return 0
    if args.mode == "lists":
        from creator_governance.jobs.lists import lists_main

        return lists_main(ctx, args)
    days = days_of(args)
    print(report(days, _as_step(ctx, job("strategies"), days, args, recorded=days)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
