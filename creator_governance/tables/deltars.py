"""The delta-rs engine: Spark writes Parquet in parallel, the driver commits the files with `deltalake`.

A write stages Parquet under `<table>/_staging/<run>/`, moves each file under its partition folder with a
run-unique name (invisible until committed), then commits Add/Remove actions in one Delta transaction.
A writer killed at any point leaves only uncommitted files, which readers never see and `vacuum` deletes.
Reads resolve the live file list of a version with delta-rs and scan it with Spark's Parquet reader.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.tables import schema as S
from creator_governance.tables.catalog import description, table_properties
from creator_governance.tables.compaction import UNPARTITIONED, CompactResult, partitions_to_compact
from creator_governance.tables.errors import ConcurrentWrite, PartitionViolation, TableNotFound, storage_fault

STAGING = "_staging"

# Fault-injection point for the crash tests: called with "staged", "moving" and "moved" during a write.
FAULT_HOOK = None


def _checkpoint(phase: str) -> None:
    if FAULT_HOOK is not None:
        FAULT_HOOK(phase)


@dataclass(frozen=True)
class StagedFile:
    """A data file moved into the table folder, not yet committed."""

    path: str  # relative to the table root, raw (delta-rs encodes it)
    size: int
    rows: int
    partition_values: dict[str, str]


@dataclass(frozen=True)
class WriteResult:
    """What one committed write did."""

    table: str
    version: int
    files_added: int
    files_removed: int
    rows_written: int


class DeltaRsEngine:
    """Delta tables on a local or mounted filesystem through delta-rs commits."""

    name = "delta-rs"

    def __init__(self, spark: SparkSession, commit_retries: int = 5):
        self.spark = spark
        self.commit_retries = commit_retries

    # ---- metadata -------------------------------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        from deltalake import DeltaTable

        return os.path.isdir(os.path.join(path, "_delta_log")) and DeltaTable.is_deltatable(path)

    def _table(self, path: str, version: int | None = None):
        from deltalake import DeltaTable

        if not self.exists(path):
            raise TableNotFound(f"no Delta table at {path}")
        return DeltaTable(path, version=version) if version is not None else DeltaTable(path)

    def schema(self, path: str, version: int | None = None) -> T.StructType:
        import pyarrow as pa

        return S.from_arrow(pa.schema(self._table(path, version).schema().to_arrow()))

    def partition_columns(self, path: str) -> list[str]:
        return list(self._table(path).metadata().partition_columns)

    def add_columns(self, path: str, fields: list[T.StructField]) -> None:
        """Add nullable columns (a metadata-only commit: rows written before read null)."""
        from deltalake import Schema

        arrow = S.to_arrow(T.StructType(fields))
        self._table(path).alter.add_columns(list(Schema.from_arrow(arrow).fields))

    def set_comments(self, path: str, comments: dict[str, str]) -> None:
        """Column comments into the Delta schema's field metadata (metadata-only commits)."""
        table = self._table(path)
        for column, text in comments.items():
            table.alter.set_column_metadata(column, {"comment": text})

    def describe(self, path: str, description: str | None, properties: dict[str, str]) -> bool:
        """Set the table's description and properties where they differ (metadata-only commits); True when it
        committed."""
        table = self._table(path)
        metadata = table.metadata()
        missing = {k: v for k, v in properties.items() if metadata.configuration.get(k) != v}
        if missing:
            table.alter.set_table_properties(missing)
        if description is not None and metadata.description != description:
            table.alter.set_table_description(description)
        return bool(missing) or (description is not None and metadata.description != description)

    def version(self, path: str) -> int:
        return self._table(path).version()

    def history(self, path: str, limit: int | None = None) -> list[dict]:
        """Commits, newest first; `operation` is the layer's own name for the write when it made it."""
        commits = self._table(path).history(limit)
        for commit in commits:
            commit["operation"] = commit.get("govern.operation", commit.get("operation"))
        return commits

    def row_count(self, path: str, version: int | None = None) -> int:
        """Rows of the live files, from the log's statistics (no data scan)."""
        import pyarrow as pa

        actions = pa.table(self._table(path, version).get_add_actions(flatten=True))
        return int(sum(v or 0 for v in actions.column("num_records").to_pylist())) if actions.num_rows else 0

    def partition_rows(self, path: str, ds: str) -> int:
        """Rows of one `ds` partition, from the log's statistics (no data scan)."""
        import pyarrow as pa

        actions = pa.table(self._table(path).get_add_actions(flatten=True))
        if not actions.num_rows or "partition.ds" not in actions.column_names:
            return 0
        days = [S.partition_literal(v) if v is not None else None for v in actions.column("partition.ds").to_pylist()]
        counts = actions.column("num_records").to_pylist()
        return int(sum(c or 0 for d, c in zip(days, counts) if d == ds))

    # ---- read -----------------------------------------------------------------------------------------------
    def read(self, path: str, version: int | None = None, predicate: list[tuple] | None = None) -> DataFrame:
        """The table (at `version`) as a DataFrame; `predicate` prunes partitions, e.g. [("ds", "in", [...])]."""
        table = self._table(path, version)
        schema = self.schema(path, version)
        files = table.file_uris(file_pruning_predicate=predicate) if predicate else table.file_uris()
        if not files:
            return self.spark.createDataFrame([], schema)
        files = [_local_path(f) for f in files]
        with _listed_on_driver(self.spark):
            df = self.spark.read.schema(schema).option("basePath", os.path.abspath(path)).parquet(*files)
        return S.conform(df, schema)

    # ---- write ----------------------------------------------------------------------------------------------
    def write(
        self,
        path: str,
        df: DataFrame,
        *,
        mode: str,
        partition_by: list[str],
        replace: list[str] | None = None,
        metadata: dict | None = None,
    ) -> WriteResult:
        """Append (`mode="append"`), replace the whole table (`"overwrite"`) or the `ds` values in `replace`."""
        return self._write_files(path, df.schema, lambda staging: _spark_files(df, staging, partition_by),
                                 mode=mode, partition_by=partition_by, replace=replace, metadata=metadata)

    def append_rows(self, path: str, rows: list[tuple], schema: T.StructType, *, partition_by: list[str],
                    metadata: dict | None = None) -> WriteResult:
        """Append rows built on the driver (tuples in `schema`'s column order): pyarrow writes their files, then the
        same commit as `write`. No Spark job: a job and its file commit cost about 0.3 s however few the rows."""
        return self._write_files(path, schema, lambda staging: _arrow_files(rows, schema, staging, partition_by),
                                 mode="append", partition_by=partition_by, metadata=metadata)

    def _write_files(self, path: str, schema: T.StructType, write: Callable[[str], None], *, mode: str,
                     partition_by: list[str], replace: list[str] | None = None,
                     metadata: dict | None = None) -> WriteResult:
        """`write` the data files into a staging folder, move them into the table and commit them; on any failure
        before the commit, the files moved so far are removed."""
        run = _run_id()
        staged: list[StagedFile] = []
        try:
            self._stage(path, write, run, staged)
            if replace is not None:
                _check_partitions(path, staged, replace)
            version = self._commit(path, schema, staged, [], mode, partition_by, replace, {**(metadata or {}), "run_id": run})
        except BaseException:
            if not self._committed(path, run):
                _discard(path, staged)
            raise
        finally:
            shutil.rmtree(os.path.join(path, STAGING, run), ignore_errors=True)
        return WriteResult(os.path.basename(path), version, len(staged), 0, sum(s.rows for s in staged))

    def upsert(
        self,
        path: str,
        df: DataFrame,
        *,
        keys: list[str],
        order_by: str | None,
        metadata: dict | None = None,
    ) -> WriteResult:
        """Copy-on-write merge: rewrite only the files holding incoming keys; per key the latest row wins."""
        base_version = self.version(path)
        schema = self.schema(path, base_version)
        partition_by = self.partition_columns(path)
        current = self.read(path, base_version).withColumn("_file", F.input_file_name())
        incoming_keys = df.select(*keys).distinct()
        # One row per touched file: bounded by the table's file count, not its rows.
        touched = [
            _relative(path, r["_file"])
            for r in current.join(incoming_keys, on=keys, how="left_semi").select("_file").distinct().collect()
        ]
        merged = _latest_per_key(df, keys, order_by, touched, self.spark, path, schema)
        run = _run_id()
        staged: list[StagedFile] = []
        try:
            self._stage(path, lambda staging: _spark_files(merged, staging, partition_by), run, staged)
            removes = _remove_actions(self._table(path, base_version), touched)
            version = self._commit(
                path, schema, staged, removes, "append", partition_by, None,
                {**(metadata or {}), "run_id": run, "operation": "upsert"}, base_version=base_version,
            )
        except BaseException:
            if not self._committed(path, run):
                _discard(path, staged)
            raise
        finally:
            shutil.rmtree(os.path.join(path, STAGING, run), ignore_errors=True)
        return WriteResult(os.path.basename(path), version, len(staged), len(removes), sum(s.rows for s in staged))

    def compact(
        self,
        path: str,
        ds_values: list[str] | None,
        *,
        target_bytes: int,
        min_files: int,
        metadata: dict | None = None,
    ) -> CompactResult:
        """Rewrite the small files of the partitions (of `ds_values`, or all) holding at least `min_files` of
        them, with delta-rs' OPTIMIZE: one commit whose actions carry dataChange=false."""
        from deltalake import CommitProperties
        from deltalake.exceptions import CommitFailedError

        table = self._table(path)
        name = os.path.basename(path)
        partitioned = "ds" in table.metadata().partition_columns
        chosen = partitions_to_compact(_live_files(table, partitioned), wanted=ds_values, target_bytes=target_bytes,
                                       min_files=min_files)
        if not chosen:
            return CompactResult.nothing(name, table.version())
        props = CommitProperties(custom_metadata={f"govern.{k}": str(v) for k, v in (metadata or {}).items()})
        try:
            metrics = table.optimize.compact(
                partition_filters=[("ds", "in", chosen)] if partitioned else None, target_size=target_bytes,
                commit_properties=props,
            )
        except CommitFailedError as exc:
            if storage_fault(exc) is not None:
                raise
            raise ConcurrentWrite(f"table at {path}: another writer changed it during compaction; nothing was "
                                  f"committed: {exc}") from exc
        if not metrics.get("numFilesRemoved"):
            return CompactResult.nothing(name, self.version(path))
        return CompactResult(
            name, self.version(path), True, tuple(chosen), int(metrics["numFilesRemoved"]),
            int(metrics["numFilesAdded"]), _total_size(metrics.get("filesRemoved")),
            _total_size(metrics.get("filesAdded")),
        )

    def vacuum(self, path: str, retention_hours: int) -> list[str]:
        """Delete files no live version needs and stale staging folders; returns what was deleted. With
        nothing to delete it commits nothing (delta-rs would log an empty VACUUM START/END pair)."""
        table = self._table(path)
        options = {"retention_hours": retention_hours, "enforce_retention_duration": False, "full": True}
        # delta-rs also lists removed files an earlier vacuum already deleted: keep those that are still there.
        due = [f for f in table.vacuum(dry_run=True, **options) if os.path.exists(_absolute(path, f))]
        deleted = [os.path.relpath(_absolute(path, f), path) for f in due]
        if due:
            table.vacuum(dry_run=False, **options)
        staging = os.path.join(path, STAGING)
        cutoff = time.time() - retention_hours * 3600
        if os.path.isdir(staging):
            for run in os.listdir(staging):
                run_dir = os.path.join(staging, run)
                if os.path.getmtime(run_dir) <= cutoff:
                    shutil.rmtree(run_dir, ignore_errors=True)
                    deleted.append(os.path.join(STAGING, run))
        return deleted

    # ---- internals ------------------------------------------------------------------------------------------
    def _committed(self, path: str, run: str) -> bool:
        """Whether the run's commit landed (a failure after the commit must not delete the files it added)."""
        try:
            return self.exists(path) and any(c.get("govern.run_id") == run for c in self._table(path).history(5))
        except Exception:  # noqa: BLE001 - an unreadable log: nothing of ours can be live in it
            return False

    def _stage(self, path: str, write: Callable[[str], None], run: str, staged: list[StagedFile]) -> None:
        """`write` the data files under the run's staging folder and move them into the table, appending each to
        `staged` as it lands (so a failure part-way can remove exactly what it moved)."""
        staging = os.path.join(path, STAGING, run)
        # Created here so a refusing filesystem fails with its errno and path, not Hadoop's "Mkdirs failed".
        os.makedirs(staging)
        write(staging)
        _checkpoint("staged")
        _move_into_table(path, staging, run, staged)
        _checkpoint("moved")

    def _commit(
        self,
        path: str,
        spark_schema: T.StructType,
        staged: list[StagedFile],
        removes: list,
        mode: str,
        partition_by: list[str],
        replace: list[str] | None,
        metadata: dict,
        base_version: int | None = None,
    ) -> int:
        from deltalake import CommitProperties, Schema
        from deltalake.exceptions import CommitFailedError
        from deltalake.transaction import create_table_with_add_actions

        adds = [_add_action(s) for s in staged]
        delta_schema = Schema.from_arrow(S.to_arrow(spark_schema))
        props = CommitProperties(custom_metadata={f"govern.{k}": str(v) for k, v in metadata.items()})
        if not self.exists(path):
            os.makedirs(path, exist_ok=True)
            try:
                # the catalog's description and properties in the first commit: the change data feed starts at 0
                name = os.path.basename(path)
                create_table_with_add_actions(path, delta_schema, adds, mode="error", partition_by=partition_by or None,
                                              description=description(name),
                                              configuration=table_properties(name) or None, commit_properties=props)
                return 0
            except Exception as exc:  # another writer created it first: fall through to a normal commit
                if not self.exists(path):
                    raise
                del exc
        filters = [("ds", "in", replace)] if replace is not None else None
        for attempt in range(self.commit_retries + 1):
            table = self._table(path)
            if removes and table.version() != base_version and not _still_live(table, removes):
                raise ConcurrentWrite(f"table at {path}: files this upsert replaces were changed by another writer")
            try:
                table.create_write_transaction(
                    adds + removes, mode=mode, schema=delta_schema, partition_by=partition_by or None,
                    partition_filters=filters, commit_properties=props,
                )
                return self._table(path).version()
            except CommitFailedError as exc:
                if storage_fault(exc) is not None:  # a refusing filesystem, not a lost race: retrying won't help
                    raise
                if attempt == self.commit_retries:
                    raise ConcurrentWrite(f"table at {path}: commit failed after {attempt + 1} tries: {exc}") from exc
                time.sleep(0.05 * (2 ** attempt))
        raise AssertionError("unreachable")


