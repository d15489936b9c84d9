"""The Delta table layer on the delta-rs engine: writes, reads, time travel, schema checks, interop."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

from creator_governance.tables import PartitionViolation, SchemaMismatch, TableNotFound

SCHEMA = T.StructType(
    [
        T.StructField("order_id", T.StringType()),
        T.StructField("amount", T.DoubleType()),
        T.StructField("updated_at", T.TimestampType()),
        T.StructField("ds", T.DateType()),
    ]
)
D1, D2, D3 = dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)


def ts(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, tzinfo=dt.timezone.utc)


def frame(spark, rows):
    return spark.createDataFrame(rows, SCHEMA)


def test_append_creates_a_ds_partitioned_table_and_adds_rows(spark, tables):
    tables.append("sales", frame(spark, [("a", 1.0, ts(1), D1), ("b", None, ts(2), D2)]))
    tables.append("sales", frame(spark, [("c", 3.0, ts(2), D2)]))

    expected = frame(spark, [("a", 1.0, ts(1), D1), ("b", None, ts(2), D2), ("c", 3.0, ts(2), D2)])
    assert_df_equality(tables.read("sales"), expected, ignore_row_order=True, ignore_nullable=True)
    assert tables.version("sales") == 1
    assert tables.partition_columns("sales") == ["ds"]
    assert tables.row_count("sales") == 3


def test_read_prunes_to_days_and_ranges(spark, tables):
    tables.append("sales", frame(spark, [("a", 1.0, ts(1), D1), ("b", 2.0, ts(2), D2), ("c", 3.0, ts(3), D3)]))

    assert sorted(r.order_id for r in tables.read("sales", ds=D2).collect()) == ["b"]
    assert sorted(r.order_id for r in tables.read("sales", ds=["2026-01-01", D3]).collect()) == ["a", "c"]
    assert sorted(r.order_id for r in tables.read("sales", ds_from=D2, ds_to=D3).collect()) == ["b", "c"]
    assert [tables.partition_rows("sales", d) for d in (D1, D2, D3, dt.date(2026, 1, 4))] == [1, 1, 1, 0]


def test_overwrite_partitions_replaces_only_the_listed_days(spark, tables):
    tables.append("sales", frame(spark, [("a", 1.0, ts(1), D1), ("b", 2.0, ts(2), D2), ("c", 3.0, ts(3), D3)]))

    # D3 is listed but has no new rows: it must end up empty. D1 is not listed: untouched.
    tables.overwrite_partitions("sales", frame(spark, [("b2", 20.0, ts(2), D2)]), [D2, D3])

    expected = frame(spark, [("a", 1.0, ts(1), D1), ("b2", 20.0, ts(2), D2)])
    assert_df_equality(tables.read("sales"), expected, ignore_row_order=True, ignore_nullable=True)


def test_overwrite_partitions_rejects_rows_outside_the_listed_days(spark, tables):
    tables.append("sales", frame(spark, [("a", 1.0, ts(1), D1)]))

    with pytest.raises(PartitionViolation, match=r"2026-01-02"):
        tables.overwrite_partitions("sales", frame(spark, [("x", 1.0, ts(2), D2)]), [D1])
    assert tables.version("sales") == 0
    assert [r.order_id for r in tables.read("sales").collect()] == ["a"]


def test_a_write_that_fails_in_spark_leaves_no_files_behind(spark, tables, lakehouse):
    """A failure while Spark computes the rows (here ANSI division by zero) commits nothing and removes the
    run's staging folder; only the live version's files stay in the table folder."""
    import os

    from pyspark.sql import functions as F

    tables.append("sales", frame(spark, [("a", 1.0, ts(1), D1)]))
    failing = frame(spark, [("b", 2.0, ts(2), D2), ("c", 0.0, ts(2), D2)]).withColumn(
        "amount", F.lit(1.0) / F.col("amount").cast("int"))

    with pytest.raises(Exception, match="DIVIDE_BY_ZERO"):
        tables.append("sales", failing)

    assert tables.version("sales") == 0
    staging = lakehouse / "sales" / "_staging"
    assert not staging.exists() or os.listdir(staging) == []
    parquet = [f for d, _, fs in os.walk(lakehouse / "sales") for f in fs if f.endswith(".parquet")]
    assert len(parquet) == 1


def test_upsert_inserts_new_keys_and_keeps_the_latest_version_of_known_ones(spark, tables):
    tables.append("sales", frame(spark, [("a", 1.0, ts(1, 5), D1), ("b", 2.0, ts(1, 5), D1), ("c", 3.0, ts(2), D2)]))
    file_of_c = _file_of(tables, "c")

    incoming = frame(
        spark,
        [
            ("a", 10.0, ts(1, 9), D1),  # newer: wins
            ("b", 99.0, ts(1, 1), D1),  # older than the stored row: loses
            ("d", 4.0, ts(3), D3),  # new key
        ],
    )
    result = tables.upsert("sales", incoming, keys=["order_id"], order_by="updated_at")

    expected = frame(
        spark, [("a", 10.0, ts(1, 9), D1), ("b", 2.0, ts(1, 5), D1), ("c", 3.0, ts(2), D2), ("d", 4.0, ts(3), D3)]
    )
    assert_df_equality(tables.read("sales"), expected, ignore_row_order=True, ignore_nullable=True)
    assert _file_of(tables, "c") == file_of_c  # the D2 file held no incoming key: not rewritten
    assert result.files_removed >= 1


def _file_of(tables, order_id):
    from pyspark.sql import functions as F

    return tables.read("sales").filter(F.col("order_id") == order_id).select(F.input_file_name()).first()[0]


def test_time_travel_reads_each_version(spark, tables):
    tables.append("sales", frame(spark, [("a", 1.0, ts(1), D1)]))
    tables.append("sales", frame(spark, [("b", 2.0, ts(2), D2)]))
    tables.overwrite("sales", frame(spark, [("z", 9.0, ts(3), D3)]))

    assert [r.order_id for r in tables.read("sales", version=0).collect()] == ["a"]
    assert sorted(r.order_id for r in tables.read("sales", version=1).collect()) == ["a", "b"]
    assert [r.order_id for r in tables.read("sales").collect()] == ["z"]
    history = tables.history("sales")
    assert [h["version"] for h in history] == [2, 1, 0]
    assert history[0]["operation"] == "overwrite"


def test_schema_mismatch_is_rejected_with_the_columns_named(spark, tables):
    tables.append("sales", frame(spark, [("a", 1.0, ts(1), D1)]))
    wrong = spark.createDataFrame(
        [("a", "1.0", D1, "x")], "order_id string, amount string, ds date, extra string"
    )

    with pytest.raises(SchemaMismatch) as err:
        tables.append("sales", wrong)
    message = str(err.value)
    assert "'sales'" in message and "updated_at" in message and "extra" in message
    assert "amount (table double, incoming string)" in message
    assert tables.version("sales") == 0


def test_a_newer_writer_adds_columns_and_older_rows_read_null(spark, tables):
    tables.append("sales", frame(spark, [("a", 1.0, ts(1), D1)]))
    wider = spark.createDataFrame([("b", 2.0, ts(2), D2, 0.5)],
                                  "order_id string, amount double, updated_at timestamp, ds date, weight double")

    tables.overwrite_partitions("sales", wider, [D2])

    assert tables.read("sales").columns == ["order_id", "amount", "updated_at", "ds", "weight"]
    assert {r.order_id: r.weight for r in tables.read("sales").collect()} == {"a": None, "b": 0.5}
    # The older writer (without the column) is now refused, naming it: a column is never dropped silently.
    with pytest.raises(SchemaMismatch, match="weight"):
        tables.append("sales", frame(spark, [("c", 3.0, ts(3), D3)]))


def test_columns_are_conformed_to_the_table_order(spark, tables):
    tables.append("sales", frame(spark, [("a", 1.0, ts(1), D1)]))
    reordered = frame(spark, [("b", 2.0, ts(2), D2)]).select("ds", "amount", "updated_at", "order_id")

    tables.append("sales", reordered)

    assert tables.read("sales").columns == ["order_id", "amount", "updated_at", "ds"]
    assert tables.row_count("sales") == 2


def test_reading_a_missing_table_names_it(tables):
    with pytest.raises(TableNotFound, match="'nope'"):
        tables.read("nope")


def test_unpartitioned_table_and_listing(spark, tables):
    tables.append("file_list", spark.createDataFrame([("f1", 3)], "file string, rows int"))
    tables.append("sales", frame(spark, [("a", 1.0, ts(1), D1)]))

    assert tables.partition_columns("file_list") == []
    assert tables.names() == ["file_list", "sales"]
    info = {i.name: i for i in tables.info()}
    assert info["file_list"].rows == 1 and info["sales"].engine == "delta-rs"


def test_table_is_read_identically_by_deltalake_and_polars(spark, tables, lakehouse):
    rows = [("a", 1.5, ts(1, 3), D1), ("b", None, ts(2, 23), D2), ("c", 3.0, None, D2)]
    tables.append("sales", frame(spark, rows))
    tables.upsert("sales", frame(spark, [("a", 2.5, ts(1, 4), D1)]), keys=["order_id"], order_by="updated_at")

    # deltalake's pyarrow scan aborts the interpreter at exit, so it runs in a child that leaves with os._exit.
    script = textwrap.dedent(
        f"""
        import json, os
        from deltalake import DeltaTable
        import polars as pl
        t = DeltaTable({str(lakehouse / "sales")!r}).to_pyarrow_table().sort_by("order_id")
        p = pl.read_delta({str(lakehouse / "sales")!r}).sort("order_id")
        out = {{
            "deltalake": [[r["order_id"], r["amount"], str(r["updated_at"]), str(r["ds"])] for r in t.to_pylist()],
            "polars": [[r["order_id"], r["amount"], str(r["updated_at"]), str(r["ds"])] for r in p.to_dicts()],
            "tz": str(t.schema.field("updated_at").type),
        }}
        print(json.dumps(out), flush=True)
        os._exit(0)
        """
    )
    out = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    spark_rows = [
        [r.order_id, r.amount, str(r.updated_at.replace(tzinfo=dt.timezone.utc)) if r.updated_at else "None", str(r.ds)]
        for r in tables.read("sales").orderBy("order_id").collect()
    ]
    assert out["tz"] == "timestamp[us, tz=UTC]"
    assert out["deltalake"] == spark_rows
    assert out["polars"] == spark_rows
    assert spark_rows[0][:2] == ["a", 2.5]


def _run_rows(at: dt.datetime) -> list[tuple]:
    """pipeline_runs rows in the catalog's column order: two days, a null error and a null summary."""
    return [("r1", "score", "success", at, 1.5, 10, None, D1, '{"a": 1}'),
            ("r1", "score", "failed", at, 2.25, 0, "boom", D2, None)]


