"""The native delta-spark engine, used where `io.delta` is on the JVM classpath (Databricks, `--packages`)."""

from __future__ import annotations

import json

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.tables.compaction import UNPARTITIONED, CompactResult, ds_predicate, partitions_to_compact
from creator_governance.tables.deltars import WriteResult, session_conf
from creator_governance.tables.errors import TableNotFound
from creator_governance.tables.schema import as_filter

DELTA_CLASS = "org.apache.spark.sql.delta.DeltaLog"
# Delta's retention safety check refuses a vacuum below 7 days; the layer's retention is configured on purpose.
DEFAULT_RETENTION_HOURS = 168


def delta_spark_available(spark: SparkSession) -> bool:
    """True when the session can load Delta's JVM classes (no download is ever attempted). On Spark Connect
    (no JVM on the client): when the server is Databricks (Delta built in) or names Delta's session extension."""
    try:
        jvm = spark._jvm
    except Exception:  # noqa: BLE001 - any Spark Connect flavour
        jvm = None
    if jvm is None:
        return _connect_server_has_delta(spark)
    try:
        loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
        jvm.java.lang.Class.forName(DELTA_CLASS, False, loader)
        return True
    except Exception:  # noqa: BLE001 - py4j wraps ClassNotFoundException
        return False


def _connect_server_has_delta(spark: SparkSession) -> bool:
    conf = spark.conf
    if conf.get("spark.databricks.clusterUsageTags.sparkVersion", None) or conf.get("spark.databricks.workspaceUrl",
                                                                                     None):
        return True
    return "DeltaSparkSessionExtension" in (conf.get("spark.sql.extensions", None) or "")


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def register_sql(qualified: str, path: str) -> str:
    """The statement registering the Delta table at `path` as `qualified` (an external table: its schema, comments,
    description and properties come from the Delta log; a second run changes nothing)."""
    return f"CREATE TABLE IF NOT EXISTS {qualified} USING DELTA LOCATION {_quoted(path)}"


def view_sql(qualified: str, query: str, meaning: str) -> str:
    """The statement persisting a BI view (its bare table names resolve in the catalog and schema current when it
    is created, which Spark stores with the view)."""
    return f"CREATE OR REPLACE VIEW {qualified} COMMENT {_quoted(meaning)} AS {query.strip()}"


