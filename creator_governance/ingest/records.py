"""Schemas and row builders of the ingestion bookkeeping tables: `ingest_log` and `quarantine`."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.catalog import schema
from creator_governance.ingest.dedupe import SOURCE
from creator_governance.ingest.validate import is_valid

INGEST_LOG = "ingest_log"
QUARANTINE = "quarantine"
DATA_QUALITY = "data_quality"
QUARANTINE_KEYS = ["source_sha256", "line"]

LOG_SCHEMA = schema("ingest_log")

QUARANTINE_SCHEMA = schema("quarantine")


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
