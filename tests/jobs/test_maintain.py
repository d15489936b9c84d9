"""`govern maintain`: the days' partitions compacted (and the bronze days their landing files touched), other
partitions and a re-run left alone, vacuum only when due; the last step of `govern run`, under the lock."""

from __future__ import annotations

import json

import datetime as dt
import os

from chispa import assert_df_equality

from creator_governance.config import load_config
from creator_governance.ingest.records import LOG_SCHEMA
from creator_governance.jobs import maintain
from creator_governance.jobs import run as pipeline
from creator_governance.runtime import JobContext
from creator_governance.tables import Tables
from creator_governance.tables.catalog import as_declared

SAT, SUN = dt.date(2026, 1, 3), dt.date(2026, 1, 4)
LATE, OLD = dt.date(2026, 1, 1), dt.date(2025, 12, 28)
SCHEMA = "event_id string, actor_id string, ds date"
OVERLAY = {"engine": "delta-rs", "compact_min_files": 3, "vacuum_on": "sunday", "vacuum_retention_hours": 0}


def context(spark, lakehouse) -> JobContext:
    cfg = load_config(overrides={"tables": {"lakehouse": str(lakehouse), **OVERLAY}})
    return JobContext(spark=spark, tables=Tables.from_config(spark, cfg.tables), cfg=cfg)


def rows(spark, days: list[dt.date], *, files: int, slices: int | None = None, table: str = "engagements"):
    """`files` rows of `table` per day, written as `files` files per day (each slice holds one row of every day)."""
    data = [(f"e-{d}-{i}", f"u{i}", d) for i in range(files) for d in days]
    return as_declared(table, spark.createDataFrame(spark.sparkContext.parallelize(data, slices or files), SCHEMA))


def landed(spark, entity: str, min_ds: dt.date, max_ds: dt.date):
    """One ingest_log row: a landing file of `entity` whose accepted rows span min_ds..max_ds."""
    values = {f.name: None for f in LOG_SCHEMA} | {
        "run_id": "r1", "entity": entity, "source_file": f"{entity}/f1.jsonl", "status": "ingested",
        "rows_read": 8, "rows_accepted": 8, "min_ds": min_ds, "max_ds": max_ds}
    return spark.createDataFrame([tuple(values[f.name] for f in LOG_SCHEMA)], LOG_SCHEMA)


def file_count(tables, name: str, ds: dt.date | None = None) -> int:
    return len(tables.read(name, ds=ds).inputFiles()) if ds else len(tables.read(name).inputFiles())


def on_disk(tables, name: str) -> int:
    return sum(f.endswith(".parquet") for d, _, fs in os.walk(tables.path(name)) for f in fs)


def test_maintain_compacts_the_touched_partitions_and_vacuums_only_when_due(spark, lakehouse):
    ctx = context(spark, lakehouse)
    tables = ctx.tables
    tables.append("engagements", rows(spark, [SAT, LATE, OLD], files=4))
    tables.append("governance_metrics", rows(spark, [SAT, SUN], files=3, table="governance_metrics"))
    tables.append("ingest_log", landed(spark, "engagements", LATE, SAT), partition_by=[])
    expected = rows(spark, [SAT, LATE, OLD], files=4, slices=1)
    version = tables.version("engagements")

    saturday = maintain.run(ctx, [SAT])

    compacted = {r.table: r.partitions for r in saturday["compacted"]}
    # Saturday's landing file carried late rows for 2026-01-01 and -02: those are compacted too, not 12-28.
    assert compacted == {"engagements": ("2026-01-01", "2026-01-03"), "governance_metrics": ("2026-01-03",)}
    assert [file_count(tables, "engagements", d) for d in (SAT, LATE, OLD)] == [1, 1, 4]
    assert file_count(tables, "governance_metrics", SUN) == 3
    assert not saturday["vacuumed"] and on_disk(tables, "engagements") == 12 + 2  # removed files stay...
    assert tables.read("engagements", version=version).count() == 12  # ...for time travel

    again = maintain.run(ctx, [SAT])
    assert again["compacted"] == [] and tables.version("engagements") == version + 1

    sunday = maintain.run(ctx, [SUN])
    assert [(r.table, r.partitions) for r in sunday["compacted"]] == [("governance_metrics", ("2026-01-04",))]
    assert sunday["vacuumed"] and sunday["files_deleted"] == 8 + 3 + 3  # every file a compaction removed
    assert on_disk(tables, "engagements") == 1 + 1 + 4 and on_disk(tables, "governance_metrics") == 2
    assert_df_equality(tables.read("engagements"), expected, ignore_row_order=True, ignore_nullable=True,
                       ignore_metadata=True)


