"""`govern strategies`: evaluate the strategy library, log governance events, draw the review sample;
`govern strategies backtest`: replay the library over history against the decisions known as of a cut-off;
`govern strategies check`: check every condition without running anything;
`govern strategies lists add|remove|show`: change the allow and deny lists (every change is recorded).

Daily (`--ds D` or `--from A --to B`): creator_credit (when enabled), then strategy_hits, then
strategy_registry + governance_events, then review_sample. A range is done in one pass (one read of the
inputs, one write per table) and gives each day what a run of that day alone gives: lists as of the day's end,
events against the snapshot of the day before. Tables: see docs/strategies.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import uuid

from pyspark.sql import DataFrame, functions as F, types as T

from creator_governance.jobargs import UsageError, config_of, days_of, job_parser
from creator_governance.jobs import credit as credit_job
from creator_governance.logs import setup_logging
from creator_governance.models.strategies.backtest import (
    PERFORMANCE_COLUMNS, backtest_metrics, known_decisions, sweep_metrics, target_labels, threshold_for_precision,
    threshold_sweep,
)
from creator_governance.models.strategies.checker import DEFAULT_FUNCTIONS, check_condition
from creator_governance.models.strategies.evaluate import HITS_SCHEMA, build_strategy_hits
from creator_governance.models.strategies.lists import CHANGE_SCHEMA, build_list_changes, current_members
from creator_governance.models.strategies.registry import governance_events, registry_snapshot
from creator_governance.models.strategies.report import backtest_report
from creator_governance.models.strategies.sampling import ipw_precision_recall
from creator_governance.models.strategies.sampling import build_review_sample, with_flag_stratum
from creator_governance.models.strategies.spec import ENFORCING_ACTIONS, CheckedStrategy, ConditionError, target_key
from creator_governance.runtime import JobContext, open_context
from creator_governance.strategy_library import StrategyDefinition, load_library

log = logging.getLogger("jobs.strategies")

# Columns each optional upstream table brings, with their types: a strategy using them is skipped (with a
# warning naming the table) while the table is missing, instead of failing the whole run.
OPTIONAL_COLUMNS: dict[str, dict[str, str]] = {
    "creator_scores": {"score": "double", "model_version": "string", "risk_tier": "string",
                       "reason_codes": "array<string>", "anomaly_score": "double", "syndicate_id": "string"},
    "creator_credit": {"credit_score": "int", "credit_tier": "string"},
}
EVENT_SCHEMA = T.StructType([T.StructField(n, t) for n, t in [
    ("ds", T.DateType()), ("event_id", T.StringType()), ("kind", T.StringType()), ("strategy_id", T.StringType()),
    ("version", T.IntegerType()), ("status", T.StringType()), ("previous_version", T.IntegerType()),
    ("previous_status", T.StringType()), ("description", T.StringType()), ("target_type", T.StringType()),
    ("action", T.StringType()), ("scope", T.StringType())]])
PERF_SCHEMA = T.StructType([T.StructField(n, t) for n, t in [
    ("strategy_id", T.StringType()), ("version", T.IntegerType()), ("metric", T.StringType()),
    ("value", T.DoubleType()), ("threshold", T.DoubleType()), ("hit_ds", T.DateType()),
    ("other_strategy_id", T.StringType())]])
REGISTRY_SCHEMA = T.StructType([T.StructField(n, t) for n, t in [
    ("ds", T.DateType()), ("strategy_id", T.StringType()), ("version", T.IntegerType()), ("status", T.StringType()),
    ("target", T.StringType()), ("action", T.StringType()), ("severity", T.IntegerType()),
    ("condition", T.StringType()), ("owner", T.StringType()), ("description", T.StringType()),
    ("source", T.StringType()), ("definition_hash", T.StringType()), ("in_library", T.BooleanType())]])


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


def list_epochs(ctx: JobContext, days: list[dt.date]) -> list[list[dt.date]]:
    """`days` in order, cut into runs over which list membership (as of each day's end) does not change:
    a run ends before a day on or before which a list changed since the previous day."""
    changed: list[dt.date] = []
    if len(days) > 1 and ctx.tables.exists("governance_lists"):
        in_range = ((F.col("changed_at") > F.lit(_end_of(days[0])))
                    & (F.col("changed_at") <= F.lit(_end_of(days[-1]))))
        changed = [r[0] for r in ctx.tables.read("governance_lists").filter(in_range)
                   .select(F.to_date("changed_at")).distinct().collect()]
    epochs = [[days[0]]]
    for before, day in zip(days, days[1:]):
        if any(before < c <= day for c in changed):
            epochs.append([])
        epochs[-1].append(day)
    return epochs


def evaluate_days(ctx: JobContext, days: list[dt.date], checked: list[CheckedStrategy],
                  frames: dict[str, DataFrame]) -> tuple[DataFrame, list[DataFrame]]:
    """Hits over `days`, each day with the lists as of its end; and the cached member frames to release."""
    epochs = list_epochs(ctx, days)
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
    events += enforcement_jumps(ctx, days, specs, counts)
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


def enforcement_jumps(ctx: JobContext, days: list[dt.date], specs: list[StrategyDefinition], counts: dict) -> list[dict]:
    """An enforcing active strategy whose hits on a day exceed factor x its trailing daily mean (active hits of
    the days before: this run's `counts` for `days`, strategy_hits for the others)."""
    s = ctx.cfg.strategies.enforcement_jump
    enforcing = {x.id: x for x in specs if x.status == "active" and x.action in ENFORCING_ACTIONS}
    if not enforcing:
        return []
    active = {(d, sid): n for (d, sid, status), n in counts.items() if status == "active"}
    if ctx.tables.exists("strategy_hits"):
        past = (ctx.tables.read("strategy_hits", ds_from=days[0] - dt.timedelta(days=s.trailing_days),
                                ds_to=days[-1] - dt.timedelta(days=1))
                .filter((F.col("status") == "active") & ~F.col("ds").isin(days)))
        active |= {(r["ds"], r["strategy_id"]): r["n"]
                   for r in past.groupBy("ds", "strategy_id").agg(F.count(F.lit(1)).alias("n")).collect()}
    out = []
    for day in days:
        today: dict[str, int] = {}
        for (d, sid, _), n in counts.items():
            if d == day and sid in enforcing:
                today[sid] = today.get(sid, 0) + n
        window = {day - dt.timedelta(days=i) for i in range(1, s.trailing_days + 1)}
        for sid, n in sorted(today.items()):
            mean = sum(m for (d, x), m in active.items() if x == sid and d in window) / s.trailing_days
            if n >= s.min_hits and mean > 0 and n >= s.factor * mean:
                x = enforcing[sid]
                out.append({"ds": day, "event_id": f"jump-{sid}-{day}", "kind": "enforcement_jump",
                            "strategy_id": sid, "version": x.version, "status": x.status, "description":
                            f"{n} hits vs a trailing mean of {mean:.1f}/day", "target_type": x.target,
                            "action": x.action,
                            "scope": f"{x.target} strategy, action {x.action}, when {x.condition}"})
    return out


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


# ---- backtest -------------------------------------------------------------------------------------------------
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
    run_id = uuid.uuid4().hex[:12]
    out = perf.select(F.lit(run_id).alias("run_id"), F.lit(as_of).cast("timestamp").alias("as_of"),
                      F.lit(first).alias("ds_from"), F.lit(last).alias("ds_to"),
                      F.lit(version).cast("long").alias("decisions_version"), *PERFORMANCE_COLUMNS)
    ctx.tables.append("strategy_performance", out, partition_by=[], job="strategies backtest")
    rows = [r.asDict() for r in ctx.tables.read("strategy_performance").filter(F.col("run_id") == run_id).collect()]
    header = {"ds_from": first, "ds_to": last, "run_id": run_id, "decisions known as of (UTC)": as_of,
              "decisions table version": version, "label window": f"{label_from} .. {label_to}",
              "strategies": ", ".join(c.spec.id for c in checked) or "none",
              "skipped (missing tables)": ", ".join(skipped) or "none"}
    report = backtest_report(rows, header=header, target_precision=cfg.target_precision)
    folder = os.path.join(ctx.tables.root, "_reports")
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


# ---- lists ----------------------------------------------------------------------------------------------------
def change_list(ctx: JobContext, op: str, name: str, values: list[str], *, by: str, reason: str,
                at: dt.datetime) -> int:
    """Append one change row per value to governance_lists (the documented Python API for list changes)."""
    lists = ctx.cfg.strategies.lists
    if name not in lists:
        raise UsageError(f"unknown list '{name}' (known: {', '.join(sorted(lists)) or 'none'})")
    rows = build_list_changes([{"change_id": uuid.uuid4().hex, "list_name": name, "list_kind": lists[name].kind,
                                "list_type": lists[name].type, "value": v, "op": op, "changed_at": at,
                                "changed_by": by, "reason": reason} for v in values])
    ctx.tables.append("governance_lists", ctx.spark.createDataFrame(rows, CHANGE_SCHEMA), job="strategies lists")
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    ctx = open_context(config_of(args))
    if args.mode == "backtest":
        days = days_of(args)
        as_of = parse_as_of(args.as_of)
        result = backtest(ctx, days, args.strategy, as_of, args.decisions_version)
        print(result["report"])
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
        return lists_main(ctx, args)
    days = days_of(args)
    print(report(days, run(ctx, days)))
    return 0


def lists_main(ctx: JobContext, args) -> int:
    if args.op == "show":
        members = list_members(ctx, None)
        if args.name:
            members = members.filter(F.col("list_name") == args.name)
        members.orderBy("list_name", "value").show(200, truncate=False)
        return 0
    if not args.name or not args.values:
        raise UsageError(f"lists {args.op}: give a list name and at least one value")
    n = change_list(ctx, args.op, args.name, args.values, by=args.by, reason=args.reason,
                    at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    print(f"lists: {args.op} {n} value(s) on '{args.name}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