class DeltaSparkEngine:
    """Reads and writes through `format("delta")` and `delta.tables.DeltaTable`."""

    name = "delta-spark"

    def __init__(self, spark: SparkSession, commit_retries: int = 5):
        self.spark = spark
        self.commit_retries = commit_retries

    def _table(self, path: str):
        from delta.tables import DeltaTable

        if not self.exists(path):
            raise TableNotFound(f"no Delta table at {path}")
        return DeltaTable.forPath(self.spark, path)

    def exists(self, path: str) -> bool:
        from delta.tables import DeltaTable

        return DeltaTable.isDeltaTable(self.spark, path)

    def schema(self, path: str, version: int | None = None) -> T.StructType:
        return self.read(path, version).schema

    def add_columns(self, path: str, fields: list[T.StructField]) -> None:
        """Add nullable columns (ALTER TABLE ... ADD COLUMNS: rows written before read null)."""
        columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in fields)
        self.spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS ({columns})")

    def set_comments(self, path: str, comments: dict[str, str]) -> None:
        """Column comments (ALTER TABLE ... ALTER COLUMN ... COMMENT: metadata only)."""
        for column, text in comments.items():
            self.spark.sql(f"ALTER TABLE delta.`{path}` ALTER COLUMN `{column}` COMMENT {_quoted(text)}")

    def register(self, qualified: str, path: str) -> None:
        """Register the table at `path` under the catalog name `qualified` (CREATE TABLE IF NOT EXISTS ... USING
        DELTA LOCATION: an external table; the catalog and schema must exist)."""
        self.spark.sql(register_sql(qualified, path))

    def use(self, namespace: tuple[str, ...]) -> None:
        """Make the catalog and schema current, so bare table names resolve to the registered tables."""
        if len(namespace) == 2:
            self.spark.catalog.setCurrentCatalog(namespace[0])
        self.spark.catalog.setCurrentDatabase(namespace[-1])

    def persist_view(self, qualified: str, query: str, meaning: str) -> None:
        """A persisted BI view (CREATE OR REPLACE VIEW): SQL and BI tools see it outside this session."""
        self.spark.sql(view_sql(qualified, query, meaning))

    def describe(self, path: str, description: str | None, properties: dict[str, str]) -> bool:
        """Set the table's description (Delta maps the `comment` property to it) and properties where they differ:
        ALTER TABLE ... SET TBLPROPERTIES, a metadata-only commit; True when it committed."""
        detail = self._table(path).detail().select("description", "properties").first()
        wanted = {k: v for k, v in properties.items() if (detail["properties"] or {}).get(k) != v}
        if description is not None and detail["description"] != description:
            wanted["comment"] = description
        if not wanted:
            return False
        pairs = ", ".join(f"{_quoted(k)} = {_quoted(v)}" for k, v in wanted.items())
        self.spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ({pairs})")
        return True

    def partition_columns(self, path: str) -> list[str]:
        detail = self._table(path).detail().select("partitionColumns").first()
        return list(detail["partitionColumns"])

    def version(self, path: str) -> int:
        return int(self._table(path).history(1).select("version").first()["version"])

    def history(self, path: str, limit: int | None = None) -> list[dict]:
        rows = self._table(path).history(limit) if limit else self._table(path).history()
        return [r.asDict(recursive=True) for r in rows.collect()]

    def row_count(self, path: str, version: int | None = None) -> int:
        return self.read(path, version).count()

    def partition_rows(self, path: str, ds: str) -> int:
        return self.read(path, None, [("ds", "=", ds)]).count()

    def read(self, path: str, version: int | None = None, predicate: list[tuple] | None = None) -> DataFrame:
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        df = reader.load(path)
        for column, op, value in predicate or []:
            df = df.filter(as_filter(column, op, value))
        return df

    def write(self, path, df, *, mode, partition_by, replace=None, metadata=None) -> WriteResult:
        writer = df.write.format("delta")
        if metadata:
            writer = writer.option("userMetadata", json.dumps(metadata, default=str))
        if partition_by and not self.exists(path):
            writer = writer.partitionBy(*partition_by)
        if replace is not None:
            quoted = ", ".join(f"'{v}'" for v in replace)
            writer = writer.mode("overwrite").option("replaceWhere", f"ds IN ({quoted})")
        else:
            writer = writer.mode(mode)
        writer.save(path)
        return self._result(path)

    def upsert(self, path, df, *, keys, order_by, metadata=None) -> WriteResult:
        on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
        merge = self._table(path).alias("t").merge(df.alias("s"), on)
        newer = f"s.`{order_by}` >= t.`{order_by}` OR t.`{order_by}` IS NULL" if order_by else None
        merge.whenMatchedUpdateAll(condition=newer).whenNotMatchedInsertAll().execute()
        return self._result(path)

    def compact(self, path, ds_values, *, target_bytes, min_files, metadata=None) -> CompactResult:
        """OPTIMIZE (bin-packing) of the partitions holding at least `min_files` files below `target_bytes`;
        Delta commits the rewrite with dataChange=false."""
        name = path.rstrip("/").rsplit("/", 1)[-1]
        partitioned = "ds" in self.partition_columns(path)
        chosen = partitions_to_compact(self._live_files(path, ds_values if partitioned else None, partitioned),
                                       wanted=ds_values, target_bytes=target_bytes, min_files=min_files)
        if not chosen:
            return CompactResult.nothing(name, self.version(path))
        before = self.version(path)
        settings = {
            "spark.databricks.delta.optimize.maxFileSize": str(target_bytes),  # the size files are packed to
            "spark.databricks.delta.optimize.minFileSize": str(target_bytes),  # files below it are rewritten
        }
        if metadata:
            settings["spark.databricks.delta.commitInfo.userMetadata"] = json.dumps(metadata, default=str)
        with session_conf(self.spark, settings):
            builder = self._table(path).optimize()
            if partitioned:
                builder = builder.where(ds_predicate(chosen))
            metrics = builder.executeCompaction().first()["metrics"]
        after = self.version(path)
        if after == before:
            return CompactResult.nothing(name, after)
        return CompactResult(
            name, after, True, tuple(chosen), int(metrics["numFilesRemoved"]), int(metrics["numFilesAdded"]),
            int(metrics["filesRemoved"]["totalSize"] or 0), int(metrics["filesAdded"]["totalSize"] or 0),
        )

    def _live_files(self, path: str, ds_values: list[str] | None, partitioned: bool) -> list[tuple[str, int]]:
        """(ds value, size) of the live files of those partitions, from the scan's file metadata (one row per
        file reaches the driver)."""
        df = self.read(path, None, [("ds", "in", ds_values)] if ds_values is not None else None)
        partition = F.col("ds").cast("string") if partitioned else F.lit(UNPARTITIONED)
        files = df.select(partition.alias("p"), F.col("_metadata.file_path").alias("file"),
                          F.col("_metadata.file_size").alias("size")).distinct()
        return [(r["p"], int(r["size"])) for r in files.collect()]

    def vacuum(self, path: str, retention_hours: int) -> list[str]:
        check = "true" if retention_hours >= DEFAULT_RETENTION_HOURS else "false"
        with session_conf(self.spark, {"spark.databricks.delta.retentionDurationCheck.enabled": check}):
            self._table(path).vacuum(retention_hours)
        return []

    def _result(self, path: str) -> WriteResult:
        last = self._table(path).history(1).select("version", "operationMetrics").first()
        metrics = last["operationMetrics"] or {}
        return WriteResult(
            table=path.rstrip("/").rsplit("/", 1)[-1],
            version=int(last["version"]),
            files_added=int(metrics.get("numFiles", metrics.get("numAddedFiles", 0)) or 0),
            files_removed=int(metrics.get("numRemovedFiles", 0) or 0),
            rows_written=int(metrics.get("numOutputRows", 0) or 0),
        )
