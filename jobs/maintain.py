"""`govern maintain --ds D` (or `--from A --to B`): compact the small files the days left, vacuum when due.

Daily writes leave small files behind: a partition overwrite writes one file per output partition (about 60
for a day of governance_metrics), every append and upsert adds a few more. For each table partitioned by
`ds`, this rewrites the partitions the days touched into fewer, larger files (a Delta OPTIMIZE commit: the
same rows, readers see the old or the new version): the days themselves, plus, in a bronze table, every day
its landing files of those days carried late rows for (from ingest_log). A table without partitions is
considered whole. Only partitions holding at least `tables.compact_min_files` files below
`tables.compact_target_file_mb` are rewritten, so a re-run commits nothing. Then, when one of the days falls
on `tables.vacuum_on` (or `--vacuum always`), every table is vacuumed: files no live version needs that
were removed more than `tables.vacuum_retention_hours` ago are deleted (time travel cannot go back past them).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from pyspark.sql import functions as F

from creator_governance.contract import LANDING_ENTITIES
from creator_governance.ingest.records import INGEST_LOG
from creator_governance.jobargs import job_parser
from creator_governance.runtime import JobContext
from creator_governance.settings.tables import VacuumOn

log = logging.getLogger("jobs.maintain")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parser():
    parser = job_parser("govern maintain", "Compact the small files of the days' partitions; vacuum when due.")
    parser.add_argument("--vacuum", choices=["due", "always", "never"], default="due",
                        help="due: when one of the days is tables.vacuum_on (default); always; never")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def vacuum_due(vacuum_on: VacuumOn, days: list[dt.date]) -> bool:
    """Whether the schedule `vacuum_on` (never, daily or a weekday) falls on one of `days`."""
    if vacuum_on in ("never", "daily"):
        return vacuum_on == "daily"
    return any(WEEKDAYS[d.weekday()] == vacuum_on for d in days)


def touched_days(ctx: JobContext, days: list[dt.date]) -> dict[str, set[dt.date]]:
    """Per bronze table, the days its files landed for `days` carried rows for: every day from a file's
    earliest to its latest accepted row, for the files whose latest row is on one of `days` (one row per
    landed file reaches the driver)."""
    if not ctx.tables.exists(INGEST_LOG):
        return {}
    files = (ctx.tables.read(INGEST_LOG)
             .filter(F.col("entity").isin(sorted(LANDING_ENTITIES)) & (F.col("rows_accepted") > 0)
                     & F.col("max_ds").isin(days) & F.col("min_ds").isNotNull())
             .select("entity", "min_ds", "max_ds"))
    out: dict[str, set[dt.date]] = {}
    for row in files.collect():
        span = (row["max_ds"] - row["min_ds"]).days
        out.setdefault(row["entity"], set()).update(row["min_ds"] + dt.timedelta(days=i) for i in range(span + 1))
    return out


def run(ctx: JobContext, days: list[dt.date], *, vacuum: str = "due") -> dict:
    """Compact every table's partitions of `days` (and the bronze days they touched), then vacuum every table
    when due; returns what was compacted and deleted, and the seconds each part took."""
    tables, settings = ctx.tables, ctx.cfg.tables
    start = time.monotonic()
    names = tables.names()
    late = touched_days(ctx, days)
    compacted = []
    for name in names:
        values = sorted(set(days) | late.get(name, set())) if "ds" in tables.partition_columns(name) else None
        result = tables.compact(name, values, job="maintain")
        if result.committed:
            log.info("maintain: %s: %d files -> %d in %d partition(s), version %d", name, result.files_removed,
                     result.files_added, len(result.partitions), result.version)
            compacted.append(result)
    compact_s = time.monotonic() - start
    due = vacuum == "always" or (vacuum == "due" and vacuum_due(settings.vacuum_on, days))
    deleted = {name: len(tables.vacuum(name)) for name in names} if due else {}
    return {
        "tables": len(names), "compacted": compacted, "vacuumed": due,
        "files_removed": sum(r.files_removed for r in compacted), "files_added": sum(r.files_added for r in compacted),
        "files_deleted": sum(deleted.values()), "compact_seconds": round(compact_s, 2),
        "seconds": round(time.monotonic() - start, 2),
    }


def run_job(ctx: JobContext, days: list[dt.date], args) -> dict:
    return run(ctx, days, vacuum=args.vacuum)


def report(days: list[dt.date], summary: dict) -> str:
    lines = [f"maintain: {len(days)} day(s) {days[0]}..{days[-1]}: {len(summary['compacted'])} of "
             f"{summary['tables']} tables compacted, {summary['files_removed']} files -> {summary['files_added']} "
             f"in {summary['compact_seconds']} s; "
             + (f"vacuum deleted {summary['files_deleted']} files" if summary["vacuumed"] else "vacuum not due")
             + f"; {summary['seconds']} s"]
    lines += [f"  {r.table}: {r.files_removed} files -> {r.files_added} ({len(r.partitions)} partition(s)), "
              f"version {r.version}" for r in summary["compacted"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import job

    return job("maintain").main(argv)