def test_vacuum_is_due_on_its_weekday_daily_or_never():
    assert maintain.vacuum_due("sunday", [SAT, SUN]) and not maintain.vacuum_due("sunday", [SAT])
    assert maintain.vacuum_due("daily", [SAT]) and not maintain.vacuum_due("never", [SUN])


def test_maintain_is_the_last_step_of_govern_run_recorded_in_pipeline_runs(spark, lakehouse, monkeypatch):
    from creator_governance import lock

    ctx = context(spark, lakehouse)
    ctx.tables.append("governance_metrics", rows(spark, [SAT], files=3, table="governance_metrics"))
    held = []
    monkeypatch.setattr(lock, "hold", lambda root, timeout: held.append((root, lock.in_writer_scope())))
    plan = pipeline.Plan(days=[SAT], mode="daily", only={"maintain"})

    with lock.writer_scope("run"):
        summary = pipeline.run(ctx, plan)

    assert pipeline.DAILY_STEPS[-1].name == "maintain" and summary["done"] == 1
    assert held == []  # the step runs on govern run's context (which holds the lock), opening none of its own
    runs = ctx.tables.read("pipeline_runs").collect()
    assert [(r.step, r.status, r.ds) for r in runs] == [("maintain", "success", SAT)]
    assert json.loads(runs[0].summary)["tables"] >= 1  # the summary the step returned, recorded
    assert file_count(ctx.tables, "governance_metrics", SAT) == 1


def test_govern_run_builds_one_context_and_calls_no_jobs_main(spark, lakehouse, tmp_path, monkeypatch):
    """`govern run` over two days: the context (session, config, tables, lock) is opened once, and each step runs
    in-process through the registry (`job.run`), never through a job's command-line `main`."""
    from creator_governance.jobs import registry

    metrics = rows(spark, [SAT, SUN], files=3, table="governance_metrics")
    context(spark, lakehouse).tables.append("governance_metrics", metrics)
    conf = tmp_path / "overlay.yaml"
    conf.write_text("tables:\n" + "".join(f"  {k}: {v}\n" for k, v in OVERLAY.items()))
    opened = []
    real_open = pipeline.open_context
    monkeypatch.setattr(pipeline, "open_context", lambda cfg: opened.append(cfg) or real_open(cfg))

    def no_main(argv=None):
        raise AssertionError("a job's main was called")

    for module in (registry._ingest(), registry._features(), registry._train(), registry._score(),
                   registry._strategies(), registry._queue(), registry._metrics(), registry._monitor(),
                   registry._dashboard(), registry._maintain()):
        monkeypatch.setattr(module, "main", no_main)

    assert pipeline.main(["--from", SAT.isoformat(), "--to", SUN.isoformat(), "--mode", "daily", "--steps",
                          "maintain", "--lakehouse", str(lakehouse), "--conf", str(conf)]) == 0

    assert len(opened) == 1
    runs = context(spark, lakehouse).tables.read("pipeline_runs").orderBy("ds").collect()
    assert [(r.step, r.status, r.ds) for r in runs] == [("maintain", "success", SAT), ("maintain", "success", SUN)]
    assert all(json.loads(r.summary)["tables"] >= 1 for r in runs)


def test_a_step_started_on_its_own_is_recorded_too(spark, lakehouse, tmp_path):
    """`govern maintain` (as a notebook or a wheel task starts it) records its run like `govern run` does."""
    from creator_governance.jobs.registry import job

    metrics = rows(spark, [SAT], files=3, table="governance_metrics")
    context(spark, lakehouse).tables.append("governance_metrics", metrics)
    conf = tmp_path / "overlay.yaml"
    conf.write_text("tables:\n" + "".join(f"  {k}: {v}\n" for k, v in OVERLAY.items()))
    assert job("maintain").main(["--ds", SAT.isoformat(), "--lakehouse", str(lakehouse), "--conf", str(conf)]) == 0
    (run,) = context(spark, lakehouse).tables.read("pipeline_runs").collect()
    assert (run.step, run.status, run.ds) == ("maintain", "success", SAT) and run.duration_s > 0
    assert json.loads(run.summary)["files_added"] == 1