@pytest.fixture()
def new_york(monkeypatch):
    """The driver's local time zone set to one that is not UTC (naive timestamps are local time to pyspark)."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_rows_appended_on_the_driver_equal_the_same_rows_appended_as_a_frame(spark, tables, new_york):
    from creator_governance.catalog import schema

    declared = schema("pipeline_runs")
    tables.append("pipeline_runs", spark.createDataFrame(_run_rows(ts(1, 3)), declared))
    # a naive timestamp is local time and an aware one is converted to UTC, as Spark's own conversion does
    rows = _run_rows(dt.datetime(2026, 1, 2, 4, 5, 6)) + _run_rows(dt.datetime(2026, 1, 3, 7, tzinfo=dt.timezone(
        dt.timedelta(hours=8))))
    result, jobs = _jobs_of(spark, lambda: tables.append_rows("pipeline_runs", rows, job="test"))

    assert jobs == []  # written by pyarrow and committed by delta-rs: no Spark job
    assert (result.version, result.rows_written, result.files_added) == (1, 4, 2)
    expected = spark.createDataFrame(_run_rows(ts(1, 3)) + rows, declared)
    assert_df_equality(tables.read("pipeline_runs"), expected, ignore_row_order=True, ignore_nullable=True,
                       ignore_metadata=True)
    assert [tables.partition_rows("pipeline_runs", d) for d in (D1, D2)] == [3, 3]
    assert tables.history("pipeline_runs", 1)[0]["govern.job"] == "test"


def test_rows_for_a_table_not_yet_written_create_it_as_a_frame_append(spark, tables):
    from creator_governance.catalog import schema

    rows = _run_rows(ts(1))
    tables.append_rows("pipeline_runs", rows)

    assert_df_equality(tables.read("pipeline_runs"), spark.createDataFrame(rows, schema("pipeline_runs")),
                       ignore_row_order=True, ignore_nullable=True, ignore_metadata=True)
    assert tables.partition_columns("pipeline_runs") == ["ds"]


def _jobs_of(spark, call):
    """(what `call` returned, the Spark jobs it started)."""
    sc = spark.sparkContext
    sc.setJobGroup("append-rows", "driver rows")
    try:
        out = call()
        return out, list(sc.statusTracker().getJobIdsForGroup("append-rows"))
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
        sc.setLocalProperty("spark.job.description", None)


def test_driver_rows_of_one_day_in_two_spellings_and_an_unpartitioned_table_all_land(spark, tables):
    from creator_governance.catalog import schema

    declared = schema("pipeline_runs")
    tables.append("pipeline_runs", spark.createDataFrame(_run_rows(ts(1)), declared))
    # the same day as a date and as a datetime (Spark takes both for a date): one partition, no row lost
    rows = [("r2", "score", "success", ts(2), 1.0, 1, None, D2, None),
            ("r2", "queue", "success", ts(2), 1.0, 1, None, dt.datetime(2026, 1, 2, 5), None)]
    _, jobs = _jobs_of(spark, lambda: tables.append_rows("pipeline_runs", rows))
    assert jobs == []
    assert tables.partition_rows("pipeline_runs", D2) == 3  # one from the first append

    log = schema("ingest_log")  # not partitioned
    values = {T.StringType: "x", T.LongType: 7, T.IntegerType: 7, T.DoubleType: 0.5, T.BooleanType: True,
              T.DateType: D1, T.TimestampType: ts(1)}
    row = tuple(values[type(f.dataType)] for f in log.fields)
    tables.append_rows("ingest_log", [row])
    _, jobs = _jobs_of(spark, lambda: tables.append_rows("ingest_log", [row, row]))
    assert jobs == []
    assert tables.read("ingest_log").count() == 3


def test_driver_rows_spark_would_refuse_are_refused(spark, tables):
    from creator_governance.catalog import schema

    tables.append("pipeline_runs", spark.createDataFrame(_run_rows(ts(1)), schema("pipeline_runs")))
    wrong = [("r3", "score", "success", ts(3), 1, 1, None, D3, None)]  # an int for the double duration_s

    with pytest.raises(TypeError, match="duration_s"):
        tables.append_rows("pipeline_runs", wrong)
    assert tables.version("pipeline_runs") == 0
