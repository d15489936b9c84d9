"""Compaction on the delta-rs engine: fewer files, the same rows and schema, one OPTIMIZE commit, no-op below
`min_files`, other partitions untouched, time travel intact."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

from creator_governance.tables import StorageError, TableError
from creator_governance.tables.compaction import partitions_to_compact

SCHEMA = T.StructType(
    [
        T.StructField("order_id", T.StringType()),
        T.StructField("amount", T.DoubleType()),
        T.StructField("tags", T.ArrayType(T.StringType())),
        T.StructField("updated_at", T.TimestampType()),
        T.StructField("ds", T.DateType()),
    ]
)
D1, D2 = dt.date(2026, 1, 1), dt.date(2026, 1, 2)


def orders(spark, day: dt.date, n: int, *, files: int, batch: str = "a"):
    """`n` rows of `day` plus one with nulls, spread over `files` Parquet files when written."""
    at = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)
    rows = [(f"{batch}{day}-{i}", float(i), ["x", None] if i else None, at + dt.timedelta(minutes=i), day)
            for i in range(n)]
    rows.append((f"{batch}{day}-null", None, [], None, day))
    return spark.createDataFrame(rows, SCHEMA).repartition(files)


def live_files(tables, name: str) -> dict[str, set[str]]:
    """ds -> live file paths, from the Delta log."""
    import pyarrow as pa

    actions = pa.table(tables.engine._table(tables.path(name)).get_add_actions(flatten=True)).to_pylist()
    out: dict[str, set[str]] = {}
    for a in actions:
        out.setdefault(str(a["partition.ds"]), set()).add(a["path"])
    return out


def last_commit(tables, name: str) -> list[dict]:
    log = os.path.join(tables.path(name), "_delta_log")
    newest = sorted(f for f in os.listdir(log) if f.endswith(".json"))[-1]
    with open(os.path.join(log, newest)) as f:
        return [json.loads(line) for line in f]


def test_compaction_rewrites_many_small_files_into_one_with_the_same_rows(spark, tables):
    import pyarrow.parquet as pq

    tables.append("sales", orders(spark, D1, 12, files=4).unionByName(orders(spark, D2, 2, files=1)))
    tables.append("sales", orders(spark, D1, 4, files=2, batch="b"))
    before, old_version, old_schema = tables.read("sales"), tables.version("sales"), tables.schema("sales")
    expected = spark.createDataFrame(before.collect(), SCHEMA)
    files = live_files(tables, "sales")
    assert len(files["2026-01-01"]) >= 5

    result = tables.compact("sales", [D1], min_files=3)

    after = live_files(tables, "sales")
    assert (result.committed, result.partitions, result.files_removed, result.files_added) == (
        True, ("2026-01-01",), len(files["2026-01-01"]), 1)
    assert result.version == old_version + 1 == tables.version("sales")
    assert len(after["2026-01-01"]) == 1 and after["2026-01-02"] == files["2026-01-02"]
    assert_df_equality(tables.read("sales"), expected, ignore_row_order=True, ignore_nullable=True)
    assert tables.schema("sales") == old_schema
    assert_df_equality(tables.read("sales", version=old_version), expected, ignore_row_order=True,
                       ignore_nullable=True)  # time travel reads the removed small files
    commit = last_commit(tables, "sales")
    assert tables.history("sales", 1)[0]["operation"] == "OPTIMIZE"
    assert {a.get("add", a.get("remove", {})).get("dataChange") for a in commit if "commitInfo" not in a} == {False}
    new_file = os.path.join(tables.path("sales"), next(iter(after["2026-01-01"])))
    assert str(pq.read_schema(new_file).field("updated_at").type) == "timestamp[us, tz=UTC]"


def test_a_partition_below_min_files_is_left_alone_and_nothing_is_committed(spark, tables):
    tables.append("sales", orders(spark, D1, 6, files=3).unionByName(orders(spark, D2, 2, files=1)))
    version, files = tables.version("sales"), live_files(tables, "sales")

    fewer = tables.compact("sales", [D1], min_files=len(files["2026-01-01"]) + 1)
    first = tables.compact("sales", min_files=2)  # every partition: only D1 has two or more files
    again = tables.compact("sales", min_files=2)

    assert not fewer.committed and fewer.version == version
    assert first.committed and first.partitions == ("2026-01-01",) and first.version == version + 1
    assert not again.committed and (again.files_removed, again.files_added) == (0, 0)
    assert tables.version("sales") == version + 1
    assert live_files(tables, "sales")["2026-01-02"] == files["2026-01-02"]


def test_an_upsert_after_compaction_rewrites_the_compacted_file(spark, tables):
    tables.append("sales", orders(spark, D1, 4, files=2))
    tables.compact("sales", min_files=2)
    change = spark.createDataFrame([("a2026-01-01-1", 99.0, None, None, D1)], SCHEMA)

    result = tables.upsert("sales", change, keys=["order_id"])

    assert (result.files_removed, tables.row_count("sales")) == (1, 5)
    assert tables.read("sales").filter("order_id = 'a2026-01-01-1'").first().amount == 99.0


def test_an_unpartitioned_table_is_compacted_whole_and_refuses_ds_values(spark, tables):
    df = spark.createDataFrame([(i, f"r{i}") for i in range(8)], "id long, note string")
    tables.append("log", df.repartition(4), partition_by=[])

    with pytest.raises(TableError, match="'log' is not partitioned by ds"):
        tables.compact("log", [D1])
    result = tables.compact("log", min_files=2)

    assert result.committed and result.partitions == ("",) and result.files_added == 1
    assert_df_equality(tables.read("log"), df, ignore_row_order=True, ignore_nullable=True)


def test_a_storage_fault_during_compaction_reads_like_any_write_failure(spark, tables, monkeypatch):
    tables.append("sales", orders(spark, D1, 4, files=2))

    def full_disk(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", os.path.join(path, "ds=2026-01-01", "part-x"))

    monkeypatch.setattr(tables.engine, "compact", full_disk)
    with pytest.raises(StorageError, match=r"cannot write table 'sales' at .*part-x: no space left on device "
                                           r"\(ENOSPC\); .*the table is unchanged at version 0"):
        tables.compact("sales", [D1], min_files=2)


def test_partitions_to_compact_counts_only_small_files_of_the_wanted_partitions():
    files = [("a", 10), ("a", 20), ("a", 500), ("b", 10), ("b", 10), ("c", 10), ("c", 10)]

    assert partitions_to_compact(files, wanted=None, target_bytes=100, min_files=2) == ["a", "b", "c"]
    assert partitions_to_compact(files, wanted=["a", "b"], target_bytes=100, min_files=2) == ["a", "b"]
    assert partitions_to_compact(files, wanted=None, target_bytes=15, min_files=2) == ["b", "c"]
    assert partitions_to_compact(files, wanted=None, target_bytes=100, min_files=3) == []


def test_the_delta_spark_engine_optimizes_only_the_partitions_due(spark, tables, monkeypatch):
    """delta-spark cannot load here (no Maven): its compaction runs against a fake DeltaTable, planning from the
    file metadata of a real Parquet scan."""
    from creator_governance.tables.deltaspark import DeltaSparkEngine

    tables.append("sales", orders(spark, D1, 6, files=3).unionByName(orders(spark, D2, 2, files=1)))
    seen = {}

    class Builder:
        def where(self, predicate):
            seen["where"] = predicate
            return self

        def executeCompaction(self):
            seen["conf"] = spark.conf.get("spark.databricks.delta.optimize.maxFileSize")
            versions.append(versions[-1] + 1)
            stats = {"totalSize": 100}
            return type("Metrics", (), {"first": lambda _: {"metrics": {
                "numFilesRemoved": 3, "numFilesAdded": 1, "filesRemoved": stats, "filesAdded": stats}}})()

    versions = [4]
    engine = DeltaSparkEngine(spark)
    monkeypatch.setattr(engine, "read", lambda path, version, predicate: tables.read("sales", ds=predicate[0][2]))
    monkeypatch.setattr(engine, "partition_columns", lambda path: ["ds"])
    monkeypatch.setattr(engine, "version", lambda path: versions[-1])
    monkeypatch.setattr(engine, "_table", lambda path: type("Table", (), {"optimize": lambda _: Builder()})())

    result = engine.compact(tables.path("sales"), ["2026-01-01", "2026-01-02"], target_bytes=1 << 20, min_files=2)

    assert seen == {"where": "ds IN ('2026-01-01')", "conf": str(1 << 20)}
    assert spark.conf.get("spark.databricks.delta.optimize.maxFileSize", None) is None  # restored
    assert (result.committed, result.version, result.partitions, result.files_removed) == (True, 5, ("2026-01-01",), 3)
