"""Schemas and row builders of the ingestion bookkeeping tables: `ingest_log` and `quarantine`."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.ingest.dedupe import SOURCE
from creator_governance.ingest.validate import is_valid

INGEST_LOG = "ingest_log"
QUARANTINE = "quarantine"
DATA_QUALITY = "data_quality"
QUARANTINE_KEYS = ["source_sha256", "line"]

LOG_SCHEMA = T.StructType([
    T.StructField("run_id", T.StringType()),
    T.StructField("entity", T.StringType()),
    T.StructField("source_file", T.StringType()),
    T.StructField("landing", T.StringType()),
    T.StructField("format", T.StringType()),
    T.StructField("sha256", T.StringType()),
    T.StructField("size_bytes", T.LongType()),
    T.StructField("mtime_ns", T.LongType()),
    T.StructField("status", T.StringType()),
    T.StructField("duplicate_of", T.StringType()),
    T.StructField("rows_read", T.LongType()),
    T.StructField("rows_accepted", T.LongType()),
    T.StructField("rows_quarantined", T.LongType()),
    T.StructField("rows_duplicate", T.LongType()),
    T.StructField("min_ds", T.DateType()),
    T.StructField("max_ds", T.DateType()),
    T.StructField("error", T.StringType()),
    T.StructField("ingested_at", T.TimestampType()),
])

QUARANTINE_SCHEMA = T.StructType([
    T.StructField("entity", T.StringType()),
    T.StructField("source_file", T.StringType()),
    T.StructField("line", T.LongType()),
    T.StructField("raw_record", T.StringType()),
    T.StructField("reasons", T.ArrayType(T.StringType())),
    T.StructField("run_id", T.StringType()),
    T.StructField("source_sha256", T.StringType()),
    T.StructField("quarantined_at", T.TimestampType()),
])


def build_quarantine(classified: DataFrame, entity: str, *, run_id: str, at) -> DataFrame:
    """One quarantine row per rejected record of the classified frame."""
    return classified.filter(~is_valid()).select(
        F.lit(entity).alias("entity"),
        F.col("_file").alias("source_file"),
        F.col("_line").cast("long").alias("line"),
        "raw_record",
        "reasons",
        F.lit(run_id).alias("run_id"),
        F.col(SOURCE).alias("source_sha256"),
        F.lit(at).cast("timestamp").alias("quarantined_at"),
    )


COUNTS = ("rows_read", "rows_accepted", "rows_quarantined", "rows_duplicate")


def file_counts(classified: DataFrame) -> dict[str | None, dict]:
    """Per file: rows read, accepted, quarantined, exact duplicates, and the ds range of the accepted rows
    (one small aggregate, collected)."""
    accepted = is_valid() & ~F.col("_duplicate")
    rows = classified.groupBy("_file").agg(
        F.count(F.lit(1)).alias("rows_read"),
        F.count_if(accepted).alias("rows_accepted"),
        F.count_if(~is_valid()).alias("rows_quarantined"),
        F.count_if(F.col("_duplicate")).alias("rows_duplicate"),
        F.min(F.when(accepted, F.col("ds"))).alias("min_ds"),
        F.max(F.when(accepted, F.col("ds"))).alias("max_ds"),
    ).collect()
    return {r["_file"]: {**{k: int(r[k]) for k in COUNTS}, "min_ds": r["min_ds"], "max_ds": r["max_ds"]}
            for r in rows}
