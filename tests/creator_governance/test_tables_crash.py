"""Crash safety and concurrency of the delta-rs engine: SIGKILLed writers and racing appenders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from pyspark.sql import functions as F

from creator_governance.tables import Tables

# The child writes argv[3] rows over 30 days and stops at the fault point named in argv[2] (by printing it and
# sleeping), so the parent can SIGKILL it at a known moment of the write.
WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pyspark.sql import SparkSession, functions as F
    from creator_governance.runtime import REQUIRED_SQL_CONF
    from creator_governance.tables import Tables, deltars

    root, stop_at, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])

    def hook(phase):
        print(phase, flush=True)
        if phase == stop_at:
            time.sleep(600)

    deltars.FAULT_HOOK = hook
    b = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
    for k, v in REQUIRED_SQL_CONF.items():
        b = b.config(k, v)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    big = (spark.range(rows)
           .withColumn("payload", F.sha2(F.col("id").cast("string"), 256))
           .withColumn("ds", F.date_add(F.lit("2026-01-01").cast("date"), (F.col("id") % 30).cast("int")))
           .repartition(8))
    print("writing", flush=True)
    Tables(spark, root, engine="delta-rs").append("events", big)
    print("committed", flush=True)
    """
)


def _kill_at(root: str, phase: str, delay: float, rows: int) -> list[str]:
    """Start the writer of `rows` rows, wait for `phase` (plus `delay`), SIGKILL it; return the phases it
    printed."""
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    child = subprocess.Popen([sys.executable, "-c", WRITER, root, phase, str(rows)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
    seen = []
    try:
        for line in child.stdout:
            seen.append(line.strip())
            if line.strip() == phase:
                time.sleep(delay)
                break
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    return seen


# Killed while Spark writes: a write long enough (~2M rows, tens of seconds) to be still running 1.5 s in. Killed
# while moving or after: the write must finish first, so a small one (still one file per day and task) keeps it
# quick.
@pytest.mark.parametrize(
    "phase, delay, rows, moment",
    [
        ("writing", 1.5, 2_000_000, "Spark is writing the staged Parquet files"),
        ("moving", 0.0, 30_000, "the first staged file was moved into the table"),
        ("moved", 0.0, 30_000, "every file is in place, just before the commit"),
    ],
)
def test_a_killed_writer_leaves_the_previous_version_intact(spark, tables, lakehouse, phase, delay, rows, moment):
    before = spark.createDataFrame([(1, "x", "2026-01-01")], "id long, payload string, ds string").withColumn(
        "ds", F.col("ds").cast("date")
    )
    tables.append("events", before)

    seen = _kill_at(str(lakehouse), phase, delay, rows)

    assert phase in seen and "committed" not in seen, f"kill did not land while {moment}: {seen}"
    assert "staged" not in seen or phase != "writing", "the write finished staging before the kill"
    assert tables.version("events") == 0
    assert [tuple(r) for r in tables.read("events").collect()] == [(1, "x", before.first().ds)]
    # The next write commits on top of the surviving version and the orphans stay invisible.
    tables.append("events", before.withColumn("id", F.lit(2).cast("long")))
    assert tables.version("events") == 1
    assert sorted(r.id for r in tables.read("events").collect()) == [1, 2]
    # Vacuum deletes what the killed writer left behind without touching live files.
    tables.vacuum("events", retention_hours=0)
    leftover = [f for d, _, fs in os.walk(lakehouse / "events") if "_delta_log" not in d for f in fs
                if f.endswith(".parquet")]
    assert len(leftover) == len(Tables(spark, str(lakehouse), engine="delta-rs").engine._table(
        str(lakehouse / "events")).file_uris())
    assert sorted(r.id for r in tables.read("events").collect()) == [1, 2]


def test_concurrent_appenders_lose_no_rows(spark, tables):
    seed = spark.createDataFrame([(0, "w", "2026-01-01")], "id long, writer string, ds string").withColumn(
        "ds", F.col("ds").cast("date"))
    tables.append("events", seed)
    errors = []

    def appender(name: str, start: int):
        try:
            for batch in range(4):
                rows = [(start + batch * 10 + i, name, "2026-01-02") for i in range(10)]
                df = spark.createDataFrame(rows, "id long, writer string, ds string").withColumn(
                    "ds", F.col("ds").cast("date"))
                tables.append("events", df)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=appender, args=(n, s)) for n, s in (("a", 1000), ("b", 2000))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert tables.row_count("events") == 1 + 2 * 4 * 10
    assert tables.read("events").select("id").distinct().count() == 81
    assert tables.version("events") == 8


def test_concurrent_creators_of_a_new_table_both_land(spark, tables):
    errors = []

    def create(start: int):
        try:
            df = spark.createDataFrame([(start + i, "2026-01-01") for i in range(5)], "id long, ds string")
            tables.append("fresh", df.withColumn("ds", F.col("ds").cast("date")))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(s,)) for s in (0, 100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert tables.row_count("fresh") == 10