@contextmanager
def session_conf(spark: SparkSession, settings: dict[str, str]) -> Iterator[None]:
    """Session settings for the body only; the previous values (or their absence) come back afterwards."""
    previous = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _listed_on_driver(spark: SparkSession):
    """Spark checks the files it is handed before reading them, in a distributed job once there are more than
    `parallelPartitionDiscovery.threshold` (32) paths: seconds per read for a list that delta-rs already knows
    exactly (5.6 s against 0.8 s for the 400 files of a 20k-account `accounts` table). The check happens when
    the DataFrame is created, so the setting is needed only meanwhile."""
    return session_conf(spark, {"spark.sql.sources.parallelPartitionDiscovery.threshold": str(2**31 - 1)})


def _run_id() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:10]}"


def _spark_files(df: DataFrame, staging: str, partition_by: list[str]) -> None:
    """The frame's Parquet files, written by Spark under `staging` (partition folders `column=value`)."""
    writer = df.write.mode("overwrite")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.parquet(staging)


def _arrow_files(rows: list[tuple], schema: T.StructType, staging: str, partition_by: list[str]) -> None:
    """Driver-side rows of a flat schema as Parquet files under `staging`: one file per partition, in a folder
    `column=value` (the value percent-escaped; `_move_into_table` unescapes it), without the partition columns.
    Each row is checked as `spark.createDataFrame(rows, schema)` checks it (a type Spark refuses is refused here),
    and timestamps are converted as it converts them: a naive one is local time, an aware one is moved to UTC."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql.types import _make_type_verifier

    verify = _make_type_verifier(schema)
    names = schema.fieldNames()
    keys = [names.index(c) for c in partition_by]
    groups: dict[tuple[str, ...], list[tuple]] = {}
    for row in rows:  # tuples of the declared width: Tables.append_rows sends nothing else here
        verify(row)
        groups.setdefault(tuple(S.partition_literal(row[i]) for i in keys), []).append(row)
    data = [f for f in schema.fields if f.name not in partition_by]
    at = [names.index(f.name) for f in data]
    arrow = S.to_arrow(T.StructType(data))
    for values, members in groups.items():
        folder = os.path.join(staging, *(f"{c}={urllib.parse.quote(v, safe='')}" for c, v in zip(partition_by, values)))
        os.makedirs(folder, exist_ok=True)  # the staging folder itself when the table has no partitions
        columns = [pa.array([_arrow_value(r[i], f.dataType) for r in members], type=arrow.field(f.name).type)
                   for i, f in zip(at, data)]
        pq.write_table(pa.Table.from_arrays(columns, schema=arrow), os.path.join(folder, "part-00000.parquet"))


def _arrow_value(value, data_type: T.DataType):
    """A Python value of a flat Spark column as pyarrow takes it (a naive timestamp is local time, as to pyspark)."""
    if value is not None and isinstance(data_type, T.TimestampType) and isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc)
    return value


def _local_path(uri: str) -> str:
    if uri.startswith("file://"):
        return urllib.parse.unquote(uri[len("file://"):])
    return uri


def _absolute(root: str, path: str) -> str:
    """A path delta-rs reports (relative to the table root, absolute, or a file:// URI) as a local path."""
    local = _local_path(path)
    return local if os.path.isabs(local) else os.path.join(os.path.abspath(root), local)


def _live_files(table, partitioned: bool) -> list[tuple[str, int]]:
    """(ds value, size in bytes) of every live file, from the log (no data scan)."""
    import pyarrow as pa

    actions = pa.table(table.get_add_actions(flatten=True))
    if not actions.num_rows:
        return []
    sizes = actions.column("size_bytes").to_pylist()
    if not partitioned:
        return [(UNPARTITIONED, size) for size in sizes]
    days = [S.partition_literal(v) if v is not None else None for v in actions.column("partition.ds").to_pylist()]
    return list(zip(days, sizes))


def _total_size(stats) -> int:
    """`totalSize` of delta-rs' filesAdded/filesRemoved metrics (a dict, or its JSON text)."""
    if isinstance(stats, str):
        stats = json.loads(stats)
    return int((stats or {}).get("totalSize") or 0)


def _relative(root: str, file_uri: str) -> str:
    return os.path.relpath(urllib.parse.unquote(_local_path(file_uri).replace("file:", "", 1)), os.path.abspath(root))


def _move_into_table(root: str, staging: str, run: str, staged: list[StagedFile]) -> None:
    """Move every staged Parquet file under its partition folder, appending each to `staged` (uncommitted);
    empty files are deleted instead."""
    import pyarrow.parquet as pq

    for folder, _dirs, files in os.walk(staging):
        rel_dir = os.path.relpath(folder, staging)
        parts = [] if rel_dir == "." else rel_dir.split(os.sep)
        values = dict(urllib.parse.unquote(p).split("=", 1) for p in parts)
        for name in sorted(files):
            if not name.endswith(".parquet"):
                continue
            target_dir = os.path.join(root, *parts)
            os.makedirs(target_dir, exist_ok=True)
            target_name = f"part-{run}-{name.removeprefix('part-')}"
            full = os.path.join(target_dir, target_name)
            os.rename(os.path.join(folder, name), full)
            moved = StagedFile(os.path.join(*parts, target_name), os.path.getsize(full), 0, values)
            staged.append(moved)  # tracked at once, so a failure from here on still removes it
            _checkpoint("moving")
            rows = pq.read_metadata(full).num_rows
            staged[-1] = StagedFile(moved.path, moved.size, rows, values)
            if rows == 0:
                os.remove(full)
                staged.pop()


def _discard(root: str, staged: list[StagedFile]) -> None:
    for s in staged:
        try:
            os.remove(os.path.join(root, s.path))
        except FileNotFoundError:
            pass


def _check_partitions(path: str, staged: list[StagedFile], replace: list[str]) -> None:
    allowed = set(replace)
    stray = sorted({s.partition_values.get("ds") for s in staged} - allowed, key=str)
    if stray:
        raise PartitionViolation(
            f"table at {path}: rows with ds {stray} fall outside the partitions being replaced {sorted(allowed)}"
        )


def _add_action(s: StagedFile):
    from deltalake.transaction import AddAction

    return AddAction(
        path=s.path, size=s.size, partition_values=s.partition_values,
        modification_time=int(time.time() * 1000), data_change=True, stats=json.dumps({"numRecords": s.rows}),
    )


def _remove_actions(table, paths: list[str]) -> list:
    import pyarrow as pa
    from deltalake.transaction import RemoveAction

    wanted = set(paths)
    actions = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    now = int(time.time() * 1000)
    removes = []
    for a in actions:
        if a["path"] in wanted:
            values = {k.removeprefix("partition."): S.partition_literal(v) for k, v in a.items()
                      if k.startswith("partition.") and v is not None}
            removes.append(RemoveAction(a["path"], True, now, a["size_bytes"], values))
    return removes


def _still_live(table, removes: list) -> bool:
    live = {_local_path(u) for u in table.file_uris()}
    root = _local_path(table.table_uri).rstrip("/")
    return all(os.path.join(root, r.path) in live for r in removes)


def _latest_per_key(incoming, keys, order_by, touched, spark, path, schema):
    """Rows of the touched files and the incoming rows, reduced to one row per key: the latest wins."""
    from pyspark.sql import Window as W

    if touched:
        with _listed_on_driver(spark):
            old = spark.read.schema(schema).option("basePath", os.path.abspath(path)).parquet(
                *[os.path.join(os.path.abspath(path), t) for t in touched]
            )
        old = S.conform(old, schema).withColumn("_incoming", F.lit(1))
    else:
        old = spark.createDataFrame([], schema).withColumn("_incoming", F.lit(1))
    new = S.conform(incoming, schema).withColumn("_incoming", F.lit(2))
    ordering = ([F.col(order_by).desc_nulls_last()] if order_by else []) + [F.col("_incoming").desc()]
    rank = F.row_number().over(W.partitionBy(*keys).orderBy(*ordering))
    return old.unionByName(new).withColumn("_rank", rank).filter(F.col("_rank") == 1).drop("_rank", "_incoming")
