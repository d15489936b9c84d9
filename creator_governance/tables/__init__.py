"""The one door to every table: jobs read and write Delta tables by name through `Tables`.

Two engines sit behind it: native delta-spark where Delta's JVM classes are loaded (Databricks, a cluster
started with `--packages`), and delta-rs otherwise (Spark writes Parquet, the driver commits with `deltalake`).
Either way the tables are real Delta tables under the lakehouse root, one folder per table.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession

from creator_governance.catalog import TABLES
from creator_governance.paths import default_files, files_folder, is_object_store, local_path
from creator_governance.settings import TablesSettings
from creator_governance.tables import schema as S
from creator_governance.tables.catalog import (
    check_declared, comments, declared_schema, description, grain, partition_columns, table_properties,
    with_comments,
)
from creator_governance.tables.compaction import CompactResult
from creator_governance.tables.deltars import DeltaRsEngine, WriteResult
from creator_governance.tables.deltaspark import DeltaSparkEngine, delta_spark_available
from creator_governance.tables.errors import (
    ConcurrentWrite, PartitionViolation, SchemaMismatch, StorageError, TableError, TableNotFound, storage_fault,
)

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
log = logging.getLogger("creator_governance.tables")

__all__ = [
    "CompactResult", "ConcurrentWrite", "PartitionViolation", "SchemaMismatch", "StorageError", "TableError",
    "TableInfo", "TableNotFound", "Tables", "WriteResult",
]


@dataclass(frozen=True)
class TableInfo:
    """One line of `govern tables`."""

    name: str
    path: str
    engine: str
    version: int
    rows: int
    partition_by: tuple[str, ...]


class Tables:
    """Delta tables by name under one lakehouse root."""

    def __init__(
        self,
        spark: SparkSession,
        root: str,
        *,
        engine: str = "auto",
        commit_retries: int = 5,
        vacuum_retention_hours: int = 168,
        compact_target_file_mb: int = 128,
        compact_min_files: int = 4,
        catalog: str | None = None,
        schema: str | None = None,
        files: str | None = None,
    ):
        self.spark = spark
        self.root = local_path(root)
        # models, reports and pages (tables.files): a folder, never an object store; the same default as the settings
        files = files or default_files(root, catalog, schema)
        self.files = local_path(files) if files else None
        self.vacuum_retention_hours = vacuum_retention_hours
        self.compact_target_file_mb = compact_target_file_mb
        self.compact_min_files = compact_min_files
        if engine == "auto":
            engine = "delta-spark" if delta_spark_available(spark) else "delta-rs"
        engines = {"delta-spark": DeltaSparkEngine, "delta-rs": DeltaRsEngine}
        if engine not in engines:
            raise TableError(f"tables.engine: unknown engine '{engine}' (auto, delta-spark, delta-rs)")
        self.engine = engines[engine](spark, commit_retries)
        self._described: set[str] = set()  # tables whose description and properties this process has checked
        self._registered: set[str] = set()  # tables this process has registered under catalog names
        # catalog names (tables.catalog / tables.schema): only the delta-spark engine registers tables by name
        self.namespace = tuple(n for n in (catalog, schema) if n) if schema else ()
        if self.namespace and not hasattr(self.engine, "register"):
            log.info("tables.catalog/tables.schema are ignored on the %s engine: tables are paths, and `govern sql` "
                     "names them with session views", self.engine.name)
            self.namespace = ()

    @classmethod
    def from_config(cls, spark: SparkSession, settings: TablesSettings) -> "Tables":
        """The layer as configured in conf/*/tables.yaml."""
        return cls(
            spark, settings.lakehouse, engine=settings.engine, commit_retries=settings.commit_retries,
            vacuum_retention_hours=settings.vacuum_retention_hours,
            compact_target_file_mb=settings.compact_target_file_mb, compact_min_files=settings.compact_min_files,
            catalog=settings.catalog, schema=settings.schema_name, files=settings.files_root,
        )

    # ---- names and metadata ---------------------------------------------------------------------------------
    def path(self, name: str) -> str:
        """Folder of table `name`."""
        if not NAME.match(name):
            raise TableError(f"invalid table name '{name}': lower-case letters, digits and _ only")
        return os.path.join(self.root, name)

    def exists(self, name: str) -> bool:
        return self.engine.exists(self.path(name))

    def folder(self, name: str) -> str:
        """`<tables.files>/<name>` (e.g. `_models`): where the jobs keep the files that are not tables."""
        try:
            return files_folder(self.files, self.root, name)
        except ValueError as exc:
            raise TableError(str(exc)) from None

    @property
    def persisted(self) -> bool:
        """Whether tables and BI views are registered under catalog names (tables.schema on delta-spark)."""
        return bool(self.namespace)

    def qualified(self, name: str) -> str:
        """`catalog`.`schema`.`name` (or `schema`.`name`) when names are configured, else the bare name."""
        return ".".join(f"`{part}`" for part in (*self.namespace, name)) if self.namespace else name

    def names(self) -> list[str]:
        """Every table under the root, sorted. A local root is listed; an object store (s3://, abfss://, gs://) is
        not (the filesystem API cannot list it): there, the tables of the catalog that exist."""
        if is_object_store(self.root):
            return sorted(n for n in TABLES if self.exists(n))
        if not os.path.isdir(self.root):
            return []
        return sorted(n for n in os.listdir(self.root) if NAME.match(n) and self.exists(n))

    def version(self, name: str) -> int:
        return self.engine.version(self._existing(name))

    def history(self, name: str, limit: int | None = None) -> list[dict]:
        """Commits of the table, newest first."""
        return self.engine.history(self._existing(name), limit)

    def row_count(self, name: str, version: int | None = None) -> int:
        return self.engine.row_count(self._existing(name), version)

    def partition_rows(self, name: str, ds: object) -> int:
        """Rows of one `ds` partition (from the Delta log on the delta-rs engine)."""
        return self.engine.partition_rows(self._existing(name), S.partition_literal(ds))

    def schema(self, name: str):
        return self.engine.schema(self._existing(name))

    def partition_columns(self, name: str) -> list[str]:
        return self.engine.partition_columns(self._existing(name))

    def info(self) -> list[TableInfo]:
        """Name, path, engine, latest version and row count of every table."""
        out = []
        for name in self.names():
            path = self.path(name)
            out.append(TableInfo(name, path, self.engine.name, self.engine.version(path),
                                 self.engine.row_count(path), tuple(self.engine.partition_columns(path))))
        return out

    # ---- read -----------------------------------------------------------------------------------------------
    def read(
        self,
        name: str,
        *,
        version: int | None = None,
        ds: object | Iterable[object] | None = None,
        ds_from: object | None = None,
        ds_to: object | None = None,
    ) -> DataFrame:
        """The table (latest or `version`), pruned to `ds` values or the range [`ds_from`, `ds_to`]."""
        path = self._existing(name)
        predicate: list[tuple] = []
        if ds is not None:
            values = [ds] if isinstance(ds, (str, dt.date)) else list(ds)
            predicate.append(("ds", "in", S.partition_literals(values)))
        if ds_from is not None:
            predicate.append(("ds", ">=", S.partition_literal(ds_from)))
        if ds_to is not None:
            predicate.append(("ds", "<=", S.partition_literal(ds_to)))
        # A table with a ds column that is not partitioned by it (accounts) gets the same filters on its rows.
        partitioned = "ds" in self.engine.partition_columns(path)
        df = self.engine.read(path, version, (predicate or None) if partitioned else None)
        for column, op, value in predicate:
            df = df.filter(S.as_filter(column, op, value))
        return df

    def read_or_empty(self, name: str, schema=None, **filters) -> DataFrame:
        """`read(name, **filters)`, or an empty frame when the table does not exist yet (an entity with no rows
        delivered so far, such as decisions in a young landing zone): of `schema`, by default the table catalog's
        declaration of `name`."""
        if self.exists(name):
            return self.read(name, **filters)
        return self.spark.createDataFrame([], declared_schema(name) if schema is None else schema)

    def register_views(self, only: Iterable[str] | None = None) -> list[str]:
        """Every table (or those of `only` that exist) under its bare name, for `govern sql`, notebooks and BI:
        with catalog names (delta-spark), each table registered in the catalog (an external table over its
        folder, once) and the catalog and schema made current, so the bare names resolve to them; otherwise a
        temporary view per table. Returns the names registered."""
        names = self.names() if only is None else sorted(n for n in set(only) if self.exists(n))
        if self.namespace:
            for name in names:
                self._register(name, self.path(name))
            self.engine.use(self.namespace)
            return names
        for name in names:
            self.read(name).createOrReplaceTempView(name)
        return names

    # ---- write ----------------------------------------------------------------------------------------------
    def append(self, name: str, df: DataFrame, *, partition_by: list[str] | None = None, **meta) -> WriteResult:
        """Add rows; creates the table (partitioned by `ds` when it has one) on first write."""
        with self._writing(name):
            path, df, partition_by = self._prepare(name, df, partition_by)
            result = self.engine.write(path, df, mode="append", partition_by=partition_by,
                                       metadata={"operation": "append", **meta})
            self._describe(name, path)
            return result

    def append_rows(self, name: str, rows: list[tuple], **meta) -> WriteResult:
        """Add rows built on the driver: tuples in the column order of the table catalog's declaration of `name`.
        Where the engine can write driver rows itself (delta-rs), the declaration is flat (no array, map or struct
        column), the table exists with exactly the declared columns and every row is a tuple of their width without
        a null partition value, no Spark job runs (a job and its file commit cost about 0.3 s however few the rows:
        the pipeline's bookkeeping rows are written several times a run); otherwise as `append` of the rows as a
        frame."""
        declared = declared_schema(name)
        direct = getattr(self.engine, "append_rows", None)
        if direct is not None and S.is_flat(declared):
            with self._writing(name):
                path = self.path(name)
                if self._holds_declared(name, declared):
                    partition_by = self.engine.partition_columns(path)
                    keys = [declared.fieldNames().index(c) for c in partition_by]
                    width = len(declared.fields)  # other rows (dicts, a wrong width) get createDataFrame's handling
                    if all(isinstance(r, tuple) and len(r) == width and all(r[i] is not None for i in keys)
                           for r in rows):
                        result = direct(path, rows, declared, partition_by=partition_by,
                                        metadata={"operation": "append", **meta})
                        self._describe(name, path)
                        return result
        return self.append(name, self.spark.createDataFrame(rows, declared), **meta)

    def overwrite(self, name: str, df: DataFrame, *, partition_by: list[str] | None = None, **meta) -> WriteResult:
        """Replace the whole table atomically (readers see the old or the new version, nothing between)."""
        with self._writing(name):
            path, df, partition_by = self._prepare(name, df, partition_by)
            result = self.engine.write(path, df, mode="overwrite", partition_by=partition_by,
                                       metadata={"operation": "overwrite", **meta})
            self._describe(name, path)
            return result

    def overwrite_partitions(self, name: str, df: DataFrame, ds_values: Iterable[object], **meta) -> WriteResult:
        """Replace exactly the `ds` partitions listed, atomically; a listed day with no rows ends up empty."""
        values = S.partition_literals(ds_values)
        if not values:
            raise TableError(f"table '{name}': overwrite_partitions needs at least one ds value")
        if "ds" not in df.columns:
            raise SchemaMismatch(f"table '{name}': a partition overwrite needs a ds column")
        with self._writing(name):
            path, df, partition_by = self._prepare(name, df, ["ds"])
            if partition_by != ["ds"]:
                raise TableError(f"table '{name}' is partitioned by {partition_by}, not ds")
            result = self.engine.write(path, df, mode="overwrite", partition_by=partition_by, replace=values,
                                       metadata={"operation": "overwrite_partitions", "ds": ",".join(values), **meta})
            self._describe(name, path)
            return result

    def upsert(self, name: str, df: DataFrame, *, keys: list[str] | None = None, order_by: str | None = None,
               partition_by: list[str] | None = None, **meta) -> WriteResult:
        """Merge by `keys` (default: the table catalog's grain of `name`): new keys are inserted; for a known key
        the row with the greatest `order_by` wins (the incoming row on ties or without `order_by`). Only files
        holding incoming keys are rewritten. `partition_by` applies when the upsert creates the table (default: the
        catalog's, else `ds` when there is one)."""
        if keys is None:
            keys = grain(name)
        missing = [k for k in [*keys, *([order_by] if order_by else [])] if k not in df.columns]
        if missing:
            raise SchemaMismatch(f"table '{name}': upsert columns {missing} are not in the incoming data")
        if not self.exists(name):
            return self.append(name, df, partition_by=partition_by, **meta)
        with self._writing(name):
            path, df, _ = self._prepare(name, df, None)
            result = self.engine.upsert(path, df, keys=keys, order_by=order_by, metadata=meta)
            self._describe(name, path)
            return result

    def compact(
        self,
        name: str,
        ds_values: object | Iterable[object] | None = None,
        *,
        target_file_mb: int | None = None,
        min_files: int | None = None,
        **meta,
    ) -> CompactResult:
        """Rewrite the small files (below `target_file_mb`) of the listed `ds` partitions (all when None; the
        whole table when it has no partitions) into fewer files of about that size, as one Delta OPTIMIZE commit
        (dataChange=false: the same rows, readers see the old or the new version, time travel keeps working).
        A partition with fewer than `min_files` small files is left alone: nothing to do commits nothing.
        Defaults come from `tables.compact_target_file_mb` and `tables.compact_min_files`."""
        target_mb = self.compact_target_file_mb if target_file_mb is None else target_file_mb
        least = self.compact_min_files if min_files is None else min_files
        if target_mb < 1 or least < 2:
            raise TableError(f"table '{name}': compact needs target_file_mb >= 1 and min_files >= 2")
        with self._writing(name):
            path = self._existing(name)
            values = None
            if ds_values is not None:
                if "ds" not in self.engine.partition_columns(path):
                    raise TableError(f"table '{name}' is not partitioned by ds: compact it without ds values")
                values = S.partition_literals([ds_values] if isinstance(ds_values, (str, dt.date)) else ds_values)
                if not values:
                    return CompactResult.nothing(name, self.engine.version(path))
            return self.engine.compact(path, values, target_bytes=target_mb << 20, min_files=least,
                                       metadata={"job": "compact", **meta})

    def vacuum(self, name: str, retention_hours: int | None = None) -> list[str]:
        """Delete unreferenced files older than the retention (default from config)."""
        hours = self.vacuum_retention_hours if retention_hours is None else retention_hours
        with self._writing(name):
            return self.engine.vacuum(self._existing(name), hours)

    # ---- internals ------------------------------------------------------------------------------------------
    @contextmanager
    def _writing(self, name: str) -> Iterator[None]:
        """Turn a filesystem fault during a write (disk full, read-only, not permitted, not a folder; raised by
        Python, Spark or delta-rs) into a `StorageError` naming the table, the path, what to do and the version
        the table is left at: a failed write commits nothing."""
        path = self.path(name)
        before = self._version_or_none(path)
        try:
            yield
        except TableError:
            raise
        except Exception as exc:
            fault = storage_fault(exc)
            if fault is None:
                raise
            after = self._version_or_none(path)
            if after is None:
                state = "nothing was written" if before is None else "the table can no longer be read"
            elif after == before:
                state = f"the table is unchanged at version {after}"
            else:
                state = f"the table is at version {after} (it was at {before})"
            raise StorageError(
                f"cannot write table '{name}' at {fault.path or path}: {fault.what} ({fault.code}); "
                f"{fault.todo}, then re-run; {state}"
            ) from exc

    def _version_or_none(self, path: str) -> int | None:
        try:
            return self.engine.version(path) if self.engine.exists(path) else None
        except Exception:  # noqa: BLE001 - an unreadable table has no version to report
            return None

    def _existing(self, name: str) -> str:
        path = self.path(name)
        if not self.engine.exists(path):
            raise TableNotFound(f"table '{name}' does not exist under {self.root}")
        return path

    def _describe(self, name: str, path: str) -> None:
        """The catalog's description and table properties (change data feed) on the table: a metadata-only commit
        when they differ (a new table, or one written before the catalog had them). Checked on the first write of
        each table by this process (they change only with the code)."""
        if path in self._described:
            return
        properties, text = table_properties(name), description(name)
        if properties or text:
            self.engine.describe(path, text, properties)
        self._register(name, path)
        self._described.add(path)

    def _register(self, name: str, path: str) -> None:
        """With catalog names: the table registered as `catalog.schema.name` over its folder (idempotent)."""
        if self.namespace and path not in self._registered:
            self.engine.register(self.qualified(name), path)
            self._registered.add(path)

    def _holds_declared(self, name: str, declared) -> bool:
        """Whether table `name` exists with the declared columns, in order, types and catalog comments: rows in
        that order need no conforming (`_prepare` handles every other case)."""
        path = self.path(name)
        if not self.engine.exists(path):
            return False
        table_schema = self.engine.schema(path)
        if table_schema.fieldNames() != declared.fieldNames():
            return False
        if S.type_signature(table_schema) != S.type_signature(declared):
            return False
        return all(table_schema[c].metadata.get("comment") == text for c, text in comments(name).items())

    def _prepare(self, name: str, df: DataFrame, partition_by: list[str] | None):
        path = self.path(name)
        check_declared(name, df.schema)
        if self.engine.exists(path):
            table_schema = self.engine.schema(path)
            added = S.check_compatible(name, table_schema, df.schema, allow_added=True)
            if added:
                # A newer release writes more columns: add them (rows written before read null), never drop any.
                self.engine.add_columns(path, added)
                log.info("table '%s': added column(s) %s", name, ", ".join(f.name for f in added))
                table_schema = self.engine.schema(path)
            stale = {c: text for c, text in comments(name).items()
                     if c in table_schema.fieldNames() and table_schema[c].metadata.get("comment") != text}
            if stale:  # a table written before its catalog comments (or with older ones): a metadata-only commit
                self.engine.set_comments(path, stale)
            return (path, with_comments(name, df, order=table_schema.fieldNames()),
                    self.engine.partition_columns(path))
        partition_by = partition_columns(name, partition_by)
        if partition_by is None:
            partition_by = ["ds"] if "ds" in df.columns else []
        absent = [c for c in partition_by if c not in df.columns]
        if absent:
            raise SchemaMismatch(f"table '{name}': partition columns {absent} are not in the data")
        os.makedirs(self.root, exist_ok=True)
        return path, with_comments(name, df), list(partition_by)

