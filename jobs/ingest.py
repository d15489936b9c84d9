"""`govern ingest --landing LANDING`: ingest every new file of a landing zone (CONTRACT.md section 1).

Order of writes, for crash safety: per entity the quarantine upsert (keyed by file checksum and line) and the
bronze upsert (keyed by the entity key), then the data_quality table (rows of runs the log does not know are
dropped), and the ingest_log append last. A file counts as ingested only once its log row is committed; a run
killed before that leaves writes that the next run repeats idempotently. See docs/ingestion.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.contract import LANDING_ENTITIES
from creator_governance.ingest import discover as D
from creator_governance.ingest.dedupe import SOURCE, build_bronze_rows, with_classes
from creator_governance.ingest.quality import INGEST_ORDER, METRICS_SCHEMA, REFERENCES, quality_metrics
from creator_governance.ingest.read import file_lookup, read_raw
from creator_governance.ingest.records import (
    COUNTS, DATA_QUALITY, INGEST_LOG, LOG_SCHEMA, QUARANTINE, QUARANTINE_KEYS, QUARANTINE_SCHEMA, build_quarantine,
    file_counts,
)
from creator_governance.ingest.validate import is_valid, with_validated
from creator_governance.jobargs import UsageError, job_parser
from creator_governance.runtime import JobContext

log = logging.getLogger("creator_governance.ingest")


def parser():
    parser = job_parser("govern ingest", "Ingest every new file of a landing zone into bronze Delta tables.",
                        dates=False)
    parser.add_argument("--landing", help="landing zone folder (default: ingest.landing in the config)")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def run(ctx: JobContext, landing: str) -> dict:
    """Ingest the new files of `landing`; returns a summary (files, rows per outcome, seconds, rows/s)."""
    started = time.time()
    spark, tables = ctx.spark, ctx.tables
    # Landing files are read as explicit file lists; listing a few hundred local files in a Spark job (the
    # default above 32 paths) costs more than listing them on the driver. (The table layer does the same for
    # its own reads.)
    spark.conf.set("spark.sql.sources.parallelPartitionDiscovery.threshold",
                   str(ctx.cfg.ingest.driver_listing_max_paths))
    run_id = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"
    at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    previous = tables.read(INGEST_LOG).collect() if tables.exists(INGEST_LOG) else []
    known = {(r["source_file"], r["size_bytes"], r["mtime_ns"]): r["sha256"] for r in previous}
    logged = {}
    for r in sorted(previous, key=lambda r: (r["ingested_at"], r["source_file"])):
        logged.setdefault(r["sha256"], r["source_file"])
    files = D.fingerprint(D.discover(landing), known)
    plan = D.plan(files, logged, {(r["source_file"], r["sha256"]) for r in previous})
    batch = Batch(run_id, at, [f.sha256 for f in plan.new], {f.relative: i for i, f in enumerate(plan.new)})
    entries, metrics, quarantines, cached = [], [], [], []
    references = ReferenceKeys(ctx, cached)
    by_entity = defaultdict(list)
    for f in plan.new:
        by_entity[f.entity].append(f)
    try:
        for name in INGEST_ORDER:
            if by_entity[name]:
                latest = max((r["max_ds"] for r in previous if r["entity"] == name and r["max_ds"]), default=None)
                out = _ingest_entity(ctx, name, by_entity[name], batch, latest_before=latest, references=references)
                entries += out.entries
                metrics += out.metrics
                quarantines += out.quarantine
                cached += out.cached
        if quarantines:
            tables.upsert(QUARANTINE, reduce(DataFrame.unionByName, quarantines), keys=QUARANTINE_KEYS, run_id=run_id)
    finally:
        for df in cached:
            df.unpersist()
    for f, original in plan.redelivered:
        entries.append(_entry(f, status="redelivered", duplicate_of=original))
    if entries:
        if metrics:
            _write_quality(ctx, metrics, run_id=run_id, at=at, committed={r["run_id"] for r in previous})
        rows = [{**e, "run_id": run_id, "landing": landing, "ingested_at": at} for e in entries]
        # the commit point of the run
        tables.append_rows(INGEST_LOG, [tuple(r[f.name] for f in LOG_SCHEMA) for r in rows], run_id=run_id)
    seconds = time.time() - started
    totals = {k: sum(e[k] for e in entries) for k in COUNTS}
    return {
        "run_id": run_id, "landing": landing, "files_found": len(files), "files_new": len(plan.new),
        "files_redelivered": len(plan.redelivered),
        "files_unreadable": sum(e["status"] == "unreadable" for e in entries),
        **totals, "seconds": round(seconds, 2),
        "rows_per_second": round(totals["rows_read"] / seconds, 1) if seconds else None,
    }


@dataclass(frozen=True)
class Batch:
    """What every entity of one run shares: run id and time, the checksums and delivery rank of new files."""

    run_id: str
    at: dt.datetime
    shas: list[str]
    delivery: dict[str, int]


@dataclass
class EntityResult:
    entries: list[dict]
    metrics: list[dict]
    quarantine: list[DataFrame]
    cached: list[DataFrame]


class ReferenceKeys:
    """Keys of the referenced bronze tables (accounts, content), read once per run and cached until a later
    entity of the run writes that table."""

    def __init__(self, ctx: JobContext, cached: list[DataFrame]):
        self.ctx, self.cached, self.frames = ctx, cached, {}

    def of(self, name: str) -> DataFrame:
        if name not in self.frames:
            self.frames[name] = _keys(self.ctx, name).persist(StorageLevel.MEMORY_AND_DISK)
            self.cached.append(self.frames[name])
        return self.frames[name]

    def changed(self, name: str) -> None:
        stale = self.frames.pop(name, None)
        if stale is not None:
            stale.unpersist()


def _ingest_entity(ctx: JobContext, name: str, files: list, batch: Batch, *, latest_before,
                   references: ReferenceKeys) -> EntityResult:
    """Read, validate and classify one entity's new files, upsert its bronze winners; the quarantine rows are
    returned for one upsert per run."""
    spark, tables, settings = ctx.spark, ctx.tables, ctx.cfg.ingest
    entity = LANDING_ENTITIES[name]
    raw = read_raw(spark, entity, files, whole_file_max_bytes=settings.whole_file_max_mb << 20)
    out = EntityResult([_entry(f, status="unreadable", error=err) for f, err in raw.unreadable], [], [], [])
    if raw.unreadable:
        out.quarantine.append(spark.createDataFrame(
            [(name, f.relative, 0, None, [f"file unreadable: {err}"], batch.run_id, f.sha256, batch.at)
             for f, err in raw.unreadable], QUARANTINE_SCHEMA))
    if raw.frame is None:
        return out
    broken = {f.relative for f, _ in raw.unreadable}
    readable = [f for f in files if f.relative not in broken]
    # Per-file attributes as literal map lookups: no join, no broadcast job.
    validated = (raw.frame.transform(with_validated, entity, true_values=settings.true_values,
                                     false_values=settings.false_values)
                 .withColumn("_delivery", file_lookup({f.relative: batch.delivery[f.relative] for f in readable},
                                                      F.col("_file")).cast("int"))
                 .withColumn(SOURCE, file_lookup({f.relative: f.sha256 for f in readable}, F.col("_file"))))
    existing = None
    first_load = not tables.exists(name)
    if not first_load:
        # Only the days this batch touches can hold an identical row (ds derives from the row's own values).
        validated = validated.persist(StorageLevel.MEMORY_AND_DISK)
        out.cached.append(validated)
        days = [r["ds"] for r in validated.filter(is_valid()).select("ds").distinct().collect()]
        if days:
            existing = tables.read(name, ds=days).filter(~F.col(SOURCE).isin(batch.shas))
    classified = with_classes(validated, entity, existing=existing).persist(StorageLevel.MEMORY_AND_DISK)
    out.cached.append(classified)
    counts = file_counts(classified)
    if None in counts:
        raise RuntimeError(f"ingest {name}: {counts[None]['rows_read']} rows came from no discovered file")
    for f in readable:
        c = counts.get(f.relative, {**dict.fromkeys(COUNTS, 0), "min_ds": None, "max_ds": None})
        if c["rows_read"] != c["rows_accepted"] + c["rows_quarantined"] + c["rows_duplicate"]:
            raise RuntimeError(f"ingest: {f.relative} does not reconcile: {c}")
        out.entries.append(_entry(f, status="ingested", **c))
    if any(c["rows_quarantined"] for c in counts.values()):
        out.quarantine.append(build_quarantine(classified, name, run_id=batch.run_id, at=batch.at))
    winners = build_bronze_rows(classified, entity)
    if any(c["rows_accepted"] for c in counts.values()):
        # A new table is a plain append: one file per day instead of one per day and shuffle partition.
        rows = winners.repartition("ds") if first_load and entity.partitioned_by_ds else winners
        tables.upsert(name, rows, order_by=entity.version_column, run_id=batch.run_id)
        references.changed(name)
    refs = {t: references.of(t) for t in {t for _, t, _ in REFERENCES[name]}}
    out.metrics = quality_metrics(winners, entity, references=refs, latest_ds_before=latest_before,
                                  late_after_days=settings.late_after_days)
    log.info("ingest %s: %d files", name, len(files))
    return out


def _keys(ctx: JobContext, name: str):
    key = LANDING_ENTITIES[name].key
    if ctx.tables.exists(name):
        return ctx.tables.read(name).select(key)
    return ctx.spark.createDataFrame([], f"{key} string")


def _entry(f, *, status, duplicate_of=None, error=None, **counts) -> dict:
    """One ingest_log row (without run id and time); absent counts are 0."""
    return {"entity": f.entity, "source_file": f.relative, "format": f.format, "sha256": f.sha256,
            "size_bytes": f.size, "mtime_ns": f.mtime_ns, "status": status, "duplicate_of": duplicate_of,
            **dict.fromkeys(COUNTS, 0), "min_ds": None, "max_ds": None, **counts, "error": error}


def _write_quality(ctx: JobContext, metrics: list[dict], *, run_id, at, committed: set[str]) -> None:
    """Replace data_quality by the rows of committed runs plus this run's (a killed run's rows drop out)."""
    rows = [tuple({**m, "run_id": run_id, "computed_at": at}[f.name] for f in METRICS_SCHEMA) for m in metrics]
    new = ctx.spark.createDataFrame(rows, METRICS_SCHEMA)
    if ctx.tables.exists(DATA_QUALITY):
        kept = ctx.tables.read(DATA_QUALITY).filter(F.col("run_id").isin(sorted(committed) or [""]))
        new = kept.unionByName(new)
    ctx.tables.overwrite(DATA_QUALITY, new, run_id=run_id)


def run_job(ctx: JobContext, days: list, args) -> dict:
    """Ingest --landing (or ingest.landing); `days` are not used (ingest takes every new file)."""
    landing = args.landing or ctx.cfg.ingest.landing
    if not landing:
        raise UsageError("which landing zone? give --landing LANDING or set ingest.landing")
    return run(ctx, landing)


def report(days: list, summary: dict) -> str:
    return (f"ingest {summary['run_id']}: {summary['files_new']} new files of {summary['files_found']} "
            f"({summary['files_redelivered']} re-delivered, {summary['files_unreadable']} unreadable); rows read "
            f"{summary['rows_read']} = accepted {summary['rows_accepted']} + quarantined "
            f"{summary['rows_quarantined']} + duplicates {summary['rows_duplicate']}; {summary['seconds']} s, "
            f"{summary['rows_per_second']} rows/s")


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import job

    return job("ingest").main(argv)
